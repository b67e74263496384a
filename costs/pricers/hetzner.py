"""Hetzner Cloud prices (EUR): servers with their primary IPv4, the project's pooled traffic and
backups; volumes; floating IPs; Object Storage, a base fee per project whatever the number of
buckets (the buckets are our dynamic resources, told apart by their endpoint)."""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.components._lib.stateful import is_hetzner_bucket
from multicloud.costs.pricers import shared
from multicloud.costs.pricers.base import Catalog, Context, Entry, Line, Pricers, Resource, line

HETZNER = Catalog("hetzner")
PRICERS = Pricers()
# Free by themselves: a floating IP's assignment and a volume's attachment are priced on the
# IP and the volume.
FREE = frozenset(
    {
        types.HCLOUD_FIREWALL,
        types.HCLOUD_SSH_KEY,
        types.HCLOUD_NETWORK,
        types.HCLOUD_NETWORK_SUBNET,
        types.HCLOUD_VOLUME_ATTACHMENT,
        types.HCLOUD_FLOATING_IP_ASSIGNMENT,
    }
)
PRICERS[types.HCLOUD_VOLUME] = shared.volume("hetzner")


def _extra(name: str) -> Entry:
    return HETZNER.entry("extras", name)


@PRICERS.register(types.HCLOUD_SERVER)
def _server(res: Resource, ctx: Context) -> list[Line]:
    name, location = str(res.inputs.get("serverType")), res.inputs.get("location")
    sku = HETZNER.servers(ctx.today, str(location) if location else None).get(name)
    if sku is None:
        where = f" in {location}" if location else ""
        return [HETZNER.not_in_catalog(res, f"server {name}{where}", 1, "month")]
    lines = [shared.machine(res, "server", sku)]
    nets = res.inputs.get("publicNets") or [{"ipv4Enabled": True}]
    if any(n.get("ipv4Enabled", True) for n in nets):
        lines.append(line(res, "primary IPv4", 1, "month", _extra("primary_ipv4")))
    if ctx.first_time("hetzner-traffic"):
        lines.append(_traffic(res, ctx))
    if res.inputs.get("backups"):
        lines.append(shared.backups(res, "server", sku, _extra("server_backups"), "percent_of_server"))
    return lines


def _traffic(res: Resource, ctx: Context) -> Line:
    """The project's outbound traffic beyond what its servers include, once per stack. A server
    includes its price list's allowance (EU: `extras.traffic`; US and Singapore: on their price
    entries); the excess is priced at the dearest rate among the lists used."""
    traffic = _extra("traffic")
    included_tb, rate = 0.0, float(traffic["monthly_per_tb"])
    for server in ctx.of_type(types.HCLOUD_SERVER):
        location = server.inputs.get("location")
        sku = HETZNER.servers(ctx.today, str(location) if location else None).get(
            str(server.inputs.get("serverType"))
        )
        if sku is None or sku.included_tb is None:  # the EU list's allowance
            included_tb += float(traffic["included_tb_per_server"])
            continue
        included_tb += sku.included_tb
        if sku.traffic_per_tb is not None:
            rate = max(rate, sku.traffic_per_tb)
    over_tb = max(0.0, ctx.usage.egress_gb / 1000 - included_tb)
    name = f"traffic ({ctx.usage.egress_gb:g} GB of {included_tb:g} TB included)"
    return line(res, name, over_tb, "TB", traffic, "monthly_per_tb", unit_price=rate, usage_based=True)


@PRICERS.register(types.HCLOUD_FLOATING_IP)
def _floating_ip(res: Resource, ctx: Context) -> list[Line]:
    ip = _extra("floating_ipv4")
    return [line(res, "floating IPv4", 1, "month", ip, note=ip.get("status", ""))]


@PRICERS.register(types.DYNAMIC_RESOURCE)
def _object_storage(res: Resource, ctx: Context) -> list[Line]:
    # The base fee is per Hetzner project, once however many buckets it holds.
    if not is_hetzner_bucket(res.inputs) or not ctx.first_time("hetzner-object-storage"):
        return []
    buckets = sum(1 for r in ctx.of_type(res.type) if is_hetzner_bucket(r.inputs))
    stored_tb = buckets * ctx.usage.storage_gb / 1000
    base, extra = _extra("object_storage_base"), _extra("object_storage_extra_tb")
    beyond = f"Object Storage beyond 1 TB ({stored_tb * 1000:g} GB stored)"
    return [
        line(res, "Object Storage base (1 TB stored + 1 TB egress included)", 1, "month", base),
        line(res, beyond, max(0.0, stored_tb - 1), "TB", extra, usage_based=True),
    ]

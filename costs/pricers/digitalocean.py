"""DigitalOcean prices (USD): droplets and their backups, volumes, managed PostgreSQL and Valkey
per node, load balancers per node, Spaces (one subscription per team covers every bucket) and
App Platform (per instance; the first three static-only apps of an account are free).
Firewalls, VPCs, tags, certificates, DNS records and assigned reserved IPs are free."""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.costs.pricers import shared
from multicloud.costs.pricers.base import Catalog, Context, Line, Pricers, Resource, line, num, plural

DIGITALOCEAN = Catalog("digitalocean")
PRICERS = Pricers()
FREE = frozenset(
    {
        types.DO_FIREWALL,
        types.DO_VPC,
        types.DO_SSH_KEY,
        types.DO_TAG,
        types.DO_VOLUME_ATTACHMENT,
        types.DO_RESERVED_IP,  # free while assigned to a droplet
        types.DO_RESERVED_IP_ASSIGNMENT,
        types.DO_DATABASE_DB,
        types.DO_DATABASE_USER,
        types.DO_SPACES_KEY,
        types.DO_CERTIFICATE,
        types.DO_DNS_RECORD,
        types.DO_UPTIME_ALERT,  # alerts are free; the check is priced
    }
)
PRICERS[types.DO_VOLUME] = shared.volume("digitalocean")


@PRICERS.register(types.DO_DROPLET)
def _droplet(res: Resource, ctx: Context) -> list[Line]:
    size = str(res.inputs.get("size"))
    sku = DIGITALOCEAN.servers(ctx.today).get(size)
    if sku is None:
        return [DIGITALOCEAN.not_in_catalog(res, f"droplet {size}", 1, "month")]
    lines = [shared.machine(res, "droplet", sku)]
    if res.inputs.get("backups"):
        backups = DIGITALOCEAN.entry("extras", "droplet_backups")
        lines.append(shared.backups(res, "droplet", sku, backups, "percent_of_droplet"))
    return lines


@PRICERS.register(types.DO_DATABASE_CLUSTER)
def _database(res: Resource, ctx: Context) -> list[Line]:
    engine = str(res.inputs.get("engine", "pg"))
    size, nodes = str(res.inputs.get("size")), num(res.inputs.get("nodeCount"), 1)
    label = {"pg": "PostgreSQL", "valkey": "Valkey"}.get(engine, engine)
    found = DIGITALOCEAN.entries("postgres_sizes" if engine == "pg" else "valkey_sizes").get(size)
    if found is None:
        return [DIGITALOCEAN.not_in_catalog(res, f"managed {label} {size}", nodes, "node-month")]
    name = f"managed {label} {size} × {plural(nodes, 'node')}"
    return [line(res, name, nodes, "node-month", found, note=found.get("status", ""))]


@PRICERS.register(types.DO_DATABASE_FIREWALL)
def _database_firewall(res: Resource, ctx: Context) -> list[Line]:
    """Free itself; a firewall that admits single addresses (consumers on another provider,
    components.capabilities.INTERNET_LINKS) carries their traffic over the internet."""
    outside = [
        r
        for r in res.inputs.get("rules") or []
        if r.get("type") == "ip_addr" and "/" not in str(r.get("value"))
    ]
    if not outside:
        return []
    transfer, gb = DIGITALOCEAN.entry("extras", "database_transfer"), ctx.usage.link_gb
    addresses = "1 address" if len(outside) == 1 else f"{len(outside)} addresses"
    name = f"transfer to {addresses} outside DigitalOcean ({gb:g} GB)"
    return [line(res, name, gb, "GB", transfer, "per_gb", usage_based=True, note=transfer.get("status", ""))]


@PRICERS.register(types.DO_SPACES_BUCKET)
def _spaces(res: Resource, ctx: Context) -> list[Line]:
    if not ctx.first_time("digitalocean-spaces"):
        return []
    # One subscription per team covers every bucket: 250 GiB stored and 1 TiB egress.
    stored = len(ctx.of_type(res.type)) * ctx.usage.storage_gb
    base = DIGITALOCEAN.entry("extras", "spaces_base")
    extra = DIGITALOCEAN.entry("extras", "spaces_extra_gb")
    beyond = f"Spaces beyond 250 GiB ({stored:g} GB stored)"
    return [
        line(res, "Spaces subscription (250 GiB + 1 TiB egress included)", 1, "month", base),
        line(res, beyond, max(0.0, stored - 250), "GB-month", extra, usage_based=True),
    ]


@PRICERS.register(types.DO_LOAD_BALANCER)
def _load_balancer(res: Resource, ctx: Context) -> list[Line]:
    nodes = num(res.inputs.get("sizeUnit"), 1)
    lb, name = DIGITALOCEAN.entry("load_balancer"), f"load balancer × {plural(nodes, 'node')}"
    return [line(res, name, nodes, "node-month", lb, "monthly_per_node")]


def _static_only(res: Resource) -> bool:
    spec = res.inputs.get("spec") or {}
    return bool(spec.get("staticSites")) and not spec.get("services") and not spec.get("workers")


@PRICERS.register(types.DO_APP)
def _app(res: Resource, ctx: Context) -> list[Line]:
    spec = res.inputs.get("spec") or {}
    lines = [_app_component(res, c) for c in [*(spec.get("services") or []), *(spec.get("workers") or [])]]
    if _static_only(res):
        static = DIGITALOCEAN.entry("app_static_site")
        before = [r for r in ctx.of_type(res.type) if _static_only(r)]
        position = next((i for i, r in enumerate(before) if r.urn == res.urn), 0)
        free = position < static["free_per_account"]
        name = "App Platform static site" + (" (one of 3 free per account)" if free else "")
        lines.append(line(res, name, 1, "month", static, unit_price=0.0 if free else static["monthly"]))
    return lines


def _app_component(res: Resource, component: dict) -> Line:
    """A service or worker of an app: its instance size × its (minimum) instance count."""
    slug = str(component.get("instanceSizeSlug"))
    scaling = component.get("autoscaling") or {}
    count = num(scaling.get("minInstanceCount") or component.get("instanceCount"), 1)
    name = f"App Platform {component.get('name')} {slug} × {count:g}"
    size = DIGITALOCEAN.entries("app_sizes").get(slug)
    if size is None:
        return DIGITALOCEAN.not_in_catalog(res, name, count, "instance-month")
    note = f"autoscales to {scaling.get('maxInstanceCount')}" if scaling else ""
    return line(res, name, count, "instance-month", size, note=note)


@PRICERS.register(types.DO_UPTIME_CHECK)
def _uptime_check(res: Resource, ctx: Context) -> list[Line]:
    return [line(res, "Uptime check", 1, "month", DIGITALOCEAN.entry("uptime_check"))]

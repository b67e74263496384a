"""What is not one provider's: the free types every target uses (generated secrets, releases
over SSH), and what Hetzner and DigitalOcean price alike: a VPS, its backups at a percentage
of its price, and block-storage volumes by the GB."""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.costs.catalog import ServerType
from multicloud.costs.pricers.base import (
    Catalog,
    Context,
    Entry,
    Line,
    Pricer,
    Pricers,
    Resource,
    line,
    num,
    server_entry,
)

PRICERS = Pricers()
FREE = frozenset(
    {
        types.RANDOM_PASSWORD,
        types.RANDOM_STRING,
        types.REMOTE_COMMAND,
        types.LOCAL_COMMAND,  # a download on the deploying machine
        # Keys and certificates made inside the engine (a private CA): no provider bills them.
        types.TLS_CERT_REQUEST,
        types.TLS_LOCALLY_SIGNED_CERT,
        types.TLS_PRIVATE_KEY,
        types.TLS_SELF_SIGNED_CERT,
    }
)


def volume(provider: str) -> Pricer:
    """A block-storage volume: its size in GB at `provider`'s per-GB price."""

    def priced(res: Resource, ctx: Context) -> list[Line]:
        per_gb = Catalog(provider).entry("extras", "volume")
        return [line(res, "volume", num(res.inputs.get("size")), "GB-month", per_gb, "monthly_per_gb")]

    return priced


def machine(res: Resource, kind: str, sku: ServerType) -> Line:
    """A VPS at its monthly price: `server cx33 (4 vCPU, 8 GB)`."""
    name = f"{kind} {sku.name} ({sku.cpu} vCPU, {sku.memory_gb:g} GB)"
    return line(res, name, 1, "month", server_entry(sku))


def backups(res: Resource, kind: str, sku: ServerType, priced_by: Entry, percent_key: str) -> Line:
    """Provider backups of a VPS: a percentage of its price."""
    percent = priced_by[percent_key]
    name = f"{kind} backups ({percent} %)"
    monthly = sku.monthly * percent / 100
    return line(res, name, 1, "month", priced_by, unit_price=monthly, note=priced_by.get("status", ""))

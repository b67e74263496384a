"""What every pricer shares: the resource and line types, the context a pricer reads, and the
two ways a line is made.

- `line(...)` prices a quantity from a catalog `Entry`: the price, the catalog's currency and
  the URL the price was read from come from the same entry, so a line cannot show one price
  with another's source.
- `Catalog.not_in_catalog(...)` is a SKU the catalog does not have: shown at 0 and marked
  "unpriced SKU", never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from multicloud.costs.catalog import ServerType, load, server_types
from multicloud.costs.usage import UsageSpec

HOURS = 730  # hours per month, as AWS prices them
UNPRICED_SKU = "unpriced SKU"


@dataclass(frozen=True)
class Resource:
    """A resource to price, whatever it came from."""

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Line:
    """One priced quantity: `quantity` × `unit_price` = `monthly`, in `currency`."""

    resource: str
    """URN of the priced resource."""
    name: str
    quantity: float
    unit: str
    unit_price: float
    currency: str
    usage_based: bool = False
    source: str | None = None
    note: str = ""
    price_date: dt.date | None = None
    """When the price was read from its source (the catalog's `read:`); None for a SKU the
    catalog lacks."""

    @property
    def monthly(self) -> float:
        """Monthly cost in the line's own currency."""
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Entry:
    """One priced thing of a catalog: its prices, the catalog's currency, and the URL the
    prices were read from."""

    prices: Mapping[str, Any]
    currency: str
    source: str | None
    read: dt.date | None = None
    """The date the source was read."""

    def __getitem__(self, key: str) -> Any:
        return self.prices[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the entry, or `default`."""
        return self.prices.get(key, default)


def _source_url(node: Mapping[str, Any]) -> str | None:
    source = node.get("source")
    return source.get("url") if isinstance(source, dict) else None


def _source_read(node: Mapping[str, Any]) -> dt.date | None:
    source = node.get("source")
    read = source.get("read") if isinstance(source, dict) else None
    return read if isinstance(read, dt.date) else None


@cache
def entries(provider: str, key: str) -> dict[str, Entry]:
    """A list of `provider`'s catalog (`rds_instance_classes`, `app_sizes` …) by name."""
    doc = load(provider)
    return {e["name"]: Entry(e, doc["currency"], _source_url(e), _source_read(e)) for e in doc[key]}


@cache
def servers(provider: str, today: dt.date, location: str | None = None) -> dict[str, ServerType]:
    """`provider`'s VPS SKUs by name, priced as of `today` (at `location`, when given)."""
    return {s.name: s for s in server_types(provider, today, location)}


@dataclass(frozen=True)
class Catalog:
    """One provider's price catalog, `costs/catalog/<provider>.yaml`, read as entries."""

    provider: str

    def entry(self, *path: str) -> Entry:
        """The entry at `path`, e.g. `Catalog("aws").entry("alb")`."""
        doc = load(self.provider)
        node = doc
        for key in path:
            node = node[key]
        return Entry(node, doc["currency"], _source_url(node), _source_read(node))

    def entries(self, key: str) -> dict[str, Entry]:
        """The entries of the list at `key`, by name."""
        return entries(self.provider, key)

    def servers(self, today: dt.date, location: str | None = None) -> dict[str, ServerType]:
        """The VPS SKUs by name, priced as of `today` (at `location`: its price list)."""
        return servers(self.provider, today, location)

    def not_in_catalog(self, res: Resource, name: str, quantity: float, unit: str) -> Line:
        """A SKU this catalog does not have: listed at 0 and marked, never silently dropped."""
        currency = load(self.provider)["currency"]
        return Line(res.urn, f"{name} (not in catalog)", quantity, unit, 0.0, currency, note=UNPRICED_SKU)


def server_entry(sku: ServerType) -> Entry:
    """A VPS SKU as a catalog entry: its monthly price of today, with that price's source."""
    return Entry({"monthly": sku.monthly}, sku.currency, sku.source_url, sku.source_read)


def line(
    res: Resource,
    name: str,
    quantity: float,
    unit: str,
    priced_by: Entry,
    key: str = "monthly",
    *,
    unit_price: float | None = None,
    usage_based: bool = False,
    note: str = "",
) -> Line:
    """`quantity` `unit`s of `res` at the entry's `key` price — or at `unit_price`, a price
    derived from the entry's (backups at a percentage of the server, a free-tier slot at 0) —
    in the entry's currency, with the URL the price was read from."""
    return Line(
        res.urn,
        name,
        quantity,
        unit,
        priced_by[key] if unit_price is None else unit_price,
        priced_by.currency,
        usage_based=usage_based,
        source=priced_by.source,
        note=note,
        price_date=priced_by.read,
    )


def num(value: Any, default: float = 0.0) -> float:
    """An input as a number (`default` when it is absent or not one)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def plural(count: float, noun: str) -> str:
    """`1 node`, `2 nodes`."""
    return f"{count:g} {noun}{'s' if count > 1 else ''}"


class Context:
    """What a pricer may look at besides its own resource."""

    def __init__(self, resources: list[Resource], usage: UsageSpec, today: dt.date):
        self.resources = resources
        self.usage = usage
        self.today = today
        self._once: set[str] = set()
        self._approximate: dict[str, list[str]] = {}
        # The region of the stack's main AWS provider (named "aws"), from its inputs.
        self.aws_region: str | None = next(
            (
                str(r.inputs["region"])
                for r in resources
                if r.type == "pulumi:providers:aws" and r.name == "aws" and r.inputs.get("region")
            ),
            None,
        )

    def approximate(self, statement: str, item: str) -> None:
        """Record that `item` was priced by a stand-in, under a `statement` such as "AWS prices
        in eu-central-1 are us-east-1's for"; `approximations` says each statement once."""
        items = self._approximate.setdefault(statement, [])
        if item not in items:
            items.append(item)

    @property
    def approximations(self) -> list[str]:
        """Each stand-in, in words: the statement and the items it covers."""
        return [
            f"{statement} {', '.join(items)} (the catalog lacks them)"
            for statement, items in self._approximate.items()
        ]

    def of_type(self, type_token: str) -> list[Resource]:
        """Every resource of `type_token`, in pricing order (by URN)."""
        return [r for r in self.resources if r.type == type_token]

    def siblings(self, res: Resource, type_token: str) -> list[Resource]:
        """Resources of `type_token` with the same parent (the same component)."""
        return [r for r in self.of_type(type_token) if r.parent == res.parent]

    def first_time(self, key: str) -> bool:
        """True the first time `key` is asked for: account-wide fees are charged once."""
        if key in self._once:
            return False
        self._once.add(key)
        return True


Pricer = Callable[[Resource, Context], list[Line]]


class Pricers(dict[str, Pricer]):
    """One provider's pricers by type token; `@PRICERS.register(TOKEN)` adds one."""

    def register(self, type_token: str) -> Callable[[Pricer], Pricer]:
        """Decorator: price resources of `type_token` with the decorated function."""

        def add(fn: Pricer) -> Pricer:
            self[type_token] = fn
            return fn

        return add

"""Load the price catalogs shipped in `costs/catalog/*.yaml`.

The catalog is data: sizing (cheapest SKU that fits) and, later, the cost engine read the
same files, so the server a stack gets and the price it is shown cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOG_DIR = Path(__file__).parent / "catalog"


@dataclass(frozen=True)
class ServerType:
    """One VPS SKU with its current monthly price in the catalog currency."""

    provider: str
    name: str
    cpu: int
    memory_gb: float
    disk_gb: int
    arch: str
    cpu_kind: str
    locations: tuple[str, ...]
    monthly: float
    currency: str
    price_effective_from: dt.date
    source_url: str
    source_read: dt.date
    included_tb: float | None = None
    """Traffic included per month where the price list says so (Hetzner US, Singapore)."""
    traffic_per_tb: float | None = None
    retired: bool = False
    """No longer sold for new servers (the provider deprecated it); still priced for running ones."""


@cache
def load(provider: str) -> dict[str, Any]:
    """Return the raw catalog document for one provider."""
    path = CATALOG_DIR / f"{provider}.yaml"
    with path.open() as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def current_price(prices: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """The dated price in effect on `today` (the entry itself: a refresh re-dates it in place)."""
    valid = [p for p in prices if p["effective_from"] <= today]
    # A price that starts in the future is not the price today; with none valid yet the
    # oldest one is the best we have.
    return (
        max(valid, key=lambda p: p["effective_from"])
        if valid
        else min(prices, key=lambda p: p["effective_from"])
    )


def price_list(provider: str, location: str) -> str | None:
    """The price list a location is billed by (`price_lists` of the catalog: Hetzner bills its
    EU, US and Singapore locations differently); None when the provider has one list."""
    lists = load(provider).get("price_lists")
    if not lists:
        return None
    return next((group for group, members in lists.items() if location in members), "unlisted")


def _prices_at(provider: str, entry: dict[str, Any], location: str) -> list[dict[str, Any]] | None:
    """The dated prices of a server type at `location`, or None where it has none."""
    if location not in entry["locations"]:
        return None
    group = price_list(provider, location)
    if group is None or group == load(provider).get("default_price_list"):
        return list(entry["prices"])
    return (entry.get("regional") or {}).get(group) or None


def server_types(
    provider: str, today: dt.date | None = None, location: str | None = None
) -> list[ServerType]:
    """All VPS SKUs of `provider`, priced as of `today` (default: the current date) — at
    `location` when given, leaving out the SKUs not offered or not priced there. Each SKU's
    `locations` are those it is offered and priced in."""
    doc = load(provider)
    today = today or dt.date.today()
    result = []
    for entry in doc["server_types"]:
        priced = [loc for loc in entry["locations"] if _prices_at(provider, entry, loc)]
        prices = _prices_at(provider, entry, location) if location is not None else entry["prices"]
        if not prices or not priced:
            continue
        price = current_price(prices, today)
        result.append(
            ServerType(
                provider=provider,
                name=entry["name"],
                cpu=entry["cpu"],
                memory_gb=float(entry["memory_gb"]),
                disk_gb=entry["disk_gb"],
                arch=entry["arch"],
                cpu_kind=entry["cpu_kind"],
                locations=tuple(priced),
                monthly=float(price["monthly"]),
                currency=doc["currency"],
                price_effective_from=price["effective_from"],
                source_url=price["source"]["url"],
                source_read=price["source"]["read"],
                included_tb=price.get("included_tb"),
                traffic_per_tb=price.get("traffic_per_tb"),
                retired=bool(entry.get("retired")),
            )
        )
    return result

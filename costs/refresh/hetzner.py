"""Hetzner Cloud prices from `GET /v1/pricing` (and `GET /v1/server_types`), with a read-only
token in HCLOUD_TOKEN.

`/v1/pricing` answers `{"pricing": {...}}` with, per server type, a price per location: net and
gross monthly and hourly prices, the included traffic in bytes and the price per extra TB;
plus the volume price per GB, the backup percentage and the primary and floating IPv4 prices
per location (hetznercloud/hcloud-go hcloud/schema/pricing.go, read 2026-12-01). Net prices
are what the catalog keeps (it is net of VAT). Locations are grouped by the catalog's
`price_lists` (EU, US, Singapore); every location of a list must have one price, or the
answer is refused. `/v1/server_types` (optional in a saved file, under `server_types`) gives
the cores, memory, disk, architecture and CPU kind a new type needs, and which are
deprecated (removed from the catalog). Object Storage has no price in the API: hand-kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from multicloud.costs.catalog import current_price
from multicloud.costs.refresh import Change, Refresh, RefreshError, day, number, plain, source_node

CATALOG = "hetzner"
URL = "https://api.hetzner.cloud/v1/pricing"
TYPES_URL = "https://api.hetzner.cloud/v1/server_types"
LOCATION = re.compile(r"[a-z]{3}\d?")
TIB = 1024**4
HAND_KEPT = ("object_storage_base", "object_storage_extra_tb")


@dataclass(frozen=True)
class AtLocation:
    monthly: float
    hourly: float
    included_tb: float
    per_tb: float


@dataclass
class Parsed:
    servers: dict[str, dict[str, AtLocation]]
    """Server type → location → its price there."""
    volume_per_gb: float
    backup_percent: float
    primary_ipv4: dict[str, float]
    floating_ipv4: dict[str, float]
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Server type → cpu, memory_gb, disk_gb, arch, cpu_kind (from /v1/server_types)."""
    deprecated: set[str] = field(default_factory=set)
    withdrawn: dict[str, dict[str, dt.date]] = field(default_factory=dict)
    """Server type → location → the day it stops being sold there (its per-location
    `deprecation` in /v1/server_types, which replaces the type-wide one)."""


def _net(node: Any, what: str) -> float:
    if not isinstance(node, dict) or "net" not in node:
        raise RefreshError(f"{what} has no net price")
    return number(node["net"], what)


def _per_location(items: Any, what: str) -> dict[str, float]:
    if not isinstance(items, list):
        raise RefreshError(f"{what} is not a list")
    found = {}
    for row in items:
        location = row.get("location") if isinstance(row, dict) else None
        if not isinstance(location, str) or not LOCATION.fullmatch(location):
            raise RefreshError(f"{what} has an entry without a location slug")
        found[location] = _net(row.get("price_monthly"), f"{what} in {location}")
    return found


def _ipv4(rows: Any, what: str) -> dict[str, float]:
    if not isinstance(rows, list):
        raise RefreshError(f"pricing.{what} is not a list")
    ipv4 = [r for r in rows if isinstance(r, dict) and r.get("type") == "ipv4"]
    if len(ipv4) != 1:
        raise RefreshError(f"pricing.{what} has no single ipv4 entry")
    return _per_location(ipv4[0].get("prices"), f"{what} ipv4")


def parse(raw: bytes) -> Parsed:
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RefreshError("the /v1/pricing answer is not JSON") from None
    pricing = doc.get("pricing") if isinstance(doc, dict) else None
    if not isinstance(pricing, dict):
        raise RefreshError("the answer has no `pricing` object")
    if pricing.get("currency") != "EUR":
        raise RefreshError(f"prices are in {str(pricing.get('currency'))[:8]!r}, the catalog in EUR")
    types = pricing.get("server_types")
    if not isinstance(types, list) or not types:
        raise RefreshError("pricing.server_types is missing or empty")
    servers: dict[str, dict[str, AtLocation]] = {}
    for i, entry in enumerate(types):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[a-z]+\d+", name):
            raise RefreshError(f"pricing.server_types[{i}] has no server type name")
        rows = entry.get("prices")
        if not isinstance(rows, list) or not rows:
            raise RefreshError(f"{name} has no prices")
        at = {}
        for row in rows:
            location = row.get("location") if isinstance(row, dict) else None
            if not isinstance(location, str) or not LOCATION.fullmatch(location):
                raise RefreshError(f"{name} has a price without a location slug")
            included = row.get("included_traffic")
            if not isinstance(included, int) or included < 0:
                raise RefreshError(f"{name} in {location}: included_traffic is not a byte count")
            at[location] = AtLocation(
                _net(row.get("price_monthly"), f"{name} monthly in {location}"),
                _net(row.get("price_hourly"), f"{name} hourly in {location}"),
                round(included / TIB, 3),
                _net(row.get("price_per_tb_traffic"), f"{name} traffic in {location}"),
            )
        servers[name] = at
    volume = pricing.get("volume")
    backup = pricing.get("server_backup")
    if not isinstance(volume, dict) or not isinstance(backup, dict):
        raise RefreshError("pricing.volume or pricing.server_backup is missing")
    parsed = Parsed(
        servers,
        _net(volume.get("price_per_gb_month"), "volume per GB"),
        number(backup.get("percentage"), "server_backup.percentage"),
        _ipv4(pricing.get("primary_ips"), "primary_ips"),
        _ipv4(pricing.get("floating_ips"), "floating_ips"),
    )
    for i, spec in enumerate(doc.get("server_types") or []):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise RefreshError(f"server_types[{i}] has no name")
        if spec.get("deprecated") or spec.get("deprecation"):
            parsed.deprecated.add(spec["name"])
            continue
        for row in spec.get("locations") or []:
            ending = (
                (row.get("deprecation") or {}).get("unavailable_after") if isinstance(row, dict) else None
            )
            if ending:
                try:
                    day_ = dt.date.fromisoformat(str(ending)[:10])
                except ValueError:
                    raise RefreshError(
                        f"{spec['name']}: unavailable_after {str(ending)[:30]!r} is not a date"
                    ) from None
                parsed.withdrawn.setdefault(spec["name"], {})[str(row.get("name"))] = day_
        if spec.get("architecture") not in ("x86", "arm") or spec.get("cpu_type") not in (
            "shared",
            "dedicated",
        ):
            raise RefreshError(f"server_types[{i}] ({spec['name']}) has an unknown architecture or cpu_type")
        parsed.specs[spec["name"]] = {
            "cpu": int(number(spec.get("cores"), f"{spec['name']} cores")),
            "memory_gb": plain(number(spec.get("memory"), f"{spec['name']} memory")),
            "disk_gb": int(number(spec.get("disk"), f"{spec['name']} disk")),
            "arch": "arm64" if spec["architecture"] == "arm" else "x86",
            "cpu_kind": spec["cpu_type"],
        }
    return parsed


def _one_price(name: str, group: str, members: list[str], at: dict[str, AtLocation]) -> AtLocation | None:
    """The price of `name` on one price list: the same at every member location it is offered in."""
    offered = {at[m] for m in members if m in at}
    if len(offered) > 1:
        raise RefreshError(
            f"{name} has different prices within the {group.upper()} list; refusing to pick one"
        )
    return offered.pop() if offered else None


def apply(doc: Any, parsed: Parsed, read: dt.date) -> Refresh:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def flow(node: Any) -> Any:
        node.fa.set_flow_style()
        return node

    def price(value: AtLocation, traffic: bool = False) -> Any:
        """A dated price; off the EU list it carries its own traffic terms (EU's are in extras)."""
        node = CommentedMap(
            monthly=plain(value.monthly), hourly=plain(value.hourly), effective_from=day(read)
        )
        if traffic:
            node["included_tb"], node["traffic_per_tb"] = plain(value.included_tb), plain(value.per_tb)
        node["source"] = source_node(URL, read)
        return flow(node)

    result = Refresh("hetzner", read, URL, hand_kept=[k for k in HAND_KEPT if k in doc.get("extras", {})])
    lists: dict[str, list[str]] = {g: list(m) for g, m in doc["price_lists"].items()}
    listed = {loc for members in lists.values() for loc in members}
    unknown = sorted({loc for at in parsed.servers.values() for loc in at} - listed)
    if unknown:
        result.hand_kept.append(
            f"locations {', '.join(unknown)} (not in price_lists: add them to price them)"
        )
    default = doc["default_price_list"]
    entries = doc["server_types"]
    known = {e["name"]: e for e in entries}
    for name in sorted(set(known) - (set(parsed.servers) - parsed.deprecated)):
        # Deprecated or no longer priced: kept, so running servers are still priced, and marked
        # so sizing never picks it for a new host.
        if not known[name].get("retired"):
            old = float(current_price(known[name]["prices"], read)["monthly"])
            result.changes.append(Change(f"server {name} (retired: kept for running servers)", old, old))
            known[name]["retired"] = day(read)
    for name, ending in parsed.withdrawn.items():  # no longer sold there: not offered there
        at = parsed.servers.get(name, {})
        for location in [loc for loc, last in ending.items() if last < read and loc in at]:
            del at[location]
    added: set[str] = set()
    for name in sorted(set(parsed.servers) - set(known) - parsed.deprecated):
        if name not in parsed.specs:
            result.hand_kept.append(f"{name} (new in /v1/pricing; its size needs /v1/server_types)")
            continue
        at = parsed.servers[name]
        eu = _one_price(name, default, lists[default], at)
        if eu is None:
            result.hand_kept.append(f"{name} (new, sold outside the EU list only; not added)")
            continue
        entry = flow(CommentedMap(name=name, **parsed.specs[name]))
        entry["locations"] = flow(CommentedSeq([loc for g in lists for loc in lists[g] if loc in at]))
        entry["prices"] = flow(CommentedSeq([price(eu)]))
        entries.append(entry)
        result.changes.append(Change(f"server {name} (new)", None, eu.monthly))
        added.add(name)
        _regional(entry, name, lists, default, at, price, flow, result, read)
    for entry in list(entries):
        name = entry["name"]
        if name in added or name not in parsed.servers or name in parsed.deprecated:
            continue
        entry.pop("retired", None)  # sold again
        at = parsed.servers[name]
        entry["locations"] = flow(CommentedSeq([loc for g in lists for loc in lists[g] if loc in at]))
        eu = _one_price(name, default, lists[default], at)
        if eu is not None:
            _update(entry["prices"], f"server {name}", eu, price, result, read)
        _regional(entry, name, lists, default, at, price, flow, result, read)
    _extras(doc["extras"], parsed, lists[default], result, read)
    return result


def _regional(entry: Any, name: str, lists: dict[str, list[str]], default: str, at: dict[str, AtLocation],
              price: Any, flow: Any, result: Refresh, read: dt.date) -> None:  # fmt: skip
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    for group, members in lists.items():
        if group == default:
            continue
        value = _one_price(name, group, members, at)
        regional = entry.get("regional")
        if value is None:
            if regional is not None and group in regional:
                del regional[group]
            continue
        if regional is None:
            entry["regional"] = regional = flow(CommentedMap())
        if group not in regional:
            regional[group] = flow(CommentedSeq([price(value, traffic=True)]))
            result.changes.append(
                Change(f"server {name} ({group.upper()} price list, new)", None, value.monthly)
            )
        else:
            _update(
                regional[group],
                f"server {name} ({group.upper()})",
                value,
                lambda v: price(v, traffic=True),
                result,
                read,
            )


def _update(prices: Any, what: str, value: AtLocation, price: Any, result: Refresh, read: dt.date) -> None:
    old = float(current_price(prices, read)["monthly"])
    if old == value.monthly:
        result.confirmed += 1
        current_price(prices, read)["source"] = source_node(URL, read)
    else:
        result.changes.append(Change(what, old, value.monthly))
        prices.append(price(value))


def _extras(extras: Any, parsed: Parsed, eu: list[str], result: Refresh, read: dt.date) -> None:
    """The volume, backup, IPv4 and EU traffic prices."""
    reference = (
        next(loc for loc in eu if loc in parsed.primary_ipv4)
        if any(loc in parsed.primary_ipv4 for loc in eu)
        else None
    )
    traffic = next((at[loc] for at in parsed.servers.values() for loc in eu if loc in at), None)
    updates = [
        ("volume", "monthly_per_gb", parsed.volume_per_gb),
        ("server_backups", "percent_of_server", parsed.backup_percent),
    ]
    if reference is not None:
        updates.append(("primary_ipv4", "monthly", parsed.primary_ipv4[reference]))
        if reference in parsed.floating_ipv4:
            updates.append(("floating_ipv4", "monthly", parsed.floating_ipv4[reference]))
    if traffic is not None:
        updates += [
            ("traffic", "monthly_per_tb", traffic.per_tb),
            ("traffic", "included_tb_per_server", traffic.included_tb),
        ]
    for key, field_name, value in updates:
        entry = extras[key]
        old = float(entry[field_name])
        if old == value:
            result.confirmed += 1
        else:
            result.changes.append(Change(f"{key} {field_name}", old, value))
        entry[field_name] = plain(value)
        entry["source"] = source_node(URL, read)
        if "status" in entry:
            del entry["status"]  # read from the API now

"""Droplet prices from DigitalOcean's `GET /v2/sizes` (a token: DIGITALOCEAN_TOKEN).

The response is `{"sizes": [size, …], "links": …, "meta": …}`; each size has the fields the
OpenAPI description requires (digitalocean/openapi specification/resources/sizes/models/size.yml,
read 2026-12-01): slug, memory (MB), vcpus, disk (GB), transfer (TB), price_monthly and
price_hourly (USD), regions, available, description. The catalog keeps the Basic regular
droplets (`s-<n>vcpu-<m>gb`); a size the API no longer lists, or lists as unavailable, is
removed; a new one is added. Managed databases, Valkey, load balancers, Spaces, App Platform
and Uptime have no price endpoint: they stay as the catalog has them, each with its source.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from multicloud.costs.catalog import current_price
from multicloud.costs.refresh import Change, Refresh, RefreshError, day, number, plain, source_node

CATALOG = "digitalocean"
URL = "https://api.digitalocean.com/v2/sizes"
REQUIRED = (
    "slug",
    "memory",
    "vcpus",
    "disk",
    "transfer",
    "price_monthly",
    "price_hourly",
    "regions",
    "available",
    "description",
)
BASIC = re.compile(r"s-(\d+)vcpu-(\d+)gb")
HAND_KEPT = (
    "postgres_sizes",
    "valkey_sizes",
    "load_balancer",
    "app_sizes",
    "app_static_site",
    "uptime_check",
    "extras",
)


@dataclass(frozen=True)
class Size:
    slug: str
    cpu: int
    memory_gb: float
    disk_gb: int
    monthly: float
    hourly: float
    regions: tuple[str, ...]


def parse(raw: bytes) -> dict[str, Size]:
    """The available Basic regular droplet sizes of a `/v2/sizes` answer, by slug."""
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RefreshError("the /v2/sizes answer is not JSON") from None
    sizes = doc.get("sizes") if isinstance(doc, dict) else None
    if not isinstance(sizes, list) or not sizes:
        raise RefreshError("the /v2/sizes answer has no `sizes` list")
    found: dict[str, Size] = {}
    for i, size in enumerate(sizes):
        if not isinstance(size, dict) or (missing := [k for k in REQUIRED if k not in size]):
            raise RefreshError(
                f"sizes[{i}] lacks {', '.join(missing) if isinstance(size, dict) else 'everything'}"
            )
        slug = size["slug"]
        if not isinstance(slug, str) or not BASIC.fullmatch(slug) or size["available"] is not True:
            continue
        regions = size["regions"]
        if not isinstance(regions, list) or not all(
            isinstance(r, str) and re.fullmatch(r"[a-z]{3}\d", r) for r in regions
        ):
            raise RefreshError(f"sizes[{i}] ({slug}) has regions that are not region slugs")
        found[slug] = Size(
            slug,
            int(number(size["vcpus"], f"{slug} vcpus")),
            number(size["memory"], f"{slug} memory") / 1024,
            int(number(size["disk"], f"{slug} disk")),
            number(size["price_monthly"], f"{slug} price_monthly"),
            number(size["price_hourly"], f"{slug} price_hourly"),
            tuple(sorted(regions)),
        )
    if not found:
        raise RefreshError("the /v2/sizes answer lists no available Basic droplet (s-<n>vcpu-<m>gb)")
    return found


def apply(doc: Any, parsed: dict[str, Size], read: dt.date) -> Refresh:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    result = Refresh("digitalocean", read, URL, hand_kept=[k for k in HAND_KEPT if k in doc])
    entries = doc["server_types"]
    known = {e["name"]: e for e in entries}
    for name in sorted(set(known) - set(parsed)):
        # Gone or unavailable: kept for the droplets still running on it, never chosen again.
        if not known[name].get("retired"):
            old = float(current_price(known[name]["prices"], read)["monthly"])
            result.changes.append(Change(f"droplet {name} (retired: not sold by /v2/sizes)", old, old))
            known[name]["retired"] = day(read)
    for slug, size in sorted(parsed.items(), key=lambda item: (item[1].monthly, item[0])):
        price = CommentedMap(
            monthly=plain(size.monthly),
            hourly=size.hourly,
            effective_from=day(read),
            source=source_node(URL, read),
        )
        price.fa.set_flow_style()
        entry = known.get(slug)
        if entry is None:
            locations = CommentedSeq(size.regions)
            locations.fa.set_flow_style()
            prices = CommentedSeq([price])
            prices.fa.set_flow_style()
            new = CommentedMap(
                name=slug, cpu=size.cpu, memory_gb=plain(size.memory_gb), disk_gb=size.disk_gb, arch="x86",
                cpu_kind="shared", locations=locations, prices=prices,
            )  # fmt: skip
            new.fa.set_flow_style()
            entries.append(new)
            result.changes.append(Change(f"droplet {slug} (new)", None, size.monthly))
            continue
        old = float(current_price(entry["prices"], read)["monthly"])
        entry.pop("retired", None)  # sold again
        entry["cpu"], entry["memory_gb"], entry["disk_gb"] = size.cpu, plain(size.memory_gb), size.disk_gb
        locations = CommentedSeq(size.regions)
        locations.fa.set_flow_style()
        entry["locations"] = locations
        if old == size.monthly:
            result.confirmed += 1
            current_price(entry["prices"], read)["source"] = source_node(URL, read)
        else:
            result.changes.append(Change(f"droplet {slug}", old, size.monthly))
            entry["prices"].append(price)
    return result

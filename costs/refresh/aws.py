"""AWS prices of one region from the public AWS Price List (no credentials).

Each service's offer file for a region (`https://pricing.us-east-1.amazonaws.com/offers/v1.0/
aws/<offer>/current/<region>/index.json`) is `{"offerCode", "version", "products": {sku:
{"productFamily", "attributes"}}, "terms": {"OnDemand": {sku: {term: {"priceDimensions":
{rate: {"unit", "pricePerUnit": {"USD"}}}}}}}}` (AWS Billing user guide, *Reading the price list
files*, read 2026-12-01). A saved file for `--from` holds the region and the four offers we
read: `{"region": "eu-central-1", "offers": {"AmazonECS": …, "AmazonRDS": …,
"AmazonElastiCache": …, "AWSELB": …}}`.

From them: Fargate vCPU and GB hours (x86 and ARM), the catalog's RDS PostgreSQL Single-AZ
instance classes and gp3 storage, its ElastiCache node types (Valkey and Redis OSS) and the
Application Load Balancer's hour and LCU-hour. Each selector must match exactly one on-demand
USD price, or the answer is refused. They are written under `regional.<region>`; what is not
read here (NAT gateway, public IPv4, S3, logs, Secrets Manager, transfer) stays us-east-1's, and
an estimate in that region says so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from multicloud.costs.refresh import Change, Refresh, RefreshError, number, source_node

CATALOG = "aws"
URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"
OFFERS = ("AmazonECS", "AmazonRDS", "AmazonElastiCache", "AWSELB")
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")


@dataclass
class Parsed:
    region: str
    offers: dict[str, Any]


def parse(raw: bytes) -> Parsed:
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RefreshError("the price list document is not JSON") from None
    region = doc.get("region") if isinstance(doc, dict) else None
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise RefreshError("the price list document names no region such as eu-central-1")
    offers = doc.get("offers")
    if not isinstance(offers, dict) or (missing := [o for o in OFFERS if o not in offers]):
        raise RefreshError(
            f"the price list document lacks the offers {', '.join(missing) if isinstance(offers, dict) else 'all'}"
        )
    for code in OFFERS:
        offer = offers[code]
        if not isinstance(offer, dict) or not isinstance(offer.get("products"), dict):
            raise RefreshError(f"{code}: no products")
        if not isinstance((offer.get("terms") or {}).get("OnDemand"), dict):
            raise RefreshError(f"{code}: no on-demand terms")
    return Parsed(region, offers)


def _usd(
    offer: dict[str, Any],
    code: str,
    matches: Callable[[dict[str, Any], dict[str, Any]], bool],
    what: str,
    unit: str,
) -> float:
    """The one on-demand USD price of the one product `matches` selects."""
    skus = [
        sku
        for sku, product in offer["products"].items()
        if isinstance(product, dict) and matches(product, product.get("attributes") or {})
    ]
    if len(skus) != 1:
        raise RefreshError(f"{code}: expected one product for {what}, found {len(skus)}")
    terms = offer["terms"]["OnDemand"].get(skus[0]) or {}
    dimensions = [d for term in terms.values() for d in (term.get("priceDimensions") or {}).values()]
    prices = [d for d in dimensions if str(d.get("unit", "")).lower() == unit.lower()]
    if len(prices) != 1:
        raise RefreshError(f"{code}: expected one on-demand price per {unit} for {what}, found {len(prices)}")
    return number((prices[0].get("pricePerUnit") or {}).get("USD"), f"{code} {what}")


# A region's offer file also lists its Local Zones and Outposts under the parent region
# (infracost filters its ALB and ElastiCache prices by `locationType` for this reason).
def _in_region(attributes: dict[str, Any]) -> bool:
    return attributes.get("locationType", "AWS Region") == "AWS Region"


def _usage(pattern: str) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    compiled = re.compile(rf"(?:[A-Z0-9]+-)?{pattern}")
    return lambda product, attributes: (
        _in_region(attributes) and bool(compiled.fullmatch(str(attributes.get("usagetype", ""))))
    )


def _attributes(family: str, **wanted: str) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    return lambda product, attributes: (
        product.get("productFamily") == family
        and _in_region(attributes)
        and all(attributes.get(k) == v for k, v in wanted.items())
    )


def apply(doc: Any, parsed: Parsed, read: dt.date) -> Refresh:
    from ruamel.yaml.comments import CommentedMap

    region, offers = parsed.region, parsed.offers
    url = URL.format(offer="<offer>", region=region)
    result = Refresh("aws", read, url, hand_kept=["nat_gateway", "public_ipv4", "s3_standard", "cloudwatch_logs",
                                                   "secretsmanager_secret", "data_transfer_out"])  # fmt: skip

    def priced(offer: str, **values: Any) -> Any:
        """Prices read from `offer`'s file of the region, with that file as their source."""
        node = CommentedMap(values)
        node["source"] = source_node(URL.format(offer=offer, region=region), read)
        node.fa.set_flow_style()
        return node

    ecs = offers["AmazonECS"]
    fargate = CommentedMap(
        x86=priced(
            "AmazonECS",
            vcpu_hour=_usd(
                ecs, "AmazonECS", _usage(r"Fargate-vCPU-Hours:perCPU"), "Fargate x86 vCPU", "hours"
            ),
            gb_hour=_usd(ecs, "AmazonECS", _usage(r"Fargate-GB-Hours"), "Fargate x86 GB", "hours"),
        ),
        arm64=priced(
            "AmazonECS",
            vcpu_hour=_usd(
                ecs, "AmazonECS", _usage(r"Fargate-ARM-vCPU-Hours:perCPU"), "Fargate ARM vCPU", "hours"
            ),
            gb_hour=_usd(ecs, "AmazonECS", _usage(r"Fargate-ARM-GB-Hours"), "Fargate ARM GB", "hours"),
        ),
    )
    rds = offers["AmazonRDS"]
    classes = CommentedMap()
    for entry in doc["rds_instance_classes"]:
        select = _attributes(
            "Database Instance",
            instanceType=entry["name"],
            databaseEngine="PostgreSQL",
            deploymentOption="Single-AZ",
        )
        classes[entry["name"]] = priced(
            "AmazonRDS", hourly=_usd(rds, "AmazonRDS", select, f"RDS {entry['name']}", "Hrs")
        )
    storage = priced(
        "AmazonRDS",
        gb_month=_usd(
            rds, "AmazonRDS",
            # Single-AZ gp3 storage by its usage type; some files list it per engine, some as "Any".
            lambda p, a: p.get("productFamily") == "Database Storage" and _usage(r"RDS:GP3-Storage")(p, a)
            and a.get("databaseEngine") in ("PostgreSQL", "Any"),
            "RDS gp3 storage", "GB-Mo",
        )
    )  # fmt: skip
    cache = offers["AmazonElastiCache"]
    nodes = CommentedMap()
    for entry in doc["elasticache_node_types"]:
        hourly = CommentedMap()
        for engine, label in (("valkey", "Valkey"), ("redis", "Redis")):
            select = _attributes("Cache Instance", instanceType=entry["name"], cacheEngine=label)
            hourly[engine] = _usd(cache, "AmazonElastiCache", select, f"{entry['name']} {label}", "Hrs")
        hourly.fa.set_flow_style()
        nodes[entry["name"]] = priced("AmazonElastiCache", hourly=hourly)
    elb = offers["AWSELB"]
    alb = priced(
        "AWSELB",
        hourly=_usd(elb, "AWSELB", lambda p, a: p.get("productFamily") == "Load Balancer-Application"
                    and _usage(r"LoadBalancerUsage")(p, a), "ALB hour", "Hrs"),
        lcu_hour=_usd(elb, "AWSELB", lambda p, a: p.get("productFamily") == "Load Balancer-Application"
                      and _usage(r"LCUUsage")(p, a), "ALB LCU-hour", "LCU-Hrs"),
    )  # fmt: skip
    fresh = CommentedMap(
        fargate=fargate,
        rds_instance_classes=classes,
        rds_storage_gp3=storage,
        elasticache_node_types=nodes,
        alb=alb,
    )
    regional = doc.get("regional")
    if regional is None:
        doc["regional"] = regional = CommentedMap()
    old = regional.get(region)
    for what, new_value, old_value in _compare(fresh, old or {}):
        if old_value == new_value:
            result.confirmed += 1
        else:
            result.changes.append(Change(f"{region} {what}", old_value, new_value))
    if old is None:
        regional[region] = fresh
    else:  # merged: what this refresh does not read (added by hand) stays
        for key, value in fresh.items():
            old[key] = value
    return result


def _compare(new: Any, old: Any, prefix: str = "") -> list[tuple[str, float, float | None]]:
    """(path, new, old) for every number of `new`."""
    rows = []
    for key, value in new.items():
        if key == "source":
            continue
        path = f"{prefix}{key}"
        previous = old.get(key) if isinstance(old, dict) else None
        if isinstance(value, dict):
            rows += _compare(value, previous or {}, path + " ")
        else:
            rows.append((path, float(value), float(previous) if isinstance(previous, int | float) else None))
    return rows

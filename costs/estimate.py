"""Group priced lines by component, convert totals to one currency, and compare estimates.

Every line keeps its native currency (Hetzner bills EUR, AWS and Cloudflare USD); only
component totals and the grand total are converted, with the dated rate in
`costs/catalog/fx.yaml`, which every report prints.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from multicloud.costs.capacity import Capacity, by_component, capacity
from multicloud.costs.catalog import load
from multicloud.costs.pricers import Line, Priced, Resource, price
from multicloud.costs.usage import UsageSpec

COMPONENT_PREFIX = "multicloud:index:"


@dataclass(frozen=True)
class Rate:
    """A dated exchange rate."""

    base: str
    quote: str
    rate: float
    date: str
    source: str

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)


@cache
def eur_usd() -> Rate:
    """The catalog's EUR→USD rate."""
    entry = next(r for r in load("fx")["rates"] if r["from"] == "EUR" and r["to"] == "USD")
    return Rate("EUR", "USD", float(entry["rate"]), str(entry["date"]), entry["source"]["url"])


def convert(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert between EUR and USD with the catalog rate."""
    if from_currency == to_currency:
        return amount
    rate = eur_usd().rate
    if (from_currency, to_currency) == ("EUR", "USD"):
        return amount * rate
    if (from_currency, to_currency) == ("USD", "EUR"):
        return amount / rate
    raise ValueError(f"no exchange rate {from_currency}→{to_currency}")


@dataclass
class ComponentCost:
    """The lines of one component and their total in the estimate's currency."""

    name: str
    kind: str
    lines: list[Line] = field(default_factory=list)
    monthly: float = 0.0


# A price read longer ago than this is flagged (`infra cost --max-price-age` overrides it).
DEFAULT_MAX_PRICE_AGE_DAYS = 120


@dataclass
class Estimate:
    """A priced stack."""

    currency: str
    components: dict[str, ComponentCost]
    unpriced: list[Resource]
    free: int
    usage: UsageSpec
    resource_count: int
    today: dt.date = field(default_factory=dt.date.today)
    """The day it was priced (prices effective then; ages counted from it)."""
    max_price_age_days: int = DEFAULT_MAX_PRICE_AGE_DAYS
    approximations: list[str] = field(default_factory=list)
    """Prices that stand in for ones the catalog lacks, said in words (never silently)."""
    capacity: Capacity = field(default_factory=lambda: Capacity())
    """The vCPUs, memory and storage the priced resources buy (costs.capacity)."""
    capacity_by_component: dict[str, Capacity] = field(default_factory=dict)
    """The same, per component that buys any."""

    def all_lines(self) -> list[tuple[str, Line]]:
        """(component, line) for every line."""
        return [(c.name, line) for c in self.components.values() for line in c.lines]

    def is_stale(self, line: Line) -> bool:
        """Whether `line`'s price was read more than `max_price_age_days` ago."""
        return line.price_date is not None and (self.today - line.price_date).days > self.max_price_age_days

    @property
    def stale_lines(self) -> list[tuple[str, Line]]:
        return [(name, line) for name, line in self.all_lines() if self.is_stale(line)]

    @property
    def oldest_price_date(self) -> dt.date | None:
        """The oldest date a price behind the total was read."""
        dates = [line.price_date for _, line in self.all_lines() if line.price_date is not None]
        return min(dates) if dates else None

    @property
    def newest_price_date(self) -> dt.date | None:
        dates = [line.price_date for _, line in self.all_lines() if line.price_date is not None]
        return max(dates) if dates else None

    @property
    def converted(self) -> bool:
        """Whether the total converts a line from another currency (the exchange rate is used)."""
        return any(line.currency != self.currency for _, line in self.all_lines())

    @property
    def rate_stale(self) -> bool:
        """Whether the exchange rate the total used is older than `max_price_age_days`."""
        return self.converted and (self.today - eur_usd().day).days > self.max_price_age_days

    @property
    def total(self) -> float:
        """Monthly total in `currency`."""
        return sum(c.monthly for c in self.components.values())

    @property
    def usage_based(self) -> bool:
        """Whether any line depends on a usage quantity."""
        return any(line.usage_based for c in self.components.values() for line in c.lines)


def owner(res: Resource, by_urn: dict[str, Resource]) -> Resource | None:
    """The outermost multicloud component a resource belongs to (None for stack-level ones)."""
    found = None
    current: Resource | None = res
    while current is not None:
        if current.type.startswith(COMPONENT_PREFIX):
            found = current
        current = by_urn.get(current.parent) if current.parent else None
    return found


def estimate(
    resources: list[Resource],
    usage: UsageSpec | None = None,
    currency: str | None = None,
    today: dt.date | None = None,
) -> Estimate:
    """Price `resources` as of `today` (default: the current date) and group the lines by component."""
    today = today or dt.date.today()
    priced: Priced = price(resources, usage, today)
    by_urn = {r.urn: r for r in resources}
    currencies = {line.currency for line in priced.lines}
    currency = currency or ("EUR" if "EUR" in currencies else "USD")
    components: dict[str, ComponentCost] = {}
    for line in priced.lines:
        res = by_urn[line.resource]
        top = owner(res, by_urn)
        name, kind = (top.name, top.type.removeprefix(COMPONENT_PREFIX)) if top else ("(stack)", "Stack")
        entry = components.setdefault(name, ComponentCost(name, kind))
        entry.lines.append(line)
        entry.monthly += convert(line.monthly, line.currency, currency)
    for res in resources:  # components with no priced line still appear, at 0
        if res.type.startswith(COMPONENT_PREFIX) and owner(res, by_urn) is res:
            components.setdefault(res.name, ComponentCost(res.name, res.type.removeprefix(COMPONENT_PREFIX)))
    return Estimate(
        currency=currency,
        components=components,
        unpriced=priced.unpriced,
        free=len(priced.free),
        usage=priced.usage,
        resource_count=sum(1 for r in resources if not r.type.startswith((COMPONENT_PREFIX, "pulumi:"))),
        today=today,
        approximations=priced.approximations,
        capacity=capacity(resources),
        capacity_by_component=by_component(resources, lambda r: _component_name(r, by_urn)),
    )


def _component_name(res: Resource, by_urn: dict[str, Resource]) -> str | None:
    top = owner(res, by_urn)
    return top.name if top is not None else None


@dataclass(frozen=True)
class ComponentDiff:
    """One component's cost before and after a change."""

    name: str
    before: float
    after: float

    @property
    def change(self) -> float:
        """after − before."""
        return self.after - self.before


def diff(before: Estimate, after: Estimate) -> list[ComponentDiff]:
    """Per-component change, in `after`'s currency (added and removed components included)."""
    names = sorted(set(before.components) | set(after.components))
    rows = []
    for name in names:
        old = before.components.get(name)
        new = after.components.get(name)
        old_total = convert(old.monthly, before.currency, after.currency) if old else 0.0
        rows.append(ComponentDiff(name, old_total, new.monthly if new else 0.0))
    return rows


class NotFinite(ValueError):
    """An amount or quantity that is infinite or not a number: it has no meaning as a cost, and
    no JSON form (Python would write a bare `Infinity`). The message names where it is."""


def check_finite(est: Estimate) -> None:
    """Raise NotFinite unless every amount and quantity of `est` is a finite number: an
    `.inf` usage quantity, or a size so large that its price overflows, must stop the command,
    not print `€inf` or pass a budget check that compares NaN."""
    for comp in est.components.values():
        for line in comp.lines:
            if not all(math.isfinite(v) for v in (line.quantity, line.unit_price, line.monthly)):
                raise NotFinite(
                    f"{comp.name}: {line.name} costs a number that is not finite; "
                    "check multicloud:usage and the sizes in the stack or document"
                )
        if not math.isfinite(comp.monthly):
            raise NotFinite(f"{comp.name}: its monthly total is not a finite number")
    if not math.isfinite(est.total):
        raise NotFinite("the monthly total is not a finite number")


def _finite_tree(value: Any, where: str) -> None:
    """Raise NotFinite at the first float in `value` that JSON cannot hold."""
    if isinstance(value, float) and not math.isfinite(value):
        raise NotFinite(f"{where} is not a finite number; it has no JSON form")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite_tree(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite_tree(item, f"{where}[{index}]")


def infracost_json(
    est: Estimate,
    project: str,
    stack: str,
    before: Estimate | None = None,
    *,
    path: str = "",
    vcs: dict[str, str] | None = None,
    generated: dt.datetime | None = None,
    extended: bool = False,
) -> dict[str, Any]:
    """The estimate as Infracost's JSON output (it validates against Infracost's published
    schema, costs/schema/infracost.schema.json): one project whose resources are the stack's
    components, their lines as cost components. Infracost has one currency per document, so
    every amount is converted to the estimate's; each line's own currency, price, source, price
    date and note go in the resource's free-form `metadata.multicloud`. `vcs`: the commit
    fields of Infracost's `metadata` (empty strings when unknown). `extended`: also a top-level
    `multicloud` object with what Infracost has no field for (the exchange rate, the usage
    assumed, unpriced resources, price age, stand-in prices) — `--format multicloud-json`,
    which Infracost's schema does not allow.

    Every number in it is finite (NotFinite otherwise), so `json.dumps(allow_nan=False)` holds."""
    generated = generated or dt.datetime.now(dt.UTC)
    stamp = generated.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    current = _breakdown(est, est.currency)
    past = _breakdown(before, est.currency) if before is not None else _empty_breakdown()
    name = f"{project}/{stack}"
    summary = _summary(est)
    doc: dict[str, Any] = {
        "version": "0.2",
        "metadata": {
            "infracostCommand": "breakdown",
            "vcsBranch": "",
            "vcsCommitSha": "",
            "vcsCommitAuthorName": "",
            "vcsCommitAuthorEmail": "",
            "vcsCommitTimestamp": stamp,
            "vcsCommitMessage": "",
            **{k: v for k, v in (vcs or {}).items() if v},
        },
        "currency": est.currency,
        "projects": [
            {
                "name": name,
                "displayName": name,
                "metadata": {"path": path or stack, "type": "multicloud_stack"},
                "pastBreakdown": past,
                "breakdown": current,
                "diff": _diff_breakdown(past, current),
                "summary": summary,
            }
        ],
        "totalHourlyCost": current["totalHourlyCost"],
        "totalMonthlyCost": current["totalMonthlyCost"],
        "totalMonthlyUsageCost": current["totalMonthlyUsageCost"],
        "pastTotalHourlyCost": past["totalHourlyCost"] if before is not None else None,
        "pastTotalMonthlyCost": past["totalMonthlyCost"] if before is not None else None,
        "diffTotalHourlyCost": None,
        "diffTotalMonthlyCost": None,
        "timeGenerated": stamp,
        "summary": summary,
    }
    if before is not None:
        old = convert(before.total, before.currency, est.currency)
        doc["diffTotalMonthlyCost"] = _money(est.total - old)
        doc["diffTotalHourlyCost"] = _money((est.total - old) / HOURS_PER_MONTH, 6)
    if extended:
        doc["multicloud"] = {
            "exchangeRate": {"EURUSD": eur_usd().rate, "date": eur_usd().date, "stale": est.rate_stale},
            "usage": est.usage.model_dump(),
            "unpricedResources": [{"urn": r.urn, "type": r.type} for r in est.unpriced],
            "oldestPriceDate": est.oldest_price_date.isoformat() if est.oldest_price_date else None,
            "maxPriceAgeDays": est.max_price_age_days,
            "stalePriceLines": len(est.stale_lines),
            "approximations": list(est.approximations),
        }
    _finite_tree(doc, "the JSON estimate")
    return doc


HOURS_PER_MONTH = 730  # Infracost's hourly figures are monthly ones over 730 hours


def _breakdown(e: Estimate, currency: str) -> dict[str, Any]:
    resources = [
        _resource(e, c, currency) for c in sorted(e.components.values(), key=lambda c: (-c.monthly, c.name))
    ]
    usage = sum(
        convert(line.monthly, line.currency, currency) for _, line in e.all_lines() if line.usage_based
    )
    total = convert(e.total, e.currency, currency)
    return {
        "resources": resources,
        "totalHourlyCost": _money(total / HOURS_PER_MONTH, 6),
        "totalMonthlyCost": _money(total),
        "totalMonthlyUsageCost": _money(usage),
    }


def _empty_breakdown() -> dict[str, Any]:
    return {"resources": [], "totalHourlyCost": "0", "totalMonthlyCost": "0", "totalMonthlyUsageCost": None}


def _resource(e: Estimate, c: ComponentCost, currency: str) -> dict[str, Any]:
    from multicloud.costs.pricers.base import UNPRICED_SKU

    monthly = convert(c.monthly, e.currency, currency)
    usage = sum(convert(line.monthly, line.currency, currency) for line in c.lines if line.usage_based)
    return {
        "name": c.name,
        "resourceType": f"{COMPONENT_PREFIX}{c.kind}",
        "metadata": {
            "multicloud": {
                "lines": [
                    {
                        "name": line.name,
                        "currency": line.currency,
                        "price": _money(line.unit_price, 6),
                        "monthlyCost": _money(line.monthly),
                        "source": line.source,
                        "priceDate": line.price_date.isoformat() if line.price_date else None,
                        "stalePrice": e.is_stale(line),
                        "note": line.note,
                    }
                    for line in c.lines
                ]
            }
        },
        "hourlyCost": _money(monthly / HOURS_PER_MONTH, 6),
        "monthlyCost": _money(monthly),
        "monthlyUsageCost": _money(usage),
        "costComponents": [
            {
                "name": line.name,
                "unit": line.unit,
                "hourlyQuantity": _money(line.quantity / HOURS_PER_MONTH, 6),
                "monthlyQuantity": _money(line.quantity, 4),
                "price": _money(convert(line.unit_price, line.currency, currency), 6),
                "hourlyCost": _money(convert(line.monthly, line.currency, currency) / HOURS_PER_MONTH, 6),
                "monthlyCost": _money(convert(line.monthly, line.currency, currency)),
                "usageBased": line.usage_based,
                "priceNotFound": line.note == UNPRICED_SKU,
            }
            for line in c.lines
        ],
    }


def _diff_breakdown(past: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Per component, what the change adds (Infracost's `diff`): changed ones only."""
    old = {r["name"]: r for r in past["resources"]}
    new = {r["name"]: r for r in current["resources"]}
    resources = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        change = float((after or {}).get("monthlyCost") or 0) - float((before or {}).get("monthlyCost") or 0)
        if abs(change) < 0.005:
            continue
        resources.append(
            {
                "name": name,
                "resourceType": (after or before or {}).get("resourceType", ""),
                "metadata": {},
                "hourlyCost": _money(change / HOURS_PER_MONTH, 6),
                "monthlyCost": _money(change),
                "costComponents": [],
            }
        )
    total = float(current["totalMonthlyCost"]) - float(past["totalMonthlyCost"])
    return {
        "resources": resources,
        "totalHourlyCost": _money(total / HOURS_PER_MONTH, 6),
        "totalMonthlyCost": _money(total),
        "totalMonthlyUsageCost": None,
    }


def _summary(e: Estimate) -> dict[str, Any]:
    """Infracost's counts: our priced resources are "supported", unpriced ones "unsupported",
    free ones "no price"."""
    unsupported: dict[str, int] = {}
    for r in e.unpriced:
        unsupported[r.type] = unsupported.get(r.type, 0) + 1
    priced = {line.resource for _, line in e.all_lines()}
    usage_based = {line.resource for _, line in e.all_lines() if line.usage_based}
    return {
        "totalResources": e.resource_count,
        "totalDetectedResources": e.resource_count,
        "totalSupportedResources": len(priced),
        "totalUnsupportedResources": len(e.unpriced),
        "totalUsageBasedResources": len(usage_based),
        "totalNoPriceResources": e.free,
        "unsupportedResourceCounts": unsupported,
    }


def _money(value: float, places: int = 2) -> str:
    if not math.isfinite(value):
        raise NotFinite("an amount of the estimate is not a finite number; check multicloud:usage")
    return f"{value:.{places}f}"


def symbol(currency: str) -> str:
    """€ or $."""
    return {"EUR": "€", "USD": "$"}.get(currency, currency + " ")


def fmt(amount: float, currency: str, signed: bool = False) -> str:
    """`€12.34`, or `+€12.34` / `-€1.00` when signed."""
    sign = (
        ("+" if amount > 0.005 else "-" if amount < -0.005 else "±")
        if signed
        else ("-" if amount < -0.005 else "")
    )
    return f"{sign}{symbol(currency)}{abs(amount):,.2f}"


def resources_from(resources: list[Any]) -> list[Resource]:
    """Offline-plan registrations → pricing resources (secrets stay redacted)."""
    return [Resource(r.urn, r.type, r.name, r.parent or None, r.inputs) for r in resources]


def estimate_plan(plan: Any, currency: str | None = None) -> Estimate:
    """Estimate an offline plan (infra.offline.Plan), in the budget's currency when set."""
    budget = plan.spec.budget
    return estimate(
        resources_from(plan.registrations), plan.spec.usage, currency or (budget.currency if budget else None)
    )


def per_resource(est: Estimate) -> dict[str, float]:
    """Monthly cost per resource URN, in the estimate's currency."""
    totals: dict[str, float] = {}
    for comp in est.components.values():
        for line in comp.lines:
            totals[line.resource] = totals.get(line.resource, 0.0) + convert(
                line.monthly, line.currency, est.currency
            )
    return totals

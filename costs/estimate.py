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

from costs.catalog import load
from costs.pricers import Line, Priced, Resource, price
from costs.usage import UsageSpec

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
    )


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


def infracost_json(est: Estimate, project: str, stack: str, before: Estimate | None = None) -> dict[str, Any]:
    """The estimate in the shape Infracost users know (`totalMonthlyCost`, `costComponents`).
    Every number in it is finite (NotFinite otherwise), so `json.dumps(allow_nan=False)` holds."""

    def breakdown(e: Estimate) -> dict[str, Any]:
        return {
            "resources": [
                {
                    "name": c.name,
                    "resourceType": f"{COMPONENT_PREFIX}{c.kind}",
                    "monthlyCost": _money(c.monthly),
                    "costComponents": [
                        {
                            "name": line.name,
                            "unit": line.unit,
                            "monthlyQuantity": _money(line.quantity, 4),
                            "price": _money(line.unit_price, 6),
                            "currency": line.currency,
                            "monthlyCost": _money(line.monthly),
                            "usageBased": line.usage_based,
                            "source": line.source,
                            "priceDate": line.price_date.isoformat() if line.price_date else None,
                            "stalePrice": e.is_stale(line),
                        }
                        for line in c.lines
                    ],
                }
                for c in sorted(e.components.values(), key=lambda c: (-c.monthly, c.name))
            ],
            "totalMonthlyCost": _money(e.total),
        }

    doc: dict[str, Any] = {
        "version": "0.2",
        "currency": est.currency,
        "exchangeRate": {"EURUSD": eur_usd().rate, "date": eur_usd().date, "stale": est.rate_stale},
        "oldestPriceDate": est.oldest_price_date.isoformat() if est.oldest_price_date else None,
        "maxPriceAgeDays": est.max_price_age_days,
        "stalePriceLines": len(est.stale_lines),
        "approximations": list(est.approximations),
        "projects": [{"name": f"{project}/{stack}", "breakdown": breakdown(est)}],
        "totalMonthlyCost": _money(est.total),
        "unpricedResources": [{"urn": r.urn, "type": r.type} for r in est.unpriced],
        "usage": est.usage.model_dump(),
    }
    if before is not None:
        doc["projects"][0]["pastBreakdown"] = breakdown(before)
        doc["pastTotalMonthlyCost"] = _money(convert(before.total, before.currency, est.currency))
        doc["diffTotalMonthlyCost"] = _money(est.total - convert(before.total, before.currency, est.currency))
    _finite_tree(doc, "the JSON estimate")
    return doc


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

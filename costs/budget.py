"""Budget rules: a monthly ceiling and, for a change, a largest allowed increase.

Shared by `infra cost --check-budget` and the CrossGuard stack policy, so `pulumi preview
--policy-pack policies` and CI enforce the same numbers.
"""

from __future__ import annotations

from multicloud.costs.estimate import convert, fmt


def violations(
    total: float,
    currency: str,
    monthly: float,
    budget_currency: str,
    previous: float | None = None,
    max_increase: float | None = None,
    max_increase_percent: float | None = None,
) -> list[str]:
    """Each rule the estimate breaks, as one line (empty when within budget)."""
    total_b = convert(total, currency, budget_currency)
    found = []
    if total_b > monthly + 0.005:
        found.append(
            f"estimate {fmt(total_b, budget_currency)}/month exceeds the budget of {fmt(monthly, budget_currency)} "
            f"by {fmt(total_b - monthly, budget_currency)}"
        )
    if previous is not None:
        before = convert(previous, currency, budget_currency)
        rise = total_b - before
        if max_increase is not None and rise > max_increase + 0.005:
            found.append(
                f"the change adds {fmt(rise, budget_currency)}/month; the limit is {fmt(max_increase, budget_currency)}"
            )
        if (
            max_increase_percent is not None
            and before > 0
            and rise / before * 100 > max_increase_percent + 1e-9
        ):
            found.append(
                f"the change adds {rise / before * 100:.1f} %; the limit is {max_increase_percent:g} %"
            )
    return found

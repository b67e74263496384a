"""Budget policy: the same monthly estimate `infra cost` computes, enforced by the engine.

`pulumi preview --policy-pack policies --policy-pack-config policies/budget.example.json`
prices every resource of the stack with costs.pricers and reports a mandatory violation when
the monthly total exceeds `monthly` (in `currency`). Resources with unknown inputs during a
first preview are priced with their defaults; the check runs again at `pulumi up`.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from multicloud.costs.budget import violations
from multicloud.costs.estimate import estimate
from multicloud.costs.pricers import Resource
from multicloud.costs.usage import UsageSpec

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "monthly": {"type": "number", "exclusiveMinimum": 0, "description": "monthly budget"},
        "currency": {"type": "string", "enum": ["EUR", "USD"], "default": "EUR"},
        "usage": {"type": "object", "description": "usage quantities, as multicloud:usage"},
    },
    required=["monthly"],
)


def resources_of(args: StackValidationArgs) -> list[Resource]:
    """The policy's view of the stack → pricing resources."""
    return [
        Resource(
            urn=r.urn,
            type=r.resource_type,
            name=r.name,
            parent=r.parent.urn if r.parent is not None else None,
            inputs=dict(r.props),
        )
        for r in args.resources
    ]


def validate_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Report one violation per broken budget rule."""
    config: dict[str, Any] = dict(args.get_config() or {})
    currency = config.get("currency", "EUR")
    usage = UsageSpec.model_validate(config.get("usage") or {})
    est = estimate(resources_of(args), usage, currency)
    for reason in violations(est.total, est.currency, float(config["monthly"]), currency):
        report_violation(f"over budget: {reason}", None)
    if est.unpriced:
        kinds = ", ".join(sorted({r.type for r in est.unpriced}))
        report_violation(
            f"cannot check the whole budget: {len(est.unpriced)} resources have no price ({kinds})", None
        )


budget_policy = StackValidationPolicy(
    name="multicloud-monthly-budget",
    description="The stack's estimated monthly cost stays within the configured budget.",
    validate=validate_budget,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG_SCHEMA,
)

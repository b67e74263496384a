"""Entry point of the policy pack: the engine runs this file.

The budget (policies/budget.py) plus the data-safety controls (policies/controls/). Pass
each stack's config with `--policy-pack-config policies/config/<stack>.json`: it sets the
budget and the `environment` the prod-only controls read (they default to prod).
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from multicloud.policies.budget import budget_policy
from multicloud.policies.controls import POLICIES

PolicyPack(
    name="multicloud",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[budget_policy, *POLICIES],
)

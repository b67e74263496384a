"""Entry point of the policy pack: the engine runs this file."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.budget import budget_policy

PolicyPack(name="multicloud", enforcement_level=EnforcementLevel.MANDATORY, policies=[budget_policy])

"""Fake CrossGuard arguments for the policy tests, and the policy view of an offline plan.

The fakes are built the way the engine builds them (pulumi_policy's analyzer): props are
wrapped in `unknown_checking_proxy`, so reading an unknown value raises UnknownValueError
exactly as under `pulumi preview`; a stack's resources get their parent and property
dependencies as PolicyResource objects.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import (
    ResourceValidationArgs,
)
from pulumi_policy.policy import Policy, PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from multicloud import infra, testing
from multicloud.infra.offline import Plan
from multicloud.stacks.spec import StackSpec

STACK = "urn:pulumi:prod::multicloud::pulumi:pulumi:Stack::multicloud-prod"


def options(
    protect: bool = False,
    ignore_changes: Sequence[str] = (),
    delete_before_replace: bool | None = None,
    parent: str | None = None,
) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=list(ignore_changes),
        delete_before_replace=delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),  # what the analyzer passes when unset
        additional_secret_outputs=[],
        parent=parent,
    )


def urn_of(type_: str, name: str, parent_type: str | None = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:prod::multicloud::{qualified}::{name}"


# --- fixtures: resources described as data --------------------------------------------------


@dataclass
class Res:
    """One resource of a fixture; `parent` and `deps` name other resources of the fixture."""

    type: str
    props: dict[str, Any]
    name: str = "r"
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    parent: str | None = None
    deps: dict[str, str] = field(default_factory=dict)
    """input name → name of the fixture resource it was computed from"""


def build(
    specs: Sequence[Res], transform: Callable[[Any], Any] = lambda props: props
) -> list[PolicyResource]:
    """PolicyResources for `specs` (props passed through `transform`, then proxied)."""
    by_name = {s.name: s for s in specs}
    urns = {s.name: urn_of(s.type, s.name, by_name[s.parent].type if s.parent else None) for s in specs}
    resources: dict[str, PolicyResource] = {}
    for s in specs:
        resources[s.name] = testing.policy_resource(
            s.type,
            transform(copy.deepcopy(s.props)),
            urns[s.name],
            s.name,
            options(s.protect, s.ignore_changes, s.delete_before_replace, urns.get(s.parent or "")),
        )
    for s in specs:
        resource = resources[s.name]
        if s.parent:
            resource.parent = resources[s.parent]
        resource.property_dependencies = {k: [resources[v]] for k, v in s.deps.items()}
        resource.dependencies = [resources[v] for v in s.deps.values()]
    return [resources[s.name] for s in specs]


def resource_args(resource: PolicyResource, config: dict[str, Any] | None = None) -> ResourceValidationArgs:
    """What the engine passes a ResourceValidationPolicy for `resource` (multicloud.testing)."""
    return testing.resource_args(resource, config)


def run(
    policy: Policy, resources: Sequence[PolicyResource], config: dict[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """(message, urn) of every violation `policy` reports (multicloud.testing.run_policy)."""
    return testing.run_policy(policy, resources, config)


def messages(
    policy: Policy, resources: Sequence[PolicyResource], config: dict[str, Any] | None = None
) -> list[str]:
    return [m for m, _ in run(policy, resources, config)]


# --- unknown values, as the engine sends them during preview -------------------------------


def unknown_leaves(value: Any) -> Any:
    """Every scalar replaced by the engine's unknown sentinel of its type."""
    if isinstance(value, dict):
        return {k: unknown_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknown_leaves(v) for v in value]
    if isinstance(value, bool):
        return UNKNOWN_BOOLEAN_VALUE
    if isinstance(value, int | float):
        return UNKNOWN_NUMBER_VALUE
    return UNKNOWN_STRING_VALUE


def unknown_top(props: dict[str, Any]) -> dict[str, Any]:
    """Every top-level input unknown (a whole object or list, as for an apply's result)."""

    def sentinel(value: Any) -> str:
        if isinstance(value, dict):
            return UNKNOWN_OBJECT_VALUE
        if isinstance(value, list):
            return UNKNOWN_ARRAY_VALUE
        return unknown_leaves(value)

    return {k: sentinel(v) for k, v in props.items()}


# --- the policy view of an offline plan ----------------------------------------------------


def plan_with_dependencies(
    path: Path, stack: str, project_dir: Path
) -> tuple[Plan, dict[str, dict[str, list[str]]]]:
    """`infra.offline.plan` and each registration's property dependencies (the engine hands
    them to stack policies)."""
    result = infra.offline.plan(path, stack, project_dir=project_dir)
    return result, result.property_dependencies


def policy_view(
    result: Plan, dependencies: dict[str, dict[str, list[str]]], secrets: str = "unwrapped"
) -> list[PolicyResource]:
    """The plan's registrations as the engine shows them to policies (multicloud.testing.policy_view)."""
    return testing.policy_view(result.registrations, dependencies, secrets)


def stateless_hosts(spec: StackSpec) -> list[str]:
    """Hosts on which no postgres/redis runs: the program leaves their servers unprotected
    (`holds_data` in stacks/program.py)."""
    return testing.policy_config(spec)["stateless_hosts"]


def policy_config(spec: StackSpec) -> dict[str, Any]:
    """The data-safety policy config a stack needs (multicloud.testing.policy_config)."""
    return testing.policy_config(spec)

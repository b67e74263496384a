"""What the controls share: the policy config, links between resources, and `property_check`,
the factory for a check that tests one property of one resource type.

A validate function is a plain function `(args, report_violation)`, so tests call it with fake
`ResourceValidationArgs` / `StackValidationArgs`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.policy import PolicyResource

from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, plain

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


def props_of(args: ResourceValidationArgs, types: str | Iterable[str]) -> dict[str, Any] | None:
    """Plain props when the resource is one of `types`, else None (the policy does not apply)."""
    wanted = (types,) if isinstance(types, str) else tuple(types)
    if args.resource_type not in wanted:
        return None
    props = plain(args.props)
    return props if isinstance(props, dict) else {}


# --- policy config: the environment, and lists of names -------------------------------------

ENVIRONMENTS = ("dev", "staging", "prod")
ENVIRONMENT_PROPERTY = {
    "type": "string",
    "enum": list(ENVIRONMENTS),
    "default": "prod",
    "description": "the stack's multicloud:environment; prod-only rules run in prod only",
}
ENVIRONMENT_SCHEMA = PolicyConfigSchema(properties={"environment": ENVIRONMENT_PROPERTY})


def _config(args: ResourceValidationArgs | StackValidationArgs) -> dict[str, Any]:
    config = plain(args.get_config() or {})
    return config if isinstance(config, dict) else {}


def environment(args: ResourceValidationArgs | StackValidationArgs) -> str:
    """The configured environment; prod (the strictest) when unset or not a known name."""
    value = _config(args).get("environment", "prod")
    return value if value in ENVIRONMENTS else "prod"


def in_prod(args: ResourceValidationArgs | StackValidationArgs) -> bool:
    return environment(args) == "prod"


def config_names(args: ResourceValidationArgs | StackValidationArgs, key: str) -> set[str]:
    """The strings listed under `key` in the policy config."""
    return {v for v in items(_config(args).get(key)) if isinstance(v, str)}


def names_property(description: str) -> dict[str, Any]:
    """A config property that lists names (empty by default)."""
    return {"type": "array", "items": {"type": "string"}, "default": [], "description": description}


def environment_schema(**extra: dict[str, Any]) -> PolicyConfigSchema:
    """The environment plus `extra` config properties."""
    return PolicyConfigSchema(properties={"environment": ENVIRONMENT_PROPERTY, **extra})


# --- descriptions ---------------------------------------------------------------------------

_UNKNOWN_NOTE = "Skips values that are unknown during preview (they are checked at up)."
_DEFAULT_NOTE = "An unset value is the provider default ({}) and fails."


def describe(text: str, default: str | None = None) -> str:
    """A policy description: `text`, that unknown values are skipped, and the provider default
    an unset value stands for (when it fails)."""
    notes = [_UNKNOWN_NOTE] + ([_DEFAULT_NOTE.format(default)] if default else [])
    return f"{text} {' '.join(notes)}"


# --- one property of one resource type ------------------------------------------------------


def is_true(value: Any) -> bool:
    return value is True


def not_true(value: Any) -> bool:
    return value is not True


def property_check(
    name: str,
    description: str,
    resource_type: str | Iterable[str],
    prop: str | tuple[str, ...],
    passes: Callable[[Any], bool],
    message: str | Callable[[Any], str],
    *,
    unset_message: str | None = None,
    enforcement: EnforcementLevel = MANDATORY,
    prod_only: bool = False,
    applies: Callable[[dict[str, Any]], bool] = lambda props: True,
) -> ResourceValidationPolicy:
    """A policy that reads input `prop` (a path of keys for a nested one) of resources of
    `resource_type` and reports `message` (or `message(value)`) unless `passes(value)`.

    The value is MISSING when the input is not set, so `passes` decides what the provider's
    default means (`unset_message`, if given, is then the message); an unknown value is
    skipped. `prod_only` checks only when the configured environment is prod (and gives the
    policy the environment config); `applies(props)` narrows the resources further (e.g.
    application load balancers only).
    """
    types = (resource_type,) if isinstance(resource_type, str) else tuple(resource_type)
    path = (prop,) if isinstance(prop, str) else prop

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        props = props_of(args, types)
        if props is None or (prod_only and not in_prod(args)) or not applies(props):
            return
        value = get(props, *path)
        if value is UNKNOWN or passes(value):
            return
        if value is MISSING and unset_message is not None:
            report_violation(unset_message, None)
        else:
            report_violation(message if isinstance(message, str) else message(value), None)

    validate.__name__ = validate.__qualname__ = f"validate_{name.replace('-', '_')}"
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=ENVIRONMENT_SCHEMA if prod_only else None,
    )


# --- linking resources in the stack view ----------------------------------------------------


def references(
    resource: PolicyResource, prop: str, targets: Sequence[PolicyResource], key: Callable[[Any], Any]
) -> list[PolicyResource] | None:
    """The `targets` that `resource`'s input `prop` refers to.

    Through the engine's property dependencies first (they exist even while the value is
    unknown), else by an explicit name (`key(target props)` equals the value). None when it
    cannot be told: the value is unknown and no dependency says where it points.
    """
    dependencies = (resource.property_dependencies or {}).get(prop) or []
    urns = {d.urn for d in dependencies}
    linked = [t for t in targets if t.urn in urns]
    if linked:
        return linked
    value = get(plain(resource.props), prop)
    if value is UNKNOWN:
        return None
    if value is MISSING:
        return []
    return [t for t in targets if key(plain(t.props)) == value]


def attachments(
    resources: Sequence[PolicyResource],
    target_types: Iterable[str],
    types: Iterable[str],
    prop: str,
    key: str,
) -> tuple[list[PolicyResource], dict[str, list[PolicyResource]], bool]:
    """(targets, attached resources by target URN, undetermined): which resources of `types`
    point at which target through input `prop` (a target's explicit name is its input `key`).
    `undetermined` is True when one of them points at an unknown place."""
    target_types, types = tuple(target_types), tuple(types)
    targets = [r for r in resources if r.resource_type in target_types]
    attached: dict[str, list[PolicyResource]] = {t.urn: [] for t in targets}
    undetermined = False
    for resource in resources:
        if resource.resource_type not in types:
            continue
        linked = references(resource, prop, targets, lambda p: get(p, key))
        if linked is None:
            undetermined = True
            continue
        for target in linked:
            attached[target.urn].append(resource)
    return targets, attached, undetermined

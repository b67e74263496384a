"""Test a Pulumi program built with multicloud, in pytest, offline.

`run` runs a program under the same Pulumi mocks `infra plan` uses (ids, outputs and secrets
as the engine would give them, every resource checked against its provider's rules) and
returns what it registered; the result answers what a test asks:

    from multicloud import testing

    def test_the_database_is_encrypted():
        result = testing.run(my_program)              # a function, or a program directory
        db = result.resource("aws:rds/instance:Instance", "db-instance")
        assert db.inputs["storageEncrypted"] is True
        assert result.violations() == []              # the policy pack's data-safety checks
        assert result.estimate().total < 200          # the monthly cost, priced offline

Our own tests use it (tests/policy_fakes.py, tests/test_library.py), so it cannot rot.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import (
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import Policy, PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import unknown_checking_proxy

from multicloud.costs.estimate import Estimate, estimate, resources_from
from multicloud.costs.usage import UsageSpec
from multicloud.infra.mocks import Registration
from multicloud.infra.offline import as_engine_runs, run_under_mocks
from multicloud.stacks import program as stack_program
from multicloud.stacks.spec import PostgresSpec, RedisSpec, StackSpec

__all__ = ["Result", "Violation", "policy_config", "policy_resource", "policy_view", "run", "run_policy"]


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str | None
    level: str = "mandatory"
    """The policy's enforcement level: "mandatory" stops `pulumi up`, "advisory" only warns."""


@dataclass
class Result:
    """What a program registered under the mocks."""

    registrations: list[Registration]
    property_dependencies: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """URN → input name → the URNs it was computed from."""
    stacks: list[StackSpec] = field(default_factory=list)
    """The applications `multicloud.deploy` built, in order."""

    def resources(self, type_: str | None = None) -> list[Registration]:
        """Every registration, or those of one Pulumi type token."""
        return [r for r in self.registrations if type_ is None or r.type == type_]

    def resource(self, type_: str, name: str) -> Registration:
        """The one registration of `type_` named `name` (AssertionError if not exactly one)."""
        found = [r for r in self.resources(type_) if r.name == name]
        assert len(found) == 1, (
            f"{len(found)} {type_} named {name}; there are: {[r.name for r in self.resources(type_)]}"
        )
        return found[0]

    def estimate(self, currency: str | None = None, usage: UsageSpec | None = None) -> Estimate:
        """The monthly cost, as `infra cost` prices it (usage: the deployed Stack's, else the defaults)."""
        stack = self.stacks[0] if len(self.stacks) == 1 else None
        budget = stack.budget if stack else None
        return estimate(
            resources_from(self.registrations),
            usage or (stack.usage if stack else UsageSpec()),
            currency or (budget.currency if budget else None),
        )

    def violations(
        self, policies: Sequence[Policy] | None = None, config: Mapping[str, Any] | None = None
    ) -> list[Violation]:
        """What the policy pack (default: its data-safety controls) reports for this program;
        `config` per policy (default: policy_config of the deployed Stack)."""
        from multicloud.policies.controls import POLICIES

        view = policy_view(self.registrations, self.property_dependencies)
        stack = self.stacks[0] if len(self.stacks) == 1 else None
        shared = dict(config) if config is not None else (policy_config(stack) if stack else {})
        found = []
        for policy in policies if policies is not None else POLICIES:
            level = str(getattr(policy.enforcement_level, "value", policy.enforcement_level) or "mandatory")
            for message, urn in run_policy(policy, view, shared):
                found.append(Violation(policy.name, message, urn, level))
        return found


def run(
    program: Callable[[], object] | str | Path,
    *,
    project: str = "app",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secrets: Iterable[str] = (),
) -> Result:
    """Run `program` — a function, or a Pulumi program's directory or file — under the mocks.

    `config`: "namespace:key" → value (structured values are passed as JSON, as the engine
    does); `secrets`: the keys among them that are secret. Raises ContractBreach when a
    resource breaks its provider's rules, and pulumi.RunError as the program raises it."""
    target = program if callable(program) else as_engine_runs(Path(program))
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()}
    with stack_program.recording() as recorded:
        monitor, _ = run_under_mocks(
            lambda: _call(target),
            project=project,
            stack=stack,
            config=values,
            secret_keys=sorted(set(secrets)),
        )
    return Result(monitor.registrations, monitor.property_dependencies, recorded.stacks)


def _call(target: Callable[[], object]) -> None:
    target()


# --- the policy view --------------------------------------------------------------------


def _options(reg: Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=reg.protect,
        ignore_changes=list(reg.ignore_changes),
        delete_before_replace=reg.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),  # what the analyzer passes when unset
        additional_secret_outputs=[],
        parent=reg.parent or None,
    )


def policy_view(
    registrations: Sequence[Registration],
    dependencies: Mapping[str, Mapping[str, list[str]]],
    secrets: str = "unwrapped",
) -> list[PolicyResource]:
    """Registrations as the engine shows them to policies: type, props (proxied, so reading
    an unknown raises as under `pulumi preview`), urn, name, protect/ignoreChanges/
    deleteBeforeReplace, parent and property dependencies. `secrets="unwrapped"` gives secret
    values in the clear, as the engine's analyzer does; `"redacted"` the "[secret]" inputs."""
    resources: dict[str, PolicyResource] = {}
    for reg in registrations:
        props = reg.raw_inputs if secrets == "unwrapped" else reg.inputs
        resources[reg.urn] = policy_resource(reg.type, props, reg.urn, reg.name, _options(reg))
    for reg in registrations:
        resource = resources[reg.urn]
        resource.parent = resources.get(reg.parent)
        resource.property_dependencies = {
            k: [resources[u] for u in urns if u in resources]
            for k, urns in dependencies.get(reg.urn, {}).items()
        }
    return list(resources.values())


def policy_resource(
    type_: str, props: Mapping[str, Any], urn: str, name: str, opts: PolicyResourceOptions
) -> PolicyResource:
    """One resource as a policy sees it: its props proxied (reading an unknown raises, as
    under `pulumi preview`), parent and dependencies to be linked by the caller."""
    return PolicyResource(
        resource_type=type_,
        props=unknown_checking_proxy(copy.deepcopy(dict(props))),
        urn=urn,
        name=name,
        opts=opts,
        provider=None,
        parent=None,
        dependencies=[],
        property_dependencies={},
    )


def resource_args(
    resource: PolicyResource, config: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    """What the engine passes a ResourceValidationPolicy for `resource`."""
    shared = dict(config) if config is not None else None
    return ResourceValidationArgs(
        resource.resource_type,
        resource.props,
        resource.urn,
        resource.name,
        resource.opts,
        resource.provider,
        shared,
    )


def run_policy(
    policy: Policy, resources: Sequence[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """(message, urn) of every violation `policy` reports: a resource policy is run over each
    resource (urn = that resource), a stack policy once over all of them."""
    reported: list[tuple[str, str | None]] = []
    shared = dict(config) if config is not None else None
    if isinstance(policy, ResourceValidationPolicy):
        for resource in resources:

            def report(message: str, urn: str | None = None, _urn: str = resource.urn) -> None:
                reported.append((message, _urn))

            policy.validate(resource_args(resource, shared), report)
    elif isinstance(policy, StackValidationPolicy):

        def report_stack(message: str, urn: str | None = None) -> None:
            reported.append((message, urn))

        policy.validate(StackValidationArgs(list(resources), shared), report_stack)
    else:  # pragma: no cover - the pack has only these two kinds
        raise TypeError(policy)
    return reported


def policy_config(stack: StackSpec) -> dict[str, Any]:
    """The data-safety policies' config for an application (each reads only its own keys):
    its environment, and the hosts no database or cache runs on (left unprotected)."""
    stateless = sorted(
        name
        for name in stack.hosts
        if not any(
            isinstance(s, PostgresSpec | RedisSpec) and s.host == name for s in stack.services.values()
        )
    )
    return {"environment": stack.environment, "stateless_hosts": stateless}

"""The CrossGuard budget policy's validation function, with passing and failing stacks."""

from __future__ import annotations

from pulumi_policy import StackValidationArgs
from pulumi_policy.policy import PolicyResource, PolicyResourceOptions

from multicloud.policies.budget import budget_policy, validate_budget

STACK = "urn:pulumi:prod::multicloud::pulumi:pulumi:Stack::multicloud-prod"


def resource(urn: str, type_: str, props: dict, parent: PolicyResource | None = None) -> PolicyResource:
    opts = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=None,
        additional_secret_outputs=[],
    )
    return PolicyResource(
        resource_type=type_,
        props=props,
        urn=urn,
        name=urn.split("::")[-1],
        opts=opts,
        provider=None,
        parent=parent,
        dependencies=[],
        property_dependencies={},
    )


def stack(server_type: str) -> list[PolicyResource]:
    host = resource(
        f"{STACK[: -len('pulumi:pulumi:Stack::multicloud-prod')]}multicloud:index:VpsHost::main",
        "multicloud:index:VpsHost",
        {},
    )
    server = resource(
        "urn:pulumi:prod::multicloud::multicloud:index:VpsHost$hcloud:index/server:Server::main-server",
        "hcloud:index/server:Server",
        {"serverType": server_type, "backups": False, "publicNets": [{"ipv4Enabled": True}]},
        parent=host,
    )
    return [host, server]


def run(resources: list[PolicyResource], config: dict) -> list[str]:
    reported: list[str] = []
    validate_budget(
        StackValidationArgs(resources, config), lambda message, urn=None: reported.append(message)
    )
    return reported


def test_a_stack_within_budget_passes():
    assert run(stack("cx23"), {"monthly": 10, "currency": "EUR"}) == []  # €5.49 + €0.50


def test_a_stack_over_budget_is_a_violation():
    assert run(stack("cx43"), {"monthly": 10, "currency": "EUR"}) == [
        "over budget: estimate €16.49/month exceeds the budget of €10.00 by €6.49"
    ]


def test_budget_in_another_currency_is_converted():
    # €5.99 × 1.1637 = $6.97 > $6
    assert run(stack("cx23"), {"monthly": 6, "currency": "USD"}) == [
        "over budget: estimate $6.97/month exceeds the budget of $6.00 by $0.97"
    ]


def test_unpriced_resources_are_reported_not_ignored():
    extra = resource(
        "urn:pulumi:prod::multicloud::example:index/widget:Widget::w", "example:index/widget:Widget", {}
    )
    (message,) = run([*stack("cx23"), extra], {"monthly": 100})
    assert message.startswith(
        "cannot check the whole budget: 1 resources have no price (example:index/widget:Widget)"
    )


def test_the_policy_is_mandatory_and_requires_a_monthly_amount():
    assert budget_policy.enforcement_level.value == "mandatory"
    assert budget_policy.config_schema.required == ["monthly"]

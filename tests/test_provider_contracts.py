"""Provider contracts (components/contracts): every input a cloud API sees obeys its rules.

Each item of issue 10 has a regression test here that fails on the code before it: the value
the landed code sent, run through the provider's rule, breaks it; the value sent now passes;
and the plan itself — the program under mocks, with the preflight transform the engine runs —
refuses a config that would break a rule, naming resource, input, rule and source.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from multicloud import infra
from multicloud.components.contracts import Break, ContractBreach, breaks, contracts, select
from multicloud.components.contracts import aws as aws_contract
from multicloud.components.contracts import digitalocean as do_contract
from multicloud.components.contracts import hetzner as hetzner_contract
from multicloud.components.host import fingerprint
from multicloud.infra.cli import main
from multicloud.infra.mocks import ProviderMocks
from multicloud.infra.offline import plan
from tests.aws_plans import EGRESS, INGRESS, aws_config
from tests.conftest import KEY, ROOT, base_config, of_type, one, write_stack
from tests.do_plans import APP, DROPLET, SSH_KEY, VOLUME, app_platform_config, do_config

SERVER = "hcloud:index/server:Server"
HCLOUD_KEY = "hcloud:index/sshKey:SshKey"
HCLOUD_NETWORK = "hcloud:index/network:Network"


def _says(found: list[Break]) -> list[str]:
    return [f"{b.path}: {b.says}" for b in found]


# --- the framework ---------------------------------------------------------------------------


def test_every_rule_names_its_source_and_the_date_it_was_read():
    for contract in contracts():
        items: list[Any] = [
            *contract.rules,
            *contract.unique,
            *contract.replaces,
            *contract.stored_as,
            *contract.protections,
        ]
        for item in items:
            assert item.source.ref and item.source.read == "2026-12-01", item


def test_select_walks_maps_lists_keys_and_secrets():
    inputs = {
        "tags": {"a": "1", "b": "2"},
        "spec": {"services": [{"name": "x"}, {"name": "y"}]},
        "secret": {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            "value": {"k": "v"},
        },
    }
    assert [v for _, v in select(inputs, "tags.*")] == ["1", "2"]
    assert [v for _, v in select(inputs, "tags.<key>")] == ["a", "b"]
    assert [p for p, _ in select(inputs, "spec.services[*].name")] == [
        "spec.services[0].name",
        "spec.services[1].name",
    ]
    assert list(select(inputs, "missing.path")) == []
    ((where, value),) = select(inputs, "secret.k")
    assert where == "secret.k" and value.value == "v"  # checked, and known to be secret


def test_a_break_never_shows_a_secret_and_escapes_control_characters():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "it's hidden"}
    (found,) = breaks(INGRESS, "r", {"description": secret})
    assert "hidden" not in found.line() and "<secret>" in found.line()
    (found,) = breaks(INGRESS, "r", {"description": "bell\x07\x1b[31m"})
    assert "\x1b" not in found.line() and "\\x1b" in found.line()


# --- item 1: EC2 rule descriptions -----------------------------------------------------------


@pytest.mark.parametrize("landed", ["image pulls, AWS APIs and the app's own calls", "api → db"])
def test_the_descriptions_the_landed_code_sent_break_ec2s_rule(landed):
    for type_token in (INGRESS, EGRESS):
        assert _says(breaks(type_token, "r", {"description": landed})) == [
            f"description: {aws_contract.EC2_TEXT_SAYS}"
        ]


def test_every_security_group_and_rule_description_ec2_receives_is_in_its_character_set(aws_plan):
    result = aws_plan(aws_config("prod"))
    described = [r for r in result.registrations if r.type in (INGRESS, EGRESS, aws_contract.SG)]
    assert len(described) > 10
    for reg in described:
        text = reg.inputs.get("description", "")
        assert set(text) <= set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. _-:/()#,@[]+=&;{}!$*"
        )


def test_validate_refuses_a_config_whose_resources_a_provider_would_reject(tmp_path, capsys):
    """A service name the spec allows (`--` inside) becomes an RDS identifier RDS refuses:
    `infra validate` says so before anything exists, one line per break, exit 2."""
    config = aws_config("prod")
    config["services"]["my--db"] = config["services"].pop("db")
    for svc in config["services"].values():
        if "links" in svc:
            svc["links"] = [("my--db" if link == "db" else link) for link in svc["links"]]
    code = main(["validate", "--config", str(write_stack(tmp_path / "Pulumi.prod.yaml", config))])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert any(
        line.startswith("aws:rds/instance:Instance 'my--db-db': identifier (auto-named my--db-db<7 random>)")
        and "no -- and no trailing hyphen" in line
        and "API_CreateDBInstance.html" in line
        and "read 2026-12-01" in line
        for line in lines
    ), lines
    assert not any("Traceback" in line for line in lines)


# --- item 2: provider-neutral images ------------------------------------------------------------


def test_droplets_boot_digitaloceans_slug_and_servers_hetzners_name(run_plan):
    do_plan = run_plan(do_config("dev"))
    assert {r.inputs["image"] for r in of_type(do_plan, DROPLET)} == {"ubuntu-24-04-x64"}
    assert one(run_plan(base_config("dev")), SERVER).inputs["image"] == "ubuntu-24.04"
    # The landed default on a droplet:
    assert _says(breaks(DROPLET, "d", {"image": "ubuntu-24.04"})) == [
        "image: a distribution slug: ubuntu-24-04-x64"
    ]
    assert breaks(SERVER, "s", {"image": "ubuntu-24-04-x64"})


def test_an_image_no_backend_knows_is_a_config_error(run_plan):
    config = base_config("dev")
    config["hosts"]["main"]["image"] = "debian-12"
    with pytest.raises(Exception) as err:
        run_plan(config)
    assert "multicloud:hosts.main.image: must be one of: ubuntu-24.04" in str(err.value)


# --- item 3: Route 53 DNS without AWS services ------------------------------------------------------


def test_route53_dns_alone_gets_an_aws_provider_in_route53s_region(aws_plan):
    config = base_config("dev")
    config["dns"] = {"provider": "route53", "zone_id": "Z0123456789ABCDEFGHIJ"}
    del config["services"]["web"]  # Pages needs Cloudflare DNS
    result = aws_plan(config, "dev")
    (provider,) = [r for r in result.registrations if r.type == "pulumi:providers:aws"]
    assert provider.inputs["region"] == "us-east-1"
    assert of_type(result, "aws:route53/record:Record")


# --- item 4: SSH keys the project or account already has -----------------------------------------


def _plan_with_keys(
    tmp_path: Path, config: dict[str, Any], keys: list[dict[str, Any]], stack: str = "prod"
) -> Any:
    class Existing(ProviderMocks):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.existing_ssh_keys = keys

    path = write_stack(tmp_path / f"Pulumi.{stack}.yaml", copy.deepcopy(config))
    with mock.patch.object(infra.offline, "ProviderMocks", Existing):
        return plan(path, stack, project_dir=ROOT)


def test_a_hetzner_key_another_stack_uploaded_is_referenced_not_uploaded_again(tmp_path):
    dev_key = {
        "id": 4711,
        "name": "hetzner-fleet-ssh-key-abc-1234567",
        "fingerprint": fingerprint(KEY),
        "publicKey": KEY,
        "labels": {"project": "multicloud", "stack": "dev"},
    }
    result = _plan_with_keys(tmp_path, base_config("prod"), [dev_key])
    assert of_type(result, HCLOUD_KEY) == []
    assert one(result, SERVER).raw_inputs["sshKeys"] == ["4711"]


def test_a_hetzner_key_of_this_stack_stays_declared(tmp_path):
    own = {
        "id": 4711,
        "name": "x",
        "fingerprint": fingerprint(KEY),
        "publicKey": KEY,
        "labels": {"project": "multicloud", "stack": "prod", "managed-by": "pulumi"},
    }
    result = _plan_with_keys(tmp_path, base_config("prod"), [own])
    assert len(of_type(result, HCLOUD_KEY)) == 1  # never dropped from the program that created it


def test_a_digitalocean_key_already_in_the_account_is_referenced_by_fingerprint(tmp_path):
    console = {"id": 1, "name": "laptop", "fingerprint": fingerprint(KEY), "publicKey": KEY}
    result = _plan_with_keys(tmp_path, do_config("prod"), [console])
    assert of_type(result, SSH_KEY) == []
    assert one(result, DROPLET).raw_inputs["sshKeys"] == [fingerprint(KEY)]
    # This stack's own record, by either of its names, stays declared.
    for name in ("multicloud-prod-" + KEY_ID, "prod-" + KEY_ID):
        own = dict(console, name=name)
        assert len(of_type(_plan_with_keys(tmp_path, do_config("prod"), [own]), SSH_KEY)) == 1


KEY_ID = __import__("multicloud.components._lib.naming", fromlist=["ssh_key_id"]).ssh_key_id(KEY)


def test_fingerprint_is_the_md5_providers_report():
    # ssh-keygen -l -E md5 of tests.conftest.KEY
    assert fingerprint(KEY) == fingerprint(KEY.rsplit(" ", 1)[0] + " another-comment")
    assert len(fingerprint(KEY).split(":")) == 16


# --- item 5: App Platform secrets ---------------------------------------------------------------------


def _app_plan(tmp_path: Path, previous: dict[str, Any] | None, app_deleted: bool = False) -> Any:
    class Previous(ProviderMocks):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(previous_outputs=previous or {})

        def call(self, args: Any) -> Any:
            if app_deleted and args.token == "digitalocean:index/getApp:getApp":
                return {}, [("app_id", "404: the resource you were accessing could not be found")]
            return super().call(args)

    path = write_stack(tmp_path / "Pulumi.prod.yaml", app_platform_config("prod"))
    with mock.patch.object(infra.offline, "ProviderMocks", Previous):
        return plan(path, "prod", project_dir=ROOT)


def _envs(app: Any) -> dict[str, str]:
    return {e["key"]: e["value"] for e in app.raw_inputs["spec"]["services"][0]["envs"]}


def test_a_second_up_sends_what_app_platform_stored_and_a_rotated_secret_in_clear(tmp_path):
    from multicloud.components._lib.stored_secrets import OUTPUT, digest

    first = _app_plan(tmp_path, None)
    app = one(first, APP, "api-app")
    plain = _envs(app)
    assert not any(v.startswith("EV[") for v in plain.values())
    secret_keys = {e["key"] for e in app.raw_inputs["spec"]["services"][0]["envs"] if e["type"] == "SECRET"}
    assert {"DATABASE_URL", "PGPASSWORD", "REDIS_URL"} <= secret_keys

    # What DigitalOcean stored after the first up: EV[…] for every secret, recorded with the
    # digest of the plaintext it was made from; PGPASSWORD has been rotated since.
    secrets = {
        f"api.env.{key}": {"stored": f"EV[1:{key}]", "digest": digest(plain[key])} for key in secret_keys
    }
    secrets["api.env.PGPASSWORD"]["digest"] = digest("the old password")
    record = {"app": "api-app-id", "secrets": secrets}
    second = _envs(one(_app_plan(tmp_path, {OUTPUT: {"api": record}}), APP, "api-app"))
    for key in secret_keys - {"PGPASSWORD"}:
        assert second[key] == f"EV[1:{key}]"
    assert second["PGPASSWORD"] == plain["PGPASSWORD"]  # changed: sent in clear, encrypted again
    assert {k: v for k, v in second.items() if k not in secret_keys} == {
        k: v for k, v in plain.items() if k not in secret_keys
    }
    # An app deleted outside Pulumi and created anew cannot read the old app's ciphertexts.
    fresh = _envs(one(_app_plan(tmp_path, {OUTPUT: {"api": record}}, app_deleted=True), APP, "api-app"))
    assert fresh == plain


# --- item 6: the app's user may create tables on DigitalOcean Postgres 15+ ---------------------------


def test_every_digitalocean_postgres_consumer_runs_the_grants_first(run_plan):
    from tests.helpers import compose

    result = run_plan(do_config("dev"))
    services = compose(result, "edge")["services"]
    (job,) = [s for name, s in services.items() if name.endswith("-setup")]
    script = job["command"][-1]
    assert 'GRANT USAGE, CREATE ON SCHEMA public TO "app"' in script
    assert 'GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "app" TO "app"' in script


# --- item 7: private images on AWS -----------------------------------------------------------------------


def _aws_with_logins(tmp_path: Path, image: str, logins: dict[str, str]) -> Any:
    from tests.components.test_registry_credentials import planned_with_logins

    config = aws_config("dev")
    config["services"]["api"]["image"] = image
    return planned_with_logins(tmp_path, config, logins, stack="dev")


def test_a_private_image_on_aws_pulls_with_its_registrys_login(tmp_path):
    result = _aws_with_logins(
        tmp_path, "ghcr.io/acme/api:1.4.2", {"ghcr.io": "bot:ghp_TOKEN", "quay.io": "q:t"}
    )
    secret = one(result, "aws:secretsmanager/secret:Secret", "api-registry")
    version = one(result, "aws:secretsmanager/secretVersion:SecretVersion", "api-registry")
    assert version.inputs["secretString"] == "[secret]"
    assert json.loads(version.raw_inputs["secretString"]) == {"username": "bot", "password": "ghp_TOKEN"}
    task = one(result, "aws:ecs/taskDefinition:TaskDefinition", "api-task")
    (container,) = json.loads(task.raw_inputs["containerDefinitions"])
    assert container["repositoryCredentials"]["credentialsParameter"].startswith("arn:aws:")
    policy = json.loads(
        one(result, "aws:iam/rolePolicy:RolePolicy", "api-execution-registry").raw_inputs["policy"]
    )
    assert policy["Statement"][0]["Action"] == ["secretsmanager:GetSecretValue"]
    assert secret.inputs["description"] and not breaks(secret.type, secret.name, secret.inputs)
    # The worker pulls a public image from a registry without a login: no secret.
    assert [r.name for r in of_type(result, "aws:secretsmanager/secret:Secret")] == ["api-registry"]


@pytest.mark.parametrize(
    "image", ["123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1", "docker.io/library/nginx:1.27"]
)
def test_no_login_secret_for_ecr_or_a_registry_without_a_login(tmp_path, image):
    result = _aws_with_logins(
        tmp_path, image, {"ghcr.io": "bot:t", "123456789012.dkr.ecr.us-east-1.amazonaws.com": "a:b"}
    )
    assert of_type(result, "aws:secretsmanager/secret:Secret") == []


# --- item 8: provider deletion protection goes with Pulumi's ------------------------------------------


def test_a_stateless_prod_hetzner_host_can_be_replaced_and_a_data_host_cannot(run_plan):
    config = base_config("prod")
    config["hosts"]["edge"] = {"target": "hetzner", "server_type": "cx23", "location": "fsn1"}
    config["services"]["worker"] = {
        "kind": "worker",
        "target": "hetzner",
        "host": "edge",
        "image": "ghcr.io/acme/w:1",
    }
    result = run_plan(config)
    edge, main_server = one(result, SERVER, "edge-server"), one(result, SERVER, "main-server")
    assert (edge.protect, edge.inputs["deleteProtection"], edge.inputs["rebuildProtection"]) == (
        False,
        False,
        False,
    )
    assert (main_server.protect, main_server.inputs["deleteProtection"]) == (True, True)
    assert one(result, HCLOUD_NETWORK).protect  # its delete protection is on in prod


def test_provider_deletion_protection_without_pulumi_protect_is_a_break():
    assert breaks(SERVER, "s", {"deleteProtection": True}, protect=False)
    assert not breaks(SERVER, "s", {"deleteProtection": True}, protect=True)
    assert breaks("aws:lb/loadBalancer:LoadBalancer", "lb", {"enableDeletionProtection": True, "name": "x"})


# --- item 9: DigitalOcean volume names --------------------------------------------------------------------


def test_droplet_volumes_are_named_per_project_and_keep_an_older_name(run_plan):
    result = run_plan(do_config("prod"))
    volume = one(result, VOLUME)
    assert volume.inputs["name"] == "multicloud-test-edge-data"
    assert "name" in volume.ignore_changes  # a new name would replace the volume (ForceNew)
    assert "name" in next(r.inputs for r in do_contract.REPLACES if r.type == VOLUME)


def test_two_projects_stacks_no_longer_share_a_volume_name(run_plan):
    names = {v.inputs["name"] for v in of_type(run_plan(do_config("prod")), VOLUME)}
    assert all(name.startswith("multicloud-") for name in names)


# --- item 10: every AWS provider tags what it creates ----------------------------------------------------


def test_both_aws_providers_carry_default_tags(aws_plan):
    config = aws_config("prod")
    config["aws"]["region"] = "eu-central-1"
    result = aws_plan(config)
    providers = [r for r in result.registrations if r.type == "pulumi:providers:aws"]
    assert {p.name for p in providers} == {"aws", "aws-us-east-1"}
    for provider in providers:
        tags = json.loads(provider.raw_inputs["defaultTags"])["tags"]
        assert tags == {"managed-by": "pulumi", "project": "multicloud"}


# --- the preflight refuses, offline and under the engine alike -------------------------------------------


def test_a_breach_stops_the_plan_with_one_line_per_break(tmp_path):
    config = do_config("dev")
    broken = ContractBreach([Break(DROPLET, "d", "image", "'x'", "a slug", do_contract.IMAGE_SOURCE)])
    assert broken.lines() == [
        f"{DROPLET} 'd': image = 'x' breaks the rule: a slug ({do_contract.IMAGE_SOURCE})"
    ]
    with (
        mock.patch.dict(do_contract.IMAGES, {"ubuntu-24.04": "ubuntu-24.04"}),
        pytest.raises(ContractBreach) as err,
    ):
        plan(write_stack(tmp_path / "Pulumi.dev.yaml", config), "dev", project_dir=ROOT)
    assert [b.path for b in err.value.breaks] == ["image"]
    assert hetzner_contract.IMAGES["ubuntu-24.04"] == "ubuntu-24.04"


def test_an_older_volume_is_mounted_by_the_name_it_has(tmp_path):
    """A volume created as `<stack>-<host>-data` keeps that name (ignore_changes); the release
    mounts the device DigitalOcean made for it, read from the volume, not from today's name."""

    class OlderVolume(ProviderMocks):
        def new_resource(self, args: Any) -> tuple[str | None, dict]:
            rid, outputs = super().new_resource(args)
            if args.typ == VOLUME:
                outputs["name"] = "prod-edge-data"
            return rid, outputs

    from tests.helpers import bundle

    path = write_stack(tmp_path / "Pulumi.prod.yaml", do_config("prod"))
    with mock.patch.object(infra.offline, "ProviderMocks", OlderVolume):
        result = plan(path, "prod", project_dir=ROOT)
    assert (
        bundle(result, "edge")["host.env"].text
        == "DATA_DEVICE=/dev/disk/by-id/scsi-0DO_Volume_prod-edge-data\n"
    )


# --- inputs the provider stores in another form: each handled as its contract says ------------------


def test_every_input_stored_in_another_form_is_handled_as_listed(run_plan):
    plans = [run_plan(base_config("prod")), run_plan(do_config("prod"))]
    listed = [item for contract in contracts() for item in contract.stored_as]
    assert any(item.ignored for item in listed) and any(item.absent for item in listed)
    for item in listed:
        registered = [r for p in plans for r in p.registrations if r.type == item.type]
        if item.ignored:
            assert registered and all(item.path in r.ignore_changes for r in registered), item
        if item.absent:
            assert registered and all(not list(select(r.raw_inputs, item.path)) for r in registered), item
    # The rest are handled in code and proven elsewhere: App Platform secrets above
    # (test_a_second_up_sends_what_app_platform_stored…), the Pages members set explicitly below.


def test_pages_sets_every_source_member_cloudflare_would_otherwise_compute(run_plan):
    project = one(run_plan(base_config("prod")), "cloudflare:index/pagesProject:PagesProject")
    config = project.inputs["source"]["config"]
    assert {"pathIncludes", "pathExcludes", "previewBranchIncludes", "previewBranchExcludes"} <= set(config)


# --- every rule has a failing counterpart ----------------------------------------------------------------

# (first type of the rule, path) → (a value the provider refuses, a value it takes).
WAITS_FOR_CA = {"containerName": "tls-ca", "condition": "SUCCESS"}
COUNTERPARTS: dict[tuple[str, str], tuple[Any, Any]] = {
    # EventBridge refuses both day fields set (cron's OR) and a five-field cron.
    ("aws:scheduler/schedule:Schedule", "scheduleExpression"): ("cron(0 3 1 * MON *)", "cron(0 3 ? * MON *)"),
    ("aws:scheduler/schedule:Schedule", "description"): (
        "x" * 513,
        "multicloud job report: cron 30 2 * * * (UTC)",
    ),
    ("aws:scheduler/schedule:Schedule", "target.retryPolicy.maximumRetryAttempts"): (2.5, 3),
    ("aws:scheduler/schedule:Schedule", "target.retryPolicy.maximumEventAgeInSeconds"): (30, 3600),
    ("aws:sqs/queue:Queue", "messageRetentionSeconds"): (30 * 24 * 3600, 14 * 24 * 3600),
    # Alerts (components/alerts).
    ("aws:route53/healthCheck:HealthCheck", "type"): ("HTTPS_STRING", "HTTPS"),
    ("aws:route53/healthCheck:HealthCheck", "resourcePath"): ("health", "/health?deep=1"),
    ("aws:route53/healthCheck:HealthCheck", "fqdn"): ("a" * 256, "api.example.com"),
    ("aws:route53/healthCheck:HealthCheck", "requestInterval"): (60, 30),
    ("aws:route53/healthCheck:HealthCheck", "failureThreshold"): (11, 3),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "alarmDescription"): ("x" * 1025, "api is failing"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "period"): (90, 60),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"): ("api\ndown", "api-down-1a2b3c4"),
    ("aws:sns/topic:Topic", "name"): ("alerts.prod", "alerts-us-east-1-1a2b3c4"),
    ("aws:sns/topicSubscription:TopicSubscription", "protocol"): ("sms", "email"),
    ("aws:sns/topicSubscription:TopicSubscription", "endpoint"): ("ops at example.com", "ops@example.com"),
    ("checkly:index/alertChannel:AlertChannel", "email.address"): ("ops@example", "ops@example.com"),
    ("digitalocean:index/uptimeCheck:UptimeCheck", "type"): ("tcp", "https"),
    ("digitalocean:index/uptimeCheck:UptimeCheck", "regions[*]"): ("eu_central", "eu_west"),
    ("digitalocean:index/uptimeCheck:UptimeCheck", "target"): (
        "api.example.com/health",
        "https://api.example.com/health",
    ),
    ("digitalocean:index/uptimeAlert:UptimeAlert", "type"): ("ssl", "ssl_expiry"),
    ("digitalocean:index/uptimeAlert:UptimeAlert", "period"): ("1m", "2m"),
    ("digitalocean:index/uptimeAlert:UptimeAlert", "comparison"): ("lt", "less_than"),
    ("checkly:index/urlMonitor:UrlMonitor", "frequency"): (3, 5),
    ("checkly:index/urlMonitor:UrlMonitor", "locations[*]"): ("eu-central", "eu-central-1"),
    ("checkly:index/urlMonitor:UrlMonitor", "name"): ("a\nb", "multicloud-prod-api"),
    ("checkly:index/urlMonitor:UrlMonitor", "request.url"): (
        "api.example.com/health",
        "https://api.example.com/health",
    ),
    ("checkly:index/urlMonitor:UrlMonitor", "request.assertions[*].source"): ("TEXT_BODY", "STATUS_CODE"),
    ("checkly:index/urlMonitor:UrlMonitor", "request.assertions[*].comparison"): ("CONTAINS", "LESS_THAN"),
    ("checkly:index/urlMonitor:UrlMonitor", "alertSettings.runBasedEscalations[*].failedRunThreshold"): (
        6,
        2,
    ),
    ("checkly:index/urlMonitor:UrlMonitor", "degradedResponseTime"): (30_001, 10_000),
    ("checkly:index/urlMonitor:UrlMonitor", "maxResponseTime"): (60_000, 10_000),
    ("checkly:index/sslMonitor:SslMonitor", "request.alertDaysBeforeExpiry"): (0, 14),
    ("checkly:index/sslMonitor:SslMonitor", "request.hostname"): (
        "https://api.example.com",
        "api.example.com",
    ),
    # pulumi-tls: the SDK's docs spell key usages in camelCase; the provider knows snake_case only.
    ("tls:index/privateKey:PrivateKey", "algorithm"): ("EC", "RSA"),
    ("tls:index/selfSignedCert:SelfSignedCert", "allowedUses[*]"): ("keyCertSign", "cert_signing"),
    ("tls:index/certRequest:CertRequest", "ipAddresses[*]"): ("203.0.113.7/32", "203.0.113.7"),
    ("aws:ec2/securityGroup:SecurityGroup", "name"): ("sg-api", "api-tasks-1a2b3c4"),
    ("aws:ec2/securityGroup:SecurityGroup", "description"): ("app's", "api tasks"),
    (INGRESS, "description"): ("api → db", "from api to db"),
    ("aws:lb/loadBalancer:LoadBalancer", "name"): ("internal-api-lb", "api-lb-1a2b3c4"),
    ("aws:rds/instance:Instance", "identifier"): ("Db-1", "db-db1a2b3c4"),
    ("aws:rds/parameterGroup:ParameterGroup", "name"): ("db--params", "db-params-1a2b3c4"),
    ("aws:rds/subnetGroup:SubnetGroup", "name"): ("default", "db-subnets-1a2b3c4"),
    ("aws:rds/instance:Instance", "finalSnapshotIdentifier"): ("1-final", "multicloud-prod-db-final"),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "replicationGroupId"): (
        "a" * 41,
        "multicloud-prod-cache",
    ),
    ("aws:elasticache/subnetGroup:SubnetGroup", "name"): ("cache_subnets", "multicloud-prod-cache"),
    ("aws:elasticache/parameterGroup:ParameterGroup", "name"): ("cache-params-", "cache-params-1a2b3c4"),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "authToken"): ("short", "a" * 32),
    ("aws:s3/bucket:Bucket", "bucket"): ("Uploads", "uploads-bucket-1a2b3c4"),
    ("aws:iam/role:Role", "name"): ("a" * 65, "api-execution-1a2b3c4"),
    ("aws:iam/role:Role", "path"): ("multicloud", "/multicloud/"),
    ("aws:ssm/parameter:Parameter", "name"): (
        "/multicloud/prod/api/DATABASE URL",
        "/multicloud/prod/api/DATABASE_URL",
    ),
    ("aws:secretsmanager/secret:Secret", "name"): ("api registry", "api-registry-1a2b3c4"),
    ("aws:cloudwatch/logGroup:LogGroup", "name"): ("/multicloud/prod/api logs", "/multicloud/prod/api"),
    ("aws:ecs/taskDefinition:TaskDefinition", "family"): ("multicloud.prod.api", "multicloud-prod-api"),
    ("aws:ecs/cluster:Cluster", "name"): ("api cluster", "api-cluster-1a2b3c4"),
    ("aws:ecs/taskDefinition:TaskDefinition", "volumes[*].name"): ("tls volume", "tls"),
    # The app waits for the CA writer to succeed: allowed only when the writer is not essential.
    ("aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions"): (
        json.dumps([{"name": "api", "dependsOn": [WAITS_FOR_CA]}, {"name": "tls-ca", "essential": True}]),
        json.dumps([{"name": "api", "dependsOn": [WAITS_FOR_CA]}, {"name": "tls-ca", "essential": False}]),
    ),
    ("aws:cloudfront/originAccessControl:OriginAccessControl", "name"): ("a" * 65, "web-oac-1a2b3c4"),
    ("aws:acm/certificate:Certificate", "domainName"): ("a" * 60 + ".example.com", "api.example.com"),
    ("aws:route53/record:Record", "name"): ("a b.example.com", "_1a2b.api.example.com"),
    ("aws:acm/certificate:Certificate", "tags.<key>"): ({"aws:stack": "x"}, {"stack": "x"}),
    ("aws:acm/certificate:Certificate", "tags.*"): ({"stack": "prod#1"}, {"stack": "Prod_EU.2"}),
    ("aws:acm/certificate:Certificate", "tags"): ({f"k{i}": "v" for i in range(51)}, {"a": "b"}),
    (DROPLET, "name"): ("api_server", "multicloud-prod-api"),
    (DROPLET, "image"): ("ubuntu-24.04", "ubuntu-24-04-x64"),
    (DROPLET, "region"): ("fra", "fra1"),
    (DROPLET, "userData"): ("#cloud-config\n" + "x" * 65536, "#cloud-config\n"),
    (DROPLET, "tags[*]"): ("multicloud prod", "multicloud-prod"),
    ("digitalocean:index/tag:Tag", "name"): ("multicloud.prod", "multicloud-prod"),
    (VOLUME, "name"): ("1-edge-data", "multicloud-prod-edge-data"),
    (VOLUME, "description"): ("x" * 1025, "edge: state"),
    ("digitalocean:index/firewall:Firewall", "name"): ("-edge", "multicloud-prod-edge"),
    ("digitalocean:index/vpc:Vpc", "name"): ("multicloud prod", "multicloud-prod"),
    ("digitalocean:index/vpc:Vpc", "description"): ("x" * 256, "droplets of this stack"),
    ("digitalocean:index/databaseCluster:DatabaseCluster", "version"): ("14", "16"),
    ("digitalocean:index/databaseCluster:DatabaseCluster", "region"): ("nyc2", "fra1"),
    ("digitalocean:index/databaseCluster:DatabaseCluster", "evictionPolicy"): ("allkeys-lru", "noeviction"),
    ("digitalocean:index/databaseFirewall:DatabaseFirewall", "rules[*].type"): ("cidr", "ip_addr"),
    ("digitalocean:index/databaseFirewall:DatabaseFirewall", "rules"): (
        [{"type": "ip_addr", "value": "2001:db8::1"}],
        [{"type": "ip_addr", "value": "10.110.0.0/20"}],
    ),
    ("digitalocean:index/spacesBucket:SpacesBucket", "region"): ("nyc1", "fra1"),
    ("digitalocean:index/spacesBucket:SpacesBucket", "name"): ("Uploads", "multicloud-prod-uploads"),
    ("digitalocean:index/spacesKey:SpacesKey", "grants[*].permission"): ("write", "readwrite"),
    (APP, "spec"): ({"name": "x" * 33, "region": "fra"}, {"name": "api-prod-multicloud", "region": "fra"}),
    (SERVER, "name"): ("main_server", "main-server-1a2b3c4"),
    ("hcloud:index/volume:Volume", "name"): ("-volume", "main-volume-1a2b3c4"),
    ("hcloud:index/firewall:Firewall", "name"): ("x" * 129, "main-firewall-1a2b3c4"),
    (SERVER, "image"): ("ubuntu-24-04-x64", "ubuntu-24.04"),
    (SERVER, "location"): ("fra1", "fsn1"),
    ("hcloud:index/floatingIp:FloatingIp", "homeLocation"): ("eu-central", "nbg1"),
    ("hcloud:index/networkSubnet:NetworkSubnet", "networkZone"): ("fsn1", "eu-central"),
    (SERVER, "userData"): ("#cloud-config\n" + "x" * 32768, "#cloud-config\n"),
    ("hcloud:index/volume:Volume", "size"): (5, 10),
    ("hcloud:index/volume:Volume", "format"): ("btrfs", "ext4"),
    ("hcloud:index/firewall:Firewall", "rules"): (
        [{"sourceIps": ["10.0.0.1/32"] * 101}],
        [{"sourceIps": []}],
    ),
    (SERVER, "labels.<key>"): ({"hetzner.cloud/x": "y"}, {"managed-by": "pulumi"}),
    (SERVER, "labels.*"): ({"stack": "prod/eu"}, {"stack": "Prod_EU.2"}),
    ("cloudflare:index/pagesProject:PagesProject", "name"): ("Web", "multicloud-prod-web"),
    ("cloudflare:index/r2Bucket:R2Bucket", "name"): ("uploads-", "multicloud-prod-uploads"),
    ("cloudflare:index/r2Bucket:R2Bucket", "location"): ("eu", "weur"),
    ("cloudflare:index/apiToken:ApiToken", "name"): ("x" * 121, "uploads (r2 object access)"),
    ("cloudflare:index/dnsRecord:DnsRecord", "name"): ("a b.example.com", "www.example.com"),
    ("cloudflare:index/dnsRecord:DnsRecord", "comment"): ("line\nbreak", "managed by multicloud"),
    ("cloudflare:index/dnsRecord:DnsRecord", "ttl"): (30, 1),
}


def _rules() -> list[Any]:
    return [rule for contract in contracts() for rule in contract.rules]


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: f"{r.types[0]}:{r.path}")
def test_every_rule_refuses_its_counterpart_and_takes_a_good_value(rule):
    bad, good = COUNTERPARTS[(rule.types[0], rule.path)]
    *parents, leaf = rule.path.replace("[*]", ".[*]").split(".")

    def nest(value: Any) -> dict[str, Any]:
        """The value placed at the rule's path, as the inputs would hold it."""
        node: Any = value
        for part in reversed([*parents, leaf]):
            if part == "[*]":
                node = [node]
            elif part in ("*", "<key>"):
                continue  # the value is already the map
            else:
                node = {part: node}
        return node

    assert breaks(rule.types[0], "r", nest(bad)), (rule.path, bad)
    assert not breaks(rule.types[0], "r", nest(good)), (rule.path, good)


def test_every_rule_has_a_counterpart():
    assert {(r.types[0], r.path) for r in _rules()} == set(COUNTERPARTS)


# --- the transform reads inputs as the engine passes them ----------------------------------------------


def _preflight(type_token: str, wire: dict[str, Any], check: Any = None) -> list[str]:
    """Run the preflight on ResourceTransformArgs built the way the engine builds them:
    secrets and unknowns upgraded to output values (`check` sees the args first)."""
    import asyncio

    import pulumi
    from google.protobuf import struct_pb2
    from pulumi.runtime import rpc

    from multicloud.components.contracts import preflight
    from multicloud.infra.mocks import as_output_values

    async def run() -> list[str]:
        struct = struct_pb2.Struct()
        struct.update(as_output_values(wire))
        args = pulumi.ResourceTransformArgs(
            custom=True,
            type_=type_token,
            name="r",
            props=rpc.deserialize_properties(struct),
            opts=pulumi.ResourceOptions(),
        )
        if check is not None:
            check(args)
        try:
            await preflight(args)
        except ContractBreach as breach:
            return breach.lines()
        return []

    loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the thread's loop the plans use
    try:
        return loop.run_until_complete(run())
    finally:
        loop.close()


SECRET = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_secret_and_unknown_inputs_arrive_as_outputs_and_are_checked_by_their_values():
    import pulumi

    cache = "aws:elasticache/replicationGroup:ReplicationGroup"

    def outputs(args: Any) -> None:  # what the engine hands over
        assert isinstance(args.props["authToken"], pulumi.Output)
        assert isinstance(args.props["replicationGroupId"], pulumi.Output)

    wire = {"authToken": {SECRET: SECRET_SIG, "value": "a" * 32}, "replicationGroupId": UNKNOWN}
    assert _preflight(cache, wire, outputs) == []
    (line,) = _preflight(cache, {"authToken": {SECRET: SECRET_SIG, "value": "short"}})
    assert "authToken = <secret>" in line and "short" not in line


def test_an_app_spec_with_secret_and_unknown_values_is_checked_against_the_schema():
    env = [
        {"key": "DATABASE_URL", "value": {SECRET: SECRET_SIG, "value": "postgresql://x"}, "type": "SECRET"},
        {"key": "PGHOST", "value": UNKNOWN, "type": "GENERAL"},
    ]
    spec: dict[str, Any] = {
        "name": "api-prod-multicloud",
        "region": "fra",
        "services": [{"name": "api", "envs": env}],
    }
    assert _preflight(APP, {"spec": spec}) == []
    spec["services"][0]["envs"][0]["key"] = "1BAD"
    (line,) = _preflight(APP, {"spec": spec})
    assert "envs[0].key" in line and "postgresql" not in line


# --- which SSH keys are this stack's: its record first ----------------------------------------------------


def _keys_plan(
    tmp_path: Path, config: dict[str, Any], keys: list[dict[str, Any]], previous: dict[str, Any]
) -> Any:
    class Account(ProviderMocks):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(previous_outputs=previous)
            self.existing_ssh_keys = keys

    path = write_stack(tmp_path / "Pulumi.prod.yaml", copy.deepcopy(config))
    with mock.patch.object(infra.offline, "ProviderMocks", Account):
        return plan(path, "prod", project_dir=ROOT)


def test_a_key_the_stacks_record_lists_stays_declared_whatever_its_labels_say(tmp_path):
    from multicloud.components.host import SSH_KEYS_OUTPUT

    # Labelled with another stack name: this stack was renamed since it uploaded the key.
    renamed = {
        "id": 7,
        "name": "x",
        "fingerprint": fingerprint(KEY),
        "publicKey": KEY,
        "labels": {"stack": "old"},
    }
    record = {SSH_KEYS_OUTPUT: {"hetzner": [fingerprint(KEY)]}}
    assert len(of_type(_keys_plan(tmp_path, base_config("prod"), [renamed], record), HCLOUD_KEY)) == 1
    assert (
        of_type(_keys_plan(tmp_path, base_config("prod"), [renamed], {SSH_KEYS_OUTPUT: {}}), HCLOUD_KEY) == []
    )


def test_a_digitalocean_key_with_the_old_name_is_only_claimed_before_the_record_exists(tmp_path):
    from multicloud.components.host import SSH_KEYS_OUTPUT

    legacy = {"id": 1, "name": f"prod-{KEY_ID}", "fingerprint": fingerprint(KEY), "publicKey": KEY}
    # Another project's `prod` stack has this name too: once this stack keeps a record, only
    # the record and the project-qualified name claim a key.
    assert len(of_type(_keys_plan(tmp_path, do_config("prod"), [legacy], {}), SSH_KEY)) == 1
    assert of_type(_keys_plan(tmp_path, do_config("prod"), [legacy], {SSH_KEYS_OUTPUT: {}}), SSH_KEY) == []


def test_the_stack_records_the_keys_it_uploaded(tmp_path, monkeypatch):
    from multicloud.components.host import SSH_KEYS_OUTPUT

    exported: dict[str, Any] = {}
    monkeypatch.setattr(
        "multicloud.stacks.program.pulumi.export", lambda name, value: exported.__setitem__(name, value)
    )
    _keys_plan(tmp_path, base_config("prod"), [], {})
    assert exported[SSH_KEYS_OUTPUT] == {"hetzner": [fingerprint(KEY)]}

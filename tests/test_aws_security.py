"""Security of the whole examples/aws.yaml plan: every control passes, and each one bites.

Checkov style (shared/reference/security-and-data-safety.md §5): each control in
tests/aws_controls.py returns the offending resources; it must return `[]` for the real
prod plan and exactly the broken resource for a copy of the plan in which one registration
was changed. Then the security-group layout is asserted exactly, and the stack-wide rules:
protect by environment, the same variable names as on Hetzner, and no foreign SDK imported.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from typing import Any

import pytest

from components.connection import SECRET_VARS
from infra.mocks import Registration
from tests.aws_controls import CONTROLS
from tests.aws_plans import (
    BUCKET,
    CACHE,
    ECS_SERVICE,
    INGRESS,
    RDS,
    SG,
    TASK_DEFINITION,
    RecordedPlan,
    aws_config,
    broken,
    drop_input,
    edit_json,
    example_config,
    ids,
    ingress_into,
    out,
    set_input,
    set_option,
    subnets,
    task_container,
)
from tests.conftest import ROOT, base_config, one
from tests.helpers import env_of

WORLD = {"0.0.0.0/0", "::/0"}
STATEFUL = (RDS, CACHE, BUCKET)


@pytest.fixture(scope="module")
def example(aws_plan) -> RecordedPlan:
    return aws_plan(example_config(), "prod")


# --- broken copies: (control, what was broken, type, name, mutation) --------------------------


def _container(edit):
    def apply(definitions: list[dict[str, Any]]) -> None:
        edit(definitions[0])

    return edit_json("containerDefinitions", apply)


def _statement(index: int, key: str, value: Any):
    def apply(doc: dict[str, Any]) -> None:
        doc["Statement"][index][key] = value

    return edit_json("policy", apply)


def _secret_into_environment(c: dict[str, Any]) -> None:
    c["secrets"] = [s for s in c["secrets"] if s["name"] != "DATABASE_URL"]
    c["environment"].append({"name": "DATABASE_URL", "value": "postgresql://app:pw@db/app"})


def _public_subnets(reg: Registration, result: RecordedPlan) -> None:
    set_input("subnetIds", ids(subnets(result, "public")))(reg, result)


def _id_of(type_token: str, name: str, key: str):
    def mutate(reg: Registration, result: RecordedPlan) -> None:
        set_input(key, one(result, type_token, name).id)(reg, result)

    return mutate


def _also(*mutations):
    def mutate(reg: Registration, result: RecordedPlan) -> None:
        for m in mutations:
            m(reg, result)

    return mutate


def _inline_world_ingress(reg: Registration, result: RecordedPlan) -> None:
    rule = {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "ipv6CidrBlocks": ["::/0"]}
    set_input("ingress", [rule])(reg, result)


def _bucket_only(doc: dict[str, Any]) -> None:
    doc["Statement"][0]["Resource"] = doc["Statement"][0]["Resource"][:1]


def _drop_one_parameter(doc: dict[str, Any]) -> None:
    doc["Statement"][0]["Resource"] = doc["Statement"][0]["Resource"][1:]


POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
CDN = "aws:cloudfront/distribution:Distribution"
FORWARD = [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg"}]

BREAKS = [
    ("CKV_AWS_16-rds-encrypted", "unencrypted", RDS, "db-db", set_input("storageEncrypted", False), "db-db"),
    ("CKV_AWS_17-rds-not-public", "public", RDS, "db-db", set_input("publiclyAccessible", True), "db-db"),
    (
        "rds-in-private-subnets",
        "public-subnets",
        "aws:rds/subnetGroup:SubnetGroup",
        "db-subnets",
        _public_subnets,
        "db-db",
    ),
    (
        "CKV2_AWS_69-rds-force-ssl",
        "ssl-off",
        "aws:rds/parameterGroup:ParameterGroup",
        "db-params",
        set_input("parameters.0.value", "0"),
        "db-db",
    ),
    (
        "CKV_AWS_133-rds-backups-7-days-prod",
        "one-day",
        RDS,
        "db-db",
        set_input("backupRetentionPeriod", 1),
        "db-db",
    ),
    (
        "CKV_AWS_293-rds-deletion-protection-prod",
        "off",
        RDS,
        "db-db",
        set_input("deletionProtection", False),
        "db-db",
    ),
    ("rds-final-snapshot-prod", "skipped", RDS, "db-db", set_input("skipFinalSnapshot", True), "db-db"),
    ("rds-final-snapshot-prod", "unnamed", RDS, "db-db", drop_input("finalSnapshotIdentifier"), "db-db"),
    (
        "rds-keeps-automated-backups",
        "deleted",
        RDS,
        "db-db",
        set_input("deleteAutomatedBackups", True),
        "db-db",
    ),
    (
        "CKV_AWS_226-rds-minor-upgrades",
        "off",
        RDS,
        "db-db",
        set_input("autoMinorVersionUpgrade", False),
        "db-db",
    ),
    (
        "CKV_AWS_29-cache-encrypted-at-rest",
        "off",
        CACHE,
        "cache-cache",
        set_input("atRestEncryptionEnabled", False),
        "cache-cache",
    ),
    (
        "CKV_AWS_30-cache-encrypted-in-transit",
        "off",
        CACHE,
        "cache-cache",
        set_input("transitEncryptionEnabled", False),
        "cache-cache",
    ),
    (
        "CKV_AWS_31-cache-auth-token-secret",
        "plain",
        CACHE,
        "cache-cache",
        set_input("authToken", "hunter2hunter2hunter2"),
        "cache-cache",
    ),
    (
        "CKV_AWS_31-cache-auth-token-secret",
        "absent",
        CACHE,
        "cache-cache",
        drop_input("authToken"),
        "cache-cache",
    ),
    (
        "CKV_AWS_134-cache-snapshots-prod",
        "none",
        CACHE,
        "cache-cache",
        set_input("snapshotRetentionLimit", 0),
        "cache-cache",
    ),
    (
        "CKV2_AWS_50-cache-failover-with-replicas",
        "no-failover",
        CACHE,
        "cache-cache",
        set_input("automaticFailoverEnabled", False),
        "cache-cache",
    ),
    (
        "CKV2_AWS_50-cache-failover-with-replicas",
        "single-az",
        CACHE,
        "cache-cache",
        set_input("multiAzEnabled", False),
        "cache-cache",
    ),
    (
        "CKV_AWS_53-56-bucket-public-access-blocked",
        "policy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "uploads-public-access",
        set_input("blockPublicPolicy", False),
        "uploads-bucket",
    ),
    (
        "CKV_AWS_53-56-bucket-public-access-blocked",
        "acls",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "web-public-access",
        set_input("ignorePublicAcls", False),
        "web-bucket",
    ),
    (
        "CKV_AWS_19-bucket-encrypted",
        "no-rules",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "artifacts-encryption",
        set_input("rules", []),
        "artifacts-bucket",
    ),
    (
        "bucket-owner-enforced",
        "acls",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "uploads-ownership",
        set_input("rule.objectOwnership", "ObjectWriter"),
        "uploads-bucket",
    ),
    (
        "CKV_AWS_379-bucket-tls-only",
        "objects-uncovered",
        S3_POLICY,
        "uploads-policy",
        edit_json("policy", _bucket_only),
        "uploads-bucket",
    ),
    (
        "CKV_AWS_379-bucket-tls-only",
        "allows",
        S3_POLICY,
        "artifacts-policy",
        _statement(0, "Effect", "Allow"),
        "artifacts-bucket",
    ),
    (
        "CKV_AWS_379-bucket-tls-only",
        "site",
        S3_POLICY,
        "web-policy",
        _statement(1, "Condition", {}),
        "web-bucket",
    ),
    (
        "bucket-no-public-allow",
        "everyone",
        S3_POLICY,
        "web-policy",
        _statement(0, "Principal", "*"),
        "web-policy",
    ),
    (
        "bucket-no-public-allow",
        "other-distribution",
        S3_POLICY,
        "web-policy",
        _statement(
            0,
            "Condition",
            {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::999999999999:distribution/EOTHER"}},
        ),
        "web-policy",
    ),
    (
        "CKV_AWS_21-bucket-not-force-destroyed",
        "forced",
        BUCKET,
        "uploads-bucket",
        set_input("forceDestroy", True),
        "uploads-bucket",
    ),
    (
        "iam-no-wildcard-resources",
        "user",
        USER_POLICY,
        "uploads-user-policy",
        _statement(1, "Resource", "*"),
        "uploads-user-policy",
    ),
    (
        "iam-no-wildcard-resources",
        "task-role",
        POLICY,
        "api-task-buckets",
        _statement(0, "Resource", ["arn:aws:s3:::*"]),
        "api-task-buckets",
    ),
    (
        "CKV_AWS_249-separate-execution-and-task-roles",
        "same",
        TASK_DEFINITION,
        "api-task",
        lambda r, res: set_input("taskRoleArn", r.inputs["executionRoleArn"])(r, res),
        "api-task",
    ),
    (
        "CKV_AWS_334-container-not-privileged",
        "privileged",
        TASK_DEFINITION,
        "worker-task",
        _container(lambda c: c.update(privileged=True)),
        "worker-task",
    ),
    (
        "AWS-0036-secrets-from-ssm-only",
        "secret-in-environment",
        TASK_DEFINITION,
        "api-task",
        _container(_secret_into_environment),
        "api-task",
    ),
    (
        "AWS-0036-secrets-from-ssm-only",
        "token-named-variable",
        TASK_DEFINITION,
        "api-task",
        _container(lambda c: c["environment"].append({"name": "API_TOKEN", "value": "t"})),
        "api-task",
    ),
    (
        "AWS-0036-secrets-from-ssm-only",
        "value-not-a-parameter",
        TASK_DEFINITION,
        "worker-task",
        _container(lambda c: c["secrets"][0].update(valueFrom="postgresql://app:pw@db/app")),
        "worker-task",
    ),
    (
        "CKV_AWS_333-no-public-ip-behind-nat",
        "public-ip",
        ECS_SERVICE,
        "api-service",
        set_input("networkConfiguration.assignPublicIp", True),
        "api-service",
    ),
    (
        "execution-role-reads-only-its-parameters",
        "missing-one",
        POLICY,
        "api-execution-secrets",
        edit_json("policy", _drop_one_parameter),
        "api-task",
    ),
    (
        "CKV_AWS_131-alb-drops-invalid-headers",
        "kept",
        LB,
        "api-lb",
        set_input("dropInvalidHeaderFields", False),
        "api-lb",
    ),
    (
        "CKV_AWS_150-alb-deletion-protection-prod",
        "off",
        LB,
        "api-lb",
        set_input("enableDeletionProtection", False),
        "api-lb",
    ),
    (
        "CKV_AWS_103-https-listener-modern-tls",
        "tls-1-0",
        LISTENER,
        "api-https",
        set_input("sslPolicy", "ELBSecurityPolicy-2016-08"),
        "api-https",
    ),
    (
        "CKV2_AWS_20-http-listener-only-redirects",
        "forwards",
        LISTENER,
        "api-http",
        set_input("defaultActions", FORWARD),
        "api-http",
    ),
    (
        "CKV2_AWS_20-http-listener-only-redirects",
        "temporary",
        LISTENER,
        "api-http",
        set_input("defaultActions.0.redirect.statusCode", "HTTP_302"),
        "api-http",
    ),
    (
        "CKV_AWS_24-260-277-no-world-ingress-but-web-on-the-lb",
        "postgres-v4",
        INGRESS,
        "api-to-db",
        _also(drop_input("referencedSecurityGroupId"), set_input("cidrIpv4", "0.0.0.0/0")),
        "api-to-db",
    ),
    (
        "CKV_AWS_24-260-277-no-world-ingress-but-web-on-the-lb",
        "ssh-on-the-lb-v6",
        INGRESS,
        "api-lb-443-v6",
        _also(set_input("fromPort", 22), set_input("toPort", 22)),
        "api-lb-443-v6",
    ),
    (
        "CKV_AWS_24-260-277-no-world-ingress-but-web-on-the-lb",
        "all-protocols",
        INGRESS,
        "api-lb-80-v4",
        set_input("ipProtocol", "-1"),
        "api-lb-80-v4",
    ),
    (
        "CKV_AWS_24-260-277-no-world-ingress-but-web-on-the-lb",
        "tasks-v4",
        INGRESS,
        "api-tasks-from-lb",
        _also(drop_input("referencedSecurityGroupId"), set_input("cidrIpv4", "0.0.0.0/0")),
        "api-tasks-from-lb",
    ),
    (
        "CKV_AWS_24-260-277-no-world-ingress-but-web-on-the-lb",
        "inline-v6",
        SG,
        "db-sg",
        _inline_world_ingress,
        "db-sg",
    ),
    (
        "CKV2_AWS_12-data-stores-admit-task-groups-only",
        "from-the-lb",
        INGRESS,
        "api-to-db",
        _id_of(SG, "api-lb", "referencedSecurityGroupId"),
        "api-to-db",
    ),
    (
        "CKV2_AWS_12-data-stores-admit-task-groups-only",
        "all-ports",
        INGRESS,
        "worker-to-cache",
        _also(set_input("fromPort", 0), set_input("toPort", 65535)),
        "worker-to-cache",
    ),
    (
        "CKV2_AWS_12-data-stores-admit-task-groups-only",
        "from-a-cidr",
        INGRESS,
        "api-to-cache",
        _also(drop_input("referencedSecurityGroupId"), set_input("cidrIpv4", "10.0.0.0/8")),
        "api-to-cache",
    ),
    ("CKV2_AWS_12-data-stores-admit-task-groups-only", "inline", SG, "db-sg", _inline_world_ingress, "db-sg"),
    (
        "tasks-reachable-from-the-lb-only",
        "from-the-db",
        INGRESS,
        "api-tasks-from-lb",
        _id_of(SG, "db-sg", "referencedSecurityGroupId"),
        "api-tasks-from-lb",
    ),
    (
        "lb-egress-to-tasks-only",
        "anywhere",
        EGRESS,
        "api-lb-to-tasks",
        _also(drop_input("referencedSecurityGroupId"), set_input("cidrIpv4", "0.0.0.0/0")),
        "api-lb-to-tasks",
    ),
    (
        "CKV_AWS_34-cdn-redirects-to-https",
        "allow-all",
        CDN,
        "web-cdn",
        set_input("defaultCacheBehavior.viewerProtocolPolicy", "allow-all"),
        "web-cdn",
    ),
    (
        "CKV_AWS_174-cdn-tls-1-2-2021",
        "tls-1",
        CDN,
        "web-cdn",
        set_input("viewerCertificate.minimumProtocolVersion", "TLSv1"),
        "web-cdn",
    ),
    (
        "CKV_AWS_174-cdn-tls-1-2-2021",
        "default-certificate",
        CDN,
        "web-cdn",
        set_input("viewerCertificate.cloudfrontDefaultCertificate", True),
        "web-cdn",
    ),
    (
        "CKV2_AWS_46-cdn-origin-access-control",
        "none",
        CDN,
        "web-cdn",
        set_input("origins.0.originAccessControlId", ""),
        "web-cdn",
    ),
    ("stateful-protected-prod", "rds", RDS, "db-db", set_option(protect=False), "db-db"),
    ("stateful-protected-prod", "cache", CACHE, "cache-cache", set_option(protect=False), "cache-cache"),
    (
        "stateful-protected-prod",
        "bucket-not-retained",
        BUCKET,
        "web-bucket",
        set_option(retain_on_delete=False),
        "web-bucket",
    ),
    (
        "stateful-never-delete-before-replace",
        "rds",
        RDS,
        "db-db",
        set_option(delete_before_replace=True),
        "db-db",
    ),
]


@pytest.mark.parametrize("check_id", sorted(CONTROLS))
def test_the_example_passes_every_control(example, check_id):
    assert CONTROLS[check_id](example) == []


@pytest.mark.parametrize(
    ("check_id", "type_token", "name", "mutate", "offender"),
    [pytest.param(c, t, n, m, o, id=f"{c}:{what}") for c, what, t, n, m, o in BREAKS],
)
def test_each_control_catches_its_broken_copy(example, check_id, type_token, name, mutate, offender):
    assert CONTROLS[check_id](broken(example, type_token, name, mutate)) == [offender]


def test_every_control_has_a_failing_counterpart():
    assert {b[0] for b in BREAKS} == set(CONTROLS)


def test_a_broken_copy_leaves_the_plan_alone(example):
    copy = broken(example, RDS, "db-db", set_input("storageEncrypted", False))
    assert one(example, RDS).inputs["storageEncrypted"] is True
    assert one(copy, RDS).inputs["storageEncrypted"] is False


# --- security groups, exactly ------------------------------------------------------------


def _world(rule: Registration) -> str | None:
    cidrs = {rule.inputs.get("cidrIpv4"), rule.inputs.get("cidrIpv6")} & WORLD
    return cidrs.pop() if cidrs else None


def test_only_the_load_balancer_is_open_to_the_world_and_only_on_80_and_443(example):
    lb_group = one(example, SG, "api-lb")
    world = {
        (
            r.inputs["securityGroupId"],
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
            _world(r),
        )
        for r in example.registrations
        if r.type == INGRESS and _world(r)
    }
    assert world == {
        (lb_group.id, "tcp", port, port, cidr) for port in (80, 443) for cidr in ("0.0.0.0/0", "::/0")
    }
    # No group carries inline rules, which would bypass the standalone-rule checks above.
    assert all(
        "ingress" not in g.inputs and "egress" not in g.inputs for g in example.registrations if g.type == SG
    )


@pytest.mark.parametrize(("store", "group", "port"), [("db", "db-sg", 5432), ("cache", "cache-sg", 6379)])
def test_data_stores_admit_one_rule_per_linked_service_from_its_task_group(example, store, group, port):
    linked = sorted(n for n, s in example_config()["services"].items() if store in s.get("links", []))
    assert linked == ["api", "worker"]
    rules = ingress_into(example, one(example, SG, group))
    assert sorted(r.name for r in rules) == sorted(f"{n}-to-{store}" for n in linked)
    assert {
        (
            r.inputs["referencedSecurityGroupId"],
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in rules
    } == {(one(example, SG, f"{n}-tasks").id, "tcp", port, port) for n in linked}
    assert not any("cidrIpv4" in r.inputs or "cidrIpv6" in r.inputs for r in rules)


def test_an_unlinked_service_reaches_no_data_store(aws_plan):
    config = example_config()
    config["services"]["jobs"] = {
        "kind": "worker",
        "target": "aws",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["uploads"],
    }
    result = aws_plan(config, "prod")
    jobs = one(result, SG, "jobs-tasks")
    assert [r.name for r in result.registrations if r.type == INGRESS and jobs.id in r.inputs.values()] == []
    for group in ("db-sg", "cache-sg"):
        assert len(ingress_into(result, one(result, SG, group))) == 2
    assert CONTROLS["CKV2_AWS_12-data-stores-admit-task-groups-only"](result) == []


# --- stack-wide rules --------------------------------------------------------------------


def test_prod_protects_every_stateful_resource(example):
    stateful = [r for r in example.registrations if r.type in STATEFUL]
    assert sorted((r.type, r.name) for r in stateful) == [
        (CACHE, "cache-cache"),
        (RDS, "db-db"),
        (BUCKET, "artifacts-bucket"),
        (BUCKET, "uploads-bucket"),
        (BUCKET, "web-bucket"),
    ]
    assert all(r.protect for r in stateful)
    assert all(r.retain_on_delete for r in stateful if r.type == BUCKET)


def test_dev_protects_nothing(aws_plan):
    config = example_config() | {"environment": "dev"}
    result = aws_plan(config, "dev")
    stateful = [r for r in result.registrations if r.type in STATEFUL]
    assert len(stateful) == 5
    assert not any(r.protect or r.retain_on_delete for r in stateful)
    # The same control that passes on prod fails on every stateful resource here.
    assert sorted(CONTROLS["stateful-protected-prod"](result)) == sorted(r.name for r in stateful)


def test_no_secret_value_reaches_any_plain_input(example):
    # Secrets travel as "[secret]"; the redacted inputs of the whole plan hold none of them.
    text = json.dumps([r.inputs for r in example.registrations])
    assert example.secret_values and not any(v in text for v in example.secret_values)
    # …while the raw inputs do hold them, so the check above would catch a leak.
    raw = json.dumps([r.raw_inputs for r in example.registrations])
    assert any(v in raw for v in example.secret_values)


def test_the_api_gets_the_same_variable_names_as_on_hetzner(run_plan, aws_plan):
    env = {"LOG_LEVEL": "info"}
    hetzner = base_config()
    hetzner["services"]["api"]["env"] = env
    hetzner_names = set(env_of(run_plan(hetzner, stack="prod"), "main", "api"))
    aws = aws_config()
    aws["services"]["api"]["env"] = env
    definition = task_container(aws_plan(aws, "prod"), "api")
    environment = [e["name"] for e in definition["environment"]]
    secrets = [s["name"] for s in definition["secrets"]]
    assert len(environment + secrets) == len(set(environment + secrets))  # none delivered twice
    assert set(environment) | set(secrets) == hetzner_names
    assert set(secrets) == SECRET_VARS
    assert "LOG_LEVEL" in environment


def test_planning_the_aws_example_imports_neither_hcloud_nor_digitalocean():
    # A fresh interpreter: the test process itself has imported every SDK by now.
    code = (
        "import io, contextlib, sys\n"
        "from infra.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['plan', '--config', 'examples/aws.yaml']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('pulumi_')}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(ast.literal_eval(done.stdout.strip()))
    assert "pulumi_aws" in loaded
    # Neither VPS SDK, nor Cloudflare (DNS is Route 53) nor remote commands (no hosts).
    assert not loaded & {"pulumi_hcloud", "pulumi_digitalocean", "pulumi_cloudflare", "pulumi_command"}


def test_secret_variables_are_parameters_of_the_right_service(example):
    # Each service reads its own parameters: the worker's ARNs never appear in the api's task.
    api, worker = task_container(example, "api"), task_container(example, "worker")
    assert {s["valueFrom"] for s in api["secrets"]}.isdisjoint({s["valueFrom"] for s in worker["secrets"]})
    arns = {
        out(example, p, "arn")
        for p in example.registrations
        if p.type == "aws:ssm/parameter:Parameter" and p.name.startswith("api-")
    }
    assert {s["valueFrom"] for s in api["secrets"]} == arns

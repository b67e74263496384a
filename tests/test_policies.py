"""The data-safety policy pack (policies/controls/), Checkov style.

Every policy has passing and failing fixtures (minimal resources built like the engine
builds them, tests/policy_fakes.py) with the exact violation messages; the failing ones
report nothing once the values they read are unknown (preview). Then every policy runs over
the offline plan of every shipped stack (Pulumi.*.yaml, examples/*.yaml) with the stack's
environment: no mandatory violation.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pulumi_policy import EnforcementLevel, StackValidationPolicy
from pulumi_policy.policy import Policy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from multicloud.components._lib.stateful import STATEFUL_TYPES
from multicloud.components.connection import SECRET_VARS
from multicloud.policies import controls
from multicloud.policies.budget import budget_policy
from multicloud.policies.controls import (
    BUCKET_POLICY,
    CACHE,
    DISTRIBUTION,
    DO_APP,
    DO_DATABASE_CLUSTER,
    DO_DATABASE_FIREWALL,
    DO_DROPLET,
    DO_FIREWALL,
    DO_LOAD_BALANCER,
    DO_RESERVED_IP,
    DO_SPACES_BUCKET,
    DO_VOLUME,
    DYNAMIC,
    ECS_SERVICE,
    HCLOUD_FIREWALL,
    HCLOUD_FLOATING_IP,
    HCLOUD_SERVER,
    HCLOUD_VOLUME,
    INGRESS_RULE,
    POLICIES,
    PUBLIC_ACCESS_BLOCK,
    R2_CUSTOM_DOMAIN,
    R2_MANAGED_DOMAIN,
    RDS,
    RDS_PARAMETER_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    TASK_DEFINITION,
    VPS_HOST,
)
from tests.conftest import ROOT
from tests.policy_fakes import (
    Res,
    build,
    messages,
    plan_with_dependencies,
    policy_config,
    policy_view,
    run,
    stateless_hosts,
    unknown_leaves,
    unknown_top,
)

BY_NAME: dict[str, Policy] = {p.name: p for p in POLICIES}

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LISTENER = "aws:lb/listener:Listener"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"

DEV = {"environment": "dev"}
STAGING = {"environment": "staging"}
PROD = {"environment": "prod"}


@dataclass
class Case:
    policy: str
    id: str
    resources: list[Res]
    expected: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    skips_unknown: bool = True
    """The failure comes from values (not from an absent input, a missing resource or an
    option), so it disappears when those values are unknown."""


CASES: list[Case] = []


def case(policy: str, id_: str, resources: Res | list[Res], expected: list[str], **kw: Any) -> None:
    CASES.append(Case(policy, id_, resources if isinstance(resources, list) else [resources], expected, **kw))


# --- RDS -----------------------------------------------------------------------------------

RDS_GOOD = {
    "engine": "postgres",
    "engineVersion": "16",
    "storageEncrypted": True,
    "publiclyAccessible": False,
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "multicloud-prod-db-final",
    "deleteAutomatedBackups": False,
    "multiAz": True,
    "password": "not-a-real-password",
}


def rds(**changes: Any) -> Res:
    props = {**RDS_GOOD, **changes}
    return Res(RDS, {k: v for k, v in props.items() if v is not ...}, "db")


ENCRYPTED = "storage is not encrypted: set storageEncrypted=true (possible only when the instance is created)"
case("ckv-aws-16-rds-encrypted", "pass", rds(), [])
case("ckv-aws-16-rds-encrypted", "fail-false", rds(storageEncrypted=False), [ENCRYPTED])
case("ckv-aws-16-rds-encrypted", "fail-unset", rds(storageEncrypted=...), [ENCRYPTED], skips_unknown=False)
case("ckv-aws-16-rds-encrypted", "other-type-ignored", Res(CACHE, {"storageEncrypted": False}), [])


def public_rds(*sources: str, inline: list[str] | None = None, prefix_list: bool = False) -> list[Res]:
    """A publicly accessible instance, its security group (with `inline` ingress CIDRs) and one
    ingress rule per source: a CIDR, or `sg:` for a rule from another security group."""
    group = Res(
        SECURITY_GROUP,
        {
            "vpcId": "vpc-1",
            "ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": inline}]
            if inline
            else [],
        },
        "db-sg",
    )
    instance = rds(publiclyAccessible=True, vpcSecurityGroupIds=["sg-1"])
    instance.deps = {"vpcSecurityGroupIds": "db-sg"}
    rules = []
    for i, source in enumerate(sources):
        where = {"referencedSecurityGroupId": "sg-2"} if source == "sg:" else {"cidrIpv4": source}
        rule = Res(
            INGRESS_RULE,
            {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, **where},
            f"db-from-{i}",
        )
        rule.deps = {"securityGroupId": "db-sg"}
        rules.append(rule)
    if prefix_list:
        rule = Res(
            INGRESS_RULE,
            {
                "securityGroupId": "sg-1",
                "ipProtocol": "tcp",
                "fromPort": 5432,
                "toPort": 5432,
                "prefixListId": "pl-1",
            },
            "db-from-list",
        )
        rule.deps = {"securityGroupId": "db-sg"}
        rules.append(rule)
    return [group, instance, *rules]  # fmt: skip


def wide(sources: str) -> str:
    return (
        f"db: publiclyAccessible is true and security group db-sg admits {sources}; a public instance "
        "may admit single addresses (/32) only, else keep it private (publiclyAccessible=false, private subnets)"
    )


case("ckv-aws-17-rds-not-public", "pass", rds(), [])
case("ckv-aws-17-rds-not-public", "pass-unset-is-private", rds(publiclyAccessible=...), [])
# A cross-provider link (components/postgres/aws.py): the consumers' /32s and the tasks' group.
case(
    "ckv-aws-17-rds-not-public",
    "pass-single-addresses",
    public_rds("203.0.113.7/32", "198.51.100.9/32", "sg:"),
    [],
)
NOBODY_OUTSIDE = (
    "db: publiclyAccessible is true and no rule admits an address outside the VPC; keep the database "
    "private (publiclyAccessible=false, private subnets)"
)
case(
    "ckv-aws-17-rds-not-public", "fail-nothing-admitted", public_rds(), [NOBODY_OUTSIDE], skips_unknown=False
)
case(
    "ckv-aws-17-rds-not-public", "fail-groups-only", public_rds("sg:"), [NOBODY_OUTSIDE], skips_unknown=False
)
case(
    "ckv-aws-17-rds-not-public",
    "fail-a-network",
    public_rds("203.0.113.7/32", "203.0.113.0/24"),
    [wide("203.0.113.0/24")],
)
case("ckv-aws-17-rds-not-public", "fail-the-world", public_rds("0.0.0.0/0"), [wide("0.0.0.0/0")])
case(
    "ckv-aws-17-rds-not-public",
    "fail-inline-range",
    public_rds(inline=["10.0.0.0/16"]),
    [wide("10.0.0.0/16")],
)
case("ckv-aws-17-rds-not-public", "fail-prefix-list", public_rds(prefix_list=True), [wide("a prefix list")])


def with_default_group() -> list[Res]:
    """The instance also lists a group the stack does not manage (the VPC's default one)."""
    resources = public_rds("203.0.113.7/32")
    resources[1].props["vpcSecurityGroupIds"] = ["sg-1", "sg-default"]
    return resources


def with_a_stray_rule() -> list[Res]:
    """A rule whose group cannot be told (no dependency, an unknown id) may admit anything."""
    stray = Res(INGRESS_RULE, {"securityGroupId": UNKNOWN_STRING_VALUE, "ipProtocol": "tcp", "fromPort": 5432,
                               "toPort": 5432, "cidrIpv4": "0.0.0.0/0"}, "stray")  # fmt: skip
    return [*public_rds("203.0.113.7/32"), stray]


CANNOT_TELL = (
    "db: publiclyAccessible is true and its security groups cannot be told; keep the database private "
    "(publiclyAccessible=false, private subnets)"
)
case(
    "ckv-aws-17-rds-not-public",
    "fail-a-group-it-cannot-see",
    with_default_group(),
    [CANNOT_TELL],
    skips_unknown=False,
)
case(
    "ckv-aws-17-rds-not-public",
    "fail-a-rule-of-no-known-group",
    with_a_stray_rule(),
    [CANNOT_TELL],
    skips_unknown=False,
)
case(
    "ckv-aws-17-rds-not-public",
    "fail-groups-unknown",
    rds(publiclyAccessible=True),
    [("db: publiclyAccessible is true and its security groups cannot be told; keep the database private "
     "(publiclyAccessible=false, private subnets)")],
    skips_unknown=False,
)  # fmt: skip


def force_ssl_stack(value: str = "1", **db: Any) -> list[Res]:
    group = Res(
        RDS_PARAMETER_GROUP,
        {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": value}]},
        "db-params",
    )
    instance = rds(parameterGroupName="db-params-1013", **db)
    instance.deps = {"parameterGroupName": "db-params"}
    return [group, instance]


case("ckv2-aws-69-rds-force-ssl", "pass-dependency", force_ssl_stack(), [])
case(
    "ckv2-aws-69-rds-force-ssl",
    "pass-explicit-name",
    [
        Res(
            RDS_PARAMETER_GROUP,
            {"name": "pg-tls", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
            "g",
        ),
        rds(parameterGroupName="pg-tls"),
    ],
    [],
)
case("ckv2-aws-69-rds-force-ssl", "pass-not-postgres", rds(engine="mysql"), [])
case(
    "ckv2-aws-69-rds-force-ssl",
    "fail-force-ssl-0",
    force_ssl_stack("0"),
    ["db: parameter group db-params does not set rds.force_ssl=1"],
)
case(
    "ckv2-aws-69-rds-force-ssl",
    "fail-default-group",
    rds(),
    ["db: uses the engine's default parameter group; attach a parameter group that sets rds.force_ssl=1"],
)
case(
    "ckv2-aws-69-rds-force-ssl",
    "fail-group-outside-stack",
    rds(parameterGroupName="default.postgres16"),
    ["db: parameter group default.postgres16 is not in this stack, so rds.force_ssl=1 cannot be confirmed"],
)

case("ckv-aws-133-rds-backup-retention-7", "pass-7", rds(), [], config=PROD)
case("ckv-aws-133-rds-backup-retention-7", "pass-35", rds(backupRetentionPeriod=35), [], config=PROD)
case("ckv-aws-133-rds-backup-retention-7", "pass-dev-1", rds(backupRetentionPeriod=1), [], config=DEV)
case(
    "ckv-aws-133-rds-backup-retention-7",
    "fail-1-default-env-is-prod",
    rds(backupRetentionPeriod=1),
    ["backupRetentionPeriod is 1; prod keeps at least 7 days"],
)
case(
    "ckv-aws-133-rds-backup-retention-7",
    "fail-unset",
    rds(backupRetentionPeriod=...),
    ["backupRetentionPeriod is not set (the API keeps 1 day); prod keeps at least 7 days"],
    config=PROD,
    skips_unknown=False,
)

case("ckv-aws-293-rds-deletion-protection", "pass", rds(), [], config=PROD)
case("ckv-aws-293-rds-deletion-protection", "pass-staging", rds(deletionProtection=False), [], config=STAGING)
case(
    "ckv-aws-293-rds-deletion-protection",
    "fail",
    rds(deletionProtection=False),
    ["deletionProtection must be true in prod"],
    config=PROD,
)

SKIP_FINAL = "skipFinalSnapshot must be false in prod: deleting the instance keeps a snapshot"
FINAL_ID = "finalSnapshotIdentifier must be set in prod (the final snapshot's name)"
AUTOMATED = "deleteAutomatedBackups must be false in prod: the default deletes the backups with the instance"
case("rds-backups-outlive-instance", "pass", rds(), [], config=PROD)
case(
    "rds-backups-outlive-instance",
    "pass-dev",
    rds(skipFinalSnapshot=True, deleteAutomatedBackups=True),
    [],
    config=DEV,
)
case(
    "rds-backups-outlive-instance",
    "fail-skip-and-delete",
    rds(skipFinalSnapshot=True, deleteAutomatedBackups=True),
    [SKIP_FINAL, AUTOMATED],
    config=PROD,
)
case(
    "rds-backups-outlive-instance",
    "fail-no-identifier",
    rds(finalSnapshotIdentifier=""),
    [FINAL_ID],
    config=PROD,
)
case(
    "rds-backups-outlive-instance",
    "fail-unset",
    rds(skipFinalSnapshot=..., finalSnapshotIdentifier=..., deleteAutomatedBackups=...),
    [FINAL_ID, AUTOMATED],
    config=PROD,
    skips_unknown=False,
)

case("ckv-aws-157-rds-multi-az", "pass", rds(), [], config=PROD)
case("ckv-aws-157-rds-multi-az", "pass-dev", rds(multiAz=False), [], config=DEV)
case(
    "ckv-aws-157-rds-multi-az",
    "fail",
    rds(multiAz=False),
    ["multiAz is not enabled: a prod database has no standby in a second zone"],
    config=PROD,
)

# --- ElastiCache ---------------------------------------------------------------------------

CACHE_GOOD = {
    "engine": "valkey",
    "atRestEncryptionEnabled": True,
    "transitEncryptionEnabled": True,
    "authToken": "a-generated-auth-token",
    "snapshotRetentionLimit": 7,
}


def cache_group(**changes: Any) -> Res:
    props = {**CACHE_GOOD, **changes}
    return Res(CACHE, {k: v for k, v in props.items() if v is not ...}, "cache")


AT_REST = "atRestEncryptionEnabled must be true (possible only when the replication group is created)"
case("ckv-aws-29-elasticache-at-rest", "pass", cache_group(), [])
case("ckv-aws-29-elasticache-at-rest", "fail", cache_group(atRestEncryptionEnabled=False), [AT_REST])
case(
    "ckv-aws-29-elasticache-at-rest",
    "fail-unset",
    cache_group(atRestEncryptionEnabled=...),
    [AT_REST],
    skips_unknown=False,
)

IN_TRANSIT = "transitEncryptionEnabled must be true: clients connect over TLS only"
case("ckv-aws-30-elasticache-in-transit", "pass", cache_group(), [])
case("ckv-aws-30-elasticache-in-transit", "fail", cache_group(transitEncryptionEnabled=False), [IN_TRANSIT])

NO_AUTH = "no authToken (or userGroupIds): any client that reaches the port can read and write"
case("ckv-aws-31-elasticache-auth-token", "pass", cache_group(), [])
case("ckv-aws-31-elasticache-auth-token", "pass-rbac", cache_group(authToken=..., userGroupIds=["ug"]), [])
case("ckv-aws-31-elasticache-auth-token", "fail-empty", cache_group(authToken=""), [NO_AUTH])
case(
    "ckv-aws-31-elasticache-auth-token",
    "fail-unset",
    cache_group(authToken=...),
    [NO_AUTH],
    skips_unknown=False,
)

case("ckv-aws-134-elasticache-snapshots", "pass", cache_group(), [], config=PROD)
case("ckv-aws-134-elasticache-snapshots", "pass-dev", cache_group(snapshotRetentionLimit=0), [], config=DEV)
case(
    "ckv-aws-134-elasticache-snapshots",
    "fail-0",
    cache_group(snapshotRetentionLimit=0),
    ["snapshotRetentionLimit is 0 (no snapshots); prod keeps at least 1 day"],
    config=PROD,
)
case(
    "ckv-aws-134-elasticache-snapshots",
    "fail-unset",
    cache_group(snapshotRetentionLimit=...),
    ["snapshotRetentionLimit is not set (no snapshots); prod keeps at least 1 day"],
    config=PROD,
    skips_unknown=False,
)

# --- S3 ------------------------------------------------------------------------------------

FLAGS = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def bucket(explicit: str | None = None, **props: Any) -> Res:
    return Res(
        BUCKET,
        {"forceDestroy": False, **({"bucket": explicit} if explicit else {}), **props},
        "uploads-bucket",
    )


def attached(type_: str, name: str, props: dict[str, Any]) -> Res:
    """A configuration resource pointing at uploads-bucket through its id (a dependency)."""
    return Res(type_, {"bucket": "uploads-bucket-49c1444", **props}, name, deps={"bucket": "uploads-bucket"})


case(
    "ckv-aws-53-56-s3-public-access-block",
    "pass-dependency",
    [bucket(), attached(PUBLIC_ACCESS_BLOCK, "uploads-public-access", FLAGS)],
    [],
)
case(
    "ckv-aws-53-56-s3-public-access-block",
    "pass-explicit-name",
    [bucket("acme-uploads"), Res(PUBLIC_ACCESS_BLOCK, {"bucket": "acme-uploads", **FLAGS}, "pab")],
    [],
)
case(
    "ckv-aws-53-56-s3-public-access-block",
    "fail-flags",
    [
        bucket(),
        attached(
            PUBLIC_ACCESS_BLOCK,
            "uploads-public-access",
            {"blockPublicAcls": True, "blockPublicPolicy": False, "ignorePublicAcls": True},
        ),
    ],
    ["uploads-public-access: blockPublicPolicy, restrictPublicBuckets must be true"],
    skips_unknown=False,  # restrictPublicBuckets is absent
)
case(
    "ckv-aws-53-56-s3-public-access-block",
    "fail-flag-false",
    [bucket(), attached(PUBLIC_ACCESS_BLOCK, "uploads-public-access", {**FLAGS, "ignorePublicAcls": False})],
    ["uploads-public-access: ignorePublicAcls must be true"],
)
NO_PAB = (
    "uploads-bucket: no public access block; add one with all four flags true "
    "(blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets)"
)
case("ckv-aws-53-56-s3-public-access-block", "fail-missing", [bucket()], [NO_PAB], skips_unknown=False)
case(
    "ckv-aws-53-56-s3-public-access-block",
    "fail-block-for-another-bucket",
    [bucket("acme-uploads"), Res(PUBLIC_ACCESS_BLOCK, {"bucket": "acme-logs", **FLAGS}, "pab")],
    [NO_PAB],
    skips_unknown=False,
)

AES = {
    "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}]
}
case("ckv-aws-19-s3-encryption", "pass", [bucket(), attached(SSE, "uploads-encryption", AES)], [])
case(
    "ckv-aws-19-s3-encryption",
    "pass-kms",
    [
        bucket(),
        attached(
            SSE,
            "uploads-encryption",
            {
                "rules": [
                    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"}}
                ]
            },
        ),
    ],
    [],
)
case("ckv-aws-19-s3-encryption", "pass-inline", bucket(serverSideEncryptionConfiguration=AES), [])
case(
    "ckv-aws-19-s3-encryption",
    "fail-missing",
    [bucket()],
    [
        (
            "uploads-bucket: no server-side encryption configuration; "
            "add a BucketServerSideEncryptionConfiguration (AES256 or aws:kms)"
        )
    ],
    skips_unknown=False,
)
case(
    "ckv-aws-19-s3-encryption",
    "fail-no-algorithm",
    [
        bucket(),
        attached(
            SSE,
            "uploads-encryption",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "DES"}}]},
        ),
    ],
    [
        (
            "uploads-encryption: no rule sets applyServerSideEncryptionByDefault.sseAlgorithm "
            "(AES256, aws:kms or aws:kms:dsse)"
        )
    ],
)


def tls_policy_document(name: str, resources: list[str] | None = None, secure: str = "false") -> str:
    arn = f"arn:aws:s3:::{name}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudFrontReadsThroughOAC",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"{arn}/*",
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources if resources is not None else [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": secure}},
                },
            ],
        }
    )


NO_TLS = (
    "uploads-bucket: no bucket policy denies requests without TLS "
    "(Deny s3:* to * on the bucket and its objects when aws:SecureTransport is false)"
)
case(
    "s3-tls-only",
    "pass-dependency",
    [
        bucket(),
        attached(BUCKET_POLICY, "uploads-policy", {"policy": tls_policy_document("uploads-bucket-49c1444")}),
    ],
    [],
)
case(
    "s3-tls-only",
    "pass-explicit-name",
    [
        bucket("acme-uploads"),
        Res(BUCKET_POLICY, {"bucket": "acme-uploads", "policy": tls_policy_document("acme-uploads")}, "p"),
    ],
    [],
)
case("s3-tls-only", "fail-no-policy", [bucket()], [NO_TLS], skips_unknown=False)
case(
    "s3-tls-only",
    "fail-objects-only",
    [
        bucket("acme-uploads"),
        Res(
            BUCKET_POLICY,
            {
                "bucket": "acme-uploads",
                "policy": tls_policy_document("acme-uploads", ["arn:aws:s3:::acme-uploads/*"]),
            },
            "p",
        ),
    ],
    [NO_TLS],
)
case(
    "s3-tls-only",
    "fail-wrong-condition",
    [
        bucket("acme-uploads"),
        Res(
            BUCKET_POLICY,
            {"bucket": "acme-uploads", "policy": tls_policy_document("acme-uploads", secure="true")},
            "p",
        ),
    ],
    [NO_TLS],
)
case(
    "s3-tls-only",
    "fail-another-bucket",
    [
        bucket("acme-uploads"),
        Res(BUCKET_POLICY, {"bucket": "acme-uploads", "policy": tls_policy_document("acme-logs")}, "p"),
    ],
    [NO_TLS],
)

NOT_VERSIONED = (
    "uploads-bucket: versioning is not enabled; overwritten or deleted objects cannot be recovered"
)
case(
    "ckv-aws-21-s3-versioning",
    "pass",
    [
        bucket(),
        attached(VERSIONING, "uploads-versioning", {"versioningConfiguration": {"status": "Enabled"}}),
    ],
    [],
)
case(
    "ckv-aws-21-s3-versioning",
    "fail-suspended",
    [
        bucket(),
        attached(VERSIONING, "uploads-versioning", {"versioningConfiguration": {"status": "Suspended"}}),
    ],
    [NOT_VERSIONED],
)
case("ckv-aws-21-s3-versioning", "fail-missing", [bucket()], [NOT_VERSIONED], skips_unknown=False)

FORCE_DESTROY = "forceDestroy must be false in prod: it deletes every object with the bucket"
case("s3-no-force-destroy", "pass", bucket(), [], config=PROD)
case("s3-no-force-destroy", "pass-dev", bucket(forceDestroy=True), [], config=DEV)
case("s3-no-force-destroy", "fail", bucket(forceDestroy=True), [FORCE_DESTROY], config=PROD)

# --- load balancer -------------------------------------------------------------------------

REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api"}
HTTPS_LISTENER = {
    "protocol": "HTTPS",
    "port": 443,
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "certificateArn": "arn:aws:acm:us-east-1:1:certificate/x",
    "defaultActions": [FORWARD],
}


def listener(**props: Any) -> Res:
    return Res(LISTENER, {k: v for k, v in props.items() if v is not ...}, "api-listener")


HTTP_ONLY_REDIRECTS = "defaultActions[0] is forward; an HTTP listener may only redirect to HTTPS"
case(
    "ckv-aws-2-alb-https-redirect", "pass", listener(protocol="HTTP", port=80, defaultActions=[REDIRECT]), []
)
case("ckv-aws-2-alb-https-redirect", "pass-https-forwards", listener(**HTTPS_LISTENER), [])
case(
    "ckv-aws-2-alb-https-redirect",
    "fail-forward",
    listener(protocol="HTTP", port=80, defaultActions=[FORWARD]),
    [HTTP_ONLY_REDIRECTS],
)
case(
    "ckv-aws-2-alb-https-redirect",
    "fail-unset-protocol-is-http",
    listener(port=80, defaultActions=[FORWARD]),
    [HTTP_ONLY_REDIRECTS],
)
case(
    "ckv-aws-2-alb-https-redirect",
    "fail-redirect-to-http",
    listener(protocol="HTTP", port=80, defaultActions=[{"type": "redirect", "redirect": {"port": "8080"}}]),
    ["defaultActions[0] redirects to the same protocol; it must redirect to HTTPS"],
)

OUTDATED = (
    "sslPolicy {} allows outdated TLS; use ELBSecurityPolicy-TLS13-1-2-2021-06 "
    "(or another ELBSecurityPolicy-TLS13-1-2/1-3 policy without -Ext)"
)
case("ckv-aws-103-alb-tls-policy", "pass", listener(**HTTPS_LISTENER), [])
case(
    "ckv-aws-103-alb-tls-policy",
    "pass-tls13-only",
    listener(**{**HTTPS_LISTENER, "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}),
    [],
)
case(
    "ckv-aws-103-alb-tls-policy",
    "pass-restricted",
    listener(**{**HTTPS_LISTENER, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"}),
    [],
)
case(
    "ckv-aws-103-alb-tls-policy",
    "pass-http",
    listener(protocol="HTTP", port=80, defaultActions=[REDIRECT]),
    [],
)
case(
    "ckv-aws-103-alb-tls-policy",
    "fail-2016",
    listener(**{**HTTPS_LISTENER, "sslPolicy": "ELBSecurityPolicy-2016-08"}),
    [OUTDATED.format("ELBSecurityPolicy-2016-08")],
)
case(
    "ckv-aws-103-alb-tls-policy",
    "fail-ext",
    listener(**{**HTTPS_LISTENER, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06"}),
    [OUTDATED.format("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06")],
)
case(
    "ckv-aws-103-alb-tls-policy",
    "fail-tls13-1-1",
    listener(**{**HTTPS_LISTENER, "sslPolicy": "ELBSecurityPolicy-TLS13-1-1-2021-06"}),
    [OUTDATED.format("ELBSecurityPolicy-TLS13-1-1-2021-06")],
)
case(
    "ckv-aws-103-alb-tls-policy",
    "fail-unset",
    listener(**{**HTTPS_LISTENER, "sslPolicy": ...}),
    ["sslPolicy is not set; use ELBSecurityPolicy-TLS13-1-2-2021-06"],
)

ALB_GOOD = {
    "loadBalancerType": "application",
    "internal": False,
    "dropInvalidHeaderFields": True,
    "enableDeletionProtection": True,
}
DROP_HEADERS = "dropInvalidHeaderFields must be true: headers with invalid names reach the targets otherwise"
case("ckv-aws-131-alb-drop-invalid-headers", "pass", Res(LOAD_BALANCER, ALB_GOOD, "lb"), [])
case(
    "ckv-aws-131-alb-drop-invalid-headers",
    "pass-network-lb",
    Res(LOAD_BALANCER, {"loadBalancerType": "network"}, "nlb"),
    [],
)
case(
    "ckv-aws-131-alb-drop-invalid-headers",
    "fail",
    Res(LOAD_BALANCER, {**ALB_GOOD, "dropInvalidHeaderFields": False}, "lb"),
    [DROP_HEADERS],
)
case(
    "ckv-aws-131-alb-drop-invalid-headers",
    "fail-unset-type-is-application",
    Res(LOAD_BALANCER, {"internal": False}, "lb"),
    [DROP_HEADERS],
    skips_unknown=False,
)

case("ckv-aws-150-alb-deletion-protection", "pass", Res(LOAD_BALANCER, ALB_GOOD, "lb"), [], config=PROD)
case(
    "ckv-aws-150-alb-deletion-protection",
    "pass-dev",
    Res(LOAD_BALANCER, {**ALB_GOOD, "enableDeletionProtection": False}, "lb"),
    [],
    config=DEV,
)
case(
    "ckv-aws-150-alb-deletion-protection",
    "fail",
    Res(LOAD_BALANCER, {**ALB_GOOD, "enableDeletionProtection": False}, "lb"),
    ["enableDeletionProtection must be true in prod"],
    config=PROD,
)

# --- ECS -----------------------------------------------------------------------------------

CONTAINER = {
    "name": "api",
    "image": "ghcr.io/acme/api:1.4.2",
    "essential": True,
    "privileged": False,
    "readonlyRootFilesystem": True,
    "environment": [
        {"name": "PGHOST", "value": "db.c1.us-east-1.rds.amazonaws.com"},
        {"name": "S3_ENDPOINT", "value": "https://s3.us-east-1.amazonaws.com"},
        {"name": "TOKENIZERS_PARALLELISM", "value": "false"},
        {"name": "CACHE_KEY_PREFIX", "value": "api:"},
        {"name": "SENTRY_DSN", "value": "https://public@o1.ingest.sentry.io/2"},
    ],
    "secrets": [{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/x"}],
}


def task(*containers: dict[str, Any], **props: Any) -> Res:
    return Res(TASK_DEFINITION, {"containerDefinitions": json.dumps(list(containers)), **props}, "api-task")


def env(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {**CONTAINER, "environment": [{"name": n, "value": v} for n, v in pairs]}


case("ckv-aws-336-ecs-read-only-root", "pass", task(CONTAINER), [])
case(
    "ckv-aws-336-ecs-read-only-root",
    "fail",
    task({**CONTAINER, "readonlyRootFilesystem": False}, {"name": "sidecar", "image": "x"}),
    [
        "container api: readonlyRootFilesystem should be true",
        "container sidecar: readonlyRootFilesystem should be true",
    ],
    skips_unknown=True,
)

case("ckv-aws-334-ecs-not-privileged", "pass", task(CONTAINER), [])
case("ckv-aws-334-ecs-not-privileged", "pass-unset", task({"name": "api", "image": "x"}), [])
case(
    "ckv-aws-334-ecs-not-privileged",
    "fail",
    task({**CONTAINER, "privileged": True}),
    ["container api: privileged must not be true"],
)

case("ckv-aws-335-ecs-no-host-pid", "pass", task(CONTAINER), [])
case("ckv-aws-335-ecs-no-host-pid", "pass-task", task(CONTAINER, pidMode="task"), [])
case(
    "ckv-aws-335-ecs-no-host-pid",
    "fail",
    task(CONTAINER, pidMode="host"),
    ["pidMode is host: containers would see every process of the host; leave it unset"],
)


def secret_in_env(name: str) -> str:
    return (
        f"container api: environment variable {name} is a secret; "
        "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)"
    )


case("aws-0036-no-secrets-in-environment", "pass", task(CONTAINER), [])
for variable in sorted(SECRET_VARS):
    case(
        "aws-0036-no-secrets-in-environment",
        f"fail-contract-{variable}",
        task(env(("PGHOST", "db"), (variable, "x"))),
        [secret_in_env(variable)],
    )
case(
    "aws-0036-no-secrets-in-environment",
    "fail-secret-names",
    task(
        env(("STRIPE_SECRET_KEY", "sk"), ("SMTP_PASSWORD", "p"), ("GITHUB_TOKEN", "t"), ("LOG_LEVEL", "info"))
    ),
    [secret_in_env("STRIPE_SECRET_KEY"), secret_in_env("SMTP_PASSWORD"), secret_in_env("GITHUB_TOKEN")],
)
case(
    "aws-0036-no-secrets-in-environment",
    "fail-url-with-password",
    task(
        env(
            ("DB", "postgresql://app:hunter2@db:5432/app?sslmode=require"),
            ("CACHE", "rediss://:hunter2@cache:6379"),
        )
    ),
    [
        (
            "container api: environment variable DB holds a password or key; "
            "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)"
        ),
        (
            "container api: environment variable CACHE holds a password or key; "
            "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)"
        ),
    ],
)

case(
    "ckv-aws-333-ecs-no-public-ip",
    "pass",
    Res(ECS_SERVICE, {"networkConfiguration": {"assignPublicIp": False}}),
    [],
)
case(
    "ckv-aws-333-ecs-no-public-ip",
    "fail",
    Res(ECS_SERVICE, {"networkConfiguration": {"assignPublicIp": True, "subnets": ["subnet-1"]}}),
    ["assignPublicIp is true: tasks get public addresses; run them in private subnets"],
)

# --- CloudFront ----------------------------------------------------------------------------

DISTRIBUTION_GOOD = {
    "enabled": True,
    "defaultCacheBehavior": {"targetOriginId": "site", "viewerProtocolPolicy": "redirect-to-https"},
    "orderedCacheBehaviors": [{"pathPattern": "/api/*", "viewerProtocolPolicy": "https-only"}],
    "viewerCertificate": {
        "acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/web",
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    },
    "origins": [
        {
            "originId": "site",
            "domainName": "web-bucket-9eb442b.s3.us-east-1.amazonaws.com",
            "originAccessControlId": "oac-1",
        },
        {
            "originId": "api",
            "domainName": "api.example.com",
            "customOriginConfig": {"originProtocolPolicy": "https-only"},
        },
    ],
}


def distribution(**changes: Any) -> Res:
    return Res(DISTRIBUTION, {**DISTRIBUTION_GOOD, **changes}, "web-cdn")


case("ckv-aws-34-cloudfront-https", "pass", distribution(), [])
case(
    "ckv-aws-34-cloudfront-https",
    "fail-default",
    distribution(defaultCacheBehavior={"targetOriginId": "site", "viewerProtocolPolicy": "allow-all"}),
    ["defaultCacheBehavior.viewerProtocolPolicy is allow-all; use redirect-to-https or https-only"],
)
case(
    "ckv-aws-34-cloudfront-https",
    "fail-ordered",
    distribution(
        orderedCacheBehaviors=[
            {"pathPattern": "/a/*", "viewerProtocolPolicy": "https-only"},
            {"pathPattern": "/b/*", "viewerProtocolPolicy": "allow-all"},
        ]
    ),
    ["orderedCacheBehaviors[1].viewerProtocolPolicy is allow-all; use redirect-to-https or https-only"],
)

case("ckv-aws-174-cloudfront-tls12", "pass", distribution(), [])
case(
    "ckv-aws-174-cloudfront-tls12",
    "pass-tls13",
    distribution(viewerCertificate={"acmCertificateArn": "a", "minimumProtocolVersion": "TLSv1.3_2025"}),
    [],
)
case(
    "ckv-aws-174-cloudfront-tls12",
    "fail-2019",
    distribution(viewerCertificate={"acmCertificateArn": "a", "minimumProtocolVersion": "TLSv1.2_2019"}),
    ["viewerCertificate.minimumProtocolVersion is TLSv1.2_2019; use TLSv1.2_2021 or newer"],
)
case(
    "ckv-aws-174-cloudfront-tls12",
    "fail-default-certificate",
    distribution(viewerCertificate={"cloudfrontDefaultCertificate": True}),
    [
        (
            "the default CloudFront certificate accepts TLS 1.0; use an ACM certificate "
            "with minimumProtocolVersion TLSv1.2_2021"
        )
    ],
)

case("ckv2-aws-46-cloudfront-s3-origin-access", "pass", distribution(), [])
case(
    "ckv2-aws-46-cloudfront-s3-origin-access",
    "pass-legacy-identity",
    distribution(
        origins=[
            {
                "originId": "site",
                "domainName": "b.s3.amazonaws.com",
                "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E1"},
            }
        ]
    ),
    [],
)
case(
    "ckv2-aws-46-cloudfront-s3-origin-access",
    "fail",
    distribution(
        origins=[{"originId": "site", "domainName": "web-bucket-9eb442b.s3.us-east-1.amazonaws.com"}]
    ),
    [
        (
            "origins[0] (site) reads an S3 bucket without origin access control; "
            "set originAccessControlId and keep the bucket private"
        )
    ],
)

# --- ingress -------------------------------------------------------------------------------

ALL_GUARDED = "22 (SSH), 5432 (PostgreSQL), 6379 (Redis)"


def ingress(**props: Any) -> Res:
    return Res(INGRESS_RULE, {"securityGroupId": "sg-1", **props}, "rule")


HCLOUD_RULES = [
    {"direction": "in", "protocol": "tcp", "port": "80", "sourceIps": ["0.0.0.0/0", "::/0"]},
    {"direction": "in", "protocol": "tcp", "port": "443", "sourceIps": ["0.0.0.0/0", "::/0"]},
    {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ["203.0.113.0/24", "2001:db8:42::/48"]},
    {"direction": "in", "protocol": "icmp", "sourceIps": ["0.0.0.0/0", "::/0"]},
    {"direction": "out", "protocol": "tcp", "port": "any", "destinationIps": ["0.0.0.0/0", "::/0"]},
]


def firewall(*rules: dict[str, Any]) -> Res:
    return Res(HCLOUD_FIREWALL, {"rules": list(rules)}, "main-firewall")


case(
    "no-world-ingress-admin-and-data-ports",
    "pass",
    [
        ingress(ipProtocol="tcp", fromPort=443, toPort=443, cidrIpv4="0.0.0.0/0"),
        ingress(ipProtocol="tcp", fromPort=22, toPort=22, cidrIpv4="203.0.113.0/24"),
        ingress(ipProtocol="tcp", fromPort=5432, toPort=5432, referencedSecurityGroupId="sg-app"),
        ingress(ipProtocol="icmp", fromPort=-1, toPort=-1, cidrIpv6="::/0"),
        firewall(*HCLOUD_RULES),
        Res(
            SECURITY_GROUP,
            {"ingress": [{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["10.0.0.0/8"]}]},
        ),
    ],
    [],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-ssh-v4",
    ingress(ipProtocol="tcp", fromPort=22, toPort=22, cidrIpv4="0.0.0.0/0"),
    ["opens 22 (SSH) to the whole internet (0.0.0.0/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-postgres-v6",
    ingress(ipProtocol="tcp", fromPort=5432, toPort=5432, cidrIpv6="::/0"),
    ["opens 5432 (PostgreSQL) to the whole internet (::/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-range",
    ingress(ipProtocol="6", fromPort=1000, toPort=7000, cidrIpv4="0.0.0.0/0"),
    ["opens 5432 (PostgreSQL), 6379 (Redis) to the whole internet (0.0.0.0/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-all-protocols",
    ingress(ipProtocol="-1", cidrIpv4="0.0.0.0/0"),
    [f"opens {ALL_GUARDED} to the whole internet (0.0.0.0/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-inline-all",
    Res(
        SECURITY_GROUP,
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                {
                    "protocol": "all",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                    "ipv6CidrBlocks": ["::/0"],
                },
            ]
        },
    ),
    [f"ingress[1] opens {ALL_GUARDED} to the whole internet (0.0.0.0/0, ::/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-security-group-rule",
    Res(
        SECURITY_GROUP_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 6379, "toPort": 6379, "ipv6CidrBlocks": ["::/0"]},
    ),
    ["opens 6379 (Redis) to the whole internet (::/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-hcloud-range",
    firewall(
        *HCLOUD_RULES[:2], {"direction": "in", "protocol": "tcp", "port": "1-65535", "sourceIps": ["::/0"]}
    ),
    [f"rules[2] opens {ALL_GUARDED} to the whole internet (::/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-hcloud-ssh",
    firewall({"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ["0.0.0.0/0", "::/0"]}),
    ["rules[0] opens 22 (SSH) to the whole internet (0.0.0.0/0, ::/0)"],
)

# DigitalOcean firewalls: inboundRules with a portRange string, as components/host/digitalocean.py makes them.
DO_INBOUND = [
    {"protocol": "tcp", "portRange": "80", "sourceAddresses": ["0.0.0.0/0", "::/0"]},
    {"protocol": "tcp", "portRange": "443", "sourceAddresses": ["0.0.0.0/0", "::/0"]},
    {"protocol": "tcp", "portRange": "22", "sourceAddresses": ["198.51.100.0/28"]},
    {"protocol": "icmp", "sourceAddresses": ["0.0.0.0/0", "::/0"]},
]
DO_OUTBOUND = [
    {"protocol": "tcp", "portRange": "1-65535", "destinationAddresses": ["0.0.0.0/0", "::/0"]},
    {"protocol": "udp", "portRange": "all", "destinationAddresses": ["0.0.0.0/0", "::/0"]},
]


def do_firewall(*rules: dict[str, Any]) -> Res:
    return Res(
        DO_FIREWALL,
        {
            "name": "multicloud-prod-edge",
            "tags": ["multicloud-prod-edge"],
            "inboundRules": list(rules),
            "outboundRules": DO_OUTBOUND,
        },
        "edge-firewall",
    )


def do_rule(port: str | None, *sources: str, protocol: str = "tcp") -> dict[str, Any]:
    rule: dict[str, Any] = {"protocol": protocol, "sourceAddresses": list(sources)}
    if port is not None:
        rule["portRange"] = port
    return rule


case("no-world-ingress-admin-and-data-ports", "pass-digitalocean", do_firewall(*DO_INBOUND), [])
case(
    "no-world-ingress-admin-and-data-ports",
    "pass-digitalocean-world-outbound-and-private-sources",
    do_firewall(
        do_rule("1-65535", "10.110.0.0/20"),
        do_rule("5432", "198.51.100.7/32"),
        {"protocol": "tcp", "portRange": "6379", "sourceTags": ["multicloud-prod"]},
        do_rule(None, "0.0.0.0/0", protocol="icmp"),
    ),
    [],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-digitalocean-ssh",
    do_firewall(*DO_INBOUND[:2], do_rule("22", "0.0.0.0/0", "::/0")),
    ["inboundRules[2] opens 22 (SSH) to the whole internet (0.0.0.0/0, ::/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-digitalocean-full-range",
    do_firewall(do_rule("1-65535", "::/0")),
    [f"inboundRules[0] opens {ALL_GUARDED} to the whole internet (::/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-digitalocean-all",
    do_firewall(*DO_INBOUND[:2], do_rule("all", "0.0.0.0/0", protocol="udp")),
    [f"inboundRules[2] opens {ALL_GUARDED} to the whole internet (0.0.0.0/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-digitalocean-zero-means-every-port",
    do_firewall(do_rule("0", "0.0.0.0/0")),
    [f"inboundRules[0] opens {ALL_GUARDED} to the whole internet (0.0.0.0/0)"],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-digitalocean-postgres-and-redis",
    do_firewall(do_rule("5432", "0.0.0.0/0"), do_rule("6000-6500", "::/0")),
    [
        "inboundRules[0] opens 5432 (PostgreSQL) to the whole internet (0.0.0.0/0)",
        "inboundRules[1] opens 6379 (Redis) to the whole internet (::/0)",
    ],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-digitalocean-unset-range-is-every-port",
    do_firewall({"protocol": "tcp", "sourceAddresses": ["0.0.0.0/0"]}),
    [f"inboundRules[0] opens {ALL_GUARDED} to the whole internet (0.0.0.0/0)"],
)

ONLY_WEB = "to the whole internet ({}); only 80, 443 and ICMP may be public, SSH only from the admin networks"
case("ckv-dio-4-like-hetzner-firewall-ssh-admin-only", "pass", firewall(*HCLOUD_RULES), [])
case(
    "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
    "pass-admin-any-port",
    firewall({"direction": "in", "protocol": "tcp", "port": "any", "sourceIps": ["198.51.100.24/32"]}),
    [],
)
case(
    "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
    "fail-ssh",
    firewall(
        *HCLOUD_RULES[:2],
        {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ["0.0.0.0/0", "::/0"]},
    ),
    ["rules[2] opens tcp 22 " + ONLY_WEB.format("0.0.0.0/0, ::/0")],
)
case(
    "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
    "fail-ssh-to-two-halves-of-the-internet",
    firewall(
        *HCLOUD_RULES[:2],
        {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ["0.0.0.0/1", "128.0.0.0/1"]},
    ),
    ["rules[2] opens tcp 22 " + ONLY_WEB.format("0.0.0.0/1, 128.0.0.0/1")],
)
case(
    "no-world-ingress-admin-and-data-ports",
    "fail-ipv4-mapped-ipv6",
    do_firewall(do_rule("22", "::ffff:0:0/96")),
    ["inboundRules[0] opens 22 (SSH) to the whole internet (::ffff:0:0/96)"],
)
case(
    "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
    "fail-app-port-and-range",
    firewall(
        {"direction": "in", "protocol": "tcp", "port": "8080", "sourceIps": ["0.0.0.0/0"]},
        {"direction": "in", "protocol": "udp", "port": "80-443", "sourceIps": ["::/0"]},
    ),
    [
        "rules[0] opens tcp 8080 " + ONLY_WEB.format("0.0.0.0/0"),
        "rules[1] opens udp 80-443 " + ONLY_WEB.format("::/0"),
    ],
)

# --- Hetzner servers -----------------------------------------------------------------------

USER_DATA = """#cloud-config
users:
- name: deploy
  lock_passwd: true
  ssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops]
ssh_pwauth: false
write_files:
- path: /etc/ssh/sshd_config.d/10-multicloud.conf
  content: |
    PermitRootLogin no
    PasswordAuthentication no
    PermitEmptyPasswords no
"""
SERVER = {
    "serverType": "cx33",
    "image": "ubuntu-24.04",
    "firewallIds": [1015],
    "sshKeys": ["1011"],
    "userData": USER_DATA,
    "deleteProtection": True,
    "rebuildProtection": True,
    "backups": True,
}


def server(
    name: str = "main-server", parent: str | None = None, protect: bool = False, **changes: Any
) -> Res:
    props = {k: v for k, v in {**SERVER, **changes}.items() if v is not ...}
    return Res(
        HCLOUD_SERVER,
        props,
        name,
        protect=protect,
        parent=parent,
        ignore_changes=("userData", "sshKeys", "image"),
    )


NO_FIREWALL = "no firewall at creation: set firewallIds so the server never boots unprotected"
case("hcloud-server-firewall-attached", "pass", server(), [])
case(
    "hcloud-server-firewall-attached",
    "fail-empty",
    server(firewallIds=[]),
    [NO_FIREWALL],
    skips_unknown=False,
)
case(
    "hcloud-server-firewall-attached",
    "fail-unset",
    server(firewallIds=...),
    [NO_FIREWALL],
    skips_unknown=False,
)

NO_KEYS = "no sshKeys: Hetzner then sets a root password and mails it; pass sshKeys"
case("ckv-dio-2-like-hcloud-ssh-keys", "pass", server(), [])
case("ckv-dio-2-like-hcloud-ssh-keys", "fail-empty", server(sshKeys=[]), [NO_KEYS], skips_unknown=False)
case("ckv-dio-2-like-hcloud-ssh-keys", "fail-unset", server(sshKeys=...), [NO_KEYS], skips_unknown=False)


def in_user_data(*tokens: str) -> str:
    return (
        f"userData contains {', '.join(repr(t) for t in tokens)}: cloud metadata is readable on the server; "
        "ship secrets in the release bundle (0600 files) instead"
    )


case("hcloud-server-no-secrets-in-user-data", "pass-hardening-directives", server(), [])
case("hcloud-server-no-secrets-in-user-data", "pass-unset", server(userData=...), [])
case(
    "hcloud-server-no-secrets-in-user-data",
    "fail-requirepass",
    server(userData=USER_DATA + "runcmd:\n- echo 'requirepass s3cret' >> /etc/redis.conf\n"),
    [in_user_data("requirepass")],
)
case(
    "hcloud-server-no-secrets-in-user-data",
    "fail-pgpassword",
    server(userData=USER_DATA + "runcmd:\n- PGPASSWORD=s3cret pg_dump app\n"),
    [in_user_data("password", "PGPASSWORD")],
)
case(
    "hcloud-server-no-secrets-in-user-data",
    "fail-user-password",
    server(userData="#cloud-config\nusers:\n- name: deploy\n  Password: hunter2\n"),
    [in_user_data("password")],
)
case(
    "hcloud-server-no-secrets-in-user-data",
    "fail-private-key-and-s3-secret",
    server(
        userData="#cloud-config\nwrite_files:\n- content: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n"
        "- content: aws_secret_access_key = abc\n"
    ),
    [in_user_data("PRIVATE KEY", "secret_access_key")],
)

IGNORES = (
    "userData is not in ignoreChanges: a cloud-init change would replace the server; "
    'add ignore_changes=["user_data"]'
)
case("hcloud-server-ignores-user-data", "pass", server(), [])
case(
    "hcloud-server-ignores-user-data",
    "pass-snake-case",
    Res(HCLOUD_SERVER, SERVER, "s", ignore_changes=("user_data",)),
    [],
)
case(
    "hcloud-server-ignores-user-data", "fail", Res(HCLOUD_SERVER, SERVER, "s"), [IGNORES], skips_unknown=False
)

# The same three host controls on DigitalOcean droplets.
DROPLET_PROPS = {
    "size": "s-2vcpu-4gb",
    "region": "fra1",
    "image": "ubuntu-24-04-x64",
    "sshKeys": ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"],
    "userData": USER_DATA,
}


def droplet(ignore: tuple[str, ...] = ("userData", "sshKeys", "image"), **overrides: Any) -> Res:
    props = {k: v for k, v in (DROPLET_PROPS | overrides).items() if v is not ...}
    return Res(DO_DROPLET, props, "edge-droplet", ignore_changes=ignore)


DROPLET_NO_KEYS = "no sshKeys: DigitalOcean then sets a root password and mails it; pass sshKeys"
case("ckv-dio-2-like-hcloud-ssh-keys", "droplet-pass", droplet(), [])
case(
    "ckv-dio-2-like-hcloud-ssh-keys",
    "droplet-fail-unset",
    droplet(sshKeys=...),
    [DROPLET_NO_KEYS],
    skips_unknown=False,
)
case("hcloud-server-no-secrets-in-user-data", "droplet-pass", droplet(), [])
case(
    "hcloud-server-no-secrets-in-user-data",
    "droplet-fail-requirepass",
    droplet(userData=USER_DATA + "runcmd:\n- echo 'requirepass s3cret' >> /etc/redis.conf\n"),
    [in_user_data("requirepass")],
)
case("hcloud-server-ignores-user-data", "droplet-pass", droplet(), [])
case("hcloud-server-ignores-user-data", "droplet-fail", droplet(ignore=()), [IGNORES], skips_unknown=False)

VOLUME = {"size": 40, "location": "fsn1", "format": "ext4", "deleteProtection": True}
case(
    "hcloud-delete-protection",
    "pass",
    [
        server(protect=True),
        Res(HCLOUD_VOLUME, VOLUME, "v", protect=True),
        Res(HCLOUD_FLOATING_IP, {"type": "ipv4", "deleteProtection": True}, protect=True),
        # A prod server without data: neither protection, so it can be replaced.
        server("edge-server", deleteProtection=False, rebuildProtection=False),
    ],
    [],
    config=PROD,
)
case(
    "hcloud-delete-protection",
    "fail-without-protect",
    [server(), Res(HCLOUD_VOLUME, VOLUME, "v")],
    [
        f"{flag} without the protect option: a replacement would create the new resource and then "
        f"fail to delete the old one; set protect or turn {flag} off"
        for flag in ("deleteProtection", "rebuildProtection", "deleteProtection")
    ],
    config=PROD,
)
case(
    "hcloud-delete-protection",
    "pass-dev",
    [
        server(deleteProtection=False, rebuildProtection=False),
        Res(HCLOUD_VOLUME, {**VOLUME, "deleteProtection": False}),
    ],
    [],
    config=DEV,
)
case(
    "hcloud-delete-protection",
    "fail",
    [
        server(rebuildProtection=False, protect=True),
        Res(HCLOUD_VOLUME, {**VOLUME, "deleteProtection": False}, "v", protect=True),
    ],
    ["rebuildProtection must be true in prod", "deleteProtection must be true in prod"],
    config=PROD,
)
case(
    "hcloud-delete-protection",
    "fail-unset",
    Res(HCLOUD_FLOATING_IP, {"type": "ipv4"}, protect=True),
    ["deleteProtection must be true in prod"],
    config=PROD,
    skips_unknown=False,
)

# --- protect, replacement ------------------------------------------------------------------

OBJECT_STORAGE = {
    "endpoint": "https://fsn1.your-objectstorage.com",
    "bucket": "acme-uploads",
    "__provider": "x",
}


def stateful_stack(protect: bool) -> list[Res]:
    return [
        Res(RDS, RDS_GOOD, "db-db", protect=protect),
        Res(CACHE, CACHE_GOOD, "cache-cache", protect=protect),
        Res(BUCKET, {"forceDestroy": False}, "uploads-bucket", protect=protect),
        Res(R2_BUCKET, {"name": "acme-files"}, "files-bucket", protect=protect),
        Res(HCLOUD_VOLUME, VOLUME, "main-volume", protect=protect),
        Res(DYNAMIC, OBJECT_STORAGE, "assets-bucket", protect=protect),
        Res(VPS_HOST, {}, "main"),
        server("main-server", parent="main", protect=protect),
    ]


def unprotected(name: str, type_: str) -> str:
    return f"{name} ({type_}) holds data but is not protected: set protect=True in prod"


case("prod-protect-stateful", "pass", stateful_stack(True), [], config=PROD)
case("prod-protect-stateful", "pass-dev", stateful_stack(False), [], config=DEV)
case(
    "prod-protect-stateful",
    "pass-stateless-host",
    [Res(VPS_HOST, {}, "app"), server("app-server", parent="app")],
    [],
    config={"environment": "prod", "stateless_hosts": ["app"]},
)
case(
    "prod-protect-stateful",
    "pass-other-dynamic-and-unknown-endpoint",
    [
        Res(DYNAMIC, {"endpoint": "https://api.example.com"}, "hook"),
        Res(DYNAMIC, {"endpoint": UNKNOWN_STRING_VALUE}, "pending"),
        Res("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, "vpc"),
    ],
    [],
    config=PROD,
)
case(
    "prod-protect-stateful",
    "fail-every-stateful-type",
    stateful_stack(False),
    [
        unprotected("db-db", RDS),
        unprotected("cache-cache", CACHE),
        unprotected("uploads-bucket", BUCKET),
        unprotected("files-bucket", R2_BUCKET),
        unprotected("main-volume", HCLOUD_VOLUME),
        unprotected("assets-bucket", DYNAMIC),
        unprotected("main-server", HCLOUD_SERVER),
    ],
    skips_unknown=False,
)
case(
    "prod-protect-stateful",
    "fail-data-host-server",
    [
        Res(VPS_HOST, {}, "app"),
        Res(VPS_HOST, {}, "data"),
        server("app-server", "app"),
        server("data-server", "data"),
    ],
    [unprotected("data-server", HCLOUD_SERVER)],
    config={"environment": "prod", "stateless_hosts": ["app"]},
    skips_unknown=False,
)


def do_stateful_stack(protect: bool) -> list[Res]:
    """What examples/digitalocean.yaml holds data in (components._lib.stateful)."""
    return [
        Res(
            DO_DATABASE_CLUSTER,
            {"engine": "pg", "version": "16", "nodeCount": 2},
            "db-cluster",
            protect=protect,
        ),
        Res(DO_DATABASE_CLUSTER, {"engine": "valkey", "version": "8"}, "cache-cluster", protect=protect),
        Res(
            DO_VOLUME,
            {"size": 10, "region": "fra1", "name": "prod-edge-data"},
            "edge-volume",
            protect=protect,
        ),
        Res(DO_SPACES_BUCKET, {"acl": "private", "region": "fra1"}, "files-bucket", protect=protect),
        Res(DO_RESERVED_IP, {"region": "fra1"}, "edge-reserved-ip", protect=protect),
        # Stateless: never need protect.
        Res(DO_FIREWALL, {"inboundRules": DO_INBOUND}, "edge-firewall"),
        Res(DO_DATABASE_FIREWALL, {"rules": [{"type": "tag", "value": "multicloud-prod"}]}, "db-firewall"),
        Res("digitalocean:index/droplet:Droplet", {"size": "s-2vcpu-4gb"}, "edge-droplet"),
    ]


case("prod-protect-stateful", "pass-digitalocean", do_stateful_stack(True), [], config=PROD)
case("prod-protect-stateful", "pass-digitalocean-dev", do_stateful_stack(False), [], config=DEV)
case(
    "prod-protect-stateful",
    "fail-every-digitalocean-stateful-type",
    do_stateful_stack(False),
    [
        unprotected("db-cluster", DO_DATABASE_CLUSTER),
        unprotected("cache-cluster", DO_DATABASE_CLUSTER),
        unprotected("edge-volume", DO_VOLUME),
        unprotected("files-bucket", DO_SPACES_BUCKET),
        unprotected("edge-reserved-ip", DO_RESERVED_IP),
    ],
    config=PROD,
    skips_unknown=False,
)

DELETE_FIRST = "deleteBeforeReplace on a data store deletes the data before its replacement exists; remove it"
case(
    "no-delete-before-replace-on-data-stores",
    "pass",
    [
        Res(HCLOUD_VOLUME, VOLUME, "v", protect=True),
        Res(
            "hcloud:index/volumeAttachment:VolumeAttachment",
            {"automount": False},
            "a",
            delete_before_replace=True,
        ),
    ],
    [],
)
case(
    "no-delete-before-replace-on-data-stores",
    "fail",
    [
        Res(HCLOUD_VOLUME, VOLUME, "v", delete_before_replace=True),
        Res(RDS, RDS_GOOD, "db", delete_before_replace=True),
    ],
    [DELETE_FIRST, DELETE_FIRST],
    skips_unknown=False,
)

# --- DigitalOcean --------------------------------------------------------------------------

FLEET_TAG = {"type": "tag", "value": "multicloud-prod"}


def db_firewall(*rules: dict[str, Any]) -> Res:
    return Res(DO_DATABASE_FIREWALL, {"clusterId": "db-cluster-1", "rules": list(rules)}, "db-firewall")


def trusts_world(index: int, value: str) -> str:
    return (
        f"rules[{index}] trusts ip_addr {value}: every address on the internet may connect to the "
        "database; trust the droplets' tag (type tag) or their addresses instead"
    )


case("do-database-firewall-not-world", "pass-fleet-tag", db_firewall(FLEET_TAG), [])
case(
    "do-database-firewall-not-world",
    "fail-two-halves-together",
    db_firewall(
        FLEET_TAG, {"type": "ip_addr", "value": "0.0.0.0/1"}, {"type": "ip_addr", "value": "128.0.0.0/1"}
    ),
    [
        (
            "rules trust ip_addr 0.0.0.0/1, 128.0.0.0/1: together every address on the internet may "
            "connect to the database; trust the droplets' tag (type tag) or their addresses instead"
        )
    ],
)
case(
    "do-database-firewall-not-world",
    "pass-admin-address-and-droplet",
    db_firewall(
        FLEET_TAG,
        {"type": "ip_addr", "value": "198.51.100.7"},
        {"type": "ip_addr", "value": "198.51.100.0/28"},
        {"type": "droplet", "value": "1037"},
    ),
    [],
)
case(
    "do-database-firewall-not-world",
    "pass-other-types-ignored",
    [do_firewall(do_rule("443", "0.0.0.0/0")), Res(DO_DATABASE_CLUSTER, {"engine": "pg"}, "db-cluster")],
    [],
)
case(
    "do-database-firewall-not-world",
    "fail-v4-and-v6",
    db_firewall(FLEET_TAG, {"type": "ip_addr", "value": "0.0.0.0/0"}, {"type": "ip_addr", "value": "::/0"}),
    [trusts_world(1, "0.0.0.0/0"), trusts_world(2, "::/0")],
)
case(
    "do-database-firewall-not-world",
    "fail-other-spelling",
    db_firewall({"type": "ip_addr", "value": "10.0.0.0/0"}),
    [trusts_world(0, "10.0.0.0/0")],
)

PUBLIC_SPACES = (
    "acl is public-read: anyone may list or read the bucket; set acl=private and hand out "
    "scoped Spaces keys (or presigned URLs) instead"
)
case(
    "ckv-dio-3-spaces-bucket-private",
    "pass",
    Res(DO_SPACES_BUCKET, {"acl": "private", "region": "fra1", "forceDestroy": False}, "files-bucket"),
    [],
)
case(
    "ckv-dio-3-spaces-bucket-private",
    "pass-unset-is-private",
    Res(DO_SPACES_BUCKET, {"region": "fra1"}, "files-bucket"),
    [],
)
case(
    "ckv-dio-3-spaces-bucket-private",
    "fail-public-read",
    Res(DO_SPACES_BUCKET, {"acl": "public-read", "region": "fra1"}, "files-bucket"),
    [PUBLIC_SPACES],
)


FIREWALL_BY_TAG = Res(DO_FIREWALL, {"name": "prod-edge", "tags": ["multicloud-prod-edge"]}, "edge-firewall")
case(
    "do-droplet-firewall-at-creation",
    "pass-tagged",
    [FIREWALL_BY_TAG, droplet(tags=["multicloud-prod", "multicloud-prod-edge"])],
    [],
)
case(
    "do-droplet-firewall-at-creation",
    "fail-untagged",
    [FIREWALL_BY_TAG, droplet(tags=["multicloud-prod"])],
    [
        (
            "edge-droplet: no firewall of this stack selects any of its tags, so it boots unprotected; "
            "give it a tag a firewall names in `tags`"
        )
    ],
)


def do_lb(**overrides: Any) -> Res:
    props = {
        "region": "fra1",
        "redirectHttpToHttps": True,
        "tlsCipherPolicy": "STRONG",
        "forwardingRules": [
            {
                "entryPort": 443,
                "entryProtocol": "https",
                "targetPort": 8000,
                "targetProtocol": "http",
                "certificateName": "prod-api-cert",
            },
            {"entryPort": 80, "entryProtocol": "http", "targetPort": 8000, "targetProtocol": "http"},
        ],
    }
    return Res(DO_LOAD_BALANCER, props | overrides, "api-lb")


case("do-load-balancer-https-only", "pass", do_lb(), [])
case(
    "do-load-balancer-https-only",
    "fail-no-redirect",
    do_lb(redirectHttpToHttps=False),
    ["redirectHttpToHttps is not true: plain HTTP requests are served instead of redirected; set it"],
)
case(
    "do-load-balancer-https-only",
    "fail-http-only",
    do_lb(
        forwardingRules=[
            {"entryPort": 80, "entryProtocol": "http", "targetPort": 8000, "targetProtocol": "http"}
        ]
    ),
    ["no forwarding rule accepts HTTPS on the load balancer; add one with a certificate"],
)
case(
    "do-load-balancer-https-only",
    "fail-https-without-certificate",
    do_lb(
        forwardingRules=[
            {"entryPort": 443, "entryProtocol": "https", "targetPort": 8000, "targetProtocol": "http"}
        ]
    ),
    ["forwardingRules[0] takes HTTPS without a certificate"],
)
case(
    "do-load-balancer-https-only",
    "fail-default-ciphers",
    do_lb(tlsCipherPolicy="DEFAULT"),
    ["tlsCipherPolicy is DEFAULT: the DEFAULT policy still offers legacy ciphers; set STRONG"],
)


def do_app(env_type: str) -> Res:
    envs = [
        {"key": "PGHOST", "value": "private-db", "type": "GENERAL", "scope": "RUN_TIME"},
        {"key": "DATABASE_URL", "value": "postgresql://…", "type": env_type, "scope": "RUN_TIME"},
    ]
    spec = {"name": "prod-api", "region": "fra", "services": [{"name": "api", "envs": envs}]}
    return Res(DO_APP, {"spec": spec}, "api-app")


case("do-app-platform-secrets-encrypted", "pass", do_app("SECRET"), [])
case(
    "do-app-platform-secrets-encrypted",
    "fail-general-credential",
    do_app("GENERAL"),
    [
        (
            "spec.services[0].envs[1] DATABASE_URL is type GENERAL: it carries a credential that App Platform "
            "then shows in its console and build logs; set type SECRET"
        )
    ],
)

# --- Cloudflare R2 -------------------------------------------------------------------------

PUBLIC_R2 = {"public_buckets": ["acme-public"]}
case("r2-bucket-private", "pass-no-domain", Res(R2_BUCKET, {"name": "acme-files"}), [])
case(
    "r2-bucket-private",
    "pass-managed-disabled",
    Res(R2_MANAGED_DOMAIN, {"accountId": "a", "bucketName": "acme-files", "enabled": False}),
    [],
)
case(
    "r2-bucket-private",
    "pass-opted-in",
    [
        Res(R2_MANAGED_DOMAIN, {"accountId": "a", "bucketName": "acme-public", "enabled": True}),
        Res(
            R2_CUSTOM_DOMAIN,
            {"bucketName": "acme-public", "domain": "cdn.example.com", "enabled": True, "minTls": "1.2"},
        ),
    ],
    [],
    config=PUBLIC_R2,
)
case(
    "r2-bucket-private",
    "fail-managed",
    Res(R2_MANAGED_DOMAIN, {"accountId": "a", "bucketName": "acme-files", "enabled": True}),
    ["the r2.dev domain makes bucket acme-files public; disable it or list the bucket in public_buckets"],
)
case(
    "r2-bucket-private",
    "fail-custom-domain-enabled-by-default",
    Res(R2_CUSTOM_DOMAIN, {"bucketName": "acme-files", "domain": "files.example.com", "zoneId": "z"}),
    [
        "custom domain files.example.com makes bucket acme-files public; disable it or list the bucket in public_buckets"
    ],
)
case(
    "r2-bucket-private",
    "fail-opted-in-old-tls",
    Res(R2_CUSTOM_DOMAIN, {"bucketName": "acme-public", "domain": "cdn.example.com", "enabled": True}),
    ["custom domain cdn.example.com: minTls is not set (default 1.0); use 1.2 or 1.3"],
    config=PUBLIC_R2,
)


# --- the fixtures ----------------------------------------------------------------------------


def case_id(c: Case) -> str:
    return f"{c.policy}:{c.id}"


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_fixture(c: Case) -> None:
    found = run(BY_NAME[c.policy], build(c.resources), c.config)
    assert [m for m, _ in found] == c.expected
    # Stack policies name the offending resource; resource policies get the engine's URN.
    urns = {r.urn for r in build(c.resources)}
    assert all(urn in urns for _, urn in found)


FAILING = [c for c in CASES if c.expected and c.skips_unknown]


@pytest.mark.parametrize("c", FAILING, ids=case_id)
@pytest.mark.parametrize("mode", ["leaves", "top"])
def test_unknown_values_skip_instead_of_failing(c: Case, mode: str) -> None:
    """During preview the values a check reads may be unknown: it reports nothing (and does
    not raise UnknownValueError, which the engine would turn into 'can't run policy')."""
    transform = unknown_leaves if mode == "leaves" else unknown_top
    assert messages(BY_NAME[c.policy], build(c.resources, transform), c.config) == []


def test_every_policy_has_a_passing_and_a_failing_fixture() -> None:
    passing = {c.policy for c in CASES if not c.expected}
    failing = {c.policy for c in CASES if c.expected}
    names = set(BY_NAME)
    assert passing == names, sorted(names - passing)
    assert failing == names, sorted(names - failing)
    assert {c.policy for c in FAILING} == names - {
        "prod-protect-stateful",  # reads the protect option
        "no-delete-before-replace-on-data-stores",  # reads the deleteBeforeReplace option
        "hcloud-server-ignores-user-data",  # reads the ignoreChanges option
        "hcloud-server-firewall-attached",  # fails on an absent input
        "ckv-dio-2-like-hcloud-ssh-keys",  # fails on an absent input
    }


def test_no_policy_raises_on_any_fixture() -> None:
    """Every policy over every fixture (foreign types included), known and unknown."""
    for c in CASES:
        for transform in (lambda p: p, unknown_leaves, unknown_top):
            resources = build(c.resources, transform)
            for policy in POLICIES:
                run(policy, resources, c.config)


# --- the pack ------------------------------------------------------------------------------

ADVISORY = {
    "ckv-aws-336-ecs-read-only-root",
    "ckv-aws-157-rds-multi-az",
    "ckv-aws-21-s3-versioning",
    "ckv-aws-333-ecs-no-public-ip",
}


def test_enforcement_levels() -> None:
    assert {p.name for p in POLICIES if p.enforcement_level == EnforcementLevel.ADVISORY} == ADVISORY
    assert {p.name for p in POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY} == set(
        BY_NAME
    ) - ADVISORY


def test_the_controls_the_brief_names_are_all_there() -> None:
    named = {
        "ckv-aws-16-rds-encrypted",
        "ckv-aws-17-rds-not-public",
        "ckv2-aws-69-rds-force-ssl",
        "ckv-aws-133-rds-backup-retention-7",
        "ckv-aws-293-rds-deletion-protection",
        "ckv-aws-29-elasticache-at-rest",
        "ckv-aws-30-elasticache-in-transit",
        "ckv-aws-31-elasticache-auth-token",
        "ckv-aws-134-elasticache-snapshots",
        "ckv-aws-53-56-s3-public-access-block",
        "ckv-aws-19-s3-encryption",
        "s3-tls-only",
        "ckv-aws-2-alb-https-redirect",
        "ckv-aws-103-alb-tls-policy",
        "ckv-aws-131-alb-drop-invalid-headers",
        "ckv-aws-336-ecs-read-only-root",
        "ckv-aws-334-ecs-not-privileged",
        "aws-0036-no-secrets-in-environment",
        "ckv-aws-34-cloudfront-https",
        "ckv-aws-174-cloudfront-tls12",
        "no-world-ingress-admin-and-data-ports",
        "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
        "hcloud-server-firewall-attached",
        "hcloud-server-no-secrets-in-user-data",
        "prod-protect-stateful",
        "hcloud-delete-protection",
        "r2-bucket-private",
        "do-database-firewall-not-world",
        "ckv-dio-3-spaces-bucket-private",
    }
    assert named <= set(BY_NAME)
    assert len(BY_NAME) == len(POLICIES)  # unique names
    stack_level = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}
    assert {
        "ckv2-aws-69-rds-force-ssl",
        "ckv-aws-19-s3-encryption",
        "s3-tls-only",
        "prod-protect-stateful",
    } <= (stack_level)


def test_secret_names_are_the_connection_contract() -> None:
    assert {
        "DATABASE_URL",
        "PGPASSWORD",
        "REDIS_URL",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
    } == SECRET_VARS


def test_the_stateful_types_include_every_one_the_reference_names() -> None:
    assert {
        RDS,
        CACHE,
        BUCKET,
        HCLOUD_VOLUME,
        HCLOUD_SERVER,
        R2_BUCKET,
        DO_DATABASE_CLUSTER,
        DO_VOLUME,
        DO_SPACES_BUCKET,
    } <= STATEFUL_TYPES


def test_pack_registers_the_budget_and_every_control(monkeypatch: pytest.MonkeyPatch) -> None:
    """policies/__main__.py as the engine runs it (PolicyPack replaced: the real one serves gRPC)."""
    import pulumi_policy

    packs: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kw: packs.append(kw))
    runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    (pack,) = packs
    assert pack["name"] == "multicloud"
    assert pack["policies"] == [budget_policy, *POLICIES]


def test_config_schemas_are_valid_and_reject_bad_values() -> None:
    for policy in POLICIES:
        if policy.config_schema is None:
            continue
        schema = {"type": "object", "properties": policy.config_schema.properties}
        jsonschema.Draft7Validator.check_schema(schema)
        if "environment" in schema["properties"]:
            with pytest.raises(jsonschema.ValidationError, match="'qa' is not one of"):
                jsonschema.validate({"environment": "qa"}, schema)
    assert controls.ENVIRONMENT_POLICIES == [
        "ckv-aws-133-rds-backup-retention-7",
        "ckv-aws-293-rds-deletion-protection",
        "rds-backups-outlive-instance",
        "ckv-aws-157-rds-multi-az",
        "ckv-aws-134-elasticache-snapshots",
        "s3-no-force-destroy",
        "ckv-aws-150-alb-deletion-protection",
        "hcloud-delete-protection",
        "prod-protect-stateful",
    ]


def test_numbers_arrive_as_floats_from_the_engine() -> None:
    """The analyzer's props come from a protobuf Struct: 1 arrives as 1.0."""
    policy = BY_NAME["ckv-aws-133-rds-backup-retention-7"]
    assert messages(policy, build([rds(backupRetentionPeriod=1.0)]), PROD) == [
        "backupRetentionPeriod is 1; prod keeps at least 7 days"
    ]
    assert messages(policy, build([rds(backupRetentionPeriod=7.0)]), PROD) == []
    rule = {"direction": "in", "protocol": "tcp", "port": 22.0, "sourceIps": ["0.0.0.0/0"]}
    assert messages(BY_NAME["no-world-ingress-admin-and-data-ports"], build([firewall(rule)])) == [
        "rules[0] opens 22 (SSH) to the whole internet (0.0.0.0/0)"
    ]
    sg = ingress(ipProtocol="tcp", fromPort=5432.0, toPort=5432.0, cidrIpv4="0.0.0.0/0")
    assert messages(BY_NAME["no-world-ingress-admin-and-data-ports"], build([sg])) == [
        "opens 5432 (PostgreSQL) to the whole internet (0.0.0.0/0)"
    ]


def test_an_unknown_environment_name_is_treated_as_prod() -> None:
    resources = build([rds(deletionProtection=False)])
    policy = BY_NAME["ckv-aws-293-rds-deletion-protection"]
    assert messages(policy, resources, {"environment": "Production"}) == [
        "deletionProtection must be true in prod"
    ]


# --- the shipped stacks --------------------------------------------------------------------

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))


def stack_name(path: Path) -> str:
    return path.name.split(".")[1] if path.name.startswith("Pulumi.") else path.stem


@cache
def planned(path: Path) -> tuple[Any, Any]:
    return plan_with_dependencies(path, stack_name(path), ROOT)


@pytest.mark.parametrize("secrets", ["unwrapped", "redacted"])
@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_stacks_have_no_mandatory_violation(path: Path, secrets: str) -> None:
    result, dependencies = planned(path)
    resources = policy_view(result, dependencies, secrets)
    config = policy_config(result.spec)
    assert result.spec.environment == yaml.safe_load(path.read_text())["config"]["multicloud:environment"]
    mandatory = [
        f"{policy.name}: {urn}: {message}"
        for policy in POLICIES
        if policy.enforcement_level == EnforcementLevel.MANDATORY
        for message, urn in run(policy, resources, config)
    ]
    assert mandatory == []
    # The pack's other policy, the budget, with the stack's own budget.
    budget = result.spec.budget
    assert budget is not None
    assert run(budget_policy, resources, {"monthly": budget.monthly, "currency": budget.currency}) == []


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_stacks_are_seen_by_the_controls(path: Path) -> None:
    """The zero above is not vacuous: the plan feeds the controls the types they check."""
    result, dependencies = planned(path)
    types = {r.resource_type for r in policy_view(result, dependencies)}
    on_aws = {s.kind for s in result.spec.services.values() if s.target == "aws"}
    if any(t.startswith("aws:") for t in types):
        # What each kind on AWS brings: the controls must see it (a stack may keep data elsewhere).
        expected = {"postgres": {RDS}, "redis": {CACHE}, "api": {LISTENER, TASK_DEFINITION}}
        expected["bucket"] = {BUCKET, PUBLIC_ACCESS_BLOCK, SSE, BUCKET_POLICY}
        assert set().union(*(expected.get(kind, set()) for kind in on_aws)) <= types
        assert {"postgres", "redis", "bucket", "api"} & on_aws
    if any(t.startswith("hcloud:") for t in types):
        assert {HCLOUD_SERVER, HCLOUD_VOLUME, HCLOUD_FIREWALL} <= types
    if any(t.startswith("digitalocean:") for t in types):
        assert {DO_DATABASE_FIREWALL, DO_DATABASE_CLUSTER, DO_SPACES_BUCKET} <= types
        droplets = "digitalocean:index/droplet:Droplet" in types
        assert droplets == ({DO_FIREWALL, DO_VOLUME} <= types)
        # Compute on DigitalOcean is droplets or apps; a stack may keep only its data there.
        do_compute = any(
            s.target == "digitalocean" and s.kind in ("api", "worker", "static_site")
            for s in result.spec.services.values()
        )
        assert droplets or DO_APP in types or not do_compute


def test_a_broken_shipped_stack_is_caught() -> None:
    """The same view with one change per control family: the mandatory controls bite."""
    result, dependencies = planned(ROOT / "Pulumi.prod.yaml")
    resources = policy_view(result, dependencies)
    (server_resource,) = [r for r in resources if r.resource_type == HCLOUD_SERVER]
    server_resource.opts.protect = False
    (fw,) = [r for r in resources if r.resource_type == HCLOUD_FIREWALL]
    rules = [dict(rule) for rule in fw.props["rules"]]
    rules[2] = {**rules[2], "sourceIps": ["0.0.0.0/0"]}
    fw.props = {**dict(fw.props), "rules": rules}
    found = {
        (policy.name, message)
        for policy in POLICIES
        for message, _ in run(policy, resources, policy_config(result.spec))
    }
    without_protect = (
        "{} without the protect option: a replacement would create the new resource and then fail to "
        "delete the old one; set protect or turn {} off"
    )
    assert found == {
        ("prod-protect-stateful", unprotected("main-server", HCLOUD_SERVER)),
        ("hcloud-delete-protection", without_protect.format("deleteProtection", "deleteProtection")),
        ("hcloud-delete-protection", without_protect.format("rebuildProtection", "rebuildProtection")),
        (
            "no-world-ingress-admin-and-data-ports",
            "rules[2] opens 22 (SSH) to the whole internet (0.0.0.0/0)",
        ),
        (
            "ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
            "rules[2] opens tcp 22 " + ONLY_WEB.format("0.0.0.0/0"),
        ),
    }


def test_a_broken_digitalocean_example_is_caught() -> None:
    """examples/digitalocean.yaml with one change per DigitalOcean control: each bites, and
    nothing else does (the unchanged example passes, test_shipped_stacks_have_no_mandatory_violation)."""
    result, dependencies = planned(ROOT / "examples" / "digitalocean.yaml")
    resources = policy_view(result, dependencies)
    by_name = {r.name: r for r in resources}

    def change(name: str, **props: Any) -> None:
        by_name[name].props = {**dict(by_name[name].props), **props}

    rules = [dict(rule) for rule in by_name["api-a-firewall"].props["inboundRules"]]
    assert rules[2]["portRange"] == "22"
    rules[2] = {**rules[2], "sourceAddresses": ["0.0.0.0/0"]}
    change("api-a-firewall", inboundRules=rules)
    change("api-lb", redirectHttpToHttps=False)
    db_rules = [dict(rule) for rule in by_name["db-firewall"].props["rules"]]
    change("db-firewall", rules=[*db_rules, {"type": "ip_addr", "value": "::/0"}])
    change("files-bucket", acl="public-read")
    by_name["db-cluster"].opts.protect = False
    by_name["workers-volume"].opts.protect = False
    found = {
        (policy.name, message)
        for policy in POLICIES
        for message, _ in run(policy, resources, policy_config(result.spec))
    }
    assert found == {
        ("prod-protect-stateful", unprotected("db-cluster", DO_DATABASE_CLUSTER)),
        ("prod-protect-stateful", unprotected("workers-volume", DO_VOLUME)),
        (
            "no-world-ingress-admin-and-data-ports",
            "inboundRules[2] opens 22 (SSH) to the whole internet (0.0.0.0/0)",
        ),
        (
            "do-load-balancer-https-only",
            "redirectHttpToHttps is not true: plain HTTP requests are served instead of redirected; set it",
        ),
        ("do-database-firewall-not-world", trusts_world(1, "::/0")),
        ("ckv-dio-3-spaces-bucket-private", PUBLIC_SPACES),
    }


def test_the_digitalocean_example_protects_what_holds_data() -> None:
    """The zero violations of prod-protect-stateful there come from protect, not from absence."""
    result, _ = planned(ROOT / "examples" / "digitalocean.yaml")
    stateful = {(r.type, r.name) for r in result.registrations if r.type in STATEFUL_TYPES}
    assert stateful >= {
        (DO_DATABASE_CLUSTER, "db-cluster"),
        (DO_DATABASE_CLUSTER, "cache-cluster"),
        (DO_VOLUME, "api-a-volume"),
        (DO_VOLUME, "workers-volume"),
        (DO_SPACES_BUCKET, "files-bucket"),
    }
    assert all(r.protect for r in result.registrations if r.type in STATEFUL_TYPES)


def test_stateless_hosts_come_from_the_spec() -> None:
    result, _ = planned(ROOT / "examples" / "saas-two-hosts.yaml")
    assert stateless_hosts(result.spec) == ["app"]
    result, _ = planned(ROOT / "Pulumi.prod.yaml")
    assert stateless_hosts(result.spec) == []


# --- the per-stack policy config -----------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ROOT.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_each_stack_has_a_policy_config_matching_it(path: Path) -> None:
    """policies/config/<stack>.json: the budget and environment of Pulumi.<stack>.yaml, valid
    for every policy's schema (pass it with --policy-pack-config)."""
    result, _ = planned(path)
    spec = result.spec
    config = json.loads((ROOT / "policies" / "config" / f"{stack_name(path)}.json").read_text())
    assert spec.budget is not None
    assert config["multicloud-monthly-budget"] == {
        "monthly": spec.budget.monthly,
        "currency": spec.budget.currency,
    }
    for name in controls.ENVIRONMENT_POLICIES:
        assert config[name]["environment"] == spec.environment
    assert config["prod-protect-stateful"]["stateless_hosts"] == stateless_hosts(spec)
    for policy in [budget_policy, *POLICIES]:
        if policy.name in config:
            assert policy.config_schema is not None
            schema = {
                "type": "object",
                "properties": policy.config_schema.properties,
                "required": policy.config_schema.required or [],
                "additionalProperties": False,
            }
            jsonschema.validate(config[policy.name], schema)
    assert set(config) <= {budget_policy.name, *BY_NAME}


# --- through pulumi_policy's analyzer, as the engine calls it -------------------------------


def analyzer(config_file: Path) -> Any:
    """The pack's gRPC servicer (what `PolicyPack` serves), configured like
    `--policy-pack-config <config_file>` does."""
    from google.protobuf import struct_pb2
    from pulumi.runtime import proto
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    servicer = _PolicyAnalyzerServicer(
        "multicloud", "0.0.1", [budget_policy, *POLICIES], EnforcementLevel.MANDATORY
    )
    policy_config: dict[str, Any] = {}
    for name, values in json.loads(config_file.read_text()).items():
        properties = struct_pb2.Struct()
        properties.update(values)
        policy_config[name] = proto.PolicyConfig(properties=properties)
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=policy_config), None)
    return servicer


def analyzer_resources(
    result: Any, dependencies: dict[str, dict[str, list[str]]], unknown: set[str]
) -> list[Any]:
    """The plan as AnalyzerResources; resources named in `unknown` get every input unknown."""
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime import proto

    resources = []
    for reg in result.registrations:
        inputs = unknown_top(reg.raw_inputs) if reg.name in unknown else reg.raw_inputs
        properties = json_format.ParseDict(inputs, struct_pb2.Struct())
        resources.append(
            proto.AnalyzerResource(
                type=reg.type,
                properties=properties,
                urn=reg.urn,
                name=reg.name,
                options=proto.AnalyzerResourceOptions(
                    protect=reg.protect,
                    ignoreChanges=reg.ignore_changes,
                    deleteBeforeReplace=reg.delete_before_replace,
                    deleteBeforeReplaceDefined=True,
                    parent=reg.parent,
                ),
                parent=reg.parent,
                propertyDependencies={
                    k: proto.AnalyzerPropertyDependencies(urns=v)
                    for k, v in dependencies.get(reg.urn, {}).items()
                },
            )
        )
    return resources


def analyze(servicer: Any, resources: list[Any]) -> list[Any]:
    """Every diagnostic of the per-resource and the stack analysis."""
    from pulumi.runtime import proto

    diagnostics = list(
        servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None).diagnostics
    )
    for r in resources:
        request = proto.AnalyzeRequest(
            type=r.type, properties=r.properties, urn=r.urn, name=r.name, options=r.options
        )
        diagnostics += servicer.Analyze(request, None).diagnostics
    return diagnostics


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_analyzer_runs_the_pack_on_each_stack_with_its_config(stack: str) -> None:
    path = ROOT / f"Pulumi.{stack}.yaml"
    servicer = analyzer(ROOT / "policies" / "config" / f"{stack}.json")
    info = servicer.GetAnalyzerInfo(None, None)
    assert [p.name for p in info.policies] == [budget_policy.name, *BY_NAME]
    result, dependencies = planned(path)
    mandatory = servicer._map_enforcement_level(EnforcementLevel.MANDATORY)
    found = analyze(servicer, analyzer_resources(result, dependencies, set()))
    assert [(d.policyName, d.message) for d in found if d.enforcementLevel == mandatory] == []


def test_the_analyzer_with_prod_config_blocks_the_dev_stack() -> None:
    """Why each stack needs its own config: the controls default to prod."""
    servicer = analyzer(ROOT / "policies" / "config" / "prod.json")
    result, dependencies = planned(ROOT / "Pulumi.dev.yaml")
    found = analyze(servicer, analyzer_resources(result, dependencies, set()))
    # Dev protects nothing and sets no provider protection either: only the prod rule bites.
    assert {d.policyName for d in found} == {"prod-protect-stateful"}


def test_the_analyzer_skips_unknown_values_without_cant_run_diagnostics() -> None:
    """Preview: the server, volume and firewall have every input unknown. No control fails
    and none is downgraded to "can't run policy … during preview". (The budget policy, owned
    elsewhere, is left out: it reads every input and is downgraded.)"""
    servicer = analyzer(ROOT / "policies" / "config" / "prod.json")
    result, dependencies = planned(ROOT / "Pulumi.prod.yaml")
    unknown = {"main-server", "main-volume", "main-firewall"}
    found = analyze(servicer, analyzer_resources(result, dependencies, unknown))
    assert [(d.policyName, d.message) for d in found if d.policyName != budget_policy.name] == []

"""Security controls over an AWS plan, one pure function each, named after the check they mirror.

Each control takes a plan and returns the names of the offending resources (`[]` = pass),
like a Checkov check run over one file (shared/reference/security-and-data-safety.md §a).
tests/test_aws_security.py runs every control over the examples/aws.yaml plan (no
violations) and over deliberately broken copies of it (exactly the broken resource), so each
control is shown to bite.

Controls that encode a prod-only rule (deletion protection, retention ≥ 7, protect) say so
in their name; they are run on the prod example only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from components.connection import SECRET_VARS
from infra.mocks import Registration
from tests.aws_plans import (
    BUCKET,
    CACHE,
    ECS_SERVICE,
    EGRESS,
    INGRESS,
    PARAMETER,
    POLICY,
    RDS,
    SG,
    SUBNET,
    TASK_DEFINITION,
    RecordedPlan,
    by_id,
    container,
    out,
)

WORLD = {"0.0.0.0/0", "::/0"}
TLS_POLICIES = {"ELBSecurityPolicy-TLS13-1-2-2021-06"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
DATA_PORTS = {RDS: 5432, CACHE: 6379}

Control = Callable[[RecordedPlan], list[str]]
CONTROLS: dict[str, Control] = {}


def control(check_id: str) -> Callable[[Control], Control]:
    def register(fn: Control) -> Control:
        CONTROLS[check_id] = fn
        return fn

    return register


def each(result: RecordedPlan, type_token: str) -> list[Registration]:
    return [r for r in result.registrations if r.type == type_token]


def offenders(result: RecordedPlan, type_token: str, ok: Callable[[dict[str, Any]], bool]) -> list[str]:
    return [r.name for r in each(result, type_token) if not ok(r.inputs)]


def _attached(result: RecordedPlan, type_token: str, bucket: Registration) -> list[Registration]:
    return [r for r in each(result, type_token) if r.inputs.get("bucket") == bucket.id]


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    statements = doc.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- RDS ---------------------------------------------------------------------------------


@control("CKV_AWS_16-rds-encrypted")
def rds_encrypted(result: RecordedPlan) -> list[str]:
    return offenders(result, RDS, lambda i: i.get("storageEncrypted") is True)


@control("CKV_AWS_17-rds-not-public")
def rds_not_public(result: RecordedPlan) -> list[str]:
    return offenders(result, RDS, lambda i: i.get("publiclyAccessible") is False)


@control("rds-in-private-subnets")
def rds_private_subnets(result: RecordedPlan) -> list[str]:
    groups = by_id(result, "aws:rds/subnetGroup:SubnetGroup")
    subnets = by_id(result, SUBNET)

    def private(inputs: dict[str, Any]) -> bool:
        group = groups.get(inputs.get("dbSubnetGroupName", ""))
        return group is not None and all(
            subnets[s].inputs["tags"]["tier"] == "private" for s in group.inputs["subnetIds"]
        )

    return offenders(result, RDS, private)


@control("CKV2_AWS_69-rds-force-ssl")
def rds_force_ssl(result: RecordedPlan) -> list[str]:
    groups = by_id(result, "aws:rds/parameterGroup:ParameterGroup")

    def forced(inputs: dict[str, Any]) -> bool:
        group = groups.get(inputs.get("parameterGroupName", ""))
        return group is not None and any(
            p["name"] == "rds.force_ssl" and p["value"] == "1" for p in group.inputs.get("parameters", [])
        )

    return offenders(result, RDS, forced)


@control("CKV_AWS_133-rds-backups-7-days-prod")
def rds_backups(result: RecordedPlan) -> list[str]:
    return offenders(result, RDS, lambda i: i.get("backupRetentionPeriod", 0) >= 7)


@control("CKV_AWS_293-rds-deletion-protection-prod")
def rds_deletion_protection(result: RecordedPlan) -> list[str]:
    return offenders(result, RDS, lambda i: i.get("deletionProtection") is True)


@control("rds-final-snapshot-prod")
def rds_final_snapshot(result: RecordedPlan) -> list[str]:
    return offenders(
        result, RDS, lambda i: i.get("skipFinalSnapshot") is False and bool(i.get("finalSnapshotIdentifier"))
    )


@control("rds-keeps-automated-backups")
def rds_keeps_backups(result: RecordedPlan) -> list[str]:
    return offenders(result, RDS, lambda i: i.get("deleteAutomatedBackups") is False)


@control("CKV_AWS_226-rds-minor-upgrades")
def rds_minor_upgrades(result: RecordedPlan) -> list[str]:
    return offenders(result, RDS, lambda i: i.get("autoMinorVersionUpgrade") is True)


# --- ElastiCache -------------------------------------------------------------------------


@control("CKV_AWS_29-cache-encrypted-at-rest")
def cache_at_rest(result: RecordedPlan) -> list[str]:
    return offenders(result, CACHE, lambda i: i.get("atRestEncryptionEnabled") is True)


@control("CKV_AWS_30-cache-encrypted-in-transit")
def cache_in_transit(result: RecordedPlan) -> list[str]:
    return offenders(result, CACHE, lambda i: i.get("transitEncryptionEnabled") is True)


@control("CKV_AWS_31-cache-auth-token-secret")
def cache_auth_token(result: RecordedPlan) -> list[str]:
    return offenders(result, CACHE, lambda i: i.get("authToken") == "[secret]")


@control("CKV_AWS_134-cache-snapshots-prod")
def cache_snapshots(result: RecordedPlan) -> list[str]:
    return offenders(result, CACHE, lambda i: i.get("snapshotRetentionLimit", 0) > 0)


@control("CKV2_AWS_50-cache-failover-with-replicas")
def cache_failover(result: RecordedPlan) -> list[str]:
    def consistent(i: dict[str, Any]) -> bool:
        replicas = i.get("numCacheClusters", 1) > 1
        return i.get("automaticFailoverEnabled") is replicas and i.get("multiAzEnabled") is replicas

    return offenders(result, CACHE, consistent)


# --- S3 ----------------------------------------------------------------------------------


@control("CKV_AWS_53-56-bucket-public-access-blocked")
def bucket_public_access(result: RecordedPlan) -> list[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    block = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    return [
        b.name
        for b in each(result, BUCKET)
        if not any(all(p.inputs.get(f) is True for f in flags) for p in _attached(result, block, b))
    ]


@control("CKV_AWS_19-bucket-encrypted")
def bucket_encrypted(result: RecordedPlan) -> list[str]:
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

    def encrypted(config: Registration) -> bool:
        rules = config.inputs.get("rules", [])
        return bool(rules) and all(
            r["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms") for r in rules
        )

    return [b.name for b in each(result, BUCKET) if not any(map(encrypted, _attached(result, sse, b)))]


@control("bucket-owner-enforced")
def bucket_owner_enforced(result: RecordedPlan) -> list[str]:
    ownership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    return [
        b.name
        for b in each(result, BUCKET)
        if not any(
            o.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
            for o in _attached(result, ownership, b)
        )
    ]


@control("CKV_AWS_379-bucket-tls-only")
def bucket_tls_only(result: RecordedPlan) -> list[str]:
    def denies_plain_http(bucket: Registration) -> bool:
        arn = out(result, bucket, "arn")
        for policy in _attached(result, POLICY, bucket):
            for s in _statements(json.loads(policy.inputs["policy"])):
                if (
                    s.get("Effect") == "Deny"
                    and s.get("Principal") == "*"
                    and s.get("Action") in ("s3:*", ["s3:*"])
                    and set(_as_list(s.get("Resource"))) == {arn, f"{arn}/*"}
                    and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
                ):
                    return True
        return False

    return [b.name for b in each(result, BUCKET) if not denies_plain_http(b)]


@control("bucket-no-public-allow")
def bucket_no_public_allow(result: RecordedPlan) -> list[str]:
    """No bucket policy Allows `*` or any AWS principal; CloudFront only for one distribution."""
    distributions = {out(result, d, "arn") for d in each(result, "aws:cloudfront/distribution:Distribution")}

    def allowed(s: dict[str, Any]) -> bool:
        if s.get("Effect") != "Allow":
            return True
        return (
            s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
            and s.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn") in distributions
        )

    return [
        p.name
        for p in each(result, POLICY)
        if not all(map(allowed, _statements(json.loads(p.inputs["policy"]))))
    ]


@control("CKV_AWS_21-bucket-not-force-destroyed")
def bucket_not_force_destroyed(result: RecordedPlan) -> list[str]:
    return offenders(result, BUCKET, lambda i: i.get("forceDestroy") is False)


# --- IAM ---------------------------------------------------------------------------------


@control("iam-no-wildcard-resources")
def iam_no_wildcards(result: RecordedPlan) -> list[str]:
    types = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy")
    return [
        r.name
        for r in result.registrations
        if r.type in types
        and any(
            res == "*" or res.endswith((":::*", ":*"))
            for s in _statements(json.loads(r.inputs["policy"]))
            for res in _as_list(s.get("Resource"))
        )
    ]


@control("CKV_AWS_249-separate-execution-and-task-roles")
def separate_roles(result: RecordedPlan) -> list[str]:
    return offenders(
        result,
        TASK_DEFINITION,
        lambda i: bool(i.get("taskRoleArn")) and i.get("taskRoleArn") != i.get("executionRoleArn"),
    )


# --- ECS ---------------------------------------------------------------------------------


@control("CKV_AWS_334-container-not-privileged")
def container_not_privileged(result: RecordedPlan) -> list[str]:
    return [t.name for t in each(result, TASK_DEFINITION) if container(t).get("privileged") is not False]


@control("AWS-0036-secrets-from-ssm-only")
def secrets_from_ssm(result: RecordedPlan) -> list[str]:
    """No secret-looking variable in `environment`; every `secrets` entry is a SecureString ARN."""
    secure = {
        out(result, p, "arn") for p in each(result, PARAMETER) if p.inputs.get("type") == "SecureString"
    }

    def clean(task: Registration) -> bool:
        c = container(task)
        names = [e["name"] for e in c.get("environment", [])]
        return not any(n in SECRET_VARS or SECRET_NAME.search(n) for n in names) and all(
            s["valueFrom"] in secure for s in c.get("secrets", [])
        )

    return [t.name for t in each(result, TASK_DEFINITION) if not clean(t)]


@control("CKV_AWS_333-no-public-ip-behind-nat")
def no_public_ip(result: RecordedPlan) -> list[str]:
    return offenders(result, ECS_SERVICE, lambda i: i["networkConfiguration"].get("assignPublicIp") is False)


@control("execution-role-reads-only-its-parameters")
def execution_role_scope(result: RecordedPlan) -> list[str]:
    roles = by_id(result, "aws:iam/role:Role")
    policies = [r for r in result.registrations if r.type == "aws:iam/rolePolicy:RolePolicy"]
    bad = []
    for task in each(result, TASK_DEFINITION):
        wanted = sorted(s["valueFrom"] for s in container(task).get("secrets", []))
        (role,) = [r for r in roles.values() if out(result, r, "arn") == task.inputs["executionRoleArn"]]
        granted = [
            res
            for p in policies
            if p.inputs["role"] == role.id
            for s in _statements(json.loads(p.inputs["policy"]))
            for res in _as_list(s.get("Resource"))
        ]
        if sorted(granted) != wanted:
            bad.append(task.name)
    return bad


# --- load balancer -----------------------------------------------------------------------


@control("CKV_AWS_131-alb-drops-invalid-headers")
def alb_drops_headers(result: RecordedPlan) -> list[str]:
    return offenders(
        result, "aws:lb/loadBalancer:LoadBalancer", lambda i: i.get("dropInvalidHeaderFields") is True
    )


@control("CKV_AWS_150-alb-deletion-protection-prod")
def alb_deletion_protection(result: RecordedPlan) -> list[str]:
    return offenders(
        result, "aws:lb/loadBalancer:LoadBalancer", lambda i: i.get("enableDeletionProtection") is True
    )


@control("CKV_AWS_103-https-listener-modern-tls")
def listener_tls(result: RecordedPlan) -> list[str]:
    return offenders(
        result,
        "aws:lb/listener:Listener",
        lambda i: i.get("protocol") != "HTTPS" or i.get("sslPolicy") in TLS_POLICIES,
    )


@control("CKV2_AWS_20-http-listener-only-redirects")
def http_redirects(result: RecordedPlan) -> list[str]:
    redirect = {
        "type": "redirect",
        "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
    }
    return offenders(
        result,
        "aws:lb/listener:Listener",
        lambda i: i.get("protocol") != "HTTP" or i.get("defaultActions") == [redirect],
    )


# --- security groups ---------------------------------------------------------------------


def _load_balancer_groups(result: RecordedPlan) -> set[str]:
    return {g for lb in each(result, "aws:lb/loadBalancer:LoadBalancer") for g in lb.inputs["securityGroups"]}


def _task_groups(result: RecordedPlan) -> set[str]:
    return {g for s in each(result, ECS_SERVICE) for g in s.inputs["networkConfiguration"]["securityGroups"]}


def _data_groups(result: RecordedPlan) -> dict[str, int]:
    """Security group id → the one port it may be reached on, for RDS and ElastiCache."""
    groups: dict[str, int] = {}
    for r in each(result, RDS):
        groups |= dict.fromkeys(r.inputs["vpcSecurityGroupIds"], DATA_PORTS[RDS])
    for r in each(result, CACHE):
        groups |= dict.fromkeys(r.inputs["securityGroupIds"], DATA_PORTS[CACHE])
    return groups


def _ingress_rules(result: RecordedPlan) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource name, group id, rule inputs) of every ingress rule, standalone or inline."""
    rules = [(r.name, r.inputs["securityGroupId"], r.inputs) for r in each(result, INGRESS)]
    for group in each(result, SG):
        for rule in group.inputs.get("ingress", []):
            rules.append((group.name, group.id, rule))
    return rules


def _opens_world(rule: dict[str, Any]) -> bool:
    cidrs = {
        rule.get("cidrIpv4"),
        rule.get("cidrIpv6"),
        *rule.get("cidrBlocks", []),
        *rule.get("ipv6CidrBlocks", []),
    }
    return bool(cidrs & WORLD)


@control("CKV_AWS_24-260-277-no-world-ingress-but-web-on-the-lb")
def world_ingress(result: RecordedPlan) -> list[str]:
    lb_groups = _load_balancer_groups(result)
    bad = []
    for name, group, rule in _ingress_rules(result):
        if not _opens_world(rule):
            continue
        web = rule.get("ipProtocol", rule.get("protocol")) == "tcp" and (
            rule.get("fromPort"),
            rule.get("toPort"),
        ) in ((80, 80), (443, 443))
        if not (web and group in lb_groups):
            bad.append(name)
    return bad


@control("CKV2_AWS_12-data-stores-admit-task-groups-only")
def data_store_sources(result: RecordedPlan) -> list[str]:
    data, tasks = _data_groups(result), _task_groups(result)
    bad = []
    for name, group, rule in _ingress_rules(result):
        if group not in data:
            continue
        port = data[group]
        if not (
            rule.get("referencedSecurityGroupId") in tasks
            and not rule.get("cidrIpv4")
            and not rule.get("cidrIpv6")
            and rule.get("ipProtocol") == "tcp"
            and (rule.get("fromPort"), rule.get("toPort")) == (port, port)
        ):
            bad.append(name)
    return bad


@control("tasks-reachable-from-the-lb-only")
def tasks_from_lb(result: RecordedPlan) -> list[str]:
    lb_groups, tasks = _load_balancer_groups(result), _task_groups(result)
    return [
        name
        for name, group, rule in _ingress_rules(result)
        if group in tasks and rule.get("referencedSecurityGroupId") not in lb_groups
    ]


@control("lb-egress-to-tasks-only")
def lb_egress(result: RecordedPlan) -> list[str]:
    lb_groups, tasks = _load_balancer_groups(result), _task_groups(result)
    return [
        r.name
        for r in each(result, EGRESS)
        if r.inputs["securityGroupId"] in lb_groups and r.inputs.get("referencedSecurityGroupId") not in tasks
    ]


# --- CloudFront --------------------------------------------------------------------------

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


@control("CKV_AWS_34-cdn-redirects-to-https")
def cdn_https(result: RecordedPlan) -> list[str]:
    return offenders(
        result,
        DISTRIBUTION,
        lambda i: (
            i["defaultCacheBehavior"]["viewerProtocolPolicy"] in ("redirect-to-https", "https-only")
            and all(b["viewerProtocolPolicy"] != "allow-all" for b in i.get("orderedCacheBehaviors", []))
        ),
    )


@control("CKV_AWS_174-cdn-tls-1-2-2021")
def cdn_tls(result: RecordedPlan) -> list[str]:
    return offenders(
        result,
        DISTRIBUTION,
        lambda i: (
            i["viewerCertificate"].get("minimumProtocolVersion") == "TLSv1.2_2021"
            and i["viewerCertificate"].get("sslSupportMethod") == "sni-only"
            and not i["viewerCertificate"].get("cloudfrontDefaultCertificate")
        ),
    )


@control("CKV2_AWS_46-cdn-origin-access-control")
def cdn_oac(result: RecordedPlan) -> list[str]:
    return offenders(
        result, DISTRIBUTION, lambda i: all(o.get("originAccessControlId") for o in i["origins"])
    )


# --- data safety -------------------------------------------------------------------------

STATEFUL = (RDS, CACHE, BUCKET)


@control("stateful-protected-prod")
def stateful_protected(result: RecordedPlan) -> list[str]:
    return [
        r.name
        for r in result.registrations
        if r.type in STATEFUL and not (r.protect and (r.retain_on_delete or r.type != BUCKET))
    ]


@control("stateful-never-delete-before-replace")
def no_delete_before_replace(result: RecordedPlan) -> list[str]:
    return [r.name for r in result.registrations if r.type in STATEFUL and r.delete_before_replace]

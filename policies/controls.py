"""Data-safety controls: the reference table and data-safety rules as CrossGuard policies.

One policy per control of shared/reference/security-and-data-safety.md (§a table, §b rules),
named after the Checkov (`ckv-…`, `ckv2-…`) or Trivy (`aws-…`) check it mirrors where one
exists; neither scanner reads Pulumi programs, so the pack re-implements them. Toolkit-owned
controls (no scanner has them) have descriptive names.

Every validate function is a plain module-level function `(args, report_violation)`, so tests
call it with fake `ResourceValidationArgs` / `StackValidationArgs`.

Values the engine does not know yet (outputs of resources not created during `preview`)
never fail a check: the check skips that value, and the engine runs it again at `up`, when it
is known. A property that is *absent* is read as the provider's default, so an insecure
default (e.g. `storageEncrypted` unset = false) fails, like Checkov's missing attributes.

Prod-only controls read the policy config value `environment` (dev | staging | prod, default
prod), passed per policy with `--policy-pack-config` (see policies/config/<stack>.json).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import Policy, PolicyResource
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from components._lib.networks import reaches_everyone
from components._lib.stateful import is_stateful
from components.connection import SECRET_VARS

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

# --- resource types ------------------------------------------------------------------------

RDS = "aws:rds/instance:Instance"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING_CONFIGS = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall"
HCLOUD_SERVER = "hcloud:index/server:Server"
HCLOUD_VOLUME = "hcloud:index/volume:Volume"
HCLOUD_FLOATING_IP = "hcloud:index/floatingIp:FloatingIp"
R2_CUSTOM_DOMAIN = "cloudflare:index/r2CustomDomain:R2CustomDomain"
R2_MANAGED_DOMAIN = "cloudflare:index/r2ManagedDomain:R2ManagedDomain"
DO_FIREWALL = "digitalocean:index/firewall:Firewall"
DO_DATABASE_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"
DO_DATABASE_CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DO_VOLUME = "digitalocean:index/volume:Volume"
DO_SPACES_BUCKET = "digitalocean:index/spacesBucket:SpacesBucket"
DO_RESERVED_IP = "digitalocean:index/reservedIp:ReservedIp"
DO_DROPLET = "digitalocean:index/droplet:Droplet"
# VPS machines the host policies apply to, with the provider's name for messages.
MACHINES = {HCLOUD_SERVER: "Hetzner", DO_DROPLET: "DigitalOcean"}
DO_LOAD_BALANCER = "digitalocean:index/loadBalancer:LoadBalancer"
DO_APP = "digitalocean:index/app:App"
VPS_HOST = "multicloud:index:VpsHost"
DYNAMIC = "pulumi-python:dynamic:Resource"

# --- values: unknown during preview, or absent ----------------------------------------------


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


UNKNOWN: Any = _Marker("UNKNOWN")
"""A value the engine does not know yet (preview): checks skip it."""
MISSING: Any = _Marker("MISSING")
"""A property that is not set: checks read it as the provider's default."""

_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


def plain(value: Any) -> Any:
    """The engine's props (unknown-checking proxies) as plain dicts and lists, with every
    unknown value replaced by UNKNOWN; never raises UnknownValueError."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def get(node: Any, *path: str | int) -> Any:
    """`node[path…]` of plain props: the value, UNKNOWN (if any step is unknown) or MISSING."""
    for key in path:
        if node is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(node, list) or not -len(node) <= key < len(node):
                return MISSING
        elif not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    if node is None:
        return MISSING
    return node


def items(value: Any) -> list[Any]:
    """A list property's elements ([] when absent or unknown; elements may be UNKNOWN)."""
    return value if isinstance(value, list) else []


def show(value: Any) -> str:
    """A property value for a violation message (never used for secrets). The engine sends
    every number as a float: 7.0 is shown as 7."""
    if value is MISSING:
        return "not set"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _props(args: ResourceValidationArgs, types: str | Iterable[str]) -> dict[str, Any] | None:
    """Plain props when the resource is one of `types`, else None (the policy does not apply)."""
    wanted = (types,) if isinstance(types, str) else tuple(types)
    if args.resource_type not in wanted:
        return None
    props = plain(args.props)
    return props if isinstance(props, dict) else {}


def _config(args: ResourceValidationArgs | StackValidationArgs) -> dict[str, Any]:
    config = plain(args.get_config() or {})
    return config if isinstance(config, dict) else {}


# --- policy config: the environment ---------------------------------------------------------

ENVIRONMENTS = ("dev", "staging", "prod")
ENVIRONMENT_PROPERTY = {
    "type": "string",
    "enum": list(ENVIRONMENTS),
    "default": "prod",
    "description": "the stack's multicloud:environment; prod-only rules run in prod only",
}
ENVIRONMENT_SCHEMA = PolicyConfigSchema(properties={"environment": ENVIRONMENT_PROPERTY})


def environment(args: ResourceValidationArgs | StackValidationArgs) -> str:
    """The configured environment; prod (the strictest) when unset or not a known name."""
    value = _config(args).get("environment", "prod")
    return value if value in ENVIRONMENTS else "prod"


def in_prod(args: ResourceValidationArgs | StackValidationArgs) -> bool:
    return environment(args) == "prod"


def _names(args: ResourceValidationArgs | StackValidationArgs, key: str) -> set[str]:
    return {v for v in items(_config(args).get(key)) if isinstance(v, str)}


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


# --- RDS -----------------------------------------------------------------------------------


def validate_rds_encrypted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, RDS)
    if props is None:
        return
    value = get(props, "storageEncrypted")
    if value is not UNKNOWN and value is not True:
        report_violation(
            "storage is not encrypted: set storageEncrypted=true (possible only when the instance is created)",
            None,
        )


def validate_rds_not_public(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, RDS)
    if props is None:
        return
    if get(props, "publiclyAccessible") is True:
        report_violation(
            "publiclyAccessible is true: keep the database private (publiclyAccessible=false, private subnets)",
            None,
        )


def _force_ssl(group: PolicyResource) -> bool | None:
    """Whether a parameter group sets rds.force_ssl=1 (None: unknown)."""
    parameters = get(plain(group.props), "parameters")
    if parameters is UNKNOWN:
        return None
    unknown = False
    for parameter in items(parameters):
        name, value = get(parameter, "name"), get(parameter, "value")
        if UNKNOWN in (parameter, name, value):
            unknown = True
        elif name == "rds.force_ssl" and str(value).strip() in ("1", "1.0"):
            return True
    return None if unknown else False


def validate_rds_force_ssl(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    groups = [r for r in args.resources if r.resource_type == RDS_PARAMETER_GROUP]
    for db in args.resources:
        if db.resource_type != RDS:
            continue
        props = plain(db.props)
        engine = get(props, "engine")
        if engine is UNKNOWN or engine is MISSING or not str(engine).startswith("postgres"):
            continue
        linked = references(db, "parameterGroupName", groups, lambda p: get(p, "name"))
        if linked is None:
            continue
        name = get(props, "parameterGroupName")
        if not linked:
            if name is MISSING:
                report_violation(
                    f"{db.name}: uses the engine's default parameter group; "
                    "attach a parameter group that sets rds.force_ssl=1",
                    db.urn,
                )
            else:
                report_violation(
                    f"{db.name}: parameter group {name} is not in this stack, "
                    "so rds.force_ssl=1 cannot be confirmed",
                    db.urn,
                )
            continue
        forced = [_force_ssl(g) for g in linked]
        if None in forced or True in forced:
            continue
        report_violation(f"{db.name}: parameter group {linked[0].name} does not set rds.force_ssl=1", db.urn)


def validate_rds_backup_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, RDS)
    if props is None or not in_prod(args):
        return
    days = get(props, "backupRetentionPeriod")
    if days is UNKNOWN:
        return
    if days is MISSING:
        report_violation(
            "backupRetentionPeriod is not set (the API keeps 1 day); prod keeps at least 7 days", None
        )
    elif not isinstance(days, int | float) or days < 7:
        report_violation(f"backupRetentionPeriod is {show(days)}; prod keeps at least 7 days", None)


def validate_rds_deletion_protection(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, RDS)
    if props is None or not in_prod(args):
        return
    value = get(props, "deletionProtection")
    if value is not UNKNOWN and value is not True:
        report_violation("deletionProtection must be true in prod", None)


def validate_rds_backups_outlive(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, RDS)
    if props is None or not in_prod(args):
        return
    skip = get(props, "skipFinalSnapshot")
    if skip is True:
        report_violation(
            "skipFinalSnapshot must be false in prod: deleting the instance keeps a snapshot", None
        )
    elif skip is not UNKNOWN and get(props, "finalSnapshotIdentifier") in (MISSING, ""):
        report_violation("finalSnapshotIdentifier must be set in prod (the final snapshot's name)", None)
    automated = get(props, "deleteAutomatedBackups")
    if automated is not UNKNOWN and automated is not False:
        report_violation(
            "deleteAutomatedBackups must be false in prod: the default deletes the backups with the instance",
            None,
        )


def validate_rds_multi_az(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, RDS)
    if props is None or not in_prod(args):
        return
    value = get(props, "multiAz")
    if value is not UNKNOWN and value is not True:
        report_violation("multiAz is not enabled: a prod database has no standby in a second zone", None)


# --- ElastiCache ---------------------------------------------------------------------------


def validate_cache_at_rest(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, CACHE)
    if props is None:
        return
    value = get(props, "atRestEncryptionEnabled")
    if value is not UNKNOWN and value is not True:
        report_violation(
            "atRestEncryptionEnabled must be true (possible only when the replication group is created)", None
        )


def validate_cache_in_transit(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, CACHE)
    if props is None:
        return
    value = get(props, "transitEncryptionEnabled")
    if value is not UNKNOWN and value is not True:
        report_violation("transitEncryptionEnabled must be true: clients connect over TLS only", None)


def validate_cache_auth_token(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, CACHE)
    if props is None:
        return
    token, groups = get(props, "authToken"), get(props, "userGroupIds")
    if UNKNOWN in (token, groups) or UNKNOWN in items(groups):
        return
    if token in (MISSING, "") and not items(groups):
        report_violation(
            "no authToken (or userGroupIds): any client that reaches the port can read and write", None
        )


def validate_cache_snapshots(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, CACHE)
    if props is None or not in_prod(args):
        return
    days = get(props, "snapshotRetentionLimit")
    if days is UNKNOWN:
        return
    if days is MISSING:
        report_violation("snapshotRetentionLimit is not set (no snapshots); prod keeps at least 1 day", None)
    elif not isinstance(days, int | float) or days <= 0:
        report_violation(
            f"snapshotRetentionLimit is {show(days)} (no snapshots); prod keeps at least 1 day", None
        )


# --- S3 ------------------------------------------------------------------------------------

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def validate_s3_public_access_block(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = attachments(
        args.resources, BUCKETS, (PUBLIC_ACCESS_BLOCK,), "bucket", "bucket"
    )
    for block in args.resources:
        if block.resource_type != PUBLIC_ACCESS_BLOCK:
            continue
        props = plain(block.props)
        off = [f for f in PUBLIC_ACCESS_FLAGS if get(props, f) is not UNKNOWN and get(props, f) is not True]
        if off:
            report_violation(f"{block.name}: {', '.join(off)} must be true", block.urn)
    for bucket in buckets:
        if not attached[bucket.urn] and not undetermined:
            report_violation(
                f"{bucket.name}: no public access block; add one with all four flags true "
                "(blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets)",
                bucket.urn,
            )


def _sse_rules(rules: Any) -> bool | None:
    """Whether some rule sets a default SSE algorithm (None: unknown)."""
    if rules is UNKNOWN:
        return None
    unknown = False
    for rule in items(rules):
        algorithm = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algorithm is UNKNOWN:
            unknown = True
        elif algorithm in SSE_ALGORITHMS:
            return True
    return None if unknown else False


def validate_s3_encryption(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = attachments(
        args.resources, BUCKETS, ENCRYPTION_CONFIGS, "bucket", "bucket"
    )
    for config in args.resources:
        if (
            config.resource_type in ENCRYPTION_CONFIGS
            and _sse_rules(get(plain(config.props), "rules")) is False
        ):
            report_violation(
                f"{config.name}: no rule sets applyServerSideEncryptionByDefault.sseAlgorithm "
                "(AES256, aws:kms or aws:kms:dsse)",
                config.urn,
            )
    for bucket in buckets:
        inline = _sse_rules(get(plain(bucket.props), "serverSideEncryptionConfiguration", "rules"))
        if inline is not False or attached[bucket.urn] or undetermined:
            continue
        report_violation(
            f"{bucket.name}: no server-side encryption configuration; "
            "add a BucketServerSideEncryptionConfiguration (AES256 or aws:kms)",
            bucket.urn,
        )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _denies_plain_http(statement: Any, bucket_name: Any) -> bool:
    """A statement that denies every S3 action to everyone on the bucket and its objects
    when aws:SecureTransport is false."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal != "*" and not (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))):
        return False
    if not {"s3:*", "*"} & set(_as_list(statement.get("Action"))):
        return False
    condition = statement.get("Condition")
    secure = condition.get("Bool", {}).get("aws:SecureTransport") if isinstance(condition, dict) else None
    if not isinstance(secure, str | bool | list) or {str(v).lower() for v in _as_list(secure)} != {"false"}:
        return False
    arns = [a for a in _as_list(statement.get("Resource")) if isinstance(a, str)]
    buckets = {
        a.removeprefix("arn:aws:s3:::") for a in arns if a.startswith("arn:aws:s3:::") and "/" not in a
    }
    objects = {
        a.removeprefix("arn:aws:s3:::")[:-2]
        for a in arns
        if a.startswith("arn:aws:s3:::") and a.endswith("/*")
    }
    covered = buckets & objects
    return bool(covered) if bucket_name in (MISSING, UNKNOWN) else bucket_name in covered


def _tls_only(policy: PolicyResource, bucket_name: Any) -> bool | None:
    """Whether a bucket policy denies plain-HTTP requests (None: unknown)."""
    document = get(plain(policy.props), "policy")
    if document is UNKNOWN:
        return None
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    return any(_denies_plain_http(s, bucket_name) for s in _as_list(statements))


def validate_s3_tls_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = attachments(
        args.resources, BUCKETS, (BUCKET_POLICY,), "bucket", "bucket"
    )
    for bucket in buckets:
        name = get(plain(bucket.props), "bucket")
        results = [_tls_only(p, name) for p in attached[bucket.urn]]
        if True in results or None in results or (undetermined and not results):
            continue
        report_violation(
            f"{bucket.name}: no bucket policy denies requests without TLS "
            "(Deny s3:* to * on the bucket and its objects when aws:SecureTransport is false)",
            bucket.urn,
        )


def validate_s3_versioning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = attachments(
        args.resources, BUCKETS, VERSIONING_CONFIGS, "bucket", "bucket"
    )
    for bucket in buckets:
        states = [get(plain(v.props), "versioningConfiguration", "status") for v in attached[bucket.urn]]
        inline = get(plain(bucket.props), "versioning", "enabled")
        if "Enabled" in states or UNKNOWN in states or inline in (True, UNKNOWN):
            continue
        if undetermined and not states:
            continue
        report_violation(
            f"{bucket.name}: versioning is not enabled; overwritten or deleted objects cannot be recovered",
            bucket.urn,
        )


def validate_s3_no_force_destroy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, BUCKETS)
    if props is None or not in_prod(args):
        return
    if get(props, "forceDestroy") is True:
        report_violation("forceDestroy must be false in prod: it deletes every object with the bucket", None)


# --- load balancer -------------------------------------------------------------------------

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_MODERN_TLS = re.compile(r"ELBSecurityPolicy-TLS13-1-[23]-(?!.*Ext).+")


def _listener_protocol(props: dict[str, Any]) -> Any:
    protocol = get(props, "protocol")
    if protocol is MISSING:
        return "HTTP"  # an application load balancer's listener defaults to HTTP
    return protocol if protocol is UNKNOWN else str(protocol).upper()


def validate_alb_https_redirect(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, LISTENERS)
    if props is None or _listener_protocol(props) != "HTTP":
        return
    for index, action in enumerate(items(get(props, "defaultActions"))):
        kind = get(action, "type")
        if kind is UNKNOWN:
            continue
        if kind != "redirect":
            report_violation(
                f"defaultActions[{index}] is {show(kind)}; an HTTP listener may only redirect to HTTPS", None
            )
            continue
        target = get(action, "redirect", "protocol")
        if target is not UNKNOWN and target != "HTTPS":
            report_violation(
                f"defaultActions[{index}] redirects to {'the same protocol' if target is MISSING else target}; "
                "it must redirect to HTTPS",
                None,
            )


def validate_alb_tls_policy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, LISTENERS)
    if props is None or _listener_protocol(props) not in ("HTTPS", "TLS"):
        return
    policy = get(props, "sslPolicy")
    if policy is UNKNOWN:
        return
    if policy is MISSING:
        report_violation(f"sslPolicy is not set; use {TLS_POLICY}", None)
    elif not _MODERN_TLS.fullmatch(str(policy)):
        report_violation(
            f"sslPolicy {policy} allows outdated TLS; use {TLS_POLICY} "
            "(or another ELBSecurityPolicy-TLS13-1-2/1-3 policy without -Ext)",
            None,
        )


def _application(props: dict[str, Any]) -> bool:
    kind = get(props, "loadBalancerType")
    return kind is MISSING or kind == "application"


def validate_alb_drop_invalid_headers(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, LOAD_BALANCERS)
    if props is None or not _application(props):
        return
    value = get(props, "dropInvalidHeaderFields")
    if value is not UNKNOWN and value is not True:
        report_violation(
            "dropInvalidHeaderFields must be true: headers with invalid names reach the targets otherwise",
            None,
        )


def validate_alb_deletion_protection(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, LOAD_BALANCERS)
    if props is None or not in_prod(args):
        return
    value = get(props, "enableDeletionProtection")
    if value is not UNKNOWN and value is not True:
        report_violation("enableDeletionProtection must be true in prod", None)


# --- ECS -----------------------------------------------------------------------------------

_URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:[^/\s@]+@")
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|(^|_)(TOKEN|API_KEY|PRIVATE_KEY)$", re.IGNORECASE)


def containers(props: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A task definition's container definitions (None: unknown or unreadable)."""
    definitions = get(props, "containerDefinitions")
    if isinstance(definitions, str):
        try:
            definitions = json.loads(definitions)
        except ValueError:
            return None
    if not isinstance(definitions, list):
        return None
    return [d for d in definitions if isinstance(d, dict)]


def _container_name(container: dict[str, Any], index: int) -> str:
    name = container.get("name")
    return name if isinstance(name, str) else f"#{index}"


def validate_ecs_read_only_root(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, TASK_DEFINITION)
    for index, container in enumerate((containers(props) or []) if props is not None else []):
        value = get(container, "readonlyRootFilesystem")
        if value is not UNKNOWN and value is not True:
            report_violation(
                f"container {_container_name(container, index)}: readonlyRootFilesystem should be true", None
            )


def validate_ecs_not_privileged(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, TASK_DEFINITION)
    for index, container in enumerate((containers(props) or []) if props is not None else []):
        if get(container, "privileged") is True:
            report_violation(
                f"container {_container_name(container, index)}: privileged must not be true", None
            )


def validate_ecs_no_host_pid(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, TASK_DEFINITION)
    if props is not None and get(props, "pidMode") == "host":
        report_violation(
            "pidMode is host: containers would see every process of the host; leave it unset", None
        )


def validate_ecs_no_secrets_in_environment(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, TASK_DEFINITION)
    for index, container in enumerate((containers(props) or []) if props is not None else []):
        where = f"container {_container_name(container, index)}"
        for variable in items(get(container, "environment")):
            name, value = get(variable, "name"), get(variable, "value")
            if not isinstance(name, str):
                continue
            if name in SECRET_VARS or _SECRET_NAME.search(name):
                report_violation(
                    f"{where}: environment variable {name} is a secret; "
                    "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)",
                    None,
                )
            elif isinstance(value, str) and (_URL_WITH_PASSWORD.search(value) or "PRIVATE KEY-----" in value):
                report_violation(
                    f"{where}: environment variable {name} holds a password or key; "
                    "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)",
                    None,
                )


def validate_ecs_no_public_ip(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, ECS_SERVICE)
    if props is not None and get(props, "networkConfiguration", "assignPublicIp") is True:
        report_violation(
            "assignPublicIp is true: tasks get public addresses; run them in private subnets", None
        )


# --- CloudFront ----------------------------------------------------------------------------

_HTTPS_VIEWER = ("redirect-to-https", "https-only")
_MODERN_VIEWER_TLS = re.compile(r"TLSv1\.2_(20(2[1-9]|[3-9]\d))|TLSv1\.3_\d{4}")


def validate_cloudfront_https(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, DISTRIBUTION)
    if props is None:
        return
    behaviors = [("defaultCacheBehavior", get(props, "defaultCacheBehavior"))] + [
        (f"orderedCacheBehaviors[{i}]", b) for i, b in enumerate(items(get(props, "orderedCacheBehaviors")))
    ]
    for where, behavior in behaviors:
        if behavior is MISSING:
            continue
        policy = get(behavior, "viewerProtocolPolicy")
        if policy is not UNKNOWN and policy not in _HTTPS_VIEWER:
            report_violation(
                f"{where}.viewerProtocolPolicy is {show(policy)}; use redirect-to-https or https-only", None
            )


def validate_cloudfront_tls12(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, DISTRIBUTION)
    if props is None:
        return
    certificate = get(props, "viewerCertificate")
    if certificate is UNKNOWN:
        return
    default = get(certificate, "cloudfrontDefaultCertificate")
    if default is UNKNOWN:
        return
    if default is True or certificate is MISSING:
        report_violation(
            "the default CloudFront certificate accepts TLS 1.0; use an ACM certificate "
            "with minimumProtocolVersion TLSv1.2_2021",
            None,
        )
        return
    version = get(certificate, "minimumProtocolVersion")
    if version is not UNKNOWN and not _MODERN_VIEWER_TLS.fullmatch(str(version)):
        report_violation(
            f"viewerCertificate.minimumProtocolVersion is {show(version)}; use TLSv1.2_2021 or newer", None
        )


_S3_REST_ORIGIN = re.compile(r"\.s3(\.[a-z0-9-]+)?\.amazonaws\.com$")


def validate_cloudfront_s3_origin_access(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, DISTRIBUTION)
    if props is None:
        return
    for index, origin in enumerate(items(get(props, "origins"))):
        domain = get(origin, "domainName")
        if not isinstance(domain, str) or not _S3_REST_ORIGIN.search(domain):
            continue
        control = get(origin, "originAccessControlId")
        identity = get(origin, "s3OriginConfig", "originAccessIdentity")
        if UNKNOWN in (control, identity) or control not in (MISSING, "") or identity not in (MISSING, ""):
            continue
        report_violation(
            f"origins[{index}] ({show(get(origin, 'originId'))}) reads an S3 bucket without origin access "
            "control; set originAccessControlId and keep the bucket private",
            None,
        )


# --- ingress: security groups and firewalls ------------------------------------------------

GUARDED_PORTS = {22: "SSH", 5432: "PostgreSQL", 6379: "Redis"}
ALL_PORTS = (0, 65535)


def is_world(cidr: Any) -> bool:
    """0.0.0.0/0 or ::/0 (any spelling of a zero-length prefix)."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def world_sources(sources: Iterable[Any]) -> list[str]:
    """The sources, when together they are the whole internet — `0.0.0.0/1` with
    `128.0.0.0/1` as much as `0.0.0.0/0` (components._lib.networks, the config check's rule
    too); else []."""
    cidrs = []
    for source in sources:
        if isinstance(source, str):
            try:
                ipaddress.ip_network(source.strip(), strict=False)
            except ValueError:
                continue
            cidrs.append(source)
    return cidrs if cidrs and reaches_everyone(cidrs) else []


def _protocol(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return value.strip().lower() if isinstance(value, str) else value


def port_range(protocol: Any, low: Any = MISSING, high: Any = MISSING) -> Any:
    """The TCP/UDP port range a rule opens: (low, high), None for no ports (ICMP …), or
    UNKNOWN when the protocol or a port is unknown."""
    if UNKNOWN in (protocol, low, high):
        return UNKNOWN
    protocol = _protocol(protocol)
    if protocol in ("-1", "all"):
        return ALL_PORTS
    if protocol not in ("tcp", "udp", "6", "17"):
        return None
    if low is MISSING and high is MISSING:
        return ALL_PORTS
    low = high if low is MISSING else low
    high = low if high is MISSING else high
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low < 0:
        return ALL_PORTS
    return int(low), int(high)


def hcloud_port_range(protocol: Any, port: Any) -> Any:
    """An hcloud rule's port ("22", "1-65535", "any") as (low, high); None for protocols
    without ports; UNKNOWN when the protocol or port is unknown."""
    if UNKNOWN in (protocol, port):
        return UNKNOWN
    if _protocol(protocol) not in ("tcp", "udp"):
        return None
    if port is MISSING or str(port).strip().lower() == "any":
        return ALL_PORTS
    low, _, high = show(port).partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        return ALL_PORTS


def do_port_range(protocol: Any, port: Any) -> Any:
    """A DigitalOcean firewall rule's portRange ("22", "8000-9000", "1-65535", "all", or "0"
    for every port, as the API reports it) as (low, high); None for protocols without ports
    (ICMP); UNKNOWN when the protocol or the range is unknown. An unset range on TCP/UDP is
    read as every port."""
    if UNKNOWN in (protocol, port):
        return UNKNOWN
    if _protocol(protocol) not in ("tcp", "udp"):
        return None
    text = "" if port is MISSING else show(port).strip().lower()
    if text in ("", "all", "any", "0"):
        return ALL_PORTS
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        return ALL_PORTS


def _guarded(ports: Any) -> list[str]:
    if ports is None or ports is UNKNOWN:
        return []
    return [f"{p} ({label})" for p, label in GUARDED_PORTS.items() if ports[0] <= p <= ports[1]]


def _ingress(props: dict[str, Any], resource_type: str) -> Iterable[tuple[str, Any, list[Any]]]:
    """(where, port range, sources) of every inbound rule of a rule-bearing resource."""
    if resource_type == INGRESS_RULE:
        ports = port_range(get(props, "ipProtocol"), get(props, "fromPort"), get(props, "toPort"))
        yield "", ports, [get(props, "cidrIpv4"), get(props, "cidrIpv6")]
    elif resource_type == SECURITY_GROUP_RULE:
        if get(props, "type") == "ingress":
            ports = port_range(get(props, "protocol"), get(props, "fromPort"), get(props, "toPort"))
            yield "", ports, items(get(props, "cidrBlocks")) + items(get(props, "ipv6CidrBlocks"))
    elif resource_type == SECURITY_GROUP:
        for index, rule in enumerate(items(get(props, "ingress"))):
            ports = port_range(get(rule, "protocol"), get(rule, "fromPort"), get(rule, "toPort"))
            sources = items(get(rule, "cidrBlocks")) + items(get(rule, "ipv6CidrBlocks"))
            yield f"ingress[{index}]", ports, sources
    elif resource_type == HCLOUD_FIREWALL:
        for index, rule in enumerate(items(get(props, "rules"))):
            if get(rule, "direction") not in ("in", MISSING):
                continue
            ports = hcloud_port_range(get(rule, "protocol"), get(rule, "port"))
            yield f"rules[{index}]", ports, items(get(rule, "sourceIps"))
    elif resource_type == DO_FIREWALL:
        for index, rule in enumerate(items(get(props, "inboundRules"))):
            ports = do_port_range(get(rule, "protocol"), get(rule, "portRange"))
            yield f"inboundRules[{index}]", ports, items(get(rule, "sourceAddresses"))


def validate_no_world_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, (INGRESS_RULE, SECURITY_GROUP_RULE, SECURITY_GROUP, HCLOUD_FIREWALL, DO_FIREWALL))
    if props is None:
        return
    for where, ports, sources in _ingress(props, args.resource_type):
        world = world_sources(sources)
        exposed = _guarded(ports)
        if not world:
            continue
        if exposed:
            prefix = f"{where} " if where else ""
            report_violation(
                f"{prefix}opens {', '.join(exposed)} to the whole internet ({', '.join(world)})", None
            )


_PUBLIC_WEB = {(80, 80), (443, 443)}


def validate_hetzner_firewall_admin_only(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, HCLOUD_FIREWALL)
    if props is None:
        return
    for index, rule in enumerate(items(get(props, "rules"))):
        if get(rule, "direction") not in ("in", MISSING):
            continue
        protocol, port = get(rule, "protocol"), get(rule, "port")
        world = world_sources(items(get(rule, "sourceIps")))
        if not world or UNKNOWN in (protocol, port):
            continue
        if _protocol(protocol) == "icmp":
            continue
        if hcloud_port_range(protocol, port) in _PUBLIC_WEB:
            continue
        report_violation(
            f"rules[{index}] opens {_protocol(protocol)} {show(port) if port is not MISSING else 'any'} "
            f"to the whole internet ({', '.join(world)}); only 80, 443 and ICMP may be public, "
            "SSH only from the admin networks",
            None,
        )


# --- Hetzner servers -----------------------------------------------------------------------

USER_DATA_TOKENS = ("PRIVATE KEY", "password", "requirepass", "PGPASSWORD", "secret_access_key")
# sshd hardening directives that contain "password" but carry none.
_SSHD_DIRECTIVES = re.compile(r"PasswordAuthentication|PermitEmptyPasswords", re.IGNORECASE)


def validate_hcloud_firewall_attached(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, HCLOUD_SERVER)
    if props is None:
        return
    firewalls = get(props, "firewallIds")
    if firewalls is not UNKNOWN and not items(firewalls):
        report_violation(
            "no firewall at creation: set firewallIds so the server never boots unprotected", None
        )


def validate_hcloud_ssh_keys(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, MACHINES)
    if props is None:
        return
    keys = get(props, "sshKeys")
    if keys is not UNKNOWN and not items(keys):
        report_violation(
            f"no sshKeys: {MACHINES[args.resource_type]} then sets a root password and mails it; pass sshKeys",
            None,
        )


def user_data_secrets(user_data: str) -> list[str]:
    """The USER_DATA_TOKENS found in a cloud-init document (case-insensitive)."""
    text = _SSHD_DIRECTIVES.sub("", user_data).lower()
    return [token for token in USER_DATA_TOKENS if token.lower() in text]


def validate_hcloud_no_secrets_in_user_data(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, MACHINES)
    if props is None:
        return
    user_data = get(props, "userData")
    found = user_data_secrets(user_data) if isinstance(user_data, str) else []
    if found:
        report_violation(
            f"userData contains {', '.join(repr(t) for t in found)}: cloud metadata is readable on the server; "
            "ship secrets in the release bundle (0600 files) instead",
            None,
        )


def validate_hcloud_ignores_user_data(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in MACHINES:
        return
    if not {"userData", "user_data"} & set(args.opts.ignore_changes or []):
        report_violation(
            "userData is not in ignoreChanges: a cloud-init change would replace the server; "
            'add ignore_changes=["user_data"]',
            None,
        )


_DELETE_PROTECTION = {
    HCLOUD_SERVER: ("deleteProtection", "rebuildProtection"),
    HCLOUD_VOLUME: ("deleteProtection",),
    HCLOUD_FLOATING_IP: ("deleteProtection",),
}


def validate_hcloud_delete_protection(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, tuple(_DELETE_PROTECTION))
    if props is None:
        return
    protected = bool(args.opts.protect)
    for flag in _DELETE_PROTECTION[args.resource_type]:
        value = get(props, flag)
        if value is UNKNOWN:
            continue
        if value is True and not protected:
            # The provider-contract rule (components.contracts.Protected), in the pack's words.
            report_violation(
                f"{flag} without the protect option: a replacement would create the new resource and "
                f"then fail to delete the old one; set protect or turn {flag} off",
                None,
            )
        elif value is not True and protected and in_prod(args):
            report_violation(f"{flag} must be true in prod", None)


# --- protect, replacement ------------------------------------------------------------------


def holds_data(resource_type: str, props: dict[str, Any]) -> bool | None:
    """Whether a resource holds data (the one list: components._lib.stateful); None: cannot
    tell yet (a dynamic resource whose endpoint is unknown during preview)."""
    if resource_type == DYNAMIC:
        endpoint = get(props, "endpoint")
        if endpoint is UNKNOWN:
            return None
        return is_stateful(resource_type, {"endpoint": endpoint})
    return is_stateful(resource_type)


STATELESS_HOSTS_PROPERTY = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": "VpsHost names that run no postgres/redis: their servers need not be protected",
}


def validate_prod_protect_stateful(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not in_prod(args):
        return
    stateless = _names(args, "stateless_hosts")
    for resource in args.resources:
        if resource.opts.protect or not holds_data(resource.resource_type, plain(resource.props)):
            continue
        parent = resource.parent
        if (
            resource.resource_type == HCLOUD_SERVER
            and parent is not None
            and parent.resource_type == VPS_HOST
            and parent.name in stateless
        ):
            continue
        report_violation(
            f"{resource.name} ({resource.resource_type}) holds data but is not protected: set protect=True in prod",
            resource.urn,
        )


def validate_no_delete_before_replace(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not args.opts.delete_before_replace:
        return
    if holds_data(args.resource_type, plain(args.props)):
        report_violation(
            "deleteBeforeReplace on a data store deletes the data before its replacement exists; remove it",
            None,
        )


# --- DigitalOcean --------------------------------------------------------------------------


def validate_do_database_firewall_not_world(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _props(args, DO_DATABASE_FIREWALL)
    if props is None:
        return
    for index, rule in enumerate(items(get(props, "rules"))):
        kind, value = get(rule, "type"), get(rule, "value")
        if UNKNOWN in (rule, kind, value):
            continue
        if kind == "ip_addr" and is_world(value):
            report_violation(
                f"rules[{index}] trusts ip_addr {value}: every address on the internet may connect to the "
                "database; trust the droplets' tag (type tag) or their addresses instead",
                None,
            )
    addresses = [get(rule, "value") for rule in items(get(props, "rules")) if get(rule, "type") == "ip_addr"]
    together = world_sources(addresses)
    if together and not any(is_world(a) for a in together):
        report_violation(
            f"rules trust ip_addr {', '.join(together)}: together every address on the internet may "
            "connect to the database; trust the droplets' tag (type tag) or their addresses instead",
            None,
        )


def validate_do_spaces_private(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, DO_SPACES_BUCKET)
    if props is None:
        return
    acl = get(props, "acl")
    if acl is UNKNOWN or acl is MISSING:  # unset: the provider's default, private
        return
    if acl != "private":
        report_violation(
            f"acl is {show(acl)}: anyone may list or read the bucket; set acl=private and hand out "
            "scoped Spaces keys (or presigned URLs) instead",
            None,
        )


def validate_do_droplet_firewalled(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every droplet carries a tag some firewall of the stack selects, so the firewall applies
    from its first boot (a firewall by droplet ID could only follow the droplet's creation)."""
    selected: set[str] = set()
    for firewall in args.resources:
        if firewall.resource_type != DO_FIREWALL:
            continue
        tags = get(plain(firewall.props), "tags")
        if tags is UNKNOWN or UNKNOWN in items(tags):
            return  # preview: cannot tell yet
        selected |= {str(t) for t in items(tags)}
    for droplet in args.resources:
        if droplet.resource_type != DO_DROPLET:
            continue
        tags = get(plain(droplet.props), "tags")
        if tags is UNKNOWN or UNKNOWN in items(tags):
            continue
        if not selected & {str(t) for t in items(tags)}:
            report_violation(
                f"{droplet.name}: no firewall of this stack selects any of its tags, so it boots "
                "unprotected; give it a tag a firewall names in `tags`",
                droplet.urn,
            )


def validate_do_load_balancer_https(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, DO_LOAD_BALANCER)
    if props is None:
        return
    rules = items(get(props, "forwardingRules"))
    if get(props, "redirectHttpToHttps") not in (True, UNKNOWN):
        report_violation(
            "redirectHttpToHttps is not true: plain HTTP requests are served instead of redirected; set it",
            None,
        )
    protocols = [get(r, "entryProtocol") for r in rules]
    known = get(props, "forwardingRules") is not UNKNOWN and UNKNOWN not in protocols
    if known and "https" not in protocols:
        report_violation(
            "no forwarding rule accepts HTTPS on the load balancer; add one with a certificate", None
        )
    for index, rule in enumerate(rules):
        if UNKNOWN in (rule, get(rule, "entryProtocol")):
            continue
        uncertified = get(rule, "certificateName") is MISSING and get(rule, "certificateId") is MISSING
        passthrough = get(rule, "tlsPassthrough") is True
        if get(rule, "entryProtocol") == "https" and not passthrough and uncertified:
            report_violation(f"forwardingRules[{index}] takes HTTPS without a certificate", None)
    policy = get(props, "tlsCipherPolicy")
    if policy not in (UNKNOWN, "STRONG"):
        report_violation(
            f"tlsCipherPolicy is {show(policy)}: the DEFAULT policy still offers legacy ciphers; set STRONG",
            None,
        )


def validate_do_app_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, DO_APP)
    if props is None:
        return
    spec = get(props, "spec")
    if spec in (UNKNOWN, MISSING):
        return
    for kind in ("services", "workers", "jobs"):
        for i, component in enumerate(items(get(spec, kind))):
            for j, env in enumerate(items(get(component, "envs"))):
                key, kind_of = get(env, "key"), get(env, "type")
                if key in SECRET_VARS and kind_of not in (UNKNOWN, "SECRET"):
                    report_violation(
                        f"spec.{kind}[{i}].envs[{j}] {key} is type {show(kind_of)}: it carries a credential "
                        "that App Platform then shows in its console and build logs; set type SECRET",
                        None,
                    )


# --- Cloudflare R2 -------------------------------------------------------------------------

PUBLIC_BUCKETS_PROPERTY = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": "R2 bucket names that are public on purpose (opt-in)",
}


def validate_r2_private(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _props(args, (R2_MANAGED_DOMAIN, R2_CUSTOM_DOMAIN))
    if props is None:
        return
    enabled, bucket = get(props, "enabled"), get(props, "bucketName")
    if UNKNOWN in (enabled, bucket):
        return
    public = enabled is True or (args.resource_type == R2_CUSTOM_DOMAIN and enabled is MISSING)
    if not public:
        return
    opted_in = bucket in _names(args, "public_buckets")
    if args.resource_type == R2_MANAGED_DOMAIN:
        if not opted_in:
            report_violation(
                f"the r2.dev domain makes bucket {show(bucket)} public; "
                "disable it or list the bucket in public_buckets",
                None,
            )
        return
    domain = show(get(props, "domain"))
    if not opted_in:
        report_violation(
            f"custom domain {domain} makes bucket {show(bucket)} public; "
            "disable it or list the bucket in public_buckets",
            None,
        )
        return
    min_tls = get(props, "minTls")
    if min_tls is not UNKNOWN and min_tls not in ("1.2", "1.3"):
        report_violation(
            f"custom domain {domain}: minTls is {show(min_tls)} (default 1.0); use 1.2 or 1.3", None
        )


# --- the policies --------------------------------------------------------------------------

_UNKNOWN_NOTE = "Skips values that are unknown during preview (they are checked at up)."
_DEFAULT_NOTE = "An unset value is the provider default ({}) and fails."


def _describe(text: str, default: str | None = None) -> str:
    notes = [_UNKNOWN_NOTE] + ([_DEFAULT_NOTE.format(default)] if default else [])
    return f"{text} {' '.join(notes)}"


def _schema(**extra: dict[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={"environment": ENVIRONMENT_PROPERTY, **extra})


POLICIES: list[Policy] = [
    # RDS
    ResourceValidationPolicy(
        name="ckv-aws-16-rds-encrypted",
        description=_describe("RDS instances are encrypted at rest (storageEncrypted=true).", "false"),
        validate=validate_rds_encrypted,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-17-rds-not-public",
        description=_describe("RDS instances are not publicly accessible (publiclyAccessible is not true)."),
        validate=validate_rds_not_public,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="ckv2-aws-69-rds-force-ssl",
        description=_describe(
            "Every PostgreSQL RDS instance uses a parameter group of this stack that sets rds.force_ssl=1; "
            "an instance without parameterGroupName uses the engine default and fails."
        ),
        validate=validate_rds_force_ssl,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-133-rds-backup-retention-7",
        description=_describe(
            "Prod: RDS instances keep automated backups for at least 7 days (backupRetentionPeriod >= 7); "
            "dev/staging are not checked.",
            "1 day",
        ),
        validate=validate_rds_backup_retention,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-293-rds-deletion-protection",
        description=_describe("Prod: RDS instances set deletionProtection=true.", "false"),
        validate=validate_rds_deletion_protection,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="rds-backups-outlive-instance",
        description=_describe(
            "Prod: deleting an RDS instance keeps a final snapshot (skipFinalSnapshot=false with a "
            "finalSnapshotIdentifier) and its automated backups (deleteAutomatedBackups=false).",
            "deleteAutomatedBackups true",
        ),
        validate=validate_rds_backups_outlive,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-157-rds-multi-az",
        description=_describe("Prod (advisory): RDS instances run Multi-AZ (multiAz=true).", "false"),
        validate=validate_rds_multi_az,
        enforcement_level=ADVISORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    # ElastiCache
    ResourceValidationPolicy(
        name="ckv-aws-29-elasticache-at-rest",
        description=_describe("ElastiCache replication groups set atRestEncryptionEnabled=true.", "false"),
        validate=validate_cache_at_rest,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-30-elasticache-in-transit",
        description=_describe("ElastiCache replication groups set transitEncryptionEnabled=true.", "false"),
        validate=validate_cache_in_transit,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-31-elasticache-auth-token",
        description=_describe(
            "ElastiCache replication groups require authentication: an authToken (or RBAC userGroupIds).",
            "no auth",
        ),
        validate=validate_cache_auth_token,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-134-elasticache-snapshots",
        description=_describe(
            "Prod: ElastiCache replication groups keep snapshots (snapshotRetentionLimit > 0).", "0"
        ),
        validate=validate_cache_snapshots,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    # S3
    StackValidationPolicy(
        name="ckv-aws-53-56-s3-public-access-block",
        description=_describe(
            "Every S3 bucket has a public access block, and every public access block sets "
            "blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true "
            "(unset = false)."
        ),
        validate=validate_s3_public_access_block,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="ckv-aws-19-s3-encryption",
        description=_describe(
            "Every S3 bucket has a server-side encryption configuration with a default algorithm "
            "(AES256, aws:kms or aws:kms:dsse)."
        ),
        validate=validate_s3_encryption,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-tls-only",
        description=_describe(
            "Every S3 bucket has a bucket policy that denies s3:* to everyone on the bucket and its "
            "objects when aws:SecureTransport is false (CKV_AWS_379 binds only to ACLs)."
        ),
        validate=validate_s3_tls_only,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="ckv-aws-21-s3-versioning",
        description=_describe("Advisory: every S3 bucket has versioning enabled."),
        validate=validate_s3_versioning,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="s3-no-force-destroy",
        description=_describe("Prod: S3 buckets do not set forceDestroy=true."),
        validate=validate_s3_no_force_destroy,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    # load balancer
    ResourceValidationPolicy(
        name="ckv-aws-2-alb-https-redirect",
        description=_describe(
            "HTTP load-balancer listeners only redirect to HTTPS (every default action is a redirect "
            "with protocol HTTPS); an unset protocol is HTTP."
        ),
        validate=validate_alb_https_redirect,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-103-alb-tls-policy",
        description=_describe(
            f"HTTPS/TLS listeners use {TLS_POLICY} or another ELBSecurityPolicy-TLS13-1-2/1-3 policy "
            "(not the -Ext variants, which Trivy AWS-0047 also rejects).",
            "no policy",
        ),
        validate=validate_alb_tls_policy,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-131-alb-drop-invalid-headers",
        description=_describe("Application load balancers set dropInvalidHeaderFields=true.", "false"),
        validate=validate_alb_drop_invalid_headers,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-150-alb-deletion-protection",
        description=_describe("Prod: load balancers set enableDeletionProtection=true.", "false"),
        validate=validate_alb_deletion_protection,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    # ECS
    ResourceValidationPolicy(
        name="ckv-aws-336-ecs-read-only-root",
        description=_describe(
            "Advisory: every container of a task definition sets readonlyRootFilesystem=true.", "false"
        ),
        validate=validate_ecs_read_only_root,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-334-ecs-not-privileged",
        description=_describe("No container of a task definition sets privileged=true."),
        validate=validate_ecs_not_privileged,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-335-ecs-no-host-pid",
        description=_describe("Task definitions do not share the host's process namespace (pidMode host)."),
        validate=validate_ecs_no_host_pid,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="aws-0036-no-secrets-in-environment",
        description=_describe(
            "No container environment variable carries a secret: not the connection contract's secret "
            f"names ({', '.join(sorted(SECRET_VARS))}) nor names containing PASSWORD/PASSWD/SECRET or "
            "ending in _TOKEN/_API_KEY/_PRIVATE_KEY, and no value holding a URL with a password or a "
            "private key. Secrets go in secrets[] with valueFrom."
        ),
        validate=validate_ecs_no_secrets_in_environment,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-333-ecs-no-public-ip",
        description=_describe("Advisory: ECS services do not assign public IPs to tasks."),
        validate=validate_ecs_no_public_ip,
        enforcement_level=ADVISORY,
    ),
    # CloudFront
    ResourceValidationPolicy(
        name="ckv-aws-34-cloudfront-https",
        description=_describe(
            "Every CloudFront cache behavior uses viewerProtocolPolicy redirect-to-https or https-only."
        ),
        validate=validate_cloudfront_https,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-aws-174-cloudfront-tls12",
        description=_describe(
            "CloudFront distributions use a custom certificate with minimumProtocolVersion TLSv1.2_2021 "
            "or newer (the default certificate accepts TLS 1.0).",
            "TLSv1",
        ),
        validate=validate_cloudfront_tls12,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv2-aws-46-cloudfront-s3-origin-access",
        description=_describe(
            "CloudFront origins that are S3 buckets use origin access control (or a legacy origin access "
            "identity), so the bucket stays private."
        ),
        validate=validate_cloudfront_s3_origin_access,
        enforcement_level=MANDATORY,
    ),
    # ingress
    ResourceValidationPolicy(
        name="no-world-ingress-admin-and-data-ports",
        description=_describe(
            "No inbound rule from 0.0.0.0/0 or ::/0 reaches 22 (SSH), 5432 (PostgreSQL) or 6379 (Redis), "
            "including port ranges that contain them and protocol -1/all: AWS SecurityGroupIngressRule, "
            "SecurityGroupRule and inline SecurityGroup ingress, hcloud Firewall rules and DigitalOcean "
            "Firewall inboundRules (portRange 'all', '0' or unset = every port; TCP/UDP, ICMP/GRE/ESP "
            "have no ports). No scanner checks 5432/6379."
        ),
        validate=validate_no_world_ingress,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
        description=_describe(
            "Hetzner firewalls open only 80, 443 and ICMP to the whole internet; SSH and every other port "
            "only to the admin networks (CKV_DIO_4 for DigitalOcean)."
        ),
        validate=validate_hetzner_firewall_admin_only,
        enforcement_level=MANDATORY,
    ),
    # Hetzner servers
    ResourceValidationPolicy(
        name="hcloud-server-firewall-attached",
        description=_describe(
            "Hetzner servers get a firewall at creation (firewallIds not empty), so they never boot unprotected."
        ),
        validate=validate_hcloud_firewall_attached,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-dio-2-like-hcloud-ssh-keys",
        description=_describe(
            "Hetzner servers and DigitalOcean droplets get SSH keys (sshKeys not empty); no root "
            "password is mailed (CKV_DIO_2 for droplets)."
        ),
        validate=validate_hcloud_ssh_keys,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="hcloud-server-no-secrets-in-user-data",
        description=_describe(
            "Hetzner server and DigitalOcean droplet userData contains none of "
            f"{', '.join(repr(t) for t in USER_DATA_TOKENS)} (case-insensitive; the sshd directives "
            "PasswordAuthentication and PermitEmptyPasswords are hardening, not secrets)."
        ),
        validate=validate_hcloud_no_secrets_in_user_data,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="hcloud-server-ignores-user-data",
        description=(
            "Hetzner servers and DigitalOcean droplets ignore userData changes (ignoreChanges), "
            "which would replace them."
        ),
        validate=validate_hcloud_ignores_user_data,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="hcloud-delete-protection",
        description=_describe(
            "Hetzner deletion protection goes with Pulumi's protect: in prod protected servers set "
            "deleteProtection and rebuildProtection, volumes and floating IPs deleteProtection; nothing "
            "sets them without protect (a replacement would fail half way).",
            "false",
        ),
        validate=validate_hcloud_delete_protection,
        enforcement_level=MANDATORY,
        config_schema=ENVIRONMENT_SCHEMA,
    ),
    # protect, replacement
    StackValidationPolicy(
        name="prod-protect-stateful",
        description=(
            "Prod: every resource holding data (components/_lib/stateful.py) has the protect option: "
            "RDS instances, ElastiCache groups, S3 and R2 buckets, Hetzner volumes, floating IPs and "
            "servers, DigitalOcean database clusters, their databases and users, volumes, Spaces buckets "
            "and reserved IPs, generated passwords, and Hetzner Object Storage buckets (dynamic "
            "resources with a your-objectstorage.com endpoint). A server whose "
            "VpsHost is listed in stateless_hosts (runs no postgres/redis) is exempt. "
            "A dynamic resource whose endpoint is unknown during preview is skipped."
        ),
        validate=validate_prod_protect_stateful,
        enforcement_level=MANDATORY,
        config_schema=_schema(stateless_hosts=STATELESS_HOSTS_PROPERTY),
    ),
    ResourceValidationPolicy(
        name="no-delete-before-replace-on-data-stores",
        description=(
            "No resource holding data sets deleteBeforeReplace: it deletes the data before the "
            "replacement exists."
        ),
        validate=validate_no_delete_before_replace,
        enforcement_level=MANDATORY,
    ),
    # DigitalOcean
    ResourceValidationPolicy(
        name="do-database-firewall-not-world",
        description=_describe(
            "DigitalOcean database firewalls (trusted sources) have no ip_addr rule for 0.0.0.0/0 or ::/0 "
            "(any zero-length prefix): managed PostgreSQL and Valkey are reachable only from what is trusted."
        ),
        validate=validate_do_database_firewall_not_world,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="ckv-dio-3-spaces-bucket-private",
        description=_describe(
            "DigitalOcean Spaces buckets are private: acl is private (unset = private, the provider default); "
            "public-read lets anyone list and read the objects."
        ),
        validate=validate_do_spaces_private,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="do-droplet-firewall-at-creation",
        description=_describe(
            "Every DigitalOcean droplet carries a tag that a firewall of the stack selects, so the "
            "firewall applies from its first boot (the counterpart of hcloud-server-firewall-attached)."
        ),
        validate=validate_do_droplet_firewalled,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="do-load-balancer-https-only",
        description=_describe(
            "DigitalOcean load balancers take HTTPS with a certificate, redirect HTTP to HTTPS and use the "
            "STRONG TLS cipher policy (the counterpart of CKV_AWS_2/CKV_AWS_103 for the ALB)."
        ),
        validate=validate_do_load_balancer_https,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="do-app-platform-secrets-encrypted",
        description=_describe(
            "App Platform variables that carry credentials (DATABASE_URL, PGPASSWORD, REDIS_URL, S3 keys) "
            "are type SECRET: encrypted, and hidden in the console and logs."
        ),
        validate=validate_do_app_secrets,
        enforcement_level=MANDATORY,
    ),
    # Cloudflare
    ResourceValidationPolicy(
        name="r2-bucket-private",
        description=_describe(
            "R2 buckets stay private: no enabled r2.dev managed domain or custom domain unless the bucket "
            "is listed in public_buckets; a listed bucket's custom domain sets minTls 1.2 or 1.3. "
            "A custom domain's unset enabled means enabled."
        ),
        validate=validate_r2_private,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(properties={"public_buckets": PUBLIC_BUCKETS_PROPERTY}),
    ),
]

ENVIRONMENT_POLICIES = [
    p.name
    for p in POLICIES
    if p.config_schema is not None and "environment" in (p.config_schema.properties or {})
]
"""Policies that read `environment` from their config."""

"""AWS S3 buckets: public access blocked, encrypted, TLS only, (advisory) versioned, and in
prod never force-destroyed.

A bucket's settings are resources of their own that name the bucket in their `bucket` input;
these stack policies find them through the engine's property dependencies, else by the
bucket's name.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy
from pulumi_policy.policy import PolicyResource

from multicloud.components._lib import types
from multicloud.policies.controls._checks import (
    ADVISORY,
    MANDATORY,
    attachments,
    describe,
    not_true,
    property_check,
)
from multicloud.policies.controls._values import MISSING, UNKNOWN, as_list, get, items, plain

BUCKETS = (types.AWS_S3_BUCKET, types.AWS_S3_BUCKET_V2)
PUBLIC_ACCESS_BLOCK = types.AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK
ENCRYPTION_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_POLICY = types.AWS_S3_BUCKET_POLICY
VERSIONING_CONFIGS = (
    types.AWS_S3_BUCKET_VERSIONING,
    types.AWS_S3_BUCKET_VERSIONING_V2,
)

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def _by_bucket(
    args: StackValidationArgs, types: tuple[str, ...]
) -> tuple[list[PolicyResource], dict[str, list[PolicyResource]], bool]:
    """The stack's buckets, the resources of `types` attached to each, and whether one of them
    points at an unknown bucket."""
    return attachments(args.resources, BUCKETS, types, "bucket", "bucket")


def validate_s3_public_access_block(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = _by_bucket(args, (PUBLIC_ACCESS_BLOCK,))
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


PUBLIC_ACCESS_BLOCKED = StackValidationPolicy(
    name="ckv-aws-53-56-s3-public-access-block",
    description=describe(
        "Every S3 bucket has a public access block, and every public access block sets "
        "blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true "
        "(unset = false)."
    ),
    validate=validate_s3_public_access_block,
    enforcement_level=MANDATORY,
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
    buckets, attached, undetermined = _by_bucket(args, ENCRYPTION_CONFIGS)
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


ENCRYPTED = StackValidationPolicy(
    name="ckv-aws-19-s3-encryption",
    description=describe(
        "Every S3 bucket has a server-side encryption configuration with a default algorithm "
        "(AES256, aws:kms or aws:kms:dsse)."
    ),
    validate=validate_s3_encryption,
    enforcement_level=MANDATORY,
)


def _denies_plain_http(statement: Any, bucket_name: Any) -> bool:
    """A statement that denies every S3 action to everyone on the bucket and its objects
    when aws:SecureTransport is false."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal != "*" and not (isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))):
        return False
    if not {"s3:*", "*"} & set(as_list(statement.get("Action"))):
        return False
    condition = statement.get("Condition")
    secure = condition.get("Bool", {}).get("aws:SecureTransport") if isinstance(condition, dict) else None
    if not isinstance(secure, str | bool | list) or {str(v).lower() for v in as_list(secure)} != {"false"}:
        return False
    arns = [a for a in as_list(statement.get("Resource")) if isinstance(a, str)]
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
    return any(_denies_plain_http(s, bucket_name) for s in as_list(statements))


def validate_s3_tls_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = _by_bucket(args, (BUCKET_POLICY,))
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


TLS_ONLY = StackValidationPolicy(
    name="s3-tls-only",
    description=describe(
        "Every S3 bucket has a bucket policy that denies s3:* to everyone on the bucket and its "
        "objects when aws:SecureTransport is false (CKV_AWS_379 binds only to ACLs)."
    ),
    validate=validate_s3_tls_only,
    enforcement_level=MANDATORY,
)


def validate_s3_versioning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets, attached, undetermined = _by_bucket(args, VERSIONING_CONFIGS)
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


VERSIONED = StackValidationPolicy(
    name="ckv-aws-21-s3-versioning",
    description=describe("Advisory: every S3 bucket has versioning enabled."),
    validate=validate_s3_versioning,
    enforcement_level=ADVISORY,
)

NO_FORCE_DESTROY = property_check(
    "s3-no-force-destroy",
    describe("Prod: S3 buckets do not set forceDestroy=true."),
    BUCKETS,
    "forceDestroy",
    not_true,
    "forceDestroy must be false in prod: it deletes every object with the bucket",
    prod_only=True,
)

POLICIES = [PUBLIC_ACCESS_BLOCKED, ENCRYPTED, TLS_ONLY, VERSIONED, NO_FORCE_DESTROY]

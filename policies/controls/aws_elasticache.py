"""AWS ElastiCache replication groups: encrypted at rest and in transit, authenticated, and in
prod keeping snapshots."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from multicloud.components._lib import types
from multicloud.policies.controls._checks import MANDATORY, describe, is_true, property_check, props_of
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, show

CACHE = types.AWS_ELASTICACHE_REPLICATION_GROUP

AT_REST = property_check(
    "ckv-aws-29-elasticache-at-rest",
    describe("ElastiCache replication groups set atRestEncryptionEnabled=true.", "false"),
    CACHE,
    "atRestEncryptionEnabled",
    is_true,
    "atRestEncryptionEnabled must be true (possible only when the replication group is created)",
)

IN_TRANSIT = property_check(
    "ckv-aws-30-elasticache-in-transit",
    describe("ElastiCache replication groups set transitEncryptionEnabled=true.", "false"),
    CACHE,
    "transitEncryptionEnabled",
    is_true,
    "transitEncryptionEnabled must be true: clients connect over TLS only",
)


def validate_cache_auth_token(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, CACHE)
    if props is None:
        return
    token, groups = get(props, "authToken"), get(props, "userGroupIds")
    if UNKNOWN in (token, groups) or UNKNOWN in items(groups):
        return
    if token in (MISSING, "") and not items(groups):
        report_violation(
            "no authToken (or userGroupIds): any client that reaches the port can read and write", None
        )


AUTH_TOKEN = ResourceValidationPolicy(
    name="ckv-aws-31-elasticache-auth-token",
    description=describe(
        "ElastiCache replication groups require authentication: an authToken (or RBAC userGroupIds).",
        "no auth",
    ),
    validate=validate_cache_auth_token,
    enforcement_level=MANDATORY,
)


SNAPSHOTS = property_check(
    "ckv-aws-134-elasticache-snapshots",
    describe("Prod: ElastiCache replication groups keep snapshots (snapshotRetentionLimit > 0).", "0"),
    CACHE,
    "snapshotRetentionLimit",
    lambda days: isinstance(days, int | float) and days > 0,
    lambda days: f"snapshotRetentionLimit is {show(days)} (no snapshots); prod keeps at least 1 day",
    unset_message="snapshotRetentionLimit is not set (no snapshots); prod keeps at least 1 day",
    prod_only=True,
)

POLICIES = [AT_REST, IN_TRANSIT, AUTH_TOKEN, SNAPSHOTS]

"""AWS RDS: encrypted, private (or admitting single addresses), TLS forced; in prod backed up for 7 days, protected from
deletion, keeping its snapshots when deleted, and (advisory) Multi-AZ."""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyResource

from multicloud.components._lib import types
from multicloud.policies.controls._checks import (
    ADVISORY,
    ENVIRONMENT_SCHEMA,
    MANDATORY,
    attachments,
    describe,
    in_prod,
    is_true,
    property_check,
    props_of,
    references,
)
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, plain, show
from multicloud.policies.controls.aws_security_groups import (
    INBOUND,
    INGRESS_RULE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
)

RDS = types.AWS_RDS_INSTANCE
RDS_PARAMETER_GROUP = types.AWS_RDS_PARAMETER_GROUP

ENCRYPTED = property_check(
    "ckv-aws-16-rds-encrypted",
    describe("RDS instances are encrypted at rest (storageEncrypted=true).", "false"),
    RDS,
    "storageEncrypted",
    is_true,
    "storage is not encrypted: set storageEncrypted=true (possible only when the instance is created)",
)


def _single_address(source: Any) -> bool:
    """Whether a rule's source admits one address (a /32 or /128), or is no address range at all
    (MISSING: a rule from a security group; UNKNOWN: not known until the deployment)."""
    if source is MISSING or source is UNKNOWN:
        return True
    try:
        network = ipaddress.ip_network(str(source).strip(), strict=False)
    except ValueError:
        return False
    return network.num_addresses == 1


def validate_rds_not_public(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    groups = [r for r in args.resources if r.resource_type == SECURITY_GROUP]
    _, rules, undetermined = attachments(
        args.resources, (SECURITY_GROUP,), (INGRESS_RULE, SECURITY_GROUP_RULE), "securityGroupId", "name"
    )
    for db in args.resources:
        if db.resource_type != RDS or get(plain(db.props), "publiclyAccessible") is not True:
            continue
        linked = references(db, "vpcSecurityGroupIds", groups, lambda p: get(p, "name"))
        listed = get(plain(db.props), "vpcSecurityGroupIds")
        unseen = linked is not None and listed is not UNKNOWN and len(items(listed)) > len(linked)
        if not linked or unseen or undetermined:
            report_violation(
                f"{db.name}: publiclyAccessible is true and its security groups cannot be told; "
                "keep the database private (publiclyAccessible=false, private subnets)",
                db.urn,
            )
            continue
        addresses = 0
        for group in linked:
            inbound = list(INBOUND[SECURITY_GROUP](plain(group.props)))
            for rule in rules.get(group.urn, []):
                props = plain(rule.props)
                inbound += INBOUND[rule.resource_type](props)
                if get(props, "prefixListId") not in (MISSING, UNKNOWN):
                    inbound.append(("", None, ["a prefix list"]))
            sources = [s for _, _, found in inbound for s in found if s is not MISSING]
            addresses += len(sources)
            wide = [str(s) for s in sources if not _single_address(s)]
            if wide:
                report_violation(
                    f"{db.name}: publiclyAccessible is true and security group {group.name} admits "
                    f"{', '.join(wide)}; a public instance may admit single addresses (/32) only, "
                    "else keep it private (publiclyAccessible=false, private subnets)",
                    db.urn,
                )
        if not addresses:
            report_violation(
                f"{db.name}: publiclyAccessible is true and no rule admits an address outside the VPC; "
                "keep the database private (publiclyAccessible=false, private subnets)",
                db.urn,
            )


NOT_PUBLIC = StackValidationPolicy(
    name="ckv-aws-17-rds-not-public",
    description=describe(
        "RDS instances are not publicly accessible (publiclyAccessible is not true), unless they "
        "admit addresses outside the VPC and every security group they use admits single "
        "addresses only (/32 or /128, or other security groups): the instance then answers the "
        "consumers it names on other providers and nobody else. Checkov's CKV_AWS_17 with that "
        "one exception."
    ),
    validate=validate_rds_not_public,
    enforcement_level=MANDATORY,
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


FORCE_SSL = StackValidationPolicy(
    name="ckv2-aws-69-rds-force-ssl",
    description=describe(
        "Every PostgreSQL RDS instance uses a parameter group of this stack that sets rds.force_ssl=1; "
        "an instance without parameterGroupName uses the engine default and fails."
    ),
    validate=validate_rds_force_ssl,
    enforcement_level=MANDATORY,
)


BACKUP_RETENTION = property_check(
    "ckv-aws-133-rds-backup-retention-7",
    describe(
        "Prod: RDS instances keep automated backups for at least 7 days (backupRetentionPeriod >= 7); "
        "dev/staging are not checked.",
        "1 day",
    ),
    RDS,
    "backupRetentionPeriod",
    lambda days: isinstance(days, int | float) and days >= 7,
    lambda days: f"backupRetentionPeriod is {show(days)}; prod keeps at least 7 days",
    unset_message="backupRetentionPeriod is not set (the API keeps 1 day); prod keeps at least 7 days",
    prod_only=True,
)

DELETION_PROTECTION = property_check(
    "ckv-aws-293-rds-deletion-protection",
    describe("Prod: RDS instances set deletionProtection=true.", "false"),
    RDS,
    "deletionProtection",
    is_true,
    "deletionProtection must be true in prod",
    prod_only=True,
)


def validate_rds_backups_outlive(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, RDS)
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


BACKUPS_OUTLIVE = ResourceValidationPolicy(
    name="rds-backups-outlive-instance",
    description=describe(
        "Prod: deleting an RDS instance keeps a final snapshot (skipFinalSnapshot=false with a "
        "finalSnapshotIdentifier) and its automated backups (deleteAutomatedBackups=false).",
        "deleteAutomatedBackups true",
    ),
    validate=validate_rds_backups_outlive,
    enforcement_level=MANDATORY,
    config_schema=ENVIRONMENT_SCHEMA,
)

MULTI_AZ = property_check(
    "ckv-aws-157-rds-multi-az",
    describe("Prod (advisory): RDS instances run Multi-AZ (multiAz=true).", "false"),
    RDS,
    "multiAz",
    is_true,
    "multiAz is not enabled: a prod database has no standby in a second zone",
    enforcement=ADVISORY,
    prod_only=True,
)

POLICIES = [
    ENCRYPTED,
    NOT_PUBLIC,
    FORCE_SSL,
    BACKUP_RETENTION,
    DELETION_PROTECTION,
    BACKUPS_OUTLIVE,
    MULTI_AZ,
]

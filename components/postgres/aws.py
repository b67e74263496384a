"""ManagedPostgres on AWS: RDS PostgreSQL, private, encrypted, TLS-only, backed up.

Settings follow the Checkov and Trivy checks for RDS (their IDs in brackets):
storage_encrypted (CKV_AWS_16), not publicly accessible (CKV_AWS_17), rds.force_ssl
(CKV2_AWS_69), backup retention ≥ 7 days in prod (CKV_AWS_133 / AWS-0077), deletion
protection (CKV_AWS_293), final snapshot and automated backups kept on deletion
(terraform-provider-aws#13257), auto minor version upgrade (CKV_AWS_226), Multi-AZ by flag
(CKV_AWS_157), log exports in prod (CKV_AWS_129).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components._lib.naming import physical_name
from components._lib.passwords import generated_password
from components.postgres import ManagedPostgres, PostgresArgs, PostgresOutputs

PORT = 5432


def build(parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs:
    """Create the subnet group, security group, parameter group and instance."""
    network = args.network
    if network is None:
        raise ValueError(f"{name}: postgres on aws needs network=")
    child = pulumi.ResourceOptions(parent=parent)
    major = args.version.split(".")[0]
    password = generated_password(parent, name, protect=args.protect)

    subnets = aws.rds.SubnetGroup(
        f"{name}-subnets", subnet_ids=network.private_subnet_ids, tags=args.tags, opts=child
    )
    # No inline rules: each linked service adds one ingress rule from its own group.
    security_group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=network.vpc_id,
        description=f"{name}: PostgreSQL, reachable from linked services only",
        tags=args.tags,
        opts=child,
    )
    parameters = aws.rds.ParameterGroup(
        f"{name}-params",
        family=f"postgres{major}",
        description=f"{name}: TLS required",
        parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
        tags=args.tags,
        opts=child,
    )
    prod = args.protect
    instance = aws.rds.Instance(
        f"{name}-db",
        engine="postgres",
        engine_version=major,
        instance_class=args.instance_class,
        allocated_storage=args.storage_gb,
        storage_type="gp3",
        storage_encrypted=True,
        db_name=args.database,
        username=args.username,
        password=password.result,
        port=PORT,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[security_group.id],
        parameter_group_name=parameters.name,
        publicly_accessible=False,
        multi_az=args.multi_az,
        backup_retention_period=args.backup_days,
        copy_tags_to_snapshot=True,
        delete_automated_backups=False,
        deletion_protection=prod,
        skip_final_snapshot=not prod,
        final_snapshot_identifier=physical_name(
            pulumi.get_project(), pulumi.get_stack(), name, "final", max_len=63
        )
        if prod
        else None,
        auto_minor_version_upgrade=True,
        allow_major_version_upgrade=False,
        enabled_cloudwatch_logs_exports=["postgresql", "upgrade"] if prod else None,
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=prod),
    )
    return PostgresOutputs(
        host=instance.address,
        port=pulumi.Output.from_input(PORT),
        database=pulumi.Output.from_input(args.database),
        username=pulumi.Output.from_input(args.username),
        password=password.result,
        # Encrypted; verify-full would also need the RDS CA bundle inside the image.
        sslmode="require",
        resources={
            "password": password,
            "subnet_group": subnets,
            "security_group": security_group,
            "parameter_group": parameters,
            "instance": instance,
        },
        security_group_id=security_group.id,
    )

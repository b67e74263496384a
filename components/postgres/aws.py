"""ManagedPostgres on AWS: RDS PostgreSQL, private, encrypted, TLS-only, backed up.

Settings follow the Checkov and Trivy checks for RDS (their IDs in brackets):
storage_encrypted (CKV_AWS_16), not publicly accessible (CKV_AWS_17), rds.force_ssl
(CKV2_AWS_69), backup retention ≥ 7 days in prod (CKV_AWS_133 / AWS-0077), deletion
protection (CKV_AWS_293), final snapshot and automated backups kept on deletion
(terraform-provider-aws#13257), auto minor version upgrade (CKV_AWS_226), Multi-AZ by flag
(CKV_AWS_157), log exports in prod (CKV_AWS_129).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components._lib.naming import physical_name
from components._lib.passwords import generated_password
from components.network import Network
from components.postgres import ManagedPostgres, PostgresArgs, PostgresOutputs

PORT = 5432


@dataclass(frozen=True)
class _Rds:
    """What every step of the build shares: the component, its name, its inputs and its VPC."""

    parent: ManagedPostgres
    name: str
    args: PostgresArgs
    network: Network

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)


def build(parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs:
    """Create the subnet group, security group, parameter group and instance."""
    if args.network is None:
        raise ValueError(f"{name}: postgres on aws needs network=")
    rds = _Rds(parent, name, args, args.network)
    password = generated_password(parent, name, protect=args.protect)
    subnets = _subnet_group(rds)
    security_group = _security_group(rds)
    parameters = _parameter_group(rds)
    instance = _instance(rds, password.result, subnets, security_group, parameters)
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


def _subnet_group(rds: _Rds) -> aws.rds.SubnetGroup:
    return aws.rds.SubnetGroup(
        f"{rds.name}-subnets", subnet_ids=rds.network.private_subnet_ids, tags=rds.args.tags, opts=rds.child
    )


def _security_group(rds: _Rds) -> aws.ec2.SecurityGroup:
    # No inline rules: each linked service adds one ingress rule from its own group.
    return aws.ec2.SecurityGroup(
        f"{rds.name}-sg",
        vpc_id=rds.network.vpc_id,
        description=f"{rds.name}: PostgreSQL, reachable from linked services only",
        tags=rds.args.tags,
        opts=rds.child,
    )


def _parameter_group(rds: _Rds) -> aws.rds.ParameterGroup:
    return aws.rds.ParameterGroup(
        f"{rds.name}-params",
        family=f"postgres{_major(rds.args)}",
        description=f"{rds.name}: TLS required",
        parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
        tags=rds.args.tags,
        opts=rds.child,
    )


def _major(args: PostgresArgs) -> str:
    return args.version.split(".")[0]


def _instance(
    rds: _Rds,
    password: pulumi.Output[str],
    subnets: aws.rds.SubnetGroup,
    security_group: aws.ec2.SecurityGroup,
    parameters: aws.rds.ParameterGroup,
) -> aws.rds.Instance:
    args, prod = rds.args, rds.args.protect
    return aws.rds.Instance(
        f"{rds.name}-db",
        engine="postgres",
        engine_version=_major(args),
        instance_class=args.instance_class,
        allocated_storage=args.storage_gb,
        storage_type="gp3",
        storage_encrypted=True,
        db_name=args.database,
        username=args.username,
        password=password,
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
            pulumi.get_project(), pulumi.get_stack(), rds.name, "final", max_len=63
        )
        if prod
        else None,
        auto_minor_version_upgrade=True,
        allow_major_version_upgrade=False,
        enabled_cloudwatch_logs_exports=["postgresql", "upgrade"] if prod else None,
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=rds.parent, protect=prod),
    )

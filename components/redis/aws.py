"""Redis on AWS: an ElastiCache replication group (Valkey or Redis OSS), TLS and auth token.

Mirrors CKV_AWS_29/30/31 (encryption at rest and in transit, auth token), CKV_AWS_134 /
AWS-0050 (snapshots kept in prod) and CKV2_AWS_50 (automatic failover with replicas).
`maxmemory-policy noeviction` matches the VPS backend, so queues never lose jobs silently.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components._lib.naming import physical_name
from components._lib.passwords import generated_password
from components.redis import Redis, RedisArgs, RedisOutputs

PORT = 6379


def parameter_family(engine: str, version: str) -> str:
    """The ElastiCache parameter group family of an engine version."""
    return f"valkey{version.split('.')[0]}" if engine == "valkey" else f"redis{version.split('.')[0]}"


def build(parent: Redis, name: str, args: RedisArgs) -> RedisOutputs:
    """Create the subnet group, security group, parameter group and replication group."""
    network = args.network
    if network is None:
        raise ValueError(f"{name}: redis on aws needs network=")
    child = pulumi.ResourceOptions(parent=parent)
    token = generated_password(parent, name, protect=args.protect)
    subnets = aws.elasticache.SubnetGroup(
        f"{name}-subnets",
        name=physical_name(pulumi.get_project(), pulumi.get_stack(), name, max_len=40),
        description=f"{name}: private subnets",
        subnet_ids=network.private_subnet_ids,
        tags=args.tags,
        opts=child,
    )
    security_group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=network.vpc_id,
        description=f"{name}: {args.engine}, reachable from linked services only",
        tags=args.tags,
        opts=child,
    )
    parameters = aws.elasticache.ParameterGroup(
        f"{name}-params",
        family=parameter_family(args.engine, args.version),
        description=f"{name}: writes fail instead of evicting keys",
        parameters=[aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value="noeviction")],
        tags=args.tags,
        opts=child,
    )
    failover = args.nodes > 1
    group = aws.elasticache.ReplicationGroup(
        f"{name}-cache",
        replication_group_id=physical_name(pulumi.get_project(), pulumi.get_stack(), name, max_len=40),
        description=f"{name} ({args.engine} {args.version})",
        engine=args.engine,
        engine_version=args.version,
        node_type=args.node_type,
        num_cache_clusters=args.nodes,
        automatic_failover_enabled=failover,
        multi_az_enabled=failover,
        port=PORT,
        subnet_group_name=subnets.name,
        security_group_ids=[security_group.id],
        parameter_group_name=parameters.name,
        at_rest_encryption_enabled=True,
        transit_encryption_enabled=True,
        auth_token=token.result,
        snapshot_retention_limit=7 if args.protect else 0,
        auto_minor_version_upgrade=True,
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
    )
    return RedisOutputs(
        host=group.primary_endpoint_address,
        port=pulumi.Output.from_input(PORT),
        password=token.result,
        tls=True,
        resources={
            "password": token,
            "subnet_group": subnets,
            "security_group": security_group,
            "parameter_group": parameters,
            "replication_group": group,
        },
        security_group_id=security_group.id,
    )

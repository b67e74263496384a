"""Redis on AWS: an ElastiCache replication group (Valkey or Redis OSS), TLS and auth token.

Mirrors CKV_AWS_29/30/31 (encryption at rest and in transit, auth token), CKV_AWS_134 /
AWS-0050 (snapshots kept in prod) and CKV2_AWS_50 (automatic failover with replicas).
`maxmemory-policy noeviction` matches the VPS backend, so queues never lose jobs silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from multicloud.components._lib.naming import physical_name
from multicloud.components._lib.passwords import generated_password
from multicloud.components.network import Network
from multicloud.components.redis import Redis, RedisArgs, RedisOutputs

PORT = 6379


def parameter_family(engine: str, version: str) -> str:
    """The ElastiCache parameter group family of an engine version."""
    return f"valkey{version.split('.')[0]}" if engine == "valkey" else f"redis{version.split('.')[0]}"


@dataclass(frozen=True)
class _Cache:
    """What every step of the build shares: the component, its name, its inputs and its VPC."""

    parent: Redis
    name: str
    args: RedisArgs
    network: Network

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)

    @property
    def physical_name(self) -> str:
        return physical_name(pulumi.get_project(), pulumi.get_stack(), self.name, max_len=40)


def build(parent: Redis, name: str, args: RedisArgs) -> RedisOutputs:
    """Create the subnet group, security group, parameter group and replication group."""
    if args.network is None:
        raise ValueError(f"{name}: redis on aws needs network=")
    cache = _Cache(parent, name, args, args.network)
    token = generated_password(parent, name, protect=args.protect)
    subnets = _subnet_group(cache)
    security_group = _security_group(cache)
    parameters = _parameter_group(cache)
    group = _replication_group(cache, token.result, subnets, security_group, parameters)
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


def _subnet_group(cache: _Cache) -> aws.elasticache.SubnetGroup:
    return aws.elasticache.SubnetGroup(
        f"{cache.name}-subnets",
        name=cache.physical_name,
        description=f"{cache.name}: private subnets",
        subnet_ids=cache.network.private_subnet_ids,
        tags=cache.args.tags,
        opts=cache.child,
    )


def _security_group(cache: _Cache) -> aws.ec2.SecurityGroup:
    return aws.ec2.SecurityGroup(
        f"{cache.name}-sg",
        vpc_id=cache.network.vpc_id,
        description=f"{cache.name}: {cache.args.engine}, reachable from linked services only",
        tags=cache.args.tags,
        opts=cache.child,
    )


def _parameter_group(cache: _Cache) -> aws.elasticache.ParameterGroup:
    return aws.elasticache.ParameterGroup(
        f"{cache.name}-params",
        family=parameter_family(cache.args.engine, cache.args.version),
        description=f"{cache.name}: writes fail instead of evicting keys",
        parameters=[aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value="noeviction")],
        tags=cache.args.tags,
        opts=cache.child,
    )


def _replication_group(
    cache: _Cache,
    token: pulumi.Output[str],
    subnets: aws.elasticache.SubnetGroup,
    security_group: aws.ec2.SecurityGroup,
    parameters: aws.elasticache.ParameterGroup,
) -> aws.elasticache.ReplicationGroup:
    args = cache.args
    failover = args.nodes > 1
    return aws.elasticache.ReplicationGroup(
        f"{cache.name}-cache",
        replication_group_id=cache.physical_name,
        description=f"{cache.name} ({args.engine} {args.version})",
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
        auth_token=token,
        snapshot_retention_limit=7 if args.protect else 0,
        auto_minor_version_upgrade=True,
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=cache.parent, protect=args.protect),
    )

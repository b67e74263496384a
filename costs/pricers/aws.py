"""AWS prices (USD, us-east-1, 730 hours a month): Fargate tasks, load balancers, NAT gateways,
public IPv4 addresses, RDS, ElastiCache, S3, CloudFront, CloudWatch Logs and Secrets Manager.
Networks, security groups, IAM, certificates, DNS records and the ECS service itself (its
tasks are priced on the task definition) are free."""

from __future__ import annotations

from typing import Any

from multicloud.components._lib import types
from multicloud.components._lib.schedule import ScheduleError, from_eventbridge
from multicloud.costs.catalog import load
from multicloud.costs.pricers.base import HOURS, Catalog, Context, Entry, Line, Pricers, Resource, line, num

AWS = Catalog("aws")


# Priced the same in every region: Route 53 and CloudFront are global services, and a public
# IPv4 address costs $0.005 an hour in every commercial region (AWS News Blog, "New AWS Public
# IPv4 Address Charge", 2023-07-28, read 2026-12-01).
GLOBAL_PRICES = frozenset({"route53_health_check", "cloudfront", "public_ipv4"})


def _regional(ctx: Context, key: str) -> Any:
    """The catalog's prices of `key` in the stack's AWS region, or None when it prices that
    region at the base (us-east-1) rates — which the estimate then says."""
    region = ctx.aws_region
    if region is None or region in load("aws")["regions"] or key in GLOBAL_PRICES:
        return None
    node = ((load("aws").get("regional") or {}).get(region) or {}).get(key)
    if node is None:
        ctx.approximate(f"AWS prices in {region} are us-east-1's for", key)
    return node


def _rates(ctx: Context, *path: str) -> Entry:
    """A catalog entry at `path`, in the stack's region when the catalog has it there."""
    node = _regional(ctx, path[0])
    for key in path[1:]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        source = node.get("source") or {}
        return Entry(node, "USD", source.get("url"), source.get("read"))
    return AWS.entry(*path)


def _rates_of(ctx: Context, key: str) -> dict[str, Entry]:
    """The entries of a list (`rds_instance_classes` …), the region's prices over the base ones."""
    base = AWS.entries(key)
    node = _regional(ctx, key)
    if not isinstance(node, dict):
        return base
    regional = {}
    for name, entry in base.items():
        prices = node.get(name)
        if isinstance(prices, dict):
            source = prices.get("source") or {}
            regional[name] = Entry({**entry.prices, **prices}, "USD", source.get("url"), source.get("read"))
        else:
            ctx.approximate(f"AWS prices in {ctx.aws_region} are us-east-1's for", f"{key} {name}")
            regional[name] = entry
    return regional


PRICERS = Pricers()
FREE = frozenset(
    {
        types.AWS_EC2_VPC,
        types.AWS_EC2_SUBNET,
        types.AWS_EC2_INTERNET_GATEWAY,
        types.AWS_EC2_ROUTE_TABLE,
        types.AWS_EC2_ROUTE_TABLE_ASSOCIATION,
        types.AWS_EC2_SECURITY_GROUP,
        types.AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
        types.AWS_VPC_SECURITY_GROUP_EGRESS_RULE,
        types.AWS_IAM_ROLE,
        types.AWS_IAM_ROLE_POLICY,
        types.AWS_IAM_ROLE_POLICY_ATTACHMENT,
        types.AWS_IAM_USER,
        types.AWS_IAM_USER_POLICY,
        types.AWS_IAM_ACCESS_KEY,
        types.AWS_SSM_PARAMETER,  # standard tier
        types.AWS_SECRETSMANAGER_SECRET_VERSION,  # priced on its secret
        types.AWS_ACM_CERTIFICATE,
        types.AWS_ACM_CERTIFICATE_VALIDATION,
        types.AWS_ROUTE53_RECORD,
        types.AWS_ECS_CLUSTER,
        types.AWS_ECS_SERVICE,  # its tasks are priced on the task definition
        types.AWS_LB_TARGET_GROUP,
        types.AWS_LB_LISTENER,
        types.AWS_APPAUTOSCALING_TARGET,
        types.AWS_APPAUTOSCALING_POLICY,
        types.AWS_RDS_SUBNET_GROUP,
        types.AWS_RDS_PARAMETER_GROUP,
        types.AWS_ELASTICACHE_SUBNET_GROUP,
        types.AWS_ELASTICACHE_PARAMETER_GROUP,
        types.AWS_S3_BUCKET_POLICY,
        types.AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK,
        types.AWS_S3_BUCKET_OWNERSHIP_CONTROLS,
        types.AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION,
        types.AWS_S3_BUCKET_VERSIONING,
        types.AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION,
        types.AWS_CLOUDFRONT_ORIGIN_ACCESS_CONTROL,
        # A job's schedule and its dead-letter queue: EventBridge Scheduler's first 14 million
        # invocations a month and SQS's first million requests are free; the runs are priced
        # on the task definition.
        types.AWS_SCHEDULER_SCHEDULE,
        types.AWS_SQS_QUEUE,
        # Alert e-mail: SNS sends the first 1,000 a month free; alarms are rare.
        types.AWS_SNS_TOPIC,
        types.AWS_SNS_TOPIC_SUBSCRIPTION,
    }
)


@PRICERS.register(types.AWS_ECS_TASK_DEFINITION)
def _fargate(res: Resource, ctx: Context) -> list[Line]:
    arch = ((res.inputs.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64").upper()
    rates = _rates(ctx, "fargate", "arm64" if arch == "ARM64" else "x86")
    vcpu, gb = num(res.inputs.get("cpu"), 256) / 1024, num(res.inputs.get("memory"), 512) / 1024
    schedules = ctx.siblings(res, types.AWS_SCHEDULER_SCHEDULE)
    if schedules:
        return _scheduled_runs(res, ctx, schedules[0], rates, vcpu, gb, arch)
    services = ctx.siblings(res, types.AWS_ECS_SERVICE)
    tasks = sum(num(s.inputs.get("desiredCount"), 1) for s in services) if services else 1
    label = f"{tasks:g} × {vcpu:g} vCPU / {gb:g} GB {'ARM' if arch == 'ARM64' else 'x86'}"
    lines = [
        line(res, f"Fargate vCPU ({label})", tasks * vcpu * HOURS, "vCPU-hour", rates, "vcpu_hour"),
        line(res, f"Fargate memory ({label})", tasks * gb * HOURS, "GB-hour", rates, "gb_hour"),
    ]
    public = [s for s in services if (s.inputs.get("networkConfiguration") or {}).get("assignPublicIp")]
    if public:
        count = sum(num(s.inputs.get("desiredCount"), 1) for s in public)
        ip = _rates(ctx, "public_ipv4")
        lines.append(line(res, "public IPv4 per task", count * HOURS, "hour", ip, "hourly"))
    return lines


def _scheduled_runs(
    res: Resource, ctx: Context, schedule: Resource, rates: Any, vcpu: float, gb: float, arch: str
) -> list[Line]:
    """A job's task (components/api_service/aws_schedule.py): its runs a month, each
    `usage.job_minutes` long (Fargate bills a minute at least), not a task running all month."""
    try:
        runs = from_eventbridge(str(schedule.inputs.get("scheduleExpression"))).runs_per_month()
    except ScheduleError:
        return [AWS.not_in_catalog(res, "Fargate runs of an unreadable schedule", 1, "month")]
    hours = runs * max(ctx.usage.job_minutes, 1) / 60
    label = f"{runs:,.0f} runs × {ctx.usage.job_minutes:g} min, {vcpu:g} vCPU / {gb:g} GB {'ARM' if arch == 'ARM64' else 'x86'}"
    return [
        line(res, f"Fargate vCPU ({label})", vcpu * hours, "vCPU-hour", rates, "vcpu_hour", usage_based=True),
        line(res, f"Fargate memory ({label})", gb * hours, "GB-hour", rates, "gb_hour", usage_based=True),
    ]


@PRICERS.register(types.AWS_SECRETSMANAGER_SECRET)
def _secret(res: Resource, ctx: Context) -> list[Line]:
    return [line(res, "Secrets Manager secret", 1, "month", _rates(ctx, "secretsmanager_secret"))]


@PRICERS.register(types.AWS_LB_LOAD_BALANCER)
def _alb(res: Resource, ctx: Context) -> list[Line]:
    alb, ip = _rates(ctx, "alb"), _rates(ctx, "public_ipv4")
    zones = len(res.inputs.get("subnets") or []) or 2
    lcu = ctx.usage.alb_lcu
    capacity = f"load balancer capacity ({lcu:g} LCU)"
    return [
        line(res, "Application Load Balancer", HOURS, "hour", alb, "hourly"),
        line(res, capacity, lcu * HOURS, "LCU-hour", alb, "lcu_hour", usage_based=True),
        line(res, f"public IPv4 ({zones} zones)", zones * HOURS, "hour", ip, "hourly"),
    ]


@PRICERS.register(types.AWS_EC2_NAT_GATEWAY)
def _nat(res: Resource, ctx: Context) -> list[Line]:
    nat, processed = _rates(ctx, "nat_gateway"), ctx.usage.nat_gb
    data = f"NAT data processed ({processed:g} GB)"
    return [
        line(res, "NAT gateway", HOURS, "hour", nat, "hourly"),
        line(res, data, processed, "GB", nat, "gb_processed", usage_based=True),
    ]


@PRICERS.register(types.AWS_EC2_EIP)
def _eip(res: Resource, ctx: Context) -> list[Line]:
    return [line(res, "Elastic IP (public IPv4)", HOURS, "hour", _rates(ctx, "public_ipv4"), "hourly")]


@PRICERS.register(types.AWS_RDS_INSTANCE)
def _rds(res: Resource, ctx: Context) -> list[Line]:
    name = str(res.inputs.get("instanceClass"))
    copies = 2 if res.inputs.get("multiAz") else 1
    suffix = " Multi-AZ" if copies == 2 else ""
    instance = _rates_of(ctx, "rds_instance_classes").get(name)
    lines = [
        line(res, f"RDS {name}{suffix}", copies * HOURS, "hour", instance, "hourly")
        if instance
        else AWS.not_in_catalog(res, f"RDS {name}", copies * HOURS, "hour"),
        line(
            res,
            f"RDS storage gp3{suffix}",
            copies * num(res.inputs.get("allocatedStorage"), 20),
            "GB-month",
            _rates(ctx, "rds_storage_gp3"),
            "gb_month",
        ),
    ]
    if res.inputs.get("publiclyAccessible"):
        lines += _rds_public(res, ctx)
    return lines


def _rds_public(res: Resource, ctx: Context) -> list[Line]:
    """A publicly accessible instance (linked from other providers, components/postgres/aws.py):
    its public IPv4 address, and what it sends to the addresses its own rules admit."""
    rules = ctx.siblings(res, types.AWS_VPC_SECURITY_GROUP_INGRESS_RULE)
    outside = [r for r in rules if r.inputs.get("cidrIpv4")]
    ip, transfer, gb = _rates(ctx, "public_ipv4"), _rates(ctx, "data_transfer_out"), ctx.usage.link_gb
    addresses = "1 address" if len(outside) == 1 else f"{len(outside)} addresses"
    return [
        line(res, "RDS public IPv4", HOURS, "hour", ip, "hourly"),
        line(
            res,
            f"transfer to {addresses} outside AWS ({gb:g} GB)",
            gb,
            "GB",
            transfer,
            "gb",
            usage_based=True,
            note="the account's first 100 GB a month out are free",
        ),
    ]


@PRICERS.register(types.AWS_ELASTICACHE_REPLICATION_GROUP)
def _elasticache(res: Resource, ctx: Context) -> list[Line]:
    node_type, engine = str(res.inputs.get("nodeType")), str(res.inputs.get("engine", "valkey"))
    count = num(res.inputs.get("numCacheClusters"), 1)
    node = _rates_of(ctx, "elasticache_node_types").get(node_type)
    if node is None:
        return [AWS.not_in_catalog(res, f"ElastiCache {node_type}", count * HOURS, "node-hour")]
    hourly = node["hourly"]["valkey" if engine == "valkey" else "redis"]
    name = f"ElastiCache {engine} {node_type} × {count:g}"
    return [line(res, name, count * HOURS, "node-hour", node, unit_price=hourly, note=node.get("status", ""))]


@PRICERS.register(types.AWS_S3_BUCKET)
def _s3(res: Resource, ctx: Context) -> list[Line]:
    stored, s3 = ctx.usage.storage_gb, _rates(ctx, "s3_standard")
    name = f"S3 Standard storage ({stored:g} GB)"
    return [line(res, name, stored, "GB-month", s3, "gb_month", usage_based=True)]


@PRICERS.register(types.AWS_CLOUDFRONT_DISTRIBUTION)
def _cloudfront(res: Resource, ctx: Context) -> list[Line]:
    cf, egress = _rates(ctx, "cloudfront"), ctx.usage.egress_gb
    free_gb = cf["free_tb_out"] * 1000
    billable = max(0.0, egress - free_gb) if ctx.first_time("cloudfront-free-tier") else egress
    name = f"CloudFront egress ({egress:g} GB, 1 TB always free)"
    return [line(res, name, billable, "GB", cf, "gb_out_after_free", usage_based=True)]


@PRICERS.register(types.AWS_CLOUDWATCH_LOG_GROUP)
def _logs(res: Resource, ctx: Context) -> list[Line]:
    logs, ingested = _rates(ctx, "cloudwatch_logs"), ctx.usage.log_gb
    free = logs["free_gb"] if ctx.first_time("cloudwatch-free-tier") else 0
    name = f"CloudWatch Logs ingestion ({ingested:g} GB, {free:g} GB free)"
    return [line(res, name, max(0.0, ingested - free), "GB", logs, "gb_ingested", usage_based=True)]


@PRICERS.register(types.AWS_ROUTE53_HEALTH_CHECK)
def _health_check(res: Resource, ctx: Context) -> list[Line]:
    """An HTTPS health check of the api's load balancer, an endpoint in AWS."""
    check = _rates(ctx, "route53_health_check")
    https = str(res.inputs.get("type", "")).startswith("HTTPS")
    lines = [line(res, "Route 53 health check (AWS endpoint)", 1, "month", check, "aws_endpoint_monthly")]
    if https:
        lines.append(line(res, "Route 53 health check HTTPS option", 1, "month", check, "https_aws_monthly"))
    return lines


@PRICERS.register(types.AWS_CLOUDWATCH_METRIC_ALARM)
def _alarm(res: Resource, ctx: Context) -> list[Line]:
    return [line(res, "CloudWatch alarm (standard resolution)", 1, "month", _rates(ctx, "cloudwatch_alarm"))]

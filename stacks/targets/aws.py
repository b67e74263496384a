"""AWS: what a stack on it must satisfy, and how neutral sizes become its instance classes.

Services on AWS share the stack's region (`aws.region`) and one VPC; APIs and static sites
need DNS for their certificates. ElastiCache versions are AWS's published ones
(components.contracts.aws); Fargate sizes, RDS classes and cache nodes come from the catalog
(costs/catalog/aws.yaml).
"""

from __future__ import annotations

from typing import Any

from multicloud.components.contracts import aws
from multicloud.costs.catalog import load
from multicloud.stacks.sizing import SizingError, size_problems
from multicloud.stacks.spec import (
    ApiSpec,
    BucketSpec,
    ContainerService,
    PostgresSpec,
    Problem,
    RedisSpec,
    StackSpec,
    StaticSiteSpec,
)
from multicloud.stacks.targets._raw import services_on as _here

# --- rules ----------------------------------------------------------------------------


def check(spec: StackSpec) -> list[Problem]:
    """Every AWS rule: the stack's region and DNS, then each service on AWS."""
    uses_aws = [n for n, s in spec.services.items() if s.target == "aws"]
    if not uses_aws:
        return []
    problems: list[Problem] = []
    if spec.aws is None:
        problems.append(
            ("aws", f"services.{uses_aws[0]} runs on AWS; set aws: {{region: us-east-1}} (or your region)")
        )
    needs_dns = [n for n in uses_aws if isinstance(spec.services[n], ApiSpec | StaticSiteSpec)]
    if needs_dns and spec.dns is None:
        problems.append(
            (
                "dns",
                f"services.{needs_dns[0]} on AWS needs dns: {{provider: route53 | cloudflare, zone_id: ...}} for its certificate",
            )
        )
    for name in uses_aws:
        svc, path = spec.services[name], f"services.{name}"
        if isinstance(svc, PostgresSpec):
            problems += _rds(path, svc)
        elif isinstance(svc, RedisSpec):
            problems += _elasticache(path, svc)
        elif isinstance(svc, BucketSpec) and svc.location is not None and spec.aws:
            if svc.location != spec.aws.region:
                problems.append(
                    (
                        f"{path}.location",
                        f"AWS buckets live in the stack's region {spec.aws.region}; remove location",
                    )
                )
        elif isinstance(svc, ContainerService):
            problems += _fargate(path, svc)
    return problems


def _rds(path: str, svc: PostgresSpec) -> list[Problem]:
    problems: list[Problem] = []
    if svc.storage_gb < 20:
        problems.append((f"{path}.storage_gb", "RDS gp3 storage starts at 20 GB; set 20 or more"))
    if svc.size is not None and svc.instance_class is not None:
        problems.append((path, "give size or instance_class, not both"))
    if svc.size is not None:
        cpu, memory = svc.size.cpu, svc.size.memory_gb
        problems += size_problems(f"{path}.size", lambda: rds_instance_class(cpu, memory))
    return problems


def _elasticache(path: str, svc: RedisSpec) -> list[Problem]:
    problems: list[Problem] = []
    allowed = aws.ELASTICACHE_VERSIONS[svc.engine]
    if svc.engine_version not in allowed:
        problems.append(
            (
                f"{path}.version",
                f"ElastiCache {svc.engine} runs {', '.join(allowed)}; remove version or pick one",
            )
        )
    if svc.node_type is None:
        problems += size_problems(f"{path}.memory_mb", lambda: elasticache_node_type(svc.memory_mb))
    return problems


def _fargate(path: str, svc: ContainerService) -> list[Problem]:
    cpu, memory = (svc.size.cpu, svc.size.memory_gb) if svc.size else (None, None)
    problems = size_problems(f"{path}.size", lambda: fargate_size(cpu, memory))
    if svc.max_replicas is not None and svc.max_replicas < svc.replicas:
        problems.append((f"{path}.max_replicas", f"must be at least replicas ({svc.replicas})"))
    return problems


# --- sizing ---------------------------------------------------------------------------


def fargate_size(cpu: float | None, memory_gb: float | None) -> tuple[float, float]:
    """The smallest valid Fargate (vCPU, GB) pair with at least `cpu` and `memory_gb`.

    Fargate accepts only fixed combinations (0.25 vCPU with 0.5-2 GB, … 16 vCPU with
    32-120 GB); both are billed, so the cheapest pair that fits is chosen. Without a size,
    0.25 vCPU / 0.5 GB, the smallest task.
    """
    cpu, memory_gb = cpu or 0.25, memory_gb or 0.5
    prices = load("aws")["fargate"]["x86"]
    pairs = [
        (float(c), float(m))
        for c, memories in aws.FARGATE_SIZES.items()
        for m in memories
        if c >= cpu and m >= memory_gb
    ]
    if not pairs:
        raise SizingError(
            f"Fargate tops out at 16 vCPU / 120 GB; {cpu:g} vCPU / {memory_gb:g} GB does not fit"
        )
    return min(pairs, key=lambda p: (p[0] * prices["vcpu_hour"] + p[1] * prices["gb_hour"], p))


def rds_instance_class(size_cpu: float | None, size_memory_gb: float | None) -> str:
    """The cheapest catalogued db.t4g class with the requested vCPUs and memory."""
    classes = load("aws")["rds_instance_classes"]
    fits = [c for c in classes if c["cpu"] >= (size_cpu or 0) and c["memory_gb"] >= (size_memory_gb or 0)]
    if not fits:
        largest = max(classes, key=lambda c: (c["memory_gb"], c["cpu"]))
        raise SizingError(
            f"no catalogued RDS class has {size_cpu or 0:g} vCPU and {size_memory_gb or 0:g} GB; "
            f"the largest is {largest['name']}; set instance_class (e.g. db.m7g.large) for bigger ones"
        )
    return min(fits, key=lambda c: (c["hourly"], c["name"]))["name"]


def elasticache_node_type(memory_mb: int) -> str:
    """The cheapest catalogued cache.t4g node with at least `memory_mb` of memory."""
    nodes = load("aws")["elasticache_node_types"]
    fits = [n for n in nodes if n["memory_gb"] * 1024 >= memory_mb]
    if not fits:
        largest = max(nodes, key=lambda n: n["memory_gb"])
        raise SizingError(
            f"no catalogued ElastiCache node has {memory_mb} MB; the largest is {largest['name']}; "
            "set node_type (e.g. cache.m7g.large) for bigger ones"
        )
    return min(fits, key=lambda n: (n["hourly"]["valkey"], n["name"]))["name"]


# --- moving a stack here (infra cost --compare) ----------------------------------------


def moved_here(config: dict[str, Any], notes: list[str]) -> None:
    """Adjust a raw config whose components `--compare` just moved onto AWS:
    the stack's region, RDS's minimum storage, ElastiCache's own versions, the stack's region
    for buckets, and jobs whose runs may overlap."""
    config.setdefault("aws", {"region": "us-east-1"})
    for name, svc in _here(config, "aws"):
        if svc.get("kind") == "postgres" and int(svc.get("storage_gb", 20)) < 20:
            svc["storage_gb"] = 20
            notes.append(f"{name}: storage_gb raised to 20 (the RDS gp3 minimum)")
        if svc.get("kind") == "redis":
            svc.pop("version", None)
        if svc.get("kind") == "bucket":
            svc.pop("location", None)
        if svc.get("kind") == "job" and svc.get("concurrency", "forbid") != "allow":
            svc["concurrency"] = "allow"
            notes.append(f"{name}: concurrency set to allow (EventBridge starts every run on time)")

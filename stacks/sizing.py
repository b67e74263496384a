"""Resolve provider-neutral sizes to concrete SKUs, from the price catalog."""

from __future__ import annotations

import math

from costs.catalog import ServerType, load, server_types
from stacks.spec import ApiSpec, HostSpec, PostgresSpec, RedisSpec, StackSpec, WorkerSpec


class SizingError(ValueError):
    """No SKU satisfies the request; the message lists what would."""


def resolve_server_type(host: HostSpec) -> ServerType:
    """The server type for a host: the explicit `server_type`, else the cheapest that fits.

    "Fits" means at least the requested vCPUs and memory, the requested architecture and
    CPU kind, offered in the host's location. Ties on price go to more memory, then name,
    so the choice is stable.
    """
    catalog = server_types(host.target)
    if host.server_type is not None:
        by_name = {s.name: s for s in catalog}
        if host.server_type not in by_name:
            raise SizingError(f"unknown server type; allowed: {', '.join(sorted(by_name))}")
        chosen = by_name[host.server_type]
        if host.location not in chosen.locations:
            raise SizingError(
                f"{chosen.name} is not offered in {host.location}; it is in {', '.join(chosen.locations)}"
            )
        return chosen
    if host.size is None:
        raise SizingError("give either size: {cpu, memory_gb} or server_type")
    candidates = [
        s
        for s in catalog
        if s.cpu >= host.size.cpu
        and s.memory_gb >= host.size.memory_gb
        and s.arch == host.arch
        and s.cpu_kind == host.cpu_kind
        and host.location in s.locations
    ]
    if not candidates:
        wanted = f"{host.arch} {host.cpu_kind} server type in {host.location}"
        same_kind = [
            s
            for s in catalog
            if s.arch == host.arch and s.cpu_kind == host.cpu_kind and host.location in s.locations
        ]
        if not same_kind:
            raise SizingError(f"there is no {wanted}; change arch, cpu_kind or location")
        largest = max(same_kind, key=lambda s: (s.cpu, s.memory_gb))
        raise SizingError(
            f"no {wanted} has {host.size.cpu:g} vCPU and {host.size.memory_gb:g} GB; "
            f"the largest is {largest.name} ({largest.cpu} vCPU, {largest.memory_gb:g} GB)"
        )
    return min(candidates, key=lambda s: (s.monthly, -s.memory_gb, s.name))


def locations(provider: str) -> list[str]:
    """Locations the catalog prices for `provider`."""
    return sorted({loc for s in server_types(provider) for loc in s.locations})


def required_volume_gb(spec: StackSpec, host_name: str) -> int:
    """The data volume a host needs for the stateful services placed on it.

    Postgres gets its `storage_gb`; Redis gets twice its memory (an AOF rewrite briefly
    holds two copies); Caddy's certificates need well under 1 GB. Hetzner volumes start
    at 10 GB.
    """
    total = 1.0
    for svc in spec.services.values():
        if getattr(svc, "host", None) != host_name:
            continue
        if isinstance(svc, PostgresSpec):
            total += svc.storage_gb
        elif isinstance(svc, RedisSpec):
            total += 2 * svc.memory_mb / 1024
    return max(10, math.ceil(total))


def volume_gb(spec: StackSpec, host_name: str) -> int:
    """The volume size a host gets: the explicit `volume_gb`, else what its services need."""
    explicit = spec.hosts[host_name].volume_gb
    return explicit if explicit is not None else required_volume_gb(spec, host_name)


# --- AWS ------------------------------------------------------------------------------


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
        for c, memories in load("aws")["fargate"]["sizes"].items()
        for m in memories
        if float(c) >= cpu and float(m) >= memory_gb
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


# --- DigitalOcean ---------------------------------------------------------------------


def do_database_size(
    engine: str,
    cpu: float | None,
    memory_gb: float | None,
    standby: bool = False,
    storage_gb: float | None = None,
) -> str:
    """The cheapest managed-database size (pg or valkey) with the requested vCPUs and memory;
    with `standby`, only sizes that can have one (DigitalOcean: 2 GB of memory or more); with
    `storage_gb`, only sizes that include that much storage (DigitalOcean sizes come with
    their storage)."""
    sizes = load("digitalocean")["postgres_sizes" if engine == "pg" else "valkey_sizes"]
    fits = [
        s
        for s in sizes
        if s["cpu"] >= (cpu or 0)
        and s["memory_gb"] >= (memory_gb or 0)
        and (not standby or s.get("standby", False))
        and s.get("storage_gb", 0) >= (storage_gb or 0)
    ]
    if not fits:
        largest = max(sizes, key=lambda s: (s["memory_gb"], s["cpu"]))
        extra = " with a standby node" if standby else ""
        extra += f" and {storage_gb:g} GB of storage" if storage_gb else ""
        raise SizingError(
            f"no catalogued DigitalOcean {engine} size has {cpu or 0:g} vCPU and {memory_gb or 0:g} GB{extra}; "
            f"the largest is {largest['name']}"
            + (f" ({largest.get('storage_gb')} GB of storage)" if storage_gb else "")
        )
    return min(fits, key=lambda s: (s["monthly"], s["name"]))["name"]


def do_storage_gb(svc: PostgresSpec) -> int | None:
    """The storage a DigitalOcean Postgres asks its size to include: `storage_gb` when the
    config sets it (the default is Hetzner's and AWS's starting volume, not a request)."""
    return svc.storage_gb if "storage_gb" in svc.model_fields_set else None


def app_instance_size(
    cpu: float | None, memory_gb: float | None, autoscale: bool = False, instances: int = 1
) -> str:
    """The cheapest App Platform instance size with the requested vCPUs and memory; with
    `autoscale`, a dedicated one (App Platform autoscales dedicated instances only); for more
    than one instance, not a single-instance ("fixed") size."""
    sizes = load("digitalocean")["app_sizes"]
    fits = [
        s
        for s in sizes
        if s["cpu"] >= (cpu or 0)
        and s["memory_gb"] >= (memory_gb or 0)
        and (s["dedicated"] or not autoscale)
        and (instances == 1 or not s.get("single_instance", False))
    ]
    if not fits:
        largest = max(sizes, key=lambda s: (s["memory_gb"], s["cpu"]))
        raise SizingError(
            f"no App Platform size has {cpu or 0:g} vCPU and {memory_gb or 0:g} GB; the largest is {largest['name']}"
        )
    return min(fits, key=lambda s: (s["monthly"], s["name"]))["name"]


def app_sizes() -> dict[str, dict]:
    """App Platform instance sizes by slug."""
    return {s["name"]: s for s in load("digitalocean")["app_sizes"]}


def service_app_size(svc: ApiSpec | WorkerSpec) -> str:
    """An App Platform service's instance size: explicit, else the cheapest that fits its
    neutral size, its replicas, and autoscaling (dedicated sizes only)."""
    return svc.instance_size or app_instance_size(
        svc.size.cpu if svc.size else None,
        svc.size.memory_gb if svc.size else None,
        autoscale=svc.max_replicas is not None,
        instances=svc.replicas,
    )

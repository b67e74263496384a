"""Resolve provider-neutral sizes to concrete SKUs, from the price catalog."""

from __future__ import annotations

import math
from collections.abc import Callable

from multicloud.costs.catalog import ServerType, server_types
from multicloud.stacks.spec import HostSpec, PostgresSpec, Problem, RedisSpec, StackSpec


class SizingError(ValueError):
    """No SKU satisfies the request; the message lists what would."""


def size_problems(path: str, size: Callable[[], object]) -> list[Problem]:
    """The problem at `path` when `size()` finds no catalogued SKU, else none."""
    try:
        size()
    except SizingError as err:
        return [(path, str(err))]
    return []


def resolve_server_type(host: HostSpec) -> ServerType:
    """The server type for a host: the explicit `server_type`, else the cheapest that fits.

    "Fits" means at least the requested vCPUs and memory, the requested architecture and
    CPU kind, offered in the host's location. Ties on price go to more memory, then name,
    so the choice is stable.
    """
    catalog = server_types(host.target, location=host.location)
    if host.server_type is not None:
        by_name = {s.name: s for s in server_types(host.target)}
        if host.server_type not in by_name:
            raise SizingError(f"unknown server type; allowed: {', '.join(sorted(by_name))}")
        chosen = by_name[host.server_type]
        if host.location not in chosen.locations:
            raise SizingError(
                f"{chosen.name} is not offered in {host.location}; it is in {', '.join(chosen.locations)}"
            )
        return next(s for s in catalog if s.name == chosen.name)  # at the location's price list
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
        and not s.retired  # a new host never gets a type the provider stopped selling
    ]
    if not candidates:
        wanted = f"{host.arch} {host.cpu_kind} server type in {host.location}"
        same_kind = [
            s
            for s in catalog
            if s.arch == host.arch
            and s.cpu_kind == host.cpu_kind
            and host.location in s.locations
            and not s.retired
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

"""Re-target a stack to another provider, for `infra cost --compare`.

Works on the raw `multicloud:` config (before validation): every component whose kind the
other provider supports moves there; the rest stays and is reported. Settings that only the
old target honours are dropped (an RDS instance class means nothing on a Hetzner host), and
what the new target needs is added with visible defaults (a host for Hetzner, a region for
AWS). The result is validated and planned like any stack, so the comparison prices real
resources, not a guess.

Moved services keep the capacity they had (an explicit size, their share of a host, the SKU
they were bought as), hosts on the target are sized to what they hold, and `differences` says
which size rule made a component more than 25 % bigger or smaller (docs/compare.md).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from multicloud.components.capabilities import VPS_TARGETS, placed_on_host, supported_targets
from multicloud.costs.capacity import Alternative, Bought, Capacity, Difference
from multicloud.costs.catalog import ServerType, load, server_types
from multicloud.stacks.checks import TARGET_FIELDS
from multicloud.stacks.targets import TARGETS

if TYPE_CHECKING:
    from multicloud.costs.estimate import Estimate

DEFAULT_HOST = {"target": "hetzner", "size": {"cpu": 4, "memory_gb": 8}, "location": "fsn1"}
DEFAULT_LOCATION = {"hetzner": "fsn1", "digitalocean": "fra1"}
PLACEHOLDER_ADMIN = {
    "ssh_public_keys": [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl compare@multicloud"
    ],
    "cidrs": ["192.0.2.0/24"],
}


# A setting the new target does not take because it does the same its own way: the note names
# the equivalent instead of claiming the target lacks the capability.
EQUIVALENTS: dict[tuple[str, str, str], str] = {
    ("postgres", "backup", "aws"): (
        "RDS automated backups with point-in-time recovery (backup_days, 7 in prod) replace the restic backups"
    ),
    ("postgres", "backup", "digitalocean"): (
        "DigitalOcean's managed daily backups with point-in-time recovery (7 days, in the cluster's price) "
        "replace the restic backups"
    ),
    ("postgres", "size", "hetzner"): "its host is sized to hold it",
    ("redis", "node_type", "digitalocean"): "memory_mb carries its memory",
    ("redis", "node_type", "hetzner"): "memory_mb carries its memory",
    ("api", "load_balancer", "aws"): "an Application Load Balancer in front of the tasks (always, on AWS)",
    ("api", "hosts", "aws"): "Fargate spreads the tasks over the availability zones",
    ("worker", "hosts", "aws"): "Fargate spreads the tasks over the availability zones",
    ("postgres", "backup_days", "digitalocean"): (
        "DigitalOcean keeps its managed backups for 7 days; the retention is not configurable"
    ),
    (
        "postgres",
        "backup_days",
        "hetzner",
    ): "the restic backups' keep_daily/weekly/monthly set the retention on a host",
}

# A container's `arch` (Fargate's) is the host's own on a VPS target.
EQUIVALENTS.update(
    {
        (kind, "arch", target): text
        for kind in ("api", "worker", "job")
        for target, text in {
            "hetzner": "the host's arch applies (the image must be built for it)",
            "digitalocean": "the droplet's arch applies (x86)",
        }.items()
    }
)


# A setting the new target does not take that is a real loss: said so, with what it meant.
LOSSES: dict[tuple[str, str], str] = {
    ("postgres", "multi_az"): "a database on a host has no standby node",
    ("redis", "nodes"): "a Redis on a host has no replica",
    ("api", "max_replicas"): "a host does not autoscale; the api keeps its replicas",
    ("worker", "max_replicas"): "a host does not autoscale; the worker keeps its replicas",
    ("api", "hosts"): "the api runs on one host, not several",
    ("api", "load_balancer"): "Caddy on one host serves the api, no load balancer",
    ("worker", "hosts"): "the worker runs on one host, not several",
}


def tls(svc: dict[str, Any]) -> str:
    """Who terminates an api's TLS, and with which certificate, where it runs."""
    target = svc.get("target")
    if target == "aws":
        return "an ACM certificate on the load balancer, renewed by AWS"
    if target == "digitalocean" and svc.get("runtime") == "app_platform":
        return "App Platform's managed certificate"
    if target == "digitalocean" and (len(svc.get("hosts") or []) > 1 or svc.get("load_balancer")):
        return "a DigitalOcean Let's Encrypt certificate on the load balancer"
    return "Caddy on the host with a Let's Encrypt certificate"


def host_shares(config: dict[str, Any]) -> dict[str, tuple[float, float, str]]:
    """What each service placed on a VPS host has of it: (vCPU, GB, how), by an explicit rule.

    A host's vCPUs and memory (its SKU) are shared by the services placed on it. A service's
    explicit `size` (per replica) is kept and taken off first; a Redis takes its `memory_mb`;
    what remains is split equally between the others (memory between those that are not
    Redis, vCPUs between all of them). A service on several hosts adds up its shares."""
    return _split_hosts(config)[0]


def unclaimed(config: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """What of each host no service has by the host_shares rule: the room left when every
    service on it has an explicit size (or memory, when the only others are Redis)."""
    return _split_hosts(config)[1]


def _split_hosts(
    config: dict[str, Any],
) -> tuple[dict[str, tuple[float, float, str]], dict[str, tuple[float, float]]]:
    shares: dict[str, tuple[float, float, str]] = {}
    left: dict[str, tuple[float, float]] = {}
    services: dict[str, dict[str, Any]] = config.get("services", {})
    for host, spec in (config.get("hosts") or {}).items():
        cpu, memory = _host_capacity(spec) if spec.get("target") in VPS_TARGETS else (0.0, 0.0)
        if not cpu and not memory:
            continue
        on = [n for n, s in services.items() if host in _placement(s)]
        fixed = {n: services[n]["size"] for n in on if isinstance(services[n].get("size"), dict)}
        replicas = {n: int(services[n].get("replicas", 1)) for n in on}
        cpu_left = cpu - sum(float(f.get("cpu", 0)) * replicas[n] for n, f in fixed.items())
        memory_left = memory - sum(float(f.get("memory_gb", 0)) * replicas[n] for n, f in fixed.items())
        caches = {
            n: int(services[n].get("memory_mb", 256)) / 1024 for n in on if services[n].get("kind") == "redis"
        }
        memory_left -= sum(caches.values())
        rest = [n for n in on if n not in fixed]
        sharing = [n for n in rest if n not in caches]
        how = f"of host {host} ({cpu:g} vCPU / {memory:g} GB, shared by {len(on)} services)"
        for name in on:
            if name in fixed:
                mine = (
                    float(fixed[name].get("cpu", 0)) * replicas[name],
                    float(fixed[name].get("memory_gb", 0)) * replicas[name],
                )
            else:
                mine = (
                    max(cpu_left, 0) / max(len(rest), 1),
                    caches[name] if name in caches else max(memory_left, 0) / max(len(sharing), 1),
                )
            old = shares.get(name, (0.0, 0.0, ""))
            shares[name] = (old[0] + mine[0], old[1] + mine[1], how if not old[2] else f"{old[2]} and {how}")
        free = (max(cpu_left, 0) if not rest else 0.0, max(memory_left, 0) if not sharing else 0.0)
        if any(free):
            left[host] = free
    return shares, left


def _round(value: float, step: float) -> float:
    """`value` to the nearest `step`, at least one step."""
    return max(step, round(value / step) * step)


Share = tuple[float, float, str]
"""vCPUs, GB and where they come from, in words."""


def per_unit(config: dict[str, Any], had: Mapping[str, Capacity]) -> dict[str, Share]:
    """What one replica (a service) or one node (a database) of each service had as configured:
    its share of the host it runs on (host_shares), else one of the SKUs it was bought as
    (`had`: the configured stack's capacity by component; a standby is not more capacity)."""
    units: dict[str, Share] = {}
    shares = host_shares(config)
    for name, svc in config.get("services", {}).items():
        kind = svc.get("kind")
        replicas = int(svc.get("replicas", 1)) if kind in ("api", "worker", "job") else 1
        replicas *= max(1, len(set(_placement(svc))))  # replicas run on each of its hosts
        if name in shares:
            cpu, memory, how = shares[name]
            units[name] = (cpu / replicas, memory / replicas, f"its share {how}")
        elif name in had and had[name].bought:
            b = had[name].bought[0]
            units[name] = (b.cpu, b.memory_gb, f"what one {b.sku} on {svc.get('target')} has")
    return units


def _keep_capacity(
    name: str,
    svc: dict[str, Any],
    target: str,
    units: dict[str, Share],
    notes: list[str],
    brings: dict[str, tuple[float, float]],
) -> None:
    """A service that moves keeps the capacity it had: its share of a host or its SKU becomes
    its `size` (per replica) on the new target, which sizes by it. A database moving onto a
    host takes no `size`: the host is sized for what it `brings`."""
    kind = svc.get("kind")
    if kind == "postgres" and target not in ("aws", "digitalocean"):
        size = svc.get("size")
        if isinstance(size, dict):
            brings[name] = (float(size.get("cpu", 0)), float(size.get("memory_gb", 0)))
        elif name in units:
            brings[name] = units[name][:2]
        return
    if name not in units or "size" in svc or kind not in ("api", "worker", "job", "postgres"):
        return
    cpu, memory, how = units[name]
    size = {"cpu": _round(cpu, 0.25), "memory_gb": _round(memory, 0.5)}
    if kind == "postgres":
        size = _within_managed(target, size)
    svc["size"] = size
    per = " per replica" if int(svc.get("replicas", 1)) > 1 and kind != "postgres" else ""
    notes.append(f"{name}: size {size['cpu']:g} vCPU / {size['memory_gb']:g} GB{per}, {how}")


def _keep_cache_memory(name: str, svc: dict[str, Any], target: str, notes: list[str]) -> None:
    """A Redis keeps its memory: an ElastiCache `node_type` becomes its `memory_mb` elsewhere,
    and a memory the target's catalogued sizes cannot hold is capped at the largest one."""
    node = next((n for n in load("aws")["elasticache_node_types"] if n["name"] == svc.get("node_type")), None)
    if target != "aws" and node is not None and "memory_mb" not in svc:
        svc["memory_mb"] = int(node["memory_gb"] * 1024)
        notes.append(f"{name}: memory_mb {svc['memory_mb']}, the memory of its {node['name']}")
    sizes = {
        "aws": load("aws")["elasticache_node_types"],
        "digitalocean": load("digitalocean")["valkey_sizes"],
    }
    if target in sizes and not (target == "aws" and "node_type" in svc):
        largest = int(max(n["memory_gb"] for n in sizes[target]) * 1024)
        if int(svc.get("memory_mb", 256)) > largest:
            notes.append(
                f"{name}: memory_mb {svc['memory_mb']} → {largest}, the most a catalogued {target} size has"
            )
            svc["memory_mb"] = largest


def _within_managed(target: str, size: dict[str, float]) -> dict[str, float]:
    """A database size the target's catalogued classes can hold (the largest, past it)."""
    classes = (
        load("aws")["rds_instance_classes"] if target == "aws" else load("digitalocean")["postgres_sizes"]
    )
    fits = [c for c in classes if c["cpu"] >= size["cpu"] and c["memory_gb"] >= size["memory_gb"]]
    if fits:
        return size
    largest = max(classes, key=lambda c: (c["memory_gb"], c["cpu"]))
    return {"cpu": float(largest["cpu"]), "memory_gb": float(largest["memory_gb"])}


def retarget(
    values: dict[str, Any], target: str, had: Mapping[str, Capacity] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A copy of the raw config with every supported component on `target`, and notes.

    `had` (the configured stack's capacity by component, costs.capacity) lets a service
    that runs on a managed SKU keep its size too; without it only shares of hosts are kept."""
    config = copy.deepcopy(values)
    services: dict[str, dict[str, Any]] = config.get("services", {})
    notes: list[str] = []
    moved = []
    units = per_unit(config, had or {})
    shares = host_shares(config)
    brings: dict[str, tuple[float, float]] = {}
    for name, svc in services.items():
        kind = svc.get("kind", "")
        if svc.get("target") == target:
            continue
        if target not in supported_targets(kind):
            notes.append(f"{name} ({kind}) stays on {svc.get('target')}: {target} has no {kind} backend")
            continue
        if (
            kind == "static_site"
            and target == "cloudflare"
            and (config.get("dns") or {}).get("provider") != "cloudflare"
        ):
            notes.append(
                f"{name} (static_site) stays on {svc.get('target')}: Pages needs the zone on Cloudflare DNS"
            )
            continue
        svc["target"] = target
        moved.append(name)
        _keep_capacity(name, svc, target, units, notes, brings)
        if kind == "redis":
            _keep_cache_memory(name, svc, target, notes)
        if kind == "bucket" and svc.pop("location", None) is not None:
            notes.append(f"{name}: location dropped (the {target} default applies)")
        for (field_kind, field), targets in TARGET_FIELDS.items():
            if field_kind == kind and target not in targets:
                owner = svc
                *parents, leaf = field.split(".")
                for part in parents:
                    owner = owner.get(part) or {}
                if leaf in owner:
                    value = owner.pop(leaf)
                    if not _was_on(field, value):
                        continue  # multi_az: false, nodes: 1 … nothing is lost
                    if field == "hosts" and len(value) > 1:
                        _spread_replicas(name, svc, len(value), notes)
                    equivalent = EQUIVALENTS.get((kind, field, target))
                    loss = LOSSES.get((kind, field)) if target in VPS_TARGETS else None
                    notes.append(
                        f"{name}: {field} → {equivalent}"
                        if equivalent
                        else f"{name}: {field} dropped ({loss or f'multicloud has no such setting on {target}'})"
                    )
    if not moved:
        return config, notes
    if target in VPS_TARGETS:
        _place_on_host(config, target, notes, set(moved), brings, shares)
    else:
        for svc in services.values():
            if svc.get("target") == target:
                svc.pop("host", None)
    TARGETS[target].moved_here(config, notes)
    if config.get("environment") == "prod":
        _add_backups(config, notes)
    # Hosts nothing runs on any more would be config errors: remove them.
    used = {h for svc in services.values() for h in [svc.get("host"), *(svc.get("hosts") or [])]}
    hosts = config.get("hosts", {})
    config["hosts"] = {h: spec for h, spec in hosts.items() if h in used}
    if not config["hosts"]:
        config.pop("hosts")
    _keep_do_region(config, hosts)
    for name in moved:
        before, after = values["services"][name], services[name]
        if after.get("kind") == "api" and tls(before) != tls(after):
            notes.append(f"{name}: TLS by {tls(before)} → {tls(after)}")
    return config, notes


def _was_on(field: str, value: Any) -> bool:
    """Whether a setting that is dropped did anything (a switch that was off did not)."""
    if field in ("multi_az", "load_balancer"):
        return bool(value)
    if field == "nodes":
        return int(value) > 1
    return value is not None


def _spread_replicas(name: str, svc: dict[str, Any], hosts: int, notes: list[str]) -> None:
    """`replicas` is per host for a service on several hosts: the same number of containers
    on the new target is replicas × hosts."""
    replicas = int(svc.get("replicas", 1))
    svc["replicas"] = replicas * hosts
    notes.append(f"{name}: replicas {replicas} per host on {hosts} hosts → {replicas * hosts}")


def _add_backups(config: dict[str, Any], notes: list[str]) -> None:
    """A prod Postgres that moved onto a host needs off-host backups: into the stack's first
    bucket, as a user would configure them."""
    services = config["services"]
    buckets = [n for n, s in services.items() if s.get("kind") == "bucket"]
    for name, svc in services.items():
        on_host = placed_on_host(svc.get("kind", ""), svc.get("target", ""), svc.get("runtime"))
        if svc.get("kind") == "postgres" and on_host and "backup" not in svc and buckets:
            svc["backup"] = {"bucket": buckets[0]}
            notes.append(f"{name}: backup to {buckets[0]} added (prod databases on a host need one)")


def _keep_do_region(config: dict[str, Any], hosts_before: dict[str, Any]) -> None:
    """DigitalOcean services that stay without droplets still need the region the droplets gave."""
    if "digitalocean" in config or any(
        h.get("target") == "digitalocean" for h in config.get("hosts", {}).values()
    ):
        return
    stays = any(s.get("target") == "digitalocean" for s in config["services"].values())
    region = next(
        (h.get("location") for h in hosts_before.values() if h.get("target") == "digitalocean"), None
    )
    if stays and region:
        config["digitalocean"] = {"region": region}


def _placement(svc: dict[str, Any]) -> list[str]:
    return list(svc.get("hosts") or ([svc["host"]] if svc.get("host") else []))


def _holds(
    config: dict[str, Any], host: str, brings: dict[str, tuple[float, float]], shares: dict[str, Share]
) -> tuple[float, float]:
    """The vCPUs and GB the services on `host` need: an explicit size (× replicas), a Redis's
    memory_mb, what a database brings, else the share a service that stayed had of it."""
    cpu = memory = 0.0
    for name, svc in config["services"].items():
        on = _placement(svc)
        if host not in on:
            continue
        size = svc.get("size")
        if isinstance(size, dict):
            replicas = int(svc.get("replicas", 1))  # on each of its hosts
            cpu += float(size.get("cpu", 0)) * replicas
            memory += float(size.get("memory_gb", 0)) * replicas
        elif name in brings:
            cpu, memory = cpu + brings[name][0], memory + brings[name][1]
        elif svc.get("kind") == "redis" and name not in shares:
            memory += int(svc.get("memory_mb", 256)) / 1024
        elif name in shares:
            cpu, memory = cpu + shares[name][0] / len(on), memory + shares[name][1] / len(on)
    return cpu, memory


def _sized(cpu: float, memory: float) -> dict[str, float]:
    return {"cpu": float(max(1, math.ceil(cpu - 1e-9))), "memory_gb": float(max(1, math.ceil(memory - 1e-9)))}


def _place_on_host(
    config: dict[str, Any],
    target: str,
    notes: list[str],
    moved: set[str],
    brings: dict[str, tuple[float, float]],
    shares: dict[str, Share],
) -> None:
    """Put the services that moved to a VPS target on its host (a new one when the stack has
    none there), and size that host to what it now holds."""
    hosts = config.setdefault("hosts", {})
    mine = [h for h, spec in hosts.items() if spec.get("target") == target]
    host = mine[0] if mine else "main"
    if not mine:
        # In the region the stack already gives that provider (DigitalOcean's VPC has one).
        region = (config.get(target) or {}).get("region") if target == "digitalocean" else None
        hosts[host] = dict(DEFAULT_HOST, target=target, location=region or DEFAULT_LOCATION[target])
    received: dict[str, list[str]] = {}
    for name, svc in config["services"].items():
        if svc.get("target") != target:
            continue
        if not placed_on_host(svc.get("kind", ""), target, svc.get("runtime")):
            svc.pop("host", None)
            svc.pop("hosts", None)
            continue
        if not set(_placement(svc)) <= set(mine) or not _placement(svc):
            several = set(svc.pop("hosts", None) or [])
            if len(several) > 1:
                _spread_replicas(name, svc, len(several), notes)
            svc["host"] = host
        if name in moved:
            for h in _placement(svc):
                received.setdefault(h, []).append(name)
    for h, names in received.items():
        cpu, memory = _holds(config, h, brings, shares)
        if not cpu and not memory:
            continue  # nothing to size by: the default host
        spec = hosts[h]
        before = spec.get("server_type") or _shown(spec.get("size"))
        had = _host_capacity(spec) if h in mine else (0.0, 0.0)
        if spec.get("server_type"):
            # Its SKU's architecture and CPU kind stay: the images on it are built for them.
            name = spec.pop("server_type")
            sku = next(t for t in server_types(target) if t.name == name)
            spec.update(arch=sku.arch, cpu_kind=sku.cpu_kind)
        size = _sized(max(cpu, had[0]), max(memory, had[1]))  # a host that takes more never shrinks
        largest = _largest(target, spec)
        if size["cpu"] > largest.cpu or size["memory_gb"] > largest.memory_gb:
            notes.append(
                f"host {h}: {_shown(size)} is more than the largest {target} type catalogued "
                f"({largest.name}, {largest.cpu} vCPU / {largest.memory_gb:g} GB); capped there"
            )
            size = {
                "cpu": float(min(size["cpu"], largest.cpu)),
                "memory_gb": min(size["memory_gb"], largest.memory_gb),
            }
        spec["size"] = size
        needs = f"({cpu:.3g} vCPU / {memory:.3g} GB; it takes {', '.join(names)})"
        if h in mine and (size["cpu"], size["memory_gb"]) == had:
            notes.append(f"host {h} keeps {before}: what it now holds fits {needs}")
        else:
            what = "added" if h not in mine else f"resized from {before}"
            notes.append(f"host {h} {what}: {_shown(spec['size'])} for what it now holds {needs}")
    if not mine and host not in received:
        notes.append(
            f"host {host} added: {target} runs these services on a VPS ({_shown(hosts[host]['size'])})"
        )
    if "admin" not in config:
        config["admin"] = copy.deepcopy(PLACEHOLDER_ADMIN)
        notes.append("admin: placeholder SSH key and network added for the comparison")


def _host_capacity(spec: dict[str, Any]) -> tuple[float, float]:
    """A host's vCPUs and GB as configured: its server type's, else its size (0 if neither)."""
    if spec.get("server_type"):
        found = next((t for t in server_types(spec.get("target", "")) if t.name == spec["server_type"]), None)
        return (float(found.cpu), float(found.memory_gb)) if found else (0.0, 0.0)
    size = spec.get("size")
    return (
        (float(size.get("cpu", 0)), float(size.get("memory_gb", 0))) if isinstance(size, dict) else (0.0, 0.0)
    )


def _largest(target: str, spec: dict[str, Any]) -> ServerType:
    """The largest server type a host of this kind can get in its location."""
    kinds = [
        t
        for t in server_types(target, location=spec.get("location", "fsn1"))
        if t.arch == spec.get("arch", "x86")
        and t.cpu_kind == spec.get("cpu_kind", "shared")
        and spec.get("location", "fsn1") in t.locations
        and not t.retired
    ]
    return max(kinds, key=lambda t: (t.cpu, t.memory_gb))


def _shown(size: Any) -> str:
    return f"{size['cpu']:g} vCPU / {size['memory_gb']:g} GB" if isinstance(size, dict) else "?"


def _off(had: tuple[float, float], got: tuple[float, float], tolerance: float) -> bool:
    return any(abs(g - h) > tolerance * h if h else g > 0 for h, g in zip(had, got, strict=True))


def differences(
    before: dict[str, Any],
    before_est: Estimate,
    after: dict[str, Any],
    after_est: Estimate,
    target: str,
    tolerance: float = 0.25,
) -> list[Difference]:
    """Every component `retarget` moved, every host on the target that took one, and the room
    of a host that no service had, whose vCPUs or memory differ from what they had as
    configured by more than `tolerance` (0: every difference), with the rule that made it so.
    What a service had is its share of its host (host_shares) or what its resources buy
    (costs.capacity); the rows add up to the column's difference."""
    shares = host_shares(before)
    old = before.get("services", {})
    services = after.get("services", {})

    def had_total(name: str) -> tuple[float, float]:
        if name in shares:
            return shares[name][0], shares[name][1]
        cap = before_est.capacity_by_component.get(name)
        return (cap.vcpu, cap.memory_gb) if cap else (0.0, 0.0)

    moved = [n for n, s in services.items() if n in old and s.get("target") != old[n].get("target")]
    found = []
    for name in moved:
        svc = services[name]
        if placed_on_host(svc.get("kind", ""), target, svc.get("runtime")):
            continue
        got = after_est.capacity_by_component.get(name, Capacity())
        had = had_total(name)
        if not got.bought:
            if _off(had, (0.0, 0.0), tolerance):
                why = (
                    f"a scheduled job on {target} runs now and then, so buys no standing capacity"
                    if svc.get("kind") == "job"
                    else f"{target} bills it by use, not by size"
                )
                found.append(Difference(name, had, (0.0, 0.0), "no standing capacity", (why,)))
        elif _off(had, (got.vcpu, got.memory_gb), tolerance):
            source = before_est.capacity_by_component.get(name, Capacity())
            units = got.bought[0].count if svc.get("kind") in ("api", "worker", "job") else 1
            reasons = _sku_reasons((had[0] / units, had[1] / units), got, source, svc)
            found.append(Difference(name, had, (got.vcpu, got.memory_gb), _bought(got), tuple(reasons)))
    after_hosts = after.get("hosts") or {}
    for host, spec in after_hosts.items():
        held = [n for n, s in services.items() if host in _placement(s)]
        taken = [n for n in held if n in moved]
        if spec.get("target") != target or not taken:
            continue
        kept = ((before.get("hosts") or {}).get(host) or {}).get("target") == target
        parts = [had_total(n) for n in taken]
        if kept:
            cap = before_est.capacity_by_component.get(host)
            parts.append((cap.vcpu, cap.memory_gb) if cap else (0.0, 0.0))
        had = (sum(c for c, _ in parts), sum(m for _, m in parts))
        got = after_est.capacity_by_component.get(host, Capacity())
        if got.bought and _off(had, (got.vcpu, got.memory_gb), tolerance):
            reasons = _sku_reasons(had, got, Capacity(), None, plural=True)
            room = unclaimed(before).get(host) if kept else None
            if room:
                reasons.append(
                    f"{room[0]:g} vCPU / {room[1]:.3g} GB of it was room no service had; what it takes fits in that room"
                )
            for name in taken:
                reasons += _on_host_reasons(name, services[name], before_est.capacity_by_component.get(name))
            label = f"host {host} ({', '.join(held)})"
            found.append(Difference(label, had, (got.vcpu, got.memory_gb), _bought(got), tuple(reasons)))
    for host, free in unclaimed(before).items():
        still = (after_hosts.get(host) or {}).get("target") == before["hosts"][host].get("target")
        if not still and _off(free, (0.0, 0.0), tolerance):
            why = "every service on it has an explicit size (a Redis its memory_mb); the room between them is not carried over"
            found.append(Difference(f"host {host}, room no service had", free, (0.0, 0.0), "nothing", (why,)))
    return found


def _bought(cap: Capacity) -> str:
    return ", ".join(b.describe() for b in cap.bought)


def _sku_reasons(
    unit: tuple[float, float],
    got: Capacity,
    source: Capacity,
    svc: dict[str, Any] | None,
    plural: bool = False,
) -> list[str]:
    """Why `got` (what the target buys) is not what was had — `unit` per replica or node: the
    target's SKU steps, its minimums and maximums, what else sizing asks for (storage, a
    standby), standby nodes, burstable vCPUs on either side."""
    b = got.bought[0]
    it = "them" if plural else "it"
    reasons = []
    if b.cpu > unit[0] * 1.25 or b.memory_gb > unit[1] * 1.25:
        smaller = b.smaller_holding(*unit)
        if b.smallest:
            reasons.append(f"{b.sku} is the smallest {b.family} (the target's minimum)")
        elif not smaller:
            reasons.append(f"{b.sku} is the smallest {b.family} that holds {it} (sizes come in steps)")
        else:
            reasons.append(_why_not_smaller(b, min(smaller, key=lambda a: a.price), svc))
    if b.count > 1 and source.bought and b.count > source.bought[0].count:
        reasons.append(f"{b.count} nodes: a standby the configured stack does not have")
    if (b.cpu < unit[0] * 0.75 or b.memory_gb < unit[1] * 0.75) and b.largest:
        reasons.append(f"{b.sku} is the largest {b.family} catalogued")
    for s in source.bought:
        if s.count > b.count:
            reasons.append(f"{s.count} × {s.sku} as configured (a standby or replica), {b.count} here")
    burst = [s.sku for s in [*source.bought, *got.bought] if s.cpu_kind == "burstable"]
    if burst:
        reasons.append(
            f"{', '.join(dict.fromkeys(burst))}: burstable vCPUs (each runs at a baseline share, above it on "
            "credits), not the same as dedicated or shared ones"
        )
    return reasons or [f"{b.sku} as the target sizes it"]


def _why_not_smaller(b: Bought, smaller: Alternative, svc: dict[str, Any] | None) -> str:
    """The rule that picked `b` although `smaller` holds the vCPUs and memory."""
    storage = float((svc or {}).get("storage_gb", 0))
    if smaller.storage_gb and storage > smaller.storage_gb:
        return (
            f"{smaller.name} would hold the vCPUs and memory but includes {smaller.storage_gb:g} GB of storage; "
            f"storage_gb {storage:g} needs {b.sku}"
        )
    if (svc or {}).get("multi_az") and not smaller.standby:
        return f"{smaller.name} would hold the vCPUs and memory but cannot have a standby node; {b.sku} can"
    if smaller.price > b.price_hint():
        return f"{b.sku} is the cheapest {b.family} that holds it ({smaller.name} is smaller but costs more)"
    return f"{b.sku} as the target sizes it ({smaller.name} would hold the vCPUs and memory)"


def _on_host_reasons(name: str, svc: dict[str, Any], source: Capacity | None) -> list[str]:
    """What a service that moved onto a host gives up of what it was bought as before."""
    reasons: list[str] = []
    if source is None or not source.bought:
        return reasons
    b = source.bought[0]
    if svc.get("kind") == "redis":
        memory = int(svc.get("memory_mb", 256)) / 1024
        reasons.append(
            f"{name} was {b.describe()}; a Redis on a host has its memory_mb ({memory:g} GB) and no vCPUs of its own"
        )
    elif b.count > 1 and svc.get("kind") == "postgres":
        reasons.append(f"{name} was {b.describe()}: one node on a host, no standby")
    if b.cpu_kind == "burstable" and svc.get("kind") != "redis":
        reasons.append(f"{name}'s {b.sku} vCPUs are burstable (a baseline share of each, more on credits)")
    return reasons


def redundant(config: dict[str, Any], est: Estimate) -> list[str]:
    """The components that survive losing one machine: bought as two or more tasks, instances
    or nodes (costs.capacity), or a service placed on two or more hosts."""
    names = {n for n, cap in est.capacity_by_component.items() if cap.redundant}
    names |= {n for n, s in (config.get("services") or {}).items() if len(set(_placement(s))) > 1}
    return sorted(names)

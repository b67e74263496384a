"""Re-target a stack to another provider, for `infra cost --compare`.

Works on the raw `multicloud:` config (before validation): every component whose kind the
other provider supports moves there; the rest stays and is reported. Settings that only the
old target honours are dropped (an RDS instance class means nothing on a Hetzner host), and
what the new target needs is added with visible defaults (a host for Hetzner, a region for
AWS). The result is validated and planned like any stack, so the comparison prices real
resources, not a guess.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from components.capabilities import VPS_TARGETS, placed_on_host, supported_targets
from stacks.checks import TARGET_FIELDS
from stacks.targets import TARGETS

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
    ("postgres", "backup_days", "digitalocean"): (
        "DigitalOcean keeps its managed backups for 7 days; the retention is not configurable"
    ),
    (
        "postgres",
        "backup_days",
        "hetzner",
    ): "the restic backups' keep_daily/weekly/monthly set the retention on a host",
}


def host_shares(config: dict[str, Any]) -> dict[str, tuple[float, float, str]]:
    """What each service placed on a VPS host has of it: (vCPU, GB, how), by an explicit rule.

    A host's vCPUs and memory (its SKU) are shared by the services placed on it. A service's
    explicit `size` (per replica) is kept and taken off first; a Redis takes its `memory_mb`;
    what remains is split equally between the others (memory between those that are not
    Redis, vCPUs between all of them). A service on several hosts adds up its shares."""
    from costs.catalog import server_types

    shares: dict[str, tuple[float, float, str]] = {}
    services: dict[str, dict[str, Any]] = config.get("services", {})
    for host, spec in (config.get("hosts") or {}).items():
        skus = (
            {t.name: t for t in server_types(spec.get("target", ""))}
            if spec.get("target") in VPS_TARGETS
            else {}
        )
        if spec.get("server_type") in skus:
            cpu, memory = float(skus[spec["server_type"]].cpu), float(skus[spec["server_type"]].memory_gb)
        elif isinstance(spec.get("size"), dict):
            cpu, memory = float(spec["size"].get("cpu", 0)), float(spec["size"].get("memory_gb", 0))
        else:
            continue
        on = [n for n, s in services.items() if s.get("host") == host or host in (s.get("hosts") or [])]
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
    return shares


def _round(value: float, step: float) -> float:
    """`value` to the nearest `step`, at least one step."""
    return max(step, round(value / step) * step)


def _keep_capacity(
    name: str, svc: dict[str, Any], target: str, shares: dict[str, tuple[float, float, str]], notes: list[str]
) -> None:
    """A service that leaves a host keeps the capacity it had there: its share becomes its
    `size` (per replica) on the new target, where the target sizes by it."""
    kind = svc.get("kind")
    if name not in shares or "size" in svc or kind not in ("api", "worker", "job", "postgres"):
        return
    cpu, memory, how = shares[name]
    if kind == "postgres" and target not in ("aws", "digitalocean"):
        return
    replicas = int(svc.get("replicas", 1)) if kind != "postgres" else 1
    size = {"cpu": _round(cpu / replicas, 0.25), "memory_gb": _round(memory / replicas, 0.5)}
    if kind == "postgres":
        size = _within_managed(target, size)
    svc["size"] = size
    per = " per replica" if replicas > 1 else ""
    notes.append(f"{name}: size {size['cpu']:g} vCPU / {size['memory_gb']:g} GB{per}, its share {how}")


def _within_managed(target: str, size: dict[str, float]) -> dict[str, float]:
    """A database size the target's catalogued classes can hold (the largest, past it)."""
    from costs.catalog import load

    classes = (
        load("aws")["rds_instance_classes"] if target == "aws" else load("digitalocean")["postgres_sizes"]
    )
    fits = [c for c in classes if c["cpu"] >= size["cpu"] and c["memory_gb"] >= size["memory_gb"]]
    if fits:
        return size
    largest = max(classes, key=lambda c: (c["memory_gb"], c["cpu"]))
    return {"cpu": float(largest["cpu"]), "memory_gb": float(largest["memory_gb"])}


def retarget(values: dict[str, Any], target: str) -> tuple[dict[str, Any], list[str]]:
    """A copy of the raw config with every supported component on `target`, and notes."""
    config = copy.deepcopy(values)
    services: dict[str, dict[str, Any]] = config.get("services", {})
    notes: list[str] = []
    moved = []
    shares = host_shares(config)
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
        _keep_capacity(name, svc, target, shares, notes)
        if kind == "bucket" and svc.pop("location", None) is not None:
            notes.append(f"{name}: location dropped (the {target} default applies)")
        for (field_kind, field), targets in TARGET_FIELDS.items():
            if field_kind == kind and target not in targets:
                owner = svc
                *parents, leaf = field.split(".")
                for part in parents:
                    owner = owner.get(part) or {}
                if leaf in owner:
                    owner.pop(leaf)
                    equivalent = EQUIVALENTS.get((kind, field, target))
                    notes.append(
                        f"{name}: {field} → {equivalent}"
                        if equivalent
                        else f"{name}: {field} dropped ({target} does not have it)"
                    )
    if not moved:
        return config, notes
    if target in VPS_TARGETS:
        _place_on_host(config, target, notes)
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
    return config, notes


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


def _received(config: dict[str, Any], target: str) -> dict[str, float] | None:
    """The size a new host needs for the services placed on it that carry a size (their share
    of the host they came from, or their own): the sum, per replica × replicas; None when none
    does (the default host then)."""
    cpu = memory = 0.0
    for svc in config["services"].values():
        if svc.get("target") != target or not placed_on_host(svc.get("kind", ""), target, svc.get("runtime")):
            continue
        size = svc.get("size")
        if isinstance(size, dict):
            replicas = int(svc.get("replicas", 1))
            cpu += float(size.get("cpu", 0)) * replicas
            memory += float(size.get("memory_gb", 0)) * replicas
        elif svc.get("kind") == "redis":
            memory += int(svc.get("memory_mb", 256)) / 1024
    if not cpu and not memory:
        return None
    return {"cpu": float(max(1, math.ceil(cpu))), "memory_gb": float(max(1, math.ceil(memory)))}


def _place_on_host(config: dict[str, Any], target: str, notes: list[str]) -> None:
    hosts = config.setdefault("hosts", {})
    mine = [h for h, spec in hosts.items() if spec.get("target") == target]
    host = mine[0] if mine else "main"
    if not mine:
        # In the region the stack already gives that provider (DigitalOcean's VPC has one).
        region = (config.get(target) or {}).get("region") if target == "digitalocean" else None
        hosts[host] = dict(DEFAULT_HOST, target=target, location=region or DEFAULT_LOCATION[target])
        size = _received(config, target)
        if size is not None:
            hosts[host]["size"] = size
        shown = hosts[host]["size"]
        notes.append(
            f"host {host} added: {target} runs these services on a VPS "
            f"({shown['cpu']:g} vCPU / {shown['memory_gb']:g} GB{', the sum of their sizes' if size else ''})"
        )
    for svc in config["services"].values():
        if svc.get("target") != target:
            continue
        if not placed_on_host(svc.get("kind", ""), target, svc.get("runtime")):
            svc.pop("host", None)
            svc.pop("hosts", None)
        elif not set(svc.get("hosts") or [svc.get("host")]) <= set(mine):
            svc.pop("hosts", None)
            svc["host"] = host
    if "admin" not in config:
        config["admin"] = copy.deepcopy(PLACEHOLDER_ADMIN)
        notes.append("admin: placeholder SSH key and network added for the comparison")

"""The capacity a priced stack buys: vCPUs, memory and storage, from the same resources the
cost engine prices and the same catalogs. `infra cost --compare` shows it beside each total so
targets are compared like with like.

Counted: VPS servers and droplets (their SKU), volumes, Fargate tasks of long-running services
(task size × desired count; a scheduled job runs now and then and is left out), App Platform
components (size × instances, the minimum when autoscaling), managed PostgreSQL/Valkey
clusters and RDS/ElastiCache (per node; a standby counts, as it is bought); storage is what
holds data: volumes and the databases' storage (a VPS's local disk is not counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components._lib import types
from costs.catalog import load, server_types
from costs.pricers.base import Resource, num


@dataclass
class Capacity:
    vcpu: float = 0.0
    memory_gb: float = 0.0
    storage_gb: float = 0.0
    unknown: list[str] = field(default_factory=list)
    """Resources whose size the catalogs do not know (their capacity is not counted)."""

    def add(self, vcpu: float, memory_gb: float, storage_gb: float = 0.0) -> None:
        self.vcpu += vcpu
        self.memory_gb += memory_gb
        self.storage_gb += storage_gb

    def as_dict(self) -> dict[str, float]:
        return {
            "vcpu": round(self.vcpu, 2),
            "memory_gb": round(self.memory_gb, 2),
            "storage_gb": round(self.storage_gb, 1),
        }


def _named(provider: str, key: str) -> dict[str, Any]:
    return {e["name"]: e for e in load(provider)[key]}


def by_component(resources: list[Resource], owner: Any) -> dict[str, Capacity]:
    """The capacity of each component: `owner(resource)` names the component it belongs to."""
    groups: dict[str, list[Resource]] = {}
    for res in resources:
        name = owner(res)
        if name is not None:
            groups.setdefault(name, []).append(res)
    every = [r for r in resources if r.type in (types.AWS_ECS_SERVICE, types.AWS_SCHEDULER_SCHEDULE)]
    found = {name: capacity(group, context=every) for name, group in groups.items()}
    return {name: cap for name, cap in found.items() if cap.vcpu or cap.memory_gb or cap.storage_gb}


def capacity(resources: list[Resource], context: list[Resource] | None = None) -> Capacity:
    """What `resources` add up to (`context`: the ECS services and schedules of the stack,
    when `resources` is one component's)."""
    result = Capacity()
    skus = {p: {s.name: s for s in server_types(p)} for p in ("hetzner", "digitalocean")}
    around = list({r.urn: r for r in [*resources, *(context or [])]}.values())
    scheduled = {r.parent for r in around if r.type == types.AWS_SCHEDULER_SCHEDULE}
    services = [r for r in around if r.type == types.AWS_ECS_SERVICE]
    for res in resources:
        i = res.inputs
        if res.type in (types.HCLOUD_SERVER, types.DO_DROPLET):
            provider = "hetzner" if res.type == types.HCLOUD_SERVER else "digitalocean"
            sku = skus[provider].get(str(i.get("serverType") or i.get("size")))
            if sku is None:
                result.unknown.append(res.name)
            else:
                result.add(sku.cpu, sku.memory_gb)  # its local disk is not the data's storage
        elif res.type in (types.HCLOUD_VOLUME, types.DO_VOLUME):
            result.add(0, 0, num(i.get("size")))
        elif res.type == types.AWS_ECS_TASK_DEFINITION:
            if res.parent in scheduled:
                continue
            count = sum(num(s.inputs.get("desiredCount"), 1) for s in services if s.parent == res.parent) or 1
            result.add(count * num(i.get("cpu"), 256) / 1024, count * num(i.get("memory"), 512) / 1024)
        elif res.type == types.AWS_RDS_INSTANCE:
            found = _named("aws", "rds_instance_classes").get(str(i.get("instanceClass")))
            nodes: float = 2 if i.get("multiAz") else 1
            if found is None:
                result.unknown.append(res.name)
            else:
                result.add(nodes * found["cpu"], nodes * found["memory_gb"], num(i.get("allocatedStorage")))
        elif res.type == types.AWS_ELASTICACHE_REPLICATION_GROUP:
            found = _named("aws", "elasticache_node_types").get(str(i.get("nodeType")))
            nodes = num(i.get("numCacheClusters"), 1)
            if found is None:
                result.unknown.append(res.name)
            else:
                result.add(nodes * found["cpu"], nodes * found["memory_gb"])
        elif res.type == types.DO_DATABASE_CLUSTER:
            key = "postgres_sizes" if i.get("engine") == "pg" else "valkey_sizes"
            found = _named("digitalocean", key).get(str(i.get("size")))
            nodes = num(i.get("nodeCount"), 1)
            if found is None:
                result.unknown.append(res.name)
            else:
                result.add(nodes * found["cpu"], nodes * found["memory_gb"], found.get("storage_gb", 0))
        elif res.type == types.DO_APP:
            sizes = _named("digitalocean", "app_sizes")
            spec = i.get("spec") or {}
            for component in [*(spec.get("services") or []), *(spec.get("workers") or [])]:
                found = sizes.get(str(component.get("instanceSizeSlug")))
                scaling = component.get("autoscaling") or {}
                count = num(scaling.get("minInstanceCount") or component.get("instanceCount"), 1)
                if found is None:
                    result.unknown.append(f"{res.name}/{component.get('name')}")
                else:
                    result.add(count * found["cpu"], count * found["memory_gb"])
    return result

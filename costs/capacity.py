"""The capacity a priced stack buys: vCPUs, memory and storage, from the same resources the
cost engine prices and the same catalogs. `infra cost --compare` shows it beside each total so
targets are compared like with like.

Counted: VPS servers and droplets (their SKU), volumes, Fargate tasks of long-running services
(task size × desired count; a scheduled job runs now and then and is left out), App Platform
components (size × instances, the minimum when autoscaling), managed PostgreSQL/Valkey
clusters and RDS/ElastiCache (per node; a standby counts, as it is bought); storage is what
holds data: volumes and the databases' storage (a VPS's local disk is not counted). Each
figure keeps the SKUs behind it (`Bought`), so a comparison can say which size rule made a
difference (`Difference`, stacks.compare.differences).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from multicloud.components._lib import types
from multicloud.costs.catalog import load, server_types
from multicloud.costs.pricers.base import Resource, num


@dataclass(frozen=True)
class Alternative:
    """One size of a family: what a sizing rule could have picked instead."""

    name: str
    cpu: float
    memory_gb: float
    price: float = 0.0
    """Per month or hour, as the catalog states it (only compared within a family)."""
    storage_gb: float = 0.0
    standby: bool = True


@dataclass(frozen=True)
class Bought:
    """One kind of unit a component buys: a SKU of a family, its size and how many."""

    family: str
    """What the SKU is a size of, in words: "RDS instance class", "Hetzner server type" …"""
    sku: str
    cpu: float
    memory_gb: float
    count: int = 1
    cpu_kind: str = ""
    """"burstable" (AWS T family: a baseline share of each vCPU, more on credits), "shared"
    (a VPS or managed node on shared cores), "dedicated", or "" where the catalog does not say."""
    smallest: bool = False
    """Nothing smaller in its family: the target's minimum."""
    largest: bool = False
    alternatives: tuple[Alternative, ...] = ()
    """Every size of its family (itself included), as sizing chose from."""

    def smaller_holding(self, cpu: float, memory_gb: float) -> list[Alternative]:
        """Sizes of the family smaller than this one that still hold `cpu` and `memory_gb`."""
        return [
            a
            for a in self.alternatives
            if a.cpu >= cpu - 1e-9
            and a.memory_gb >= memory_gb - 1e-9
            and a.cpu <= self.cpu
            and a.memory_gb <= self.memory_gb
            and (a.cpu, a.memory_gb) != (self.cpu, self.memory_gb)
        ]

    def price_hint(self) -> float:
        """Its own price among `alternatives` (0 when not listed)."""
        return next((a.price for a in self.alternatives if a.name == self.sku), 0.0)

    def describe(self) -> str:
        kind = f" {self.cpu_kind}" if self.cpu_kind else ""
        times = f"{self.count} × " if self.count > 1 else ""
        if self.family == FARGATE:
            return f"{times}{self.sku}"
        return f"{times}{self.sku} ({self.cpu:g}{kind} vCPU / {self.memory_gb:g} GB)"


@dataclass
class Capacity:
    vcpu: float = 0.0
    memory_gb: float = 0.0
    storage_gb: float = 0.0
    unknown: list[str] = field(default_factory=list)
    """Resources whose size the catalogs do not know (their capacity is not counted)."""
    bought: list[Bought] = field(default_factory=list)
    """The SKUs behind the figures, largest first."""

    def add(self, vcpu: float, memory_gb: float, storage_gb: float = 0.0) -> None:
        self.vcpu += vcpu
        self.memory_gb += memory_gb
        self.storage_gb += storage_gb

    def buy(self, unit: Bought, storage_gb: float = 0.0) -> None:
        self.add(unit.count * unit.cpu, unit.count * unit.memory_gb, storage_gb)
        self.bought.append(unit)
        self.bought.sort(key=lambda b: (-b.count * b.memory_gb, -b.count * b.cpu, b.sku))

    @property
    def redundant(self) -> bool:
        """Bought as two or more tasks, instances or nodes (one can fail and it keeps serving)."""
        return any(b.count > 1 for b in self.bought)

    def as_dict(self) -> dict[str, float]:
        return {
            "vcpu": round(self.vcpu, 2),
            "memory_gb": round(self.memory_gb, 2),
            "storage_gb": round(self.storage_gb, 1),
        }


# AWS T-family classes (db.t4g.*, cache.t4g.*) are burstable: each vCPU runs at a baseline share
# and above it on credits (https://aws.amazon.com/ec2/instance-types/t4/, read 2026-12-01).
# DigitalOcean's managed "db-s-" sizes run on shared vCPUs (Basic nodes,
# https://docs.digitalocean.com/products/databases/postgresql/details/pricing/, read 2026-12-01).
def _managed_cpu_kind(sku: str) -> str:
    if ".t4g." in sku or ".t3." in sku:
        return "burstable"
    return "shared" if sku.startswith("db-s-") else ""


def _unit(family: str, entries: list[dict[str, Any]], name: str, count: float, **extra: Any) -> Bought | None:
    """`count` × the catalog entry `name` of `entries`, placed in its family (None: not catalogued)."""
    found = next((e for e in entries if e["name"] == name), None)
    if found is None:
        return None
    smaller = [e for e in entries if e["memory_gb"] < found["memory_gb"] or e["cpu"] < found["cpu"]]
    larger = [e for e in entries if e["memory_gb"] > found["memory_gb"] or e["cpu"] > found["cpu"]]
    return Bought(
        family,
        name,
        float(found["cpu"]),
        float(found["memory_gb"]),
        int(count),
        extra.pop("cpu_kind", _managed_cpu_kind(name)),
        smallest=not smaller,
        largest=not larger,
        alternatives=tuple(
            Alternative(
                e["name"],
                float(e["cpu"]),
                float(e["memory_gb"]),
                _price(e),
                float(e.get("storage_gb", 0)),
                bool(e.get("standby", True)),
            )
            for e in entries
        ),
        **extra,
    )


FARGATE = "Fargate task size"


def _price(entry: dict[str, Any]) -> float:
    """A catalog entry's price, to order sizes of one family (hourly or monthly, as it has)."""
    value = entry.get("monthly", entry.get("hourly", 0))
    if isinstance(value, dict):  # ElastiCache: per engine
        value = min(value.values())
    return float(value or 0)


def _fargate(cpu: float, memory: float, count: float) -> Bought:
    sizes = load("aws")["fargate"]["sizes"]
    rate = load("aws")["fargate"]["x86"]
    pairs = [(float(c), float(m)) for c, ms in sizes.items() for m in ms]
    return Bought(
        FARGATE,
        f"{cpu:g} vCPU / {memory:g} GB Fargate task",
        cpu,
        memory,
        int(count),
        smallest=(cpu, memory) == min(pairs),
        largest=(cpu, memory) == max(pairs),
        alternatives=tuple(
            Alternative(
                f"{c:g} vCPU / {m:g} GB Fargate task", c, m, c * rate["vcpu_hour"] + m * rate["gb_hour"]
            )
            for c, m in pairs
        ),
    )


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
    around = list({r.urn: r for r in [*resources, *(context or [])]}.values())
    scheduled = {r.parent for r in around if r.type == types.AWS_SCHEDULER_SCHEDULE}
    services = [r for r in around if r.type == types.AWS_ECS_SERVICE]
    for res in resources:
        i = res.inputs
        unit: Bought | None = None
        storage = 0.0
        if res.type in (types.HCLOUD_SERVER, types.DO_DROPLET):
            unit = _server(
                "hetzner" if res.type == types.HCLOUD_SERVER else "digitalocean",
                str(i.get("serverType") or i.get("size")),
            )
        elif res.type in (types.HCLOUD_VOLUME, types.DO_VOLUME):
            result.add(0, 0, num(i.get("size")))
            continue
        elif res.type == types.AWS_ECS_TASK_DEFINITION:
            if res.parent in scheduled:
                continue
            count = sum(num(s.inputs.get("desiredCount"), 1) for s in services if s.parent == res.parent) or 1
            unit = _fargate(num(i.get("cpu"), 256) / 1024, num(i.get("memory"), 512) / 1024, count)
        elif res.type == types.AWS_RDS_INSTANCE:
            nodes: float = 2 if i.get("multiAz") else 1
            unit = _unit(
                "RDS instance class", load("aws")["rds_instance_classes"], str(i.get("instanceClass")), nodes
            )
            storage = num(i.get("allocatedStorage"))
        elif res.type == types.AWS_ELASTICACHE_REPLICATION_GROUP:
            nodes = num(i.get("numCacheClusters"), 1)
            unit = _unit(
                "ElastiCache node type", load("aws")["elasticache_node_types"], str(i.get("nodeType")), nodes
            )
        elif res.type == types.DO_DATABASE_CLUSTER:
            pg = i.get("engine") == "pg"
            entries = load("digitalocean")["postgres_sizes" if pg else "valkey_sizes"]
            family = f"DigitalOcean managed {'PostgreSQL' if pg else 'Valkey'} size"
            unit = _unit(family, entries, str(i.get("size")), num(i.get("nodeCount"), 1))
            storage = float(next((e.get("storage_gb", 0) for e in entries if e["name"] == i.get("size")), 0))
        elif res.type == types.DO_APP:
            _app(res, result)
            continue
        else:
            continue
        if unit is None:
            result.unknown.append(res.name)
        else:
            result.buy(unit, storage)  # a VPS's local disk is not the data's storage
    return result


def _server(provider: str, name: str) -> Bought | None:
    """A VPS SKU, against the types a new server of its kind could get."""
    types_ = server_types(provider)
    found = next((s for s in types_ if s.name == name), None)
    if found is None:
        return None
    same = [s for s in types_ if s.arch == found.arch and s.cpu_kind == found.cpu_kind and not s.retired]
    label = "Hetzner server type" if provider == "hetzner" else "DigitalOcean droplet size"
    return Bought(
        label,
        name,
        float(found.cpu),
        float(found.memory_gb),
        1,
        found.cpu_kind,
        smallest=all(s.memory_gb >= found.memory_gb and s.cpu >= found.cpu for s in same),
        largest=all(s.memory_gb <= found.memory_gb and s.cpu <= found.cpu for s in same),
        alternatives=tuple(Alternative(s.name, float(s.cpu), float(s.memory_gb), s.monthly) for s in same),
    )


def _app(res: Resource, result: Capacity) -> None:
    """An App Platform app: each service and worker, size × instances (the minimum when autoscaling)."""
    entries = load("digitalocean")["app_sizes"]
    spec = res.inputs.get("spec") or {}
    for component in [*(spec.get("services") or []), *(spec.get("workers") or [])]:
        name = str(component.get("instanceSizeSlug"))
        found = next((e for e in entries if e["name"] == name), None)
        scaling = component.get("autoscaling") or {}
        count = num(scaling.get("minInstanceCount") or component.get("instanceCount"), 1)
        same = [e for e in entries if found is not None and e.get("dedicated") == found.get("dedicated")]
        unit = _unit(
            "App Platform instance size",
            same,
            name,
            count,
            cpu_kind="" if found is None else ("dedicated" if found.get("dedicated") else "shared"),
        )
        if unit is None:
            result.unknown.append(f"{res.name}/{component.get('name')}")
        else:
            result.buy(unit)


@dataclass(frozen=True)
class Difference:
    """A moved component (or a host on the target) that buys more than 25 % more or less
    vCPU or memory than it had as configured, and why."""

    name: str
    had: tuple[float, float]
    got: tuple[float, float]
    bought: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.name,
            "had": {"vcpu": round(self.had[0], 2), "memory_gb": round(self.had[1], 2)},
            "got": {"vcpu": round(self.got[0], 2), "memory_gb": round(self.got[1], 2)},
            "bought": self.bought,
            "reasons": list(self.reasons),
        }

    def text(self) -> str:
        had, got = (f"{c:g} vCPU / {m:.3g} GB" for c, m in (self.had, self.got))
        return f"{self.name}: {had} as configured → {got} ({self.bought}): {'; '.join(self.reasons)}"

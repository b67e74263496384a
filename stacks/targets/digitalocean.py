"""DigitalOcean: what a stack on it must satisfy, and how neutral sizes become its slugs.

Droplets (`hosts:` with target digitalocean) share one VPC, so one region; managed
PostgreSQL and Valkey, App Platform apps and static sites live in that region. The lists the
rules check against (regions, versions, extensions) are DigitalOcean's published ones, kept
with their sources in components.contracts.digitalocean; sizes and prices come from the
catalog (costs/catalog/digitalocean.yaml).
"""

from __future__ import annotations

from typing import Any

from multicloud.components._lib.images import UnsupportedImage, parse_image
from multicloud.components.contracts import digitalocean as do
from multicloud.costs.catalog import load
from multicloud.stacks.sizing import SizingError, locations, size_problems
from multicloud.stacks.spec import (
    ApiSpec,
    BucketSpec,
    ContainerService,
    PostgresSpec,
    Problem,
    RedisSpec,
    StackSpec,
    StaticSiteSpec,
    WorkerSpec,
)
from multicloud.stacks.targets._raw import services_on as _here

# --- rules ----------------------------------------------------------------------------


def check(spec: StackSpec) -> list[Problem]:
    """Every DigitalOcean rule: the one region, then each service on DigitalOcean, then the
    load balancers' ports."""
    problems = _region(spec)
    for name, svc in spec.services.items():
        if svc.target != "digitalocean":
            continue
        if (
            _needs_region(svc)
            and spec.do_region is None
            and not any(p == "digitalocean" for p, _ in problems)
        ):
            problems.append(
                (
                    "digitalocean",
                    (
                        f"services.{name} needs a DigitalOcean region; set digitalocean: {{region: fra1}} "
                        "(or add a digitalocean host)"
                    ),
                )
            )
        if isinstance(svc, ApiSpec | WorkerSpec):
            problems += (
                _app_platform_service(name, svc) if svc.on_app_platform else _droplet_service(name, svc, spec)
            )
        if isinstance(svc, StaticSiteSpec) or (isinstance(svc, ApiSpec | WorkerSpec) and svc.on_app_platform):
            problems += _app_platform_component(name, svc, spec)
        if isinstance(svc, RedisSpec):
            problems += _valkey(name, svc)
        if isinstance(svc, PostgresSpec):
            problems += _postgres(name, svc)
        if isinstance(svc, BucketSpec) and svc.location is not None and svc.location not in do.SPACES_REGIONS:
            problems.append(
                (
                    f"services.{name}.location",
                    f"unknown Spaces region; allowed: {', '.join(do.SPACES_REGIONS)}",
                )
            )
    return problems + _load_balancer_ports(spec)


def _region(spec: StackSpec) -> list[Problem]:
    """Droplets share one VPC, so one region, and `digitalocean.region` may only repeat it."""
    problems: list[Problem] = []
    regions = sorted({h.location for h in spec.hosts.values() if h.target == "digitalocean"})
    if len(regions) > 1:
        problems.append(
            ("hosts", f"DigitalOcean hosts share one VPC, so one region; found {', '.join(regions)}")
        )
    if spec.digitalocean is not None:
        known = locations("digitalocean")
        if spec.digitalocean.region not in known:
            problems.append(("digitalocean.region", f"unknown region; allowed: {', '.join(known)}"))
        elif regions and spec.digitalocean.region not in regions:
            problems.append(
                (
                    "digitalocean.region",
                    f"the droplets are in {regions[0]}, and the VPC has one region; remove it or set {regions[0]}",
                )
            )
    return problems


def _needs_region(svc: object) -> bool:
    """Managed databases, static sites and App Platform services live in the stack's region."""
    return isinstance(svc, PostgresSpec | RedisSpec | StaticSiteSpec) or (
        isinstance(svc, ApiSpec | WorkerSpec) and svc.on_app_platform
    )


def _valkey(name: str, svc: RedisSpec) -> list[Problem]:
    problems: list[Problem] = []
    if svc.engine != "valkey":
        problems.append(
            (f"services.{name}.engine", "DigitalOcean offers managed valkey only; set engine: valkey")
        )
    elif svc.engine_version.split(".")[0] not in do.VALKEY_VERSIONS:
        problems.append(
            (
                f"services.{name}.version",
                f"DigitalOcean runs Valkey {', '.join(do.VALKEY_VERSIONS)}; remove version or pick 8.0",
            )
        )
    return problems + size_problems(
        f"services.{name}.memory_mb", lambda: do_database_size("valkey", None, svc.memory_mb / 1024)
    )


def _postgres(name: str, svc: PostgresSpec) -> list[Problem]:
    problems: list[Problem] = []
    for i, extension in enumerate(svc.extensions):
        if extension not in do.POSTGRES_EXTENSIONS:
            problems.append(
                (
                    f"services.{name}.extensions[{i}]",
                    f"DigitalOcean does not offer {extension}; available: {', '.join(do.POSTGRES_EXTENSIONS)}",
                )
            )
        elif svc.extensions.index(extension) != i:
            problems.append((f"services.{name}.extensions[{i}]", f"{extension} is listed twice"))
    if svc.version not in do.POSTGRES_VERSIONS:
        problems.append(
            (f"services.{name}.version", f"DigitalOcean runs PostgreSQL {', '.join(do.POSTGRES_VERSIONS)}")
        )
    cpu, memory = (svc.size.cpu, svc.size.memory_gb) if svc.size else (None, None)
    return problems + size_problems(
        f"services.{name}.size", lambda: do_database_size("pg", cpu, memory, svc.multi_az, do_storage_gb(svc))
    )


# Ports a host keeps for itself: SSH, Caddy's own HTTP/HTTPS, and Caddy's admin endpoint.
HOST_PORTS = {22, 80, 443, 2019}


def _droplet_service(name: str, svc: ApiSpec | WorkerSpec, spec: StackSpec) -> list[Problem]:
    """An api/worker on droplets: no autoscaling, no App Platform size; a load-balanced api
    needs DigitalOcean DNS (for the balancer's certificate) and a port the host leaves free."""
    problems: list[Problem] = []
    path = f"services.{name}"
    if svc.max_replicas is not None:
        problems.append(
            (f"{path}.max_replicas", "droplets do not autoscale; set runtime: app_platform or remove it")
        )
    if svc.instance_size is not None:
        problems.append((f"{path}.instance_size", "is an App Platform size; set runtime: app_platform"))
    if not isinstance(svc, ApiSpec) or not svc.balanced:
        return problems
    if spec.dns is None or spec.dns.provider != "digitalocean":
        problems.append(
            (
                f"{path}.load_balancer" if svc.load_balancer else f"{path}.hosts",
                (
                    "a DigitalOcean load balancer gets its certificate from DigitalOcean, which issues "
                    "them only for domains in DigitalOcean DNS; set dns: {provider: digitalocean}, "
                    "or run the api on one host (Caddy then serves HTTPS itself)"
                ),
            )
        )
    if svc.port in HOST_PORTS:
        problems.append(
            (
                f"{path}.port",
                (
                    f"the load balancer reaches the api on its port, and {svc.port} is the host's own; "
                    f"use another port (not {', '.join(map(str, sorted(HOST_PORTS)))})"
                ),
            )
        )
    return problems


def _app_platform_service(name: str, svc: ApiSpec | WorkerSpec) -> list[Problem]:
    """An api/worker on App Platform: autoscaling bounds, an image App Platform can pull, and
    an instance size that exists and fits replicas and autoscaling."""
    problems: list[Problem] = []
    path = f"services.{name}"
    if svc.max_replicas is not None and svc.max_replicas <= svc.replicas:
        problems.append(
            (
                f"{path}.max_replicas",
                f"must be more than replicas ({svc.replicas}): App Platform autoscales between them",
            )
        )
    if svc.read_only:
        problems.append((f"{path}.read_only", "App Platform has no read-only root filesystem; remove it"))
    try:
        parse_image(svc.image)
    except UnsupportedImage as err:
        problems.append((f"{path}.image", str(err)))
    if svc.instance_size is None:
        return problems + size_problems(f"services.{name}.size", lambda: service_app_size(svc))
    return problems + _instance_size(path, svc)


def _instance_size(path: str, svc: ApiSpec | WorkerSpec) -> list[Problem]:
    """An explicit App Platform `instance_size`: known, dedicated when autoscaling, not a
    single-instance size for several replicas, and not given with a neutral `size`."""
    problems: list[Problem] = []
    sizes = app_sizes()
    chosen = sizes.get(svc.instance_size or "")
    if chosen is None:
        problems.append((f"{path}.instance_size", f"unknown size; allowed: {', '.join(sizes)}"))
    elif svc.max_replicas is not None and not chosen["dedicated"]:
        problems.append(
            (
                f"{path}.max_replicas",
                (
                    f"App Platform autoscales dedicated sizes only; {svc.instance_size} is shared "
                    "(pick an apps-d-… instance_size, or remove it to get the cheapest dedicated one)"
                ),
            )
        )
    elif chosen.get("single_instance") and svc.replicas > 1:
        problems.append(
            (
                f"{path}.replicas",
                f"{svc.instance_size} runs one instance; set replicas: 1 or pick another instance_size",
            )
        )
    if svc.size is not None:
        problems.append((path, "give size or instance_size, not both"))
    return problems


def _app_platform_component(
    name: str, svc: ApiSpec | WorkerSpec | StaticSiteSpec, spec: StackSpec
) -> list[Problem]:
    """What every App Platform component needs: a name App Platform takes, and DNS for the
    CNAME of a published one (an api or a static site)."""
    problems: list[Problem] = []
    if len(name) < 2:
        problems.append(
            (f"services.{name}", "App Platform component names have 2 to 32 characters; rename the service")
        )
    if not isinstance(svc, WorkerSpec) and spec.dns is None:
        problems.append(
            ("dns", f"services.{name} on App Platform needs dns: {{...}} for its domain's CNAME record")
        )
    return problems


def _load_balancer_ports(spec: StackSpec) -> list[Problem]:
    """Load balancers reach their api on the api's port of each droplet: one api per port."""
    problems: list[Problem] = []
    taken: dict[tuple[str, int], str] = {}
    for name, svc in spec.services.items():
        if not isinstance(svc, ApiSpec) or not svc.balanced:
            continue
        for host in svc.placement:
            other = taken.setdefault((host, svc.port), name)
            if other != name:
                problems.append(
                    (
                        f"services.{name}.port",
                        f"services.{other} already takes port {svc.port} on host {host} for its load balancer",
                    )
                )
                break
    return problems


# --- sizing ---------------------------------------------------------------------------


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


def service_app_size(svc: ContainerService) -> str:
    """An App Platform service's instance size: explicit, else the cheapest that fits its
    neutral size, its replicas, and autoscaling (dedicated sizes only)."""
    return svc.instance_size or app_instance_size(
        svc.size.cpu if svc.size else None,
        svc.size.memory_gb if svc.size else None,
        autoscale=svc.max_replicas is not None,
        instances=svc.replicas,
    )


# --- moving a stack here (infra cost --compare) ----------------------------------------


def moved_here(config: dict[str, Any], notes: list[str]) -> None:
    """Adjust a raw config whose components `--compare` just moved onto DigitalOcean:
    no autoscaling on droplets, Valkey for Redis, a PostgreSQL version DigitalOcean creates."""
    for name, svc in _here(config, "digitalocean"):
        # Droplets (the default runtime) do not autoscale.
        on_droplets = svc.get("runtime") != "app_platform" and svc.get("kind") in ("api", "worker")
        if on_droplets and svc.pop("max_replicas", None):
            notes.append(f"{name}: max_replicas dropped (droplets do not autoscale; App Platform would)")
        if svc.get("kind") == "redis":
            svc["engine"] = "valkey"
            svc.pop("version", None)
        if svc.get("kind") == "postgres" and str(svc.get("version", "16")) not in do.POSTGRES_VERSIONS:
            notes.append(f"{name}: version {svc.pop('version')} → 16 (DigitalOcean does not create it)")

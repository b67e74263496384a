"""Compose a validated StackSpec into components. `__main__.py` and `infra plan` both run this.

Order matters only where data flows: hosts first (services are placed on them), then data
components (Postgres, Redis, buckets), then the services that link them, then one release
per host that ships everything placed on it.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components._lib.grammars import printable
from components._lib.naming import labels as make_labels
from components._lib.naming import physical_name
from components._lib.stored_secrets import OUTPUT as APP_SECRETS_OUTPUT
from components.api_service import ApiService, ApiServiceArgs, Worker
from components.capabilities import AWS_NETWORKED_KINDS
from components.connection import Linkable, secret
from components.contracts import digitalocean as do_contract
from components.contracts import preflight
from components.dns import DnsArgs
from components.host import SSH_KEYS_OUTPUT, FleetArgs, HostArgs, HostFleet, VpsHost
from components.network import Network, NetworkArgs
from components.object_store import ObjectStore, ObjectStoreArgs
from components.postgres import ManagedPostgres, PostgresArgs, PostgresBackup
from components.redis import Redis, RedisArgs
from components.static_frontend import StaticFrontend, StaticFrontendArgs
from stacks.checks import warnings
from stacks.guard import OUTPUT as PLACEMENTS_OUTPUT
from stacks.guard import placement_problems, placements
from stacks.loader import NAMESPACE, ConfigError, configured_registries, parse, read_pulumi_config
from stacks.providers import Providers
from stacks.sizing import (
    do_database_size,
    do_storage_gb,
    elasticache_node_type,
    rds_instance_class,
    resolve_server_type,
    service_app_size,
    volume_gb,
)
from stacks.spec import ApiSpec, BucketSpec, PostgresSpec, RedisSpec, StackSpec, StaticSiteSpec, WorkerSpec


def run() -> None:
    """Entry point of the Pulumi program."""
    # First of all: every resource registered from here on is checked against its
    # provider's rules before the engine creates it (components.contracts).
    _register_preflight()
    try:
        spec = parse(read_pulumi_config())
        previous = previous_outputs()
        moved = placement_problems(spec, (previous or {}).get(PLACEMENTS_OUTPUT))
        if moved:
            raise ConfigError(moved)
    except ConfigError as err:
        # RunError prints the message without a Python traceback; nothing has been registered.
        raise pulumi.RunError("invalid stack config:\n" + "\n".join(err.lines())) from None
    for path, message in warnings(spec):
        pulumi.log.warn(printable(f"{NAMESPACE}:{path}: {message}"))
    build(spec, previous)
    pulumi.export(PLACEMENTS_OUTPUT, placements(spec))


def _register_preflight() -> None:
    """Register the provider-contract check as a stack transform. Under Pulumi's mock monitor
    (the offline plan, the tests) it goes straight to the mocks, which run it on every
    registration as the engine does; `register_resource_transform` would start a callback
    gRPC server there that nothing calls."""
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import get_monitor

    monitor = get_monitor()
    if isinstance(monitor, MockMonitor):
        monitor.mocks.register_transform(preflight)
    else:
        pulumi.runtime.register_resource_transform(preflight)


def previous_outputs() -> dict[str, Any] | None:
    """What this stack exported last time that the program reads back — the placements of its
    stateful components, the SSH keys it uploaded, what App Platform stored of its secrets —
    through a StackReference to itself: {} on the first deployment, None when the backend
    cannot say."""
    from pulumi.runtime.sync_await import _sync_await

    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    found: dict[str, Any] = {}
    try:
        ref = pulumi.StackReference(f"{pulumi.get_stack()}-previous", stack_name=name)
        for output in (PLACEMENTS_OUTPUT, SSH_KEYS_OUTPUT, APP_SECRETS_OUTPUT):
            details = _sync_await(ref.get_output_details(output))
            value = details.value if details.value is not None else details.secret_value
            if isinstance(value, dict):
                found[output] = value
    except Exception as err:  # noqa: BLE001 - the preview guard (infra guard) still applies
        pulumi.log.warn(
            f"could not read the outputs of the last deployment ({type(err).__name__}); moves are not checked"
        )
        return None
    return found


def own_keys(previous: dict[str, Any] | None, target: str) -> frozenset[str] | None:
    """Fingerprints of the SSH keys this stack uploaded to `target`, from its record; None
    without one (the first deployment, one from before the record, or an unreadable one)."""
    record = (previous or {}).get(SSH_KEYS_OUTPUT)
    return frozenset(record.get(target) or []) if isinstance(record, dict) else None


def build(spec: StackSpec, previous: dict[str, Any] | None = None) -> dict[str, pulumi.Resource]:
    """Register every component of `spec`; returns them by name (hosts included).
    `previous`: what the last deployment exported (previous_outputs)."""
    stored_secrets = (previous or {}).get(APP_SECRETS_OUTPUT) or {}
    config = pulumi.Config(NAMESPACE)
    project, stack = pulumi.get_project(), pulumi.get_stack()
    providers = Providers(spec)
    registry_credentials = config.get_secret("registry_credentials")
    registries = configured_registries()
    app_secrets = (
        config.get_secret_object("secrets")
        if any(getattr(s, "secrets", None) for s in spec.services.values())
        else None
    )
    dns = (
        # DigitalOcean names a zone by its domain.
        DnsArgs(provider=spec.dns.provider, zone_id=spec.dns.zone_id or spec.domain) if spec.dns else None
    )
    built: dict[str, pulumi.Resource] = {}

    def opts_for(target: str) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers=providers.for_target(target))

    # --- hosts -------------------------------------------------------------------------
    hosts: dict[str, VpsHost] = {}
    fleets: dict[str, HostFleet] = {}
    for target in sorted({h.target for h in spec.hosts.values()} | _vpc_only_fleets(spec)):
        names = sorted(n for n, h in spec.hosts.items() if h.target == target)
        fleet = HostFleet(
            f"{target}-fleet",
            FleetArgs(
                target=target,
                # No hosts (DigitalOcean databases or apps only): the VPC without SSH keys.
                ssh_public_keys=spec.admin.ssh_public_keys if names and spec.admin else [],
                location=spec.do_region if target == "digitalocean" else spec.hosts[names[0]].location,  # type: ignore[arg-type]
                # Fixed private addresses only where data services run on hosts (Hetzner).
                private_network=len(names) > 1 and target == "hetzner",
                protect=spec.protect,
                labels=make_labels(project, stack, f"{target}-fleet"),
                own_keys=own_keys(previous, target),
            ),
            opts=opts_for(target),
        )
        fleets[target] = fleet
        private_ips = fleet.addresses(names) if fleet.args.private_network else {}
        for name in names:
            assert spec.admin is not None  # checked: hosts need admin
            host_spec = spec.hosts[name]
            holds_data = any(
                isinstance(s, PostgresSpec | RedisSpec) and s.host == name for s in spec.services.values()
            )
            hosts[name] = VpsHost(
                name,
                HostArgs(
                    target=target,
                    server_type=resolve_server_type(host_spec).name,
                    location=host_spec.location,
                    image=host_spec.image,
                    volume_gb=volume_gb(spec, name),
                    ssh_public_keys=spec.admin.ssh_public_keys,
                    admin_cidrs=spec.admin.cidrs or ["0.0.0.0/0", "::/0"],
                    backups=host_spec.backups
                    if host_spec.backups is not None
                    else spec.environment == "prod",
                    floating_ip=host_spec.floating_ip,
                    protect=spec.protect,
                    holds_data=holds_data,
                    labels=make_labels(project, stack, name),
                    fleet=fleet,
                    private_ip=private_ips.get(name),
                ),
                opts=opts_for(target),
            )
    built.update(hosts)

    # --- cloud network (one VPC for every AWS service that needs one) -----------------
    network = None
    if any(s.target == "aws" and s.kind in AWS_NETWORKED_KINDS for s in spec.services.values()):
        assert spec.aws is not None  # checked
        nat = spec.aws.nat or ("managed" if spec.environment == "prod" else "none")
        network = Network(
            "network",
            NetworkArgs(target="aws", nat=nat, tags=make_labels(project, stack, "network")),
            opts=opts_for("aws"),
        )
        built["network"] = network
    region = spec.aws.region if spec.aws else None

    # --- data components ---------------------------------------------------------------
    linkables: dict[str, Linkable] = {}
    # Buckets first: a database's backups go to one.
    ordered = sorted(spec.services.items(), key=lambda item: not isinstance(item[1], BucketSpec))
    for name, svc in ordered:
        host = hosts.get(getattr(svc, "host", None) or "")
        component: ManagedPostgres | Redis | ObjectStore
        if isinstance(svc, PostgresSpec):
            component = ManagedPostgres(
                name,
                PostgresArgs(
                    target=svc.target,
                    version=svc.version,
                    storage_gb=svc.storage_gb,
                    database=svc.database,
                    username=svc.username,
                    host=host,
                    protect=spec.protect,
                    network=network,
                    instance_class=_postgres_class(svc),
                    fleet=fleets.get(svc.target),
                    region=spec.do_region if svc.target == "digitalocean" else None,
                    multi_az=svc.multi_az,
                    extensions=list(svc.extensions),
                    admit_vpc=_linked_from_app_platform(spec, name),
                    backup_days=svc.backup_days or (7 if spec.environment == "prod" else 1),
                    backup=PostgresBackup(
                        store=linkables[svc.backup.bucket],  # type: ignore[arg-type]
                        on_calendar=svc.backup.on_calendar,
                        keep_daily=svc.backup.keep_daily,
                        keep_weekly=svc.backup.keep_weekly,
                        keep_monthly=svc.backup.keep_monthly,
                    )
                    if svc.backup
                    else None,
                    tags=make_labels(project, stack, name),
                ),
                opts=opts_for(svc.target),
            )
        elif isinstance(svc, RedisSpec):
            component = Redis(
                name,
                RedisArgs(
                    target=svc.target,
                    engine=svc.engine,
                    version=svc.engine_version,
                    memory_mb=svc.memory_mb,
                    host=host,
                    protect=spec.protect,
                    network=network,
                    node_type=_cache_node_type(svc),
                    fleet=fleets.get(svc.target),
                    region=spec.do_region if svc.target == "digitalocean" else None,
                    nodes=svc.nodes,
                    admit_vpc=_linked_from_app_platform(spec, name),
                    tags=make_labels(project, stack, name),
                ),
                opts=opts_for(svc.target),
            )
        elif isinstance(svc, BucketSpec):
            component = _object_store(name, svc, spec, providers, config, project, stack)
        else:
            continue
        linkables[name] = component
        built[name] = component

    # --- frontends and services --------------------------------------------------------
    for name, svc in spec.services.items():
        if isinstance(svc, StaticSiteSpec):
            assert dns is not None  # checked
            built[name] = StaticFrontend(
                name,
                StaticFrontendArgs(
                    target=svc.target,
                    repo=svc.repo,
                    fqdn=spec.fqdn(svc.subdomain, name),
                    dns=dns,
                    project_name=physical_name(project, stack, name, max_len=58),
                    branch=svc.branch,
                    build_command=svc.build_command,
                    output_dir=svc.output_dir,
                    root_dir=svc.root_dir,
                    account_id=spec.cloudflare.account_id if spec.cloudflare else None,
                    spa=svc.spa,
                    region=spec.do_region if svc.target == "digitalocean" else None,
                    certificate_provider=providers.aws_us_east_1 if svc.target == "aws" else None,
                    protect=spec.protect,
                    tags=make_labels(project, stack, name),
                ),
                opts=opts_for(svc.target),
            )
        elif isinstance(svc, ApiSpec | WorkerSpec):
            is_api = isinstance(svc, ApiSpec)
            args = ApiServiceArgs(
                target=svc.target,
                image=svc.image,
                port=svc.port if isinstance(svc, ApiSpec) else None,
                fqdn=spec.fqdn(svc.subdomain, name) if isinstance(svc, ApiSpec) else None,
                health_path=svc.health_path if isinstance(svc, ApiSpec) else "/health",
                replicas=svc.replicas,
                command=svc.command,
                env=dict(svc.env),
                secret_env={n: _app_secret(app_secrets, n) for n in svc.secrets},
                links={link: linkables[link] for link in svc.links},
                read_only=svc.read_only,
                cpu=svc.size.cpu if svc.size else None,
                memory_gb=svc.size.memory_gb if svc.size else None,
                max_replicas=svc.max_replicas,
                arch=svc.arch,
                network=network,
                region=spec.do_region if svc.target == "digitalocean" else region,
                protect=spec.protect,
                tags=make_labels(project, stack, name),
                host=hosts.get(svc.host or ""),
                hosts=[hosts[h] for h in svc.hosts or []],
                load_balancer=svc.load_balancer if isinstance(svc, ApiSpec) else False,
                runtime=svc.runtime,
                instance_size=service_app_size(svc) if svc.on_app_platform else None,
                fleet=fleets.get(svc.target),
                dns=dns,
                proxied=svc.proxied if isinstance(svc, ApiSpec) else False,
                registry_credentials=registry_credentials,
                registries=registries,
                stored_secrets=stored_secrets.get(name) or {},
            )
            built[name] = (ApiService if is_api else Worker)(name, args, opts=opts_for(svc.target))
            if is_api and dns is None and svc.placement:
                pulumi.log.warn(
                    f"services.{name}: no dns configured; point {args.fqdn} at host "
                    f"{', '.join(svc.placement)} yourself "
                    "(Caddy needs it to obtain the certificate)"
                )

    # --- releases ----------------------------------------------------------------------
    if hosts:
        # Imported here: a stack without hosts never loads pulumi_command or the renderers.
        from components._vps.release import HostRelease, ReleaseArgs
    for name, host in hosts.items():
        HostRelease(
            f"{name}-release",
            ReleaseArgs(
                host=host,
                ssh_private_key=config.require_secret("ssh_private_key"),
                acme_email=spec.admin.acme_email if spec.admin else None,
                registry_credentials=registry_credentials,
            ),
            opts=pulumi.ResourceOptions(parent=host),
        )

    _export(spec, built, hosts)
    pulumi.export(SSH_KEYS_OUTPUT, {target: fleet.uploaded_keys for target, fleet in fleets.items()})
    return built


def _app_secret(values: pulumi.Output[Any] | None, name: str) -> pulumi.Output[str]:
    """One of the application's secrets (`multicloud:secrets.<name>`), a secret Output."""
    assert values is not None  # checked: a service that declares secrets has them
    return secret(values.apply(lambda v: str(v[name])))


def _postgres_class(svc: PostgresSpec) -> str:
    """The managed instance class: RDS class on AWS, database size slug on DigitalOcean."""
    cpu, memory = (svc.size.cpu, svc.size.memory_gb) if svc.size else (None, None)
    if svc.target == "aws":
        return svc.instance_class or rds_instance_class(cpu, memory)
    if svc.target == "digitalocean":
        return do_database_size("pg", cpu, memory, standby=svc.multi_az, storage_gb=do_storage_gb(svc))
    return ""


def _cache_node_type(svc: RedisSpec) -> str:
    """The managed node type: ElastiCache on AWS, database size slug on DigitalOcean."""
    if svc.target == "aws":
        return svc.node_type or elasticache_node_type(svc.memory_mb)
    if svc.target == "digitalocean":
        return do_database_size("valkey", None, svc.memory_mb / 1024)
    return ""


def _vpc_only_fleets(spec: StackSpec) -> set[str]:
    """Targets whose services need the stack's private network even without hosts there
    (DigitalOcean managed databases and App Platform apps live in the VPC)."""
    needs = any(
        s.target == "digitalocean"
        and (
            isinstance(s, PostgresSpec | RedisSpec)
            or (isinstance(s, ApiSpec | WorkerSpec) and s.on_app_platform)
        )
        for s in spec.services.values()
    )
    return {"digitalocean"} if needs else set()


def _linked_from_app_platform(spec: StackSpec, name: str) -> bool:
    """Whether an App Platform service links `name` (its firewall then trusts the VPC)."""
    return any(
        isinstance(s, ApiSpec | WorkerSpec) and s.on_app_platform and name in s.links
        for s in spec.services.values()
    )


def _bucket_location(svc: BucketSpec, spec: StackSpec) -> str | None:
    """The bucket's region: AWS buckets live in the stack's region; Spaces default to the
    droplets' region when Spaces is offered there; else the backend's default."""
    if svc.target == "aws" and spec.aws:
        return spec.aws.region
    if svc.target == "digitalocean" and svc.location is None and spec.do_region in do_contract.SPACES_REGIONS:
        return spec.do_region
    return svc.location


def _object_store(
    name: str,
    svc: BucketSpec,
    spec: StackSpec,
    providers: Providers,
    config: pulumi.Config,
    project: str,
    stack: str,
) -> ObjectStore:
    if svc.target == "hetzner":
        args = ObjectStoreArgs(
            target="hetzner",
            location=svc.location,
            versioning=svc.versioning,
            expire_after_days=svc.lifecycle.expire_after_days if svc.lifecycle else None,
            expire_prefix=svc.lifecycle.prefix if svc.lifecycle else "",
            archive_after_days=svc.lifecycle.archive_after_days if svc.lifecycle else None,
            protect=spec.protect,
            physical_name=physical_name(project, stack, name),
            access_key_id=config.require_secret("hetzner_s3_access_key"),
            secret_access_key=config.require_secret("hetzner_s3_secret_key"),
        )
        return ObjectStore(name, args)
    args = ObjectStoreArgs(
        target=svc.target,
        location=_bucket_location(svc, spec),
        versioning=svc.versioning,
        expire_after_days=svc.lifecycle.expire_after_days if svc.lifecycle else None,
        expire_prefix=svc.lifecycle.prefix if svc.lifecycle else "",
        archive_after_days=svc.lifecycle.archive_after_days if svc.lifecycle else None,
        protect=spec.protect,
        physical_name=physical_name(project, stack, name),
        account_id=spec.cloudflare.account_id if spec.cloudflare else None,
        labels=make_labels(project, stack, name),
    )
    return ObjectStore(name, args, opts=pulumi.ResourceOptions(providers=providers.for_target(svc.target)))


def _export(spec: StackSpec, built: dict[str, pulumi.Resource], hosts: dict[str, VpsHost]) -> None:
    """Stack outputs: URLs and addresses in clear, connection variables as secrets, and what
    App Platform stored of each app's secrets (read back by the next run)."""
    stored = {
        name: component.stored_secrets
        for name, component in built.items()
        if isinstance(component, ApiService) and component.stored_secrets is not None
    }
    if stored:
        pulumi.export(APP_SECRETS_OUTPUT, pulumi.Output.secret(stored))
    for name, host in hosts.items():
        pulumi.export(f"{name}_ipv4", host.public_ipv4)
        pulumi.export(f"{name}_ipv6", host.public_ipv6)
    for name, component in built.items():
        if isinstance(component, ApiService | StaticFrontend) and getattr(component, "url", None) is not None:
            pulumi.export(f"{name}_url", component.url)
        if isinstance(component, ManagedPostgres | Redis | ObjectStore):
            pulumi.export(f"{name}_connection", pulumi.Output.secret(component.connection_env()))
        if isinstance(component, ManagedPostgres) and component.backup_password is not None:
            pulumi.export(f"{name}_backup_password", component.backup_password)

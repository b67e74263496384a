"""From a validated spec to each component's Args: one function per kind.

`stacks.program` decides the order (hosts, network, data, services, releases) and keeps what
was built in a `Built`; each function here maps one spec entry to its component's Args and
nothing else, so a new field or provider shows up in one place. Sizes are resolved to the
target's SKUs here (stacks.sizing, stacks.targets.<provider>), once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi

from multicloud.components._lib import schedule
from multicloud.components._lib.images import registry_logins
from multicloud.components._lib.naming import labels as make_labels
from multicloud.components._lib.naming import physical_name
from multicloud.components._lib.stored_secrets import OUTPUT as APP_SECRETS_OUTPUT
from multicloud.components.alerts import AlertsArgs, Endpoint
from multicloud.components.api_service import (
    ApiService,
    ApiServiceArgs,
    OnAppPlatform,
    OnFargate,
    OnHosts,
    Runtime,
)
from multicloud.components.capabilities import INTERNET, link_path
from multicloud.components.connection import Linkable, secret
from multicloud.components.contracts import digitalocean as do_contract
from multicloud.components.dns import DnsArgs
from multicloud.components.host import Exposure, FleetArgs, HostArgs, HostFleet, VpsHost
from multicloud.components.network import Network, NetworkArgs
from multicloud.components.object_store import ObjectStoreArgs
from multicloud.components.postgres import BackupHeartbeat, PostgresArgs, PostgresBackup
from multicloud.components.redis import RedisArgs
from multicloud.components.static_frontend import StaticFrontendArgs
from multicloud.stacks.checks import Problem
from multicloud.stacks.loader import (
    app_secret_problems,
    configured_registries,
    registry_credential_problems,
    required_credentials,
    secret_shape_problems,
)
from multicloud.stacks.providers import Providers
from multicloud.stacks.sizing import resolve_server_type, volume_gb
from multicloud.stacks.spec import (
    ApiSpec,
    BucketSpec,
    ContainerService,
    JobSpec,
    PostgresSpec,
    RedisSpec,
    StackSpec,
    StaticSiteSpec,
)
from multicloud.stacks.targets.aws import elasticache_node_type, fargate_size, rds_instance_class
from multicloud.stacks.targets.digitalocean import do_database_size, do_storage_gb, service_app_size


@dataclass(frozen=True)
class Credentials:
    """What a stack needs that is secret. `multicloud.deploy` takes them as arguments; the
    stack-config program reads them from the `multicloud:` config secrets (`from_config`)."""

    ssh_private_key: pulumi.Input[str] | None = field(default=None, repr=False)
    """The deploy key the releases log in to hosts with (stacks with hosts)."""
    registry_credentials: pulumi.Input[str] | None = field(default=None, repr=False)
    """Logins for private images: JSON {"ghcr.io": "user:token", …} (one per registry host)."""
    registries: frozenset[str] | None = None
    """The registry hosts `registry_credentials` has logins for, when it is an Output (its
    hosts cannot be read before it resolves); read from it when it is a plain value."""
    app_secrets: pulumi.Input[Any] | None = field(default=None, repr=False)
    """{NAME: value} for the services' declared `secrets`."""
    alerts_slack_webhook: pulumi.Input[str] | None = field(default=None, repr=False)
    healthchecks_api_key: pulumi.Input[str] | None = field(default=None, repr=False)
    hetzner_s3_access_key: pulumi.Input[str] | None = field(default=None, repr=False)
    hetzner_s3_secret_key: pulumi.Input[str] | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, spec: StackSpec) -> Credentials:
        config = pulumi.Config("multicloud")
        declares_secrets = any(getattr(s, "secrets", None) for s in spec.services.values())
        return cls(
            ssh_private_key=config.get_secret("ssh_private_key"),
            registry_credentials=config.get_secret("registry_credentials"),
            registries=configured_registries(),
            app_secrets=config.get_secret_object("secrets") if declares_secrets else None,
            alerts_slack_webhook=config.get_secret("alerts_slack_webhook"),
            healthchecks_api_key=config.get_secret("healthchecks_api_key"),
            hetzner_s3_access_key=config.get_secret("hetzner_s3_access_key"),
            hetzner_s3_secret_key=config.get_secret("hetzner_s3_secret_key"),
        )

    def registry_hosts(self) -> frozenset[str]:
        """The registries there are logins for (names only, never the logins)."""
        if self.registries is not None:
            return self.registries
        plain = self.registry_credentials
        return frozenset(registry_logins(plain)) if isinstance(plain, str | dict) else frozenset()

    def problems(self, spec: StackSpec) -> list[Problem]:
        """What a stack file's credentials are checked for, on the values given here: each
        one the application needs, and the shape of each plain (non-Output) value. Never
        echoes a value."""
        found: list[Problem] = []
        for key in sorted(required_credentials(spec)):
            if getattr(self, "app_secrets" if key == "secrets" else key) is None:
                found.append((key, "is needed: pass it in multicloud.Credentials"))
        if isinstance(self.registry_credentials, str | dict):
            found += registry_credential_problems(self.registry_credentials)
        if isinstance(self.app_secrets, str | dict):
            found += app_secret_problems(self.app_secrets, spec)
        for key in ("alerts_slack_webhook", "healthchecks_api_key"):
            value = getattr(self, key)
            if isinstance(value, str):
                found += secret_shape_problems(key, value)
        return found

    def plain_values(self) -> set[str]:
        """Every credential given as a plain value, and the forms it is written in (a registry
        login's base64 for docker's config) — what an offline plan must never show."""
        import base64

        found: set[str] = set()
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, str) and name != "registries":
                found.add(value)
        logins = (
            registry_logins(self.registry_credentials)
            if isinstance(self.registry_credentials, str | dict)
            else {}
        )
        for login in logins.values():
            found |= {login, base64.b64encode(login.encode()).decode()}
        secrets = self.app_secrets
        if isinstance(secrets, str) and secrets.lstrip().startswith("{"):
            secrets = json.loads(secrets)
        if isinstance(secrets, dict):
            found |= {v for v in secrets.values() if isinstance(v, str)}
        return {v for v in found if v}

    def require(self, name: str) -> pulumi.Input[str]:
        value = getattr(self, name)
        if value is None:
            raise pulumi.RunError(
                f"the credential {name} is needed: pass it in multicloud.Credentials, "
                f"or set it with pulumi config set --secret multicloud:{name}"
            )
        return pulumi.Output.secret(value)


@dataclass
class Built:
    """What the program has registered so far, and the stack-wide values every step reads."""

    spec: StackSpec
    providers: Providers
    credentials: Credentials
    project: str
    stack: str
    previous: dict[str, Any]
    """What the last deployment exported (stacks.program.previous_outputs), {} if nothing."""
    dns: DnsArgs | None
    registry_credentials: pulumi.Output[str] | None
    registries: frozenset[str]
    app_secrets: pulumi.Output[Any] | None
    hosts: dict[str, VpsHost] = field(default_factory=dict)
    fleets: dict[str, HostFleet] = field(default_factory=dict)
    network: Network | None = None
    links: dict[str, Linkable] = field(default_factory=dict)
    """Data components by name, as services link them."""
    components: dict[str, pulumi.Resource] = field(default_factory=dict)
    parent: pulumi.Resource | None = None
    """The component every top-level resource is a child of (`multicloud.Application`); None in
    a stack-config program, whose components sit at the stack's root."""
    transforms: list[Any] | None = None
    """Transforms of every top-level resource (and so of everything below it): the provider
    contract check under `multicloud.Application`, where a stack transform is not ours to set."""

    def opts(self, target: str | None) -> pulumi.ResourceOptions:
        """Options for a component on `target`: that provider for every resource below it (none
        for a component that needs no provider)."""
        return pulumi.ResourceOptions(
            providers=self.providers.for_target(target) if target else None,
            parent=self.parent,
            transforms=self.transforms,
        )

    def labels(self, name: str) -> dict[str, str]:
        return make_labels(self.project, self.stack, name)


# --- alerts ---------------------------------------------------------------------------


def alerts_args(built: Built) -> AlertsArgs:
    """Every public api, watched from outside by its provider's uptime service (or Checkly)."""
    spec = built.spec
    assert spec.alerts is not None
    alerts = spec.alerts
    endpoints = []
    for name in spec.public_apis():
        svc = spec.services[name]
        assert isinstance(svc, ApiSpec)
        component = built.components[name]
        assert isinstance(component, ApiService)
        endpoints.append(
            Endpoint(
                name=name,
                target=svc.target,
                fqdn=spec.fqdn(svc.subdomain, name),
                health_path=svc.health_path,
                certificate_arn=component.certificate_arn,
            )
        )
    return AlertsArgs(
        emails=list(alerts.emails),
        digitalocean_emails=list(alerts.digitalocean_emails) if alerts.digitalocean_emails else None,
        prefix=f"{built.project}-{built.stack}",
        endpoints=endpoints,
        slack_channel=alerts.slack_channel,
        slack_webhook=built.credentials.require("alerts_slack_webhook") if alerts.slack_channel else None,
        tls_warning_days=alerts.tls_warning_days,
        tags=built.labels("alerts"),
        aws_region=spec.aws.region if spec.aws else None,
        aws_us_east_1=built.providers.aws_us_east_1 if any(e.target == "aws" for e in endpoints) else None,
    )


# --- hosts ----------------------------------------------------------------------------


def fleet_args(built: Built, target: str, names: list[str], own_keys: frozenset[str] | None) -> FleetArgs:
    spec = built.spec
    return FleetArgs(
        target=target,
        # No hosts (DigitalOcean databases or apps only): the VPC without SSH keys.
        ssh_public_keys=spec.admin.ssh_public_keys if names and spec.admin else [],
        location=spec.region_for(target) or spec.hosts[names[0]].location,
        # Fixed private addresses only where data services run on hosts (Hetzner).
        private_network=len(names) > 1 and target == "hetzner",
        protect=spec.protect,
        labels=built.labels(f"{target}-fleet"),
        own_keys=own_keys,
    )


def host_args(built: Built, name: str, fleet: HostFleet, private_ip: str | None) -> HostArgs:
    spec, host = built.spec, built.spec.hosts[name]
    assert spec.admin is not None  # checked: hosts need admin
    return HostArgs(
        target=host.target,
        server_type=resolve_server_type(host).name,
        location=host.location,
        image=host.image,
        volume_gb=volume_gb(spec, name),
        ssh_public_keys=spec.admin.ssh_public_keys,
        admin_cidrs=spec.admin.cidrs or ["0.0.0.0/0", "::/0"],
        backups=host.backups if host.backups is not None else spec.environment == "prod",
        floating_ip=host.floating_ip,
        protect=spec.protect,
        holds_data=any(
            isinstance(s, PostgresSpec | RedisSpec) and s.host == name for s in spec.services.values()
        ),
        labels=built.labels(name),
        fleet=fleet,
        private_ip=private_ip,
        exposed=exposures(built, name),
    )


# The first port a database or cache on a host opens to other providers (the next one of its
# kind on the same host takes the next port). Redis keeps 6379 for its plain port.
EXPOSED_PORTS = {"postgres": 5432, "redis": 6380}


def exposures(built: Built, host: str) -> list[Exposure]:
    """The ports the databases and caches on `host` open to consumers on other providers
    (components.capabilities.INTERNET_LINKS), each admitting those consumers' addresses."""
    found: list[Exposure] = []
    for kind, first in EXPOSED_PORTS.items():
        placed = sorted(
            name
            for name, svc in built.spec.services.items()
            if isinstance(svc, PostgresSpec | RedisSpec) and svc.kind == kind and svc.host == host
        )
        exposed = [
            (name, list(sources.values())) for name in placed if (sources := internet_consumers(built, name))
        ]
        found += [Exposure(name, first + i, sources) for i, (name, sources) in enumerate(exposed)]
    return found


def network_args(built: Built) -> NetworkArgs:
    spec = built.spec
    assert spec.aws is not None  # checked
    return NetworkArgs(target="aws", nat=spec.aws_nat, tags=built.labels("network"))


# --- data -----------------------------------------------------------------------------


def postgres_args(built: Built, name: str, svc: PostgresSpec) -> PostgresArgs:
    spec = built.spec
    return PostgresArgs(
        target=svc.target,
        version=svc.version,
        storage_gb=svc.storage_gb,
        database=svc.database,
        username=svc.username,
        host=built.hosts.get(svc.host or ""),
        protect=spec.protect,
        network=built.network,
        instance_class=postgres_class(svc),
        fleet=built.fleets.get(svc.target),
        region=spec.region_for(svc.target),
        multi_az=svc.multi_az,
        extensions=list(svc.extensions),
        admit_vpc=linked_from_app_platform(spec, name),
        admit_addresses=internet_consumers(built, name),
        backup_days=svc.backup_days or (7 if spec.environment == "prod" else 1),
        backup=PostgresBackup(
            store=built.links[svc.backup.bucket],  # type: ignore[arg-type]
            on_calendar=svc.backup.on_calendar,
            keep_daily=svc.backup.keep_daily,
            keep_weekly=svc.backup.keep_weekly,
            keep_monthly=svc.backup.keep_monthly,
            heartbeat=BackupHeartbeat(
                api_key=built.credentials.require("healthchecks_api_key"),
                prefix=f"{built.project}-{built.stack}",
            )
            if spec.alerts is not None
            else None,
        )
        if svc.backup
        else None,
        tags=built.labels(name),
    )


def redis_args(built: Built, name: str, svc: RedisSpec) -> RedisArgs:
    spec = built.spec
    return RedisArgs(
        target=svc.target,
        engine=svc.engine,
        version=svc.engine_version,
        memory_mb=svc.memory_mb,
        host=built.hosts.get(svc.host or ""),
        protect=spec.protect,
        network=built.network,
        node_type=cache_node_type(svc),
        fleet=built.fleets.get(svc.target),
        region=spec.region_for(svc.target),
        nodes=svc.nodes,
        admit_vpc=linked_from_app_platform(spec, name),
        admit_addresses=internet_consumers(built, name),
        tags=built.labels(name),
    )


def bucket_args(built: Built, name: str, svc: BucketSpec) -> ObjectStoreArgs:
    spec, lifecycle = built.spec, svc.lifecycle
    common: dict[str, Any] = {
        "target": svc.target,
        "versioning": svc.versioning,
        "expire_after_days": lifecycle.expire_after_days if lifecycle else None,
        "expire_prefix": lifecycle.prefix if lifecycle else "",
        "archive_after_days": lifecycle.archive_after_days if lifecycle else None,
        "protect": spec.protect,
        "physical_name": physical_name(built.project, built.stack, name),
    }
    if svc.target == "hetzner":
        # Hetzner Object Storage has no API of its own: buckets are made over S3 with these keys.
        return ObjectStoreArgs(
            **common,
            location=svc.location,
            access_key_id=built.credentials.require("hetzner_s3_access_key"),
            secret_access_key=built.credentials.require("hetzner_s3_secret_key"),
        )
    return ObjectStoreArgs(
        **common,
        location=bucket_location(svc, spec),
        account_id=spec.cloudflare.account_id if spec.cloudflare else None,
        labels=built.labels(name),
    )


# --- frontends and services -----------------------------------------------------------


def site_args(built: Built, name: str, svc: StaticSiteSpec) -> StaticFrontendArgs:
    spec = built.spec
    assert built.dns is not None  # checked
    return StaticFrontendArgs(
        target=svc.target,
        repo=svc.repo,
        fqdn=spec.fqdn(svc.subdomain, name),
        dns=built.dns,
        project_name=physical_name(built.project, built.stack, name, max_len=58),
        branch=svc.branch,
        build_command=svc.build_command,
        output_dir=svc.output_dir,
        root_dir=svc.root_dir,
        account_id=spec.cloudflare.account_id if spec.cloudflare else None,
        spa=svc.spa,
        region=spec.region_for(svc.target),
        certificate_provider=built.providers.aws_us_east_1 if svc.target == "aws" else None,
        protect=spec.protect,
        tags=built.labels(name),
    )


def service_args(built: Built, name: str, svc: ContainerService) -> ApiServiceArgs:
    spec = built.spec
    api = svc if isinstance(svc, ApiSpec) else None
    cpu, memory_gb = (svc.size.cpu, svc.size.memory_gb) if svc.size else (None, None)
    if svc.target == "aws":
        cpu, memory_gb = fargate_size(cpu, memory_gb)  # Fargate takes fixed pairs only
    return ApiServiceArgs(
        target=svc.target,
        image=svc.image,
        runtime=service_runtime(built, name, svc),
        port=api.port if api else None,
        fqdn=spec.fqdn(api.subdomain, name) if api else None,
        health_path=api.health_path if api else "/health",
        replicas=svc.replicas,
        command=svc.command,
        env=dict(svc.env),
        secret_env={n: app_secret(built.app_secrets, n) for n in svc.secrets},
        links={link: built.links[link] for link in svc.links},
        read_only=svc.read_only,
        cpu=cpu,
        memory_gb=memory_gb,
        max_replicas=svc.max_replicas,
        protect=spec.protect,
        tags=built.labels(name),
        dns=built.dns,
        proxied=api.proxied if api else False,
        schedule=schedule.parse(svc.schedule) if isinstance(svc, JobSpec) else None,
        timeout_seconds=svc.timeout_seconds if isinstance(svc, JobSpec) else None,
        registry_credentials=built.registry_credentials,
    )


def service_runtime(built: Built, name: str, svc: ContainerService) -> Runtime:
    """Where the containers run: AWS Fargate, DigitalOcean App Platform, or the stack's hosts."""
    region = built.spec.region_for(svc.target)
    if svc.target == "aws":
        assert built.network is not None and region is not None  # checked: aws needs aws.region
        return OnFargate(network=built.network, region=region, arch=svc.arch, registries=built.registries)
    if svc.on_app_platform:
        assert region is not None  # checked: App Platform needs the DigitalOcean region
        return OnAppPlatform(
            instance_size=service_app_size(svc),
            region=region,
            fleet=built.fleets.get(svc.target),
            stored_secrets=(built.previous.get(APP_SECRETS_OUTPUT) or {}).get(name) or {},
        )
    return OnHosts(
        hosts=[built.hosts[h] for h in svc.placement],
        load_balancer=svc.load_balancer if isinstance(svc, ApiSpec) else False,
        region=region,
    )


# --- helpers --------------------------------------------------------------------------


def app_secret(values: pulumi.Output[Any] | None, name: str) -> pulumi.Output[str]:
    """One of the application's secrets (`multicloud:secrets.<name>`), a secret Output."""
    assert values is not None  # checked: a service that declares secrets has them
    return secret(values.apply(lambda v: str(v[name])))


def postgres_class(svc: PostgresSpec) -> str:
    """The managed instance class: RDS class on AWS, database size slug on DigitalOcean."""
    cpu, memory = (svc.size.cpu, svc.size.memory_gb) if svc.size else (None, None)
    if svc.target == "aws":
        return svc.instance_class or rds_instance_class(cpu, memory)
    if svc.target == "digitalocean":
        return do_database_size("pg", cpu, memory, standby=svc.multi_az, storage_gb=do_storage_gb(svc))
    return ""


def cache_node_type(svc: RedisSpec) -> str:
    """The managed node type: ElastiCache on AWS, database size slug on DigitalOcean."""
    if svc.target == "aws":
        return svc.node_type or elasticache_node_type(svc.memory_mb)
    if svc.target == "digitalocean":
        return do_database_size("valkey", None, svc.memory_mb / 1024)
    return ""


def internet_consumers(built: Built, name: str) -> dict[str, pulumi.Output[str]]:
    """The egress IPv4 addresses of the services that reach `name` over the internet
    (components.capabilities.INTERNET_LINKS) — their hosts', or the NAT gateway's for Fargate
    tasks: what its firewall admits besides its own provider. Each under a label that stays
    the address's own while others come and go (`<host>-server`, `<host>-static`, `nat-<i>`)."""
    spec = built.spec
    dep = spec.services[name]
    consumers = [
        svc
        for svc in spec.services.values()
        if isinstance(svc, ContainerService)
        and name in svc.links
        and link_path(svc.target, dep.kind, dep.target) == INTERNET
    ]
    hosts = sorted({host for svc in consumers for host in svc.placement})
    addresses = {
        f"{host}-{('server', 'static')[i]}": address
        for host in hosts
        for i, address in enumerate(built.hosts[host].egress_ipv4)
    }
    if built.network is not None and any(svc.target == "aws" for svc in consumers):
        addresses |= {f"nat-{i}": address for i, address in enumerate(built.network.egress_ipv4)}
    return addresses


def linked_from_app_platform(spec: StackSpec, name: str) -> bool:
    """Whether an App Platform service links `name` (its firewall then trusts the VPC)."""
    return any(
        isinstance(s, ContainerService) and s.on_app_platform and name in s.links
        for s in spec.services.values()
    )


def bucket_location(svc: BucketSpec, spec: StackSpec) -> str | None:
    """The bucket's region: AWS buckets live in the stack's region; Spaces default to the
    droplets' region when Spaces is offered there; else the backend's default."""
    if svc.target == "aws" and spec.aws:
        return spec.aws.region
    if svc.target == "digitalocean" and svc.location is None and spec.do_region in do_contract.SPACES_REGIONS:
        return spec.do_region
    return svc.location

"""Compose a validated StackSpec into components. `__main__.py` and `infra plan` both run this.

Order matters only where data flows: the AWS network and hosts first (services are placed on
them; a host's firewall may admit the NAT gateway's address), then data
components (Postgres, Redis, buckets), then the services that link them, then one release
per host that ships everything placed on it.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi

from multicloud.components._lib.grammars import printable
from multicloud.components._lib.stored_secrets import OUTPUT as APP_SECRETS_OUTPUT
from multicloud.components.alerts import Alerts
from multicloud.components.api_service import ApiService, Job, Worker
from multicloud.components.capabilities import AWS_NETWORKED_KINDS
from multicloud.components.contracts import preflight
from multicloud.components.dns import DnsArgs
from multicloud.components.host import SSH_KEYS_OUTPUT, HostFleet, VpsHost
from multicloud.components.network import Network
from multicloud.components.object_store import ObjectStore
from multicloud.components.postgres import ManagedPostgres
from multicloud.components.redis import Redis
from multicloud.components.static_frontend import StaticFrontend
from multicloud.stacks.args import (
    Built,
    Credentials,
    alerts_args,
    bucket_args,
    fleet_args,
    host_args,
    network_args,
    postgres_args,
    redis_args,
    service_args,
    site_args,
)
from multicloud.stacks.checks import check, warnings
from multicloud.stacks.loader import (
    NAMESPACE,
    ConfigError,
    parse,
    read_pulumi_config,
)
from multicloud.stacks.placements import OUTPUT as PLACEMENTS_OUTPUT
from multicloud.stacks.placements import placement_problems, placements
from multicloud.stacks.providers import Providers
from multicloud.stacks.spec import (
    ApiSpec,
    BucketSpec,
    ContainerService,
    JobSpec,
    PostgresSpec,
    RedisSpec,
    StackSpec,
    StaticSiteSpec,
    WorkerSpec,
)


class InvalidApplication(pulumi.RunError):
    """An application (or its credentials) `deploy` refuses: one line per problem, shown by
    the engine without a traceback; `problems` keeps them for `infra --program`."""

    def __init__(
        self,
        problems: list[tuple[str, str]],
        prefix: str = f"{NAMESPACE}:",
        title: str = "invalid stack config",
    ):
        self.problems = problems
        self.prefix = prefix
        super().__init__(f"{title}:\n" + "\n".join(ConfigError(problems, prefix).lines()))


_DEPLOYED_IN: weakref.WeakSet[pulumi.Resource] = weakref.WeakSet()
"""The programs (their root stack resource) `deploy` has built an application in."""


@dataclass
class Recording:
    """What `deploy` built while a recording listened."""

    stacks: list[StackSpec] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    """Credentials passed as plain values (and the forms they are written in), so that what
    shows or writes the plan can hide them."""


DEPLOYED: Recording | None = None
"""Where `deploy` records each application it builds, while `recording` listens."""


@contextlib.contextmanager
def recording() -> Iterator[Recording]:
    """The applications `deploy` builds while inside (multicloud.testing.run, infra --program);
    nested recordings each get their own and the outer one is restored."""
    global DEPLOYED
    outer, DEPLOYED = DEPLOYED, Recording()
    try:
        yield DEPLOYED
    finally:
        DEPLOYED = outer


def run() -> None:
    """Entry point of the stack-config program: the `multicloud:` config is the application."""
    try:
        spec = parse(read_pulumi_config())
    except ConfigError as err:
        # RunError prints the message without a Python traceback; nothing has been registered.
        raise pulumi.RunError("invalid stack config:\n" + "\n".join(err.lines())) from None
    deploy(spec)


def deploy(spec: StackSpec, credentials: Credentials | None = None) -> dict[str, pulumi.Resource]:
    """Build the application `spec` describes in the current Pulumi program, after the same
    checks a stack file gets; returns its components by name. `credentials` default to the
    `multicloud:` config's secrets. The stack-config program is one caller; a hand-written
    program is another (`multicloud.deploy`, docs/library.md). Its outputs are the stack's."""
    root = pulumi.runtime.get_root_resource()
    if root is not None and root in _DEPLOYED_IN:
        # The engine would refuse the second set of providers and components (duplicate URNs).
        raise InvalidApplication(
            [("<program>", "deploy was called twice; a program deploys one application")]
        )
    credentials = credentials or Credentials.from_config(spec)
    # Nothing is read or registered before the application and its credentials are checked.
    problems = check(spec) + credentials.problems(spec)
    if problems:
        raise InvalidApplication(problems)
    # First of all: every resource registered from here on is checked against its
    # provider's rules before the engine creates it (components.contracts).
    _register_preflight()
    previous = previous_outputs()
    moved = placement_problems(spec, (previous or {}).get(PLACEMENTS_OUTPUT))
    if moved:
        raise InvalidApplication(moved)
    if root is not None:
        _DEPLOYED_IN.add(root)
    components, outputs = assemble(spec, previous, credentials)
    outputs.export()
    return components


@dataclass
class Outputs:
    """What an application hands back: its addresses, connection variables, and the record the
    next deployment reads (`previous_outputs`). A stack-config program or `deploy` exports them
    as the stack's outputs; `multicloud.Application` sets them on itself."""

    urls: dict[str, pulumi.Output[str] | None] = field(default_factory=dict)
    ipv4: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    ipv6: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    connections: dict[str, pulumi.Output[Any]] = field(default_factory=dict)
    backup_passwords: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    """PLACEMENTS_OUTPUT, SSH_KEYS_OUTPUT and (with App Platform secrets) APP_SECRETS_OUTPUT."""

    def export(self) -> None:
        """As stack outputs, under the names every earlier version exported."""
        for name, host_ip in self.ipv4.items():
            pulumi.export(f"{name}_ipv4", host_ip)
            pulumi.export(f"{name}_ipv6", self.ipv6[name])
        for name, url in self.urls.items():
            pulumi.export(f"{name}_url", url)
        for name, connection in self.connections.items():
            pulumi.export(f"{name}_connection", connection)
        for name, password in self.backup_passwords.items():
            pulumi.export(f"{name}_backup_password", password)
        for name, value in self.record.items():
            pulumi.export(name, value)


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


def previous_outputs(
    record: str | None = None, parent: pulumi.Resource | None = None
) -> dict[str, Any] | None:
    """What this stack exported last time that the program reads back — the placements of its
    stateful components, the SSH keys it uploaded, what App Platform stored of its secrets —
    through a StackReference to itself: {} on the first deployment, None when the backend
    cannot say. `record`: the one stack output that holds them all (a program using
    `multicloud.Application` exports the component's `record` under that name); not found
    there is None too, since the first deployment and a program that does not export it look
    the same."""
    from pulumi.runtime.sync_await import _sync_await

    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    found: dict[str, Any] = {}
    try:
        ref = pulumi.StackReference(
            f"{pulumi.get_stack()}-previous",
            stack_name=name,
            opts=pulumi.ResourceOptions(parent=parent) if parent is not None else None,
        )
        for output in (record,) if record else (PLACEMENTS_OUTPUT, SSH_KEYS_OUTPUT, APP_SECRETS_OUTPUT):
            details = _sync_await(ref.get_output_details(output))
            value = details.value if details.value is not None else details.secret_value
            if isinstance(value, dict):
                found.update(value if record else {output: value})
    except Exception as err:  # noqa: BLE001 - the preview guard (infra guard) still applies
        pulumi.log.warn(
            f"could not read the outputs of the last deployment ({type(err).__name__}); moves are not checked"
        )
        return None
    if record and not found:
        pulumi.log.warn(
            f"no stack output {record} from an earlier deployment (the first one, or the program does "
            f"not export the application's `record` as {record}): moves are not checked"
        )
        return None
    return found


def own_keys(previous: dict[str, Any] | None, target: str) -> frozenset[str] | None:
    """Fingerprints of the SSH keys this stack uploaded to `target`, from its record; None
    without one (the first deployment, one from before the record, or an unreadable one)."""
    record = (previous or {}).get(SSH_KEYS_OUTPUT)
    return frozenset(record.get(target) or []) if isinstance(record, dict) else None


def assemble(
    spec: StackSpec,
    previous: dict[str, Any] | None,
    credentials: Credentials,
    parent: pulumi.Resource | None = None,
    transforms: list[Any] | None = None,
) -> tuple[dict[str, pulumi.Resource], Outputs]:
    """Register every component of a checked `spec` (under `parent`, when one is given, each
    top-level one with `transforms`); returns them by name (hosts included) and the
    application's outputs. `previous`: what the last deployment recorded (previous_outputs)."""
    for path, message in warnings(spec):
        pulumi.log.warn(printable(f"{NAMESPACE}:{path}: {message}"))
    built = _start(spec, previous or {}, credentials, parent, transforms)
    # The network first: a host's firewall admits the NAT gateway's address when its
    # database is linked from Fargate.
    _network(built)
    _hosts(built)
    _data(built)
    _services(built)
    _alerts(built)
    _releases(built)
    outputs = _outputs(built)
    if DEPLOYED is not None:
        DEPLOYED.stacks.append(spec)
        DEPLOYED.secrets |= credentials.plain_values()
    return built.components, outputs


def _start(
    spec: StackSpec,
    previous: dict[str, Any],
    credentials: Credentials,
    parent: pulumi.Resource | None,
    transforms: list[Any] | None,
) -> Built:
    """The stack-wide values every step reads: providers, credentials, DNS, registry logins."""
    return Built(
        spec=spec,
        providers=Providers(spec, parent, transforms),
        parent=parent,
        transforms=transforms,
        credentials=credentials,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        previous=previous,
        # DigitalOcean names a zone by its domain.
        dns=DnsArgs(provider=spec.dns.provider, zone_id=spec.dns.zone_id or spec.domain)
        if spec.dns
        else None,
        registry_credentials=pulumi.Output.secret(credentials.registry_credentials)
        if credentials.registry_credentials is not None
        else None,
        registries=credentials.registry_hosts(),
        app_secrets=pulumi.Output.secret(credentials.app_secrets)
        if credentials.app_secrets is not None
        else None,
    )


def _hosts(built: Built) -> None:
    """One fleet per VPS target (SSH keys, private network or VPC), then its hosts."""
    spec = built.spec
    for target in sorted({h.target for h in spec.hosts.values()} | _vpc_only_fleets(spec)):
        names = sorted(n for n, h in spec.hosts.items() if h.target == target)
        fleet = HostFleet(
            f"{target}-fleet",
            fleet_args(built, target, names, own_keys(built.previous, target)),
            opts=built.opts(target),
        )
        built.fleets[target] = fleet
        private_ips = fleet.addresses(names) if fleet.args.private_network else {}
        for name in names:
            built.hosts[name] = VpsHost(
                name, host_args(built, name, fleet, private_ips.get(name)), opts=built.opts(target)
            )
    built.components.update(built.hosts)


def _network(built: Built) -> None:
    """One VPC for every AWS service that needs one."""
    services = built.spec.services.values()
    if any(s.target == "aws" and s.kind in AWS_NETWORKED_KINDS for s in services):
        built.network = Network("network", network_args(built), opts=built.opts("aws"))
        built.components["network"] = built.network


def _data(built: Built) -> None:
    """Buckets, then databases and caches (a database's backups go to a bucket)."""
    ordered = sorted(built.spec.services.items(), key=lambda item: not isinstance(item[1], BucketSpec))
    for name, svc in ordered:
        component: ManagedPostgres | Redis | ObjectStore
        if isinstance(svc, PostgresSpec):
            component = ManagedPostgres(name, postgres_args(built, name, svc), opts=built.opts(svc.target))
        elif isinstance(svc, RedisSpec):
            component = Redis(name, redis_args(built, name, svc), opts=built.opts(svc.target))
        elif isinstance(svc, BucketSpec):
            # A Hetzner bucket is a dynamic resource that speaks S3: no provider to pass.
            opts = built.opts(None if svc.target == "hetzner" else svc.target)
            component = ObjectStore(name, bucket_args(built, name, svc), opts=opts)
        else:
            continue
        built.links[name] = component
        built.components[name] = component


def _services(built: Built) -> None:
    """Static sites, APIs and workers, each with its links' connection variables."""
    for name, svc in built.spec.services.items():
        if isinstance(svc, StaticSiteSpec):
            built.components[name] = StaticFrontend(
                name, site_args(built, name, svc), opts=built.opts(svc.target)
            )
        elif isinstance(svc, JobSpec):
            built.components[name] = Job(name, service_args(built, name, svc), opts=built.opts(svc.target))
        elif isinstance(svc, ApiSpec | WorkerSpec):
            args = service_args(built, name, svc)
            kind = ApiService if isinstance(svc, ApiSpec) else Worker
            built.components[name] = kind(name, args, opts=built.opts(svc.target))
            if isinstance(svc, ApiSpec) and built.dns is None and svc.placement:
                pulumi.log.warn(
                    f"services.{name}: no dns configured; point {args.fqdn} at host "
                    f"{', '.join(svc.placement)} yourself "
                    "(Caddy needs it to obtain the certificate)"
                )


def _alerts(built: Built) -> None:
    """Uptime checks on the public apis, when the stack says whom to tell (host backups report
    to their heartbeats from the Postgres component)."""
    spec = built.spec
    if spec.alerts is None or not spec.public_apis():
        return
    Alerts(
        "alerts",
        alerts_args(built),
        opts=pulumi.ResourceOptions(
            providers=built.providers.for_alerts(), parent=built.parent, transforms=built.transforms
        ),
    )


def _releases(built: Built) -> None:
    """One release per host: everything placed on it, shipped over SSH."""
    if not built.hosts:
        return
    # Imported here: a stack without hosts never loads pulumi_command or the renderers.
    from multicloud.components._vps.release import HostRelease, ReleaseArgs

    admin = built.spec.admin
    for name, host in built.hosts.items():
        HostRelease(
            f"{name}-release",
            ReleaseArgs(
                host=host,
                ssh_private_key=built.credentials.require("ssh_private_key"),
                acme_email=admin.acme_email if admin else None,
                registry_credentials=built.registry_credentials,
            ),
            opts=pulumi.ResourceOptions(parent=host),
        )


def _vpc_only_fleets(spec: StackSpec) -> set[str]:
    """Targets whose services need the stack's private network even without hosts there
    (DigitalOcean managed databases and App Platform apps live in the VPC)."""
    needs = any(
        s.target == "digitalocean"
        and (
            isinstance(s, PostgresSpec | RedisSpec) or (isinstance(s, ContainerService) and s.on_app_platform)
        )
        for s in spec.services.values()
    )
    return {"digitalocean"} if needs else set()


def _outputs(built: Built) -> Outputs:
    """URLs and addresses in clear, connection variables as secrets, and the record: the
    placements, the SSH keys uploaded and what App Platform stored of each app's secrets
    (read back by the next run)."""
    hosts, components = built.hosts, built.components
    outputs = Outputs()
    stored = {
        name: component.stored_secrets
        for name, component in components.items()
        if isinstance(component, ApiService) and component.stored_secrets is not None
    }
    if stored:
        outputs.record[APP_SECRETS_OUTPUT] = pulumi.Output.secret(stored)
    for name, host in hosts.items():
        outputs.ipv4[name] = host.public_ipv4
        outputs.ipv6[name] = host.public_ipv6
    for name, component in components.items():
        if isinstance(component, ApiService | StaticFrontend) and getattr(component, "url", None) is not None:
            outputs.urls[name] = component.url
        if isinstance(component, ManagedPostgres | Redis | ObjectStore):
            outputs.connections[name] = pulumi.Output.secret(component.connection_env())
        if isinstance(component, ManagedPostgres) and component.backup_password is not None:
            outputs.backup_passwords[name] = component.backup_password
    outputs.record[SSH_KEYS_OUTPUT] = {target: fleet.uploaded_keys for target, fleet in built.fleets.items()}
    outputs.record[PLACEMENTS_OUTPUT] = placements(built.spec)
    return outputs

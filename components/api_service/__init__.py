"""ApiService and Worker: a container image running with the linked components' variables.

Usage::

    api = ApiService("api", ApiServiceArgs(target="hetzner", image="ghcr.io/acme/api:1.4.2", port=8080,
                     fqdn="api.example.com", links=[db, cache, uploads], host=main, dns=dns))
    worker = Worker("worker", ApiServiceArgs(target="hetzner", image="ghcr.io/acme/api:1.4.2",
                    command=["celery", "worker"], links=[db, cache], host=main))

The environment is assembled here, once, for every backend: the user's `env`, then each
link's connection variables (components.connection). So `DATABASE_URL` is the same name on Hetzner,
DigitalOcean and AWS, and only the values differ.

Backends: `hetzner` (a container on a VpsHost behind Caddy with automatic HTTPS, and A/AAAA
records pointing at the host), `aws` (ECS Fargate behind an HTTPS Application Load
Balancer, CPU autoscaling, secrets from SSM Parameter Store), `digitalocean` (containers on
droplets as on Hetzner — behind a DigitalOcean load balancer when they span several
droplets — or an App Platform app with `runtime="app_platform"`).

Cost: nothing beyond its host on a VPS; the host is priced once (a DigitalOcean load balancer
adds $12/month per node). On App Platform, the instance size per instance ($5/month for
apps-s-1vcpu-0.5gb; autoscaling needs a dedicated size, from $29). On AWS, Fargate by the
vCPU-hour and GB-hour per running task (0.25 vCPU / 0.5 GB ≈ $9/month in us-east-1), plus
for an API the load balancer (≈ $16.43/month + LCUs, and $3.65/month per public IPv4 in
each of its two zones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pulumi

from multicloud.components._lib.backends import unsupported
from multicloud.components.capabilities import BACKENDS, PRIVATE_KINDS
from multicloud.components.connection import SECRET_VARS, Linkable, OverInternet, ca_file, secret
from multicloud.components.dns import DnsArgs
from multicloud.components.host import HostFleet, VpsHost
from multicloud.components.network import Network

if TYPE_CHECKING:  # components.postgres is a link, not a dependency of this module
    from multicloud.components._lib.schedule import Schedule
    from multicloud.components.postgres import SetupJob


@dataclass(frozen=True)
class OnHosts:
    """Containers on the stack's VPS hosts: Hetzner servers or DigitalOcean droplets, behind
    Caddy; on several droplets, behind a DigitalOcean load balancer."""

    hosts: list[VpsHost]
    """The service runs on each (an api on several needs the load balancer)."""
    load_balancer: bool = False
    """DigitalOcean: a load balancer in front even on one host (always with several)."""
    region: str | None = None
    """DigitalOcean: the load balancer's region (the droplets')."""


@dataclass(frozen=True)
class OnAppPlatform:
    """DigitalOcean App Platform: the platform runs the containers, in the stack's VPC."""

    instance_size: str
    """The instance size slug (a stack resolves it from the neutral size)."""
    region: str
    fleet: HostFleet | None = None
    """The stack's VPC: the app joins it to reach the managed databases."""
    stored_secrets: dict[str, Any] = field(default_factory=dict)
    """What DigitalOcean stored of this app's secrets last time
    (components._lib.stored_secrets), sent back unchanged while their plaintexts are."""


@dataclass(frozen=True)
class OnFargate:
    """AWS ECS on Fargate, in the stack's VPC, behind an HTTPS load balancer for an api."""

    network: Network
    region: str
    """For the log driver."""
    arch: str = "x86"
    """The image's CPU architecture (`x86` or `arm64`)."""
    registries: frozenset[str] = frozenset()
    """The registry hosts `registry_credentials` has a login for (never the logins): a login
    secret is created only for an image from one of them."""


Runtime = OnHosts | OnAppPlatform | OnFargate
"""Where the containers run: what only that runtime needs lives in its own type."""


@dataclass(frozen=True)
class ApiServiceArgs:
    """Inputs of an ApiService or Worker: what every target reads, and the `runtime` with
    what only one does."""

    target: str
    image: str
    """Pin a tag or digest; changing it rolls out a release without replacing anything."""
    runtime: Runtime
    port: int | None = None
    """Container port (ApiService only)."""
    fqdn: str | None = None
    """Public name (ApiService only), served over HTTPS."""
    health_path: str = "/health"
    replicas: int = 1
    command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Plain (non-secret) variables."""
    secret_env: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """The application's own secrets by variable name (stack secrets), delivered like the
    links' credentials: SSM on AWS, SECRET variables on App Platform, 0600 env files on hosts."""
    links: dict[str, Linkable] = field(default_factory=dict)
    """Linked components by name; their connection variables are added to the environment."""
    read_only: bool = False
    cpu: float | None = None
    """vCPUs per replica: the Fargate task size on AWS, a limit on a VPS host."""
    memory_gb: float | None = None
    """Memory per replica, as `cpu`."""
    max_replicas: int | None = None
    """Scale out on CPU up to this many replicas (AWS, App Platform)."""
    dns: DnsArgs | None = None
    proxied: bool = False
    """Cloudflare DNS: the records go through Cloudflare's proxy."""
    protect: bool = False
    """Prod: deletion protection on the load balancer, longer log retention."""
    schedule: Schedule | None = None
    """Job only: when it runs (components._lib.schedule, five cron fields in UTC)."""
    timeout_seconds: int | None = None
    """Job only: stop a run after this long (None: no limit)."""
    registry_credentials: pulumi.Input[str] | None = None
    """JSON `{"ghcr.io": "user:token", …}` (a stack secret): logins for private images
    (App Platform and AWS; on hosts the release ships them)."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def placement(self) -> list[VpsHost]:
        """The hosts the containers run on (an OnHosts runtime), else none."""
        return list(self.runtime.hosts) if isinstance(self.runtime, OnHosts) else []


@dataclass(frozen=True)
class ApiServiceOutputs:
    """The contract every backend returns."""

    url: pulumi.Output[str] | None
    resources: dict[str, pulumi.Resource]
    stored_secrets: pulumi.Output[dict[str, Any]] | None = None
    """App Platform: the record of what DigitalOcean stored of the secrets sent."""
    certificate_arn: pulumi.Output[str] | None = None
    """AWS: the ACM certificate the api's load balancer serves (alerts watch its expiry)."""


class ApiServiceBackend(Protocol):
    """What `components/api_service/<provider>.py` provides."""

    def build(
        self, parent: ApiService, name: str, args: ApiServiceArgs, env: dict[str, pulumi.Output[str]]
    ) -> ApiServiceOutputs: ...


def backend_for(target: str, kind: str = "api") -> ApiServiceBackend:
    """The backend of an api, worker or job (`kind`) for `target`, checked by mypy against
    ApiServiceBackend; its provider SDK is imported only now. The targets are the capability
    matrix's (components.capabilities): a job has fewer than an api."""
    if target not in BACKENDS.get(kind, {}):
        raise unsupported(kind, target)
    if target == "aws":
        from multicloud.components.api_service import aws

        return aws
    if target == "digitalocean":
        from multicloud.components.api_service import digitalocean

        return digitalocean
    if target == "hetzner":
        from multicloud.components.api_service import hetzner

        return hetzner
    raise unsupported("api", target)


def secret_names(args: ApiServiceArgs) -> frozenset[str]:
    """The variables whose values are secrets: the links' credentials and the app's own."""
    return SECRET_VARS | frozenset(args.secret_env)


def service_env(args: ApiServiceArgs) -> dict[str, pulumi.Output[str]]:
    """The full environment: user variables, the app's secrets, then every link's contract
    variables."""
    env: dict[str, pulumi.Output[str]] = {k: pulumi.Output.from_input(v) for k, v in args.env.items()}
    for key, value in args.secret_env.items():
        if key in env:
            raise ValueError(f"secrets.{key} is also in env; keep it in one of them")
        env[key] = secret(value)
    crossing = internet_links(args)
    for link_name, link in args.links.items():
        internet = crossing.get(link_name)
        link_env = internet.env(ca_file(link_name)) if internet is not None else link.connection_env()
        for key, value in link_env.items():
            if key in args.env or key in args.secret_env:
                raise ValueError(f"{key} collides with a variable from the link to {link_name}; rename it")
            env[key] = value
    return env


def setup_jobs(args: ApiServiceArgs) -> dict[str, SetupJob]:
    """The setup jobs (components.postgres.SetupJob) of the linked databases that have one, by
    link: each backend runs them before the service starts (from the consumer's side of the
    link, so over the internet for a database on another provider)."""
    crossing = internet_links(args)
    jobs = {}
    for link_name, link in args.links.items():
        internet = crossing.get(link_name)
        if internet is not None and internet.setup_job is not None:
            jobs[link_name] = internet.setup_job(ca_file(link_name))
        elif internet is None and link.link.setup_job is not None:
            jobs[link_name] = link.link.setup_job
    return jobs


def internet_links(args: ApiServiceArgs) -> dict[str, OverInternet]:
    """The linked databases and caches on another provider, which this service reaches over
    the internet (components.connection.OverInternet); raises for one it cannot reach.

    Only services with fixed egress addresses cross providers: on hosts (VpsHost.egress_ipv4),
    whose release ships the CA file, and on Fargate behind the NAT gateway (Network.egress_ipv4),
    whose task writes it first. App Platform apps leave from shared addresses."""
    crossing: dict[str, OverInternet] = {}
    for link_name, link in args.links.items():
        kind, target = link.link.kind, link.link.target
        if kind not in PRIVATE_KINDS or target == args.target:
            continue
        if not isinstance(args.runtime, OnHosts | OnFargate):
            raise ValueError(  # noqa: TRY004 - a placement the link cannot cross, not a wrong type
                f"{link_name} is a {kind} on {target}: a service on {args.target} without a fixed "
                "egress address cannot reach it"
            )
        if isinstance(args.runtime, OnFargate) and not args.runtime.network.egress_ipv4:
            raise ValueError(
                f"{link_name} is a {kind} on {target}: Fargate tasks reach it through NAT (nat='managed')"
            )
        if link.link.internet is None:
            raise ValueError(
                f"{link_name} is a {kind} on {target} that admits no address from {args.target}; "
                "pass the consumers' egress_ipv4 (VpsHost, or Network behind NAT) as its admit_addresses"
            )
        crossing[link_name] = link.link.internet
    return crossing


class ApiService(pulumi.ComponentResource):
    """An HTTP service published at `fqdn` over HTTPS."""

    url: pulumi.Output[str] | None
    env_names: list[str]
    """The variable names the container receives (never their values)."""

    _type = "multicloud:index:ApiService"
    _kind = "api"

    def __init__(self, name: str, args: ApiServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(self._type, name, None, opts)
        self._validate(name, args)
        env = service_env(args)
        self.env_names = sorted(env)
        backend = backend_for(args.target, self._kind)
        out = backend.build(self, name, args, env)
        self.url = out.url
        self.resources = out.resources
        self.stored_secrets = out.stored_secrets
        self.certificate_arn = out.certificate_arn
        self.register_outputs({"url": self.url, "env_names": self.env_names})

    def _validate(self, name: str, args: ApiServiceArgs) -> None:
        if args.port is None or args.fqdn is None:
            raise ValueError(f"{name}: an ApiService needs port and fqdn")
        if not 1 <= args.port <= 65535:
            raise ValueError(f"{name}: port must be 1-65535")
        if args.replicas < 1:
            raise ValueError(f"{name}: replicas must be at least 1")


class Worker(ApiService):
    """A background process: an ApiService without port, domain or DNS."""

    _type = "multicloud:index:Worker"
    _kind = "worker"

    def _validate(self, name: str, args: ApiServiceArgs) -> None:
        if args.port is not None or args.fqdn is not None:
            raise ValueError(f"{name}: a Worker has no port or fqdn; use ApiService")
        if args.replicas < 1:
            raise ValueError(f"{name}: replicas must be at least 1")


class Job(ApiService):
    """A container run to completion on a schedule: an ApiService without port, domain or
    DNS, with `schedule`. On VPS hosts a systemd timer runs it (components/_vps: the
    `multicloud-job-<name>` service and timer, bin/run-job.sh): missed runs happen when the
    host is back, runs never overlap, output goes to the journal; it runs on one host and
    costs nothing beyond it. On AWS, EventBridge Scheduler starts the task on Fargate
    (components/api_service/aws_schedule.py), with retries and a dead-letter queue; it costs
    its runs. App Platform has no job backend."""

    _type = "multicloud:index:Job"
    _kind = "job"

    def _validate(self, name: str, args: ApiServiceArgs) -> None:
        if args.port is not None or args.fqdn is not None:
            raise ValueError(f"{name}: a Job has no port or fqdn")
        if args.schedule is None:
            raise ValueError(f"{name}: a Job needs a schedule")
        on_one_host = isinstance(args.runtime, OnHosts) and len(args.runtime.hosts) == 1
        if not on_one_host and not isinstance(args.runtime, OnFargate):
            raise ValueError(
                f"{name}: a Job runs on one VPS host or on Fargate; pass runtime=OnHosts([host])"
            )
        if args.replicas != 1 or args.max_replicas is not None:
            raise ValueError(f"{name}: a Job runs one container at a time")

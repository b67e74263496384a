"""The stack spec: one pydantic model of everything under the `multicloud:` config namespace.

The spec holds plain values only (no Outputs, no secrets). Structure and ranges are checked
here by pydantic; rules that span several entries (a link to a service that does not exist,
a kind a target cannot run) live in `stacks.checks`, so every problem is reported at once.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from multicloud.components._lib import grammars, schedule
from multicloud.components.capabilities import INTERNET, link_path
from multicloud.costs.usage import UsageSpec

Environment = Literal["dev", "staging", "prod"]
Target = Literal["aws", "digitalocean", "hetzner", "cloudflare"]

# DNS-label-ish names: they become resource names, container names and hostnames.
Problem = tuple[str, str]
"""A config problem: (path under `multicloud:`, message naming the allowed values)."""

NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


def _grammar(check: Any) -> AfterValidator:
    """A field type from one of components._lib.grammars' checks."""

    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


Email = Annotated[str, _grammar(grammars.email_problem)]
UrlPath = Annotated[str, _grammar(grammars.url_path_problem)]
Image = Annotated[str, _grammar(grammars.image_problem)]
SshPublicKey = Annotated[str, _grammar(grammars.ssh_public_key_problem)]
EnvName = Annotated[str, _grammar(grammars.env_name_problem)]
Branch = Annotated[str, _grammar(grammars.branch_problem)]
RelativeDir = Annotated[str, _grammar(grammars.relative_dir_problem)]


def _control_problem(value: Any) -> str | None:
    """A control character in a string, a list's strings, or a map's keys and string values
    (nested models check their own)."""
    if isinstance(value, str):
        return grammars.control_problem(value)
    if isinstance(value, list | tuple):
        items = [v for v in value if isinstance(v, str)]
    elif isinstance(value, dict):
        items = [str(k) for k in value] + [v for v in value.values() if isinstance(v, str)]
    else:
        return None
    return next((p for p in map(grammars.control_problem, items) if p), None)


class Model(BaseModel):
    """Base for every spec model: unknown keys are errors, values are immutable, numbers are
    finite, and no string holds a control character (components._lib.grammars)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        problem = _control_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Size(Model):
    """A provider-neutral machine size; resolves to the cheapest SKU of the target that fits."""

    cpu: float = Field(gt=0, le=64, description="vCPUs, at least (fractions such as 0.25 for Fargate)")
    memory_gb: float = Field(gt=0, le=512, description="memory in GB, at least")


class HostSpec(Model):
    """A VPS machine that services can be placed on (`host:` in a service)."""

    target: Target = Field(description="the provider it runs on: aws, digitalocean, hetzner or cloudflare")
    size: Size | None = Field(
        default=None, description="vCPUs and memory: the cheapest server type that fits is used"
    )
    server_type: str | None = Field(default=None, description="explicit SKU, overrides `size`")
    location: str = Field(
        default="fsn1",
        description="the provider's location (hetzner: fsn1, nbg1, hel1 …; digitalocean: fra1 …)",
    )
    arch: Literal["x86", "arm64"] = Field(
        default="x86", description="the CPU architecture (the images must be built for it)"
    )
    cpu_kind: Literal["shared", "dedicated"] = Field(
        default="shared", description="shared vCPUs, or dedicated cores"
    )
    image: Literal["ubuntu-24.04"] = Field(
        default="ubuntu-24.04",
        description="OS image, provider-neutral (resolved to each provider's name for it); "
        "the hosts' cloud-init is written for Ubuntu 24.04",
    )
    volume_gb: int | None = Field(
        default=None, ge=10, le=10240, description="data volume size; default fits the data services on it"
    )
    backups: bool | None = Field(default=None, description="provider server backups; default on in prod")
    floating_ip: bool = Field(
        default=False, description="a static public address that survives replacing the server"
    )


class AdminSpec(Model):
    """Who may administer the hosts: SSH keys and the networks SSH is open to."""

    ssh_public_keys: list[SshPublicKey] = Field(
        min_length=1, description="OpenSSH public keys (ed25519, ecdsa or rsa) that may log in to the hosts"
    )
    cidrs: list[str] = Field(default_factory=list, description="networks allowed to reach port 22")
    allow_world_ssh: bool = Field(default=False, description="opt-in to SSH from 0.0.0.0/0 or ::/0")
    acme_email: Email | None = Field(default=None, description="contact for Let's Encrypt certificates")

    @field_validator("cidrs")
    @classmethod
    def _cidrs_parse(cls, cidrs: list[str]) -> list[str]:
        normalised = []
        for cidr in cidrs:
            try:
                # "203.0.113.7" → "203.0.113.7/32": the Hetzner firewall wants the prefix.
                normalised.append(str(ipaddress.ip_network(cidr, strict=False)))
            except ValueError:
                raise ValueError("an entry is not a CIDR such as 203.0.113.7/32 or 2001:db8::/48") from None
        return normalised


class DnsSpec(Model):
    """Where the stack's DNS records are written."""

    provider: Literal["cloudflare", "route53", "digitalocean"] = Field(
        description="the DNS service that holds the zone of `domain`"
    )
    zone_id: str | None = Field(
        default=None,
        pattern=r"^([0-9a-f]{32}|Z[A-Z0-9]{5,31})$",
        description="the zone ID: 32 hex digits (Cloudflare) or Z… (Route 53); DigitalOcean names "
        "a zone by the stack's domain, so it takes none",
    )

    @field_validator("zone_id")
    @classmethod
    def _zone_matches_provider(cls, zone_id: str | None, info: Any) -> str | None:
        provider = info.data.get("provider")
        if zone_id is None:
            return zone_id
        if provider == "digitalocean":
            raise ValueError("DigitalOcean names a zone by the stack's domain; remove zone_id")
        if provider == "cloudflare" and not re.fullmatch(r"[0-9a-f]{32}", zone_id):
            raise ValueError("a Cloudflare zone ID is 32 hex digits")
        if provider == "route53" and not zone_id.startswith("Z"):
            raise ValueError("a Route 53 hosted zone ID starts with Z")
        return zone_id

    @model_validator(mode="after")
    def _zone_given(self) -> DnsSpec:
        if self.zone_id is None and self.provider != "digitalocean":
            raise ValueError(f"{self.provider} needs zone_id")
        return self


class AwsSpec(Model):
    """AWS account settings for components with `target: aws`."""

    region: str = Field(
        default="us-east-1",
        pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
        description="the AWS region every `target: aws` component is created in, e.g. eu-central-1",
    )
    nat: Literal["none", "managed"] | None = Field(
        default=None,
        description="none: tasks in public subnets (cheapest); managed: NAT gateway. Default: managed in prod",
    )


class DigitalOceanSpec(Model):
    """DigitalOcean settings for a stack whose DigitalOcean services run without droplets."""

    region: str = Field(
        pattern=r"^[a-z]{3}\d$",
        description="region of the VPC, databases and App Platform apps, e.g. fra1; "
        "with droplets it is their location",
    )


class CloudflareSpec(Model):
    """Cloudflare account settings, needed by Pages and R2."""

    account_id: str = Field(
        pattern=r"^[0-9a-f]{32}$", description="the Cloudflare account ID (32 hex digits)"
    )


class BudgetSpec(Model):
    """The monthly budget the cost engine checks the estimate against."""

    monthly: float = Field(gt=0, description="the most the stack may cost a month, in `currency`")
    currency: Literal["EUR", "USD"] = Field(
        default="EUR", description="the currency of the budget and the report"
    )
    max_increase: float | None = Field(
        default=None, gt=0, description="largest allowed rise per change, in currency"
    )
    max_increase_percent: float | None = Field(
        default=None, gt=0, description="largest allowed rise per change, in %"
    )


class AlertsSpec(Model):
    """Where alerts go: uptime checks on every public api, heartbeats of every host backup."""

    emails: list[Email] = Field(
        min_length=1,
        max_length=10,
        description="addresses that receive alerts (AWS sends each a confirmation email first)",
    )
    digitalocean_emails: list[Email] | None = Field(
        default=None,
        max_length=10,
        description="where DigitalOcean Uptime alerts go: addresses of members of the DigitalOcean team "
        "(DigitalOcean refuses any other); default: the account's own address",
    )
    slack_channel: str | None = Field(
        default=None,
        pattern=r"^#[a-z0-9][a-z0-9._-]{0,79}$",
        description="also post to this Slack channel, e.g. '#ops' (lowercase, at most 80 characters); "
        "the incoming webhook URL is a secret: pulumi config set --secret multicloud:alerts_slack_webhook …",
    )
    tls_warning_days: int = Field(
        default=14, ge=1, le=30, description="warn this many days before a certificate expires"
    )


class ServiceBase(Model):
    """Fields every component shares."""

    target: Target = Field(description="the provider it runs on: aws, digitalocean, hetzner or cloudflare")


class PlacedService(ServiceBase):
    """A component that runs on a VPS host when its target is a VPS provider."""

    host: Name | None = Field(default=None, description="the `hosts:` entry it runs on (VPS targets)")

    @property
    def placement(self) -> list[str]:
        """Every host the service runs on (an api or worker may run on several)."""
        return [self.host] if self.host else []


class ContainerService(PlacedService):
    """Fields an api and a worker share: an image, its environment and where it runs."""

    image: Image = Field(
        description="the container image, pinned by tag or digest (e.g. ghcr.io/acme/api:1.4.2)"
    )
    hosts: list[Name] | None = Field(
        default=None,
        min_length=1,
        description="several `hosts:` entries: the service runs on each (instead of host)",
    )
    runtime: Literal["droplet", "app_platform"] | None = Field(
        default=None, description="digitalocean: containers on droplets (default) or App Platform"
    )
    instance_size: str | None = Field(
        default=None,
        pattern=r"^apps-[sd]-\d+vcpu-[\d.]+gb(-fixed)?$",
        description="explicit App Platform instance size, overrides `size`",
    )
    replicas: int = Field(
        default=1, ge=1, le=20, description="containers that run at once (per host, on several hosts)"
    )
    max_replicas: int | None = Field(
        default=None, ge=1, le=100, description="autoscale on CPU up to this (aws, App Platform)"
    )
    size: Size | None = Field(
        default=None, description="per replica; Fargate/App Platform size, a limit on a host"
    )
    arch: Literal["x86", "arm64"] = Field(
        default="x86", description="the CPU architecture its image is built for (aws)"
    )
    command: list[str] | None = Field(
        default=None, description="the command to run instead of the image's own"
    )
    env: dict[EnvName, str] = Field(
        default_factory=dict, description="plain environment variables (no secrets)"
    )
    secrets: list[EnvName] = Field(
        default_factory=list,
        description="variables whose values are secrets of the stack: "
        "pulumi config set --path --secret multicloud:secrets.NAME …",
    )
    links: list[Name] = Field(
        default_factory=list,
        description="the data services it connects to: their variables (DATABASE_URL, REDIS_URL, S3_*) are set",
    )
    read_only: bool = Field(default=False, description="read-only root filesystem for the container")

    @property
    def placement(self) -> list[str]:
        return list(self.hosts) if self.hosts else super().placement

    @property
    def on_app_platform(self) -> bool:
        return self.target == "digitalocean" and self.runtime == "app_platform"


class ApiSpec(ContainerService):
    """An HTTP service, published at `<subdomain>.<domain>` with HTTPS."""

    kind: Literal["api"] = Field(
        default="api", description="an HTTP service reached from the internet over TLS"
    )
    port: int = Field(ge=1, le=65535, description="the port the container listens on")
    health_path: UrlPath = Field(
        default="/health", description="the path that answers 200 when the service is healthy"
    )
    subdomain: str | None = Field(
        default=None,
        pattern=r"^(@|[a-z0-9]([a-z0-9-]*[a-z0-9])?)$",
        description="the name under `domain` it answers at (`@`: the domain itself); default: the service's name",
    )
    proxied: bool = Field(default=False, description="put the DNS record behind the Cloudflare proxy")
    load_balancer: bool = Field(
        default=False,
        description="digitalocean droplets: a load balancer in front even on one host "
        "(always with several hosts)",
    )

    @property
    def balanced(self) -> bool:
        """Whether a provider load balancer fronts the droplets this api runs on."""
        return (
            self.target == "digitalocean"
            and not self.on_app_platform
            and (self.load_balancer or len(set(self.placement)) > 1)
        )


class WorkerSpec(ContainerService):
    """A background process: same image contract as an API, no port, no DNS."""

    kind: Literal["worker"] = Field(
        default="worker", description="a long-running container with no public port"
    )


class JobSpec(ContainerService):
    """A container run to completion on a schedule (five cron fields, UTC), on one host."""

    kind: Literal["job"] = Field(default="job", description="a container run on a schedule")
    schedule: str = Field(description="five cron fields in UTC, e.g. '0 */6 * * *' (every six hours)")
    timeout: str | None = Field(
        default=None,
        pattern=r"^[1-9][0-9]{0,5}[smh]$",
        description="stop a run after this long, e.g. 30m; no limit when unset",
    )
    concurrency: Literal["forbid", "allow"] = Field(
        default="forbid",
        description="forbid: a run that finds the previous one still going is skipped (hosts); "
        "allow: runs may overlap (aws, where EventBridge starts each on time)",
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            parsed = schedule.parse(value)
        except schedule.ScheduleError as refused:
            raise ValueError(str(refused)) from None
        # Written out as lists: a unit file line and an EventBridge expression have limits.
        if (
            len(parsed.on_calendar) > schedule.MAX_ON_CALENDAR
            or len(parsed.eventbridge) > schedule.MAX_EVENTBRIDGE
        ):
            raise ValueError(
                "lists too many values to write out for systemd or EventBridge; use a step or fewer values"
            )
        return parsed.text

    @field_validator("timeout")
    @classmethod
    def _at_most_a_week(cls, value: str | None) -> str | None:
        if value is not None and _seconds(value) > 7 * 86400:
            raise ValueError("at most 7 days (168h)")
        return value

    @property
    def timeout_seconds(self) -> int | None:
        return _seconds(self.timeout) if self.timeout is not None else None


def _seconds(duration: str) -> int:
    """`90s`, `30m`, `2h` (the pattern checked) in seconds."""
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]


class BackupSpec(Model):
    """Off-host backups of a Postgres on a VPS host: restic into a bucket of the stack."""

    bucket: Name = Field(description="a `kind: bucket` service of this stack")
    schedule: str = Field(
        default="daily",
        pattern=r"^(hourly|daily|([01]\d|2[0-3]):[0-5]\d)$",
        description="hourly, daily or HH:MM (UTC)",
    )
    keep_daily: int = Field(default=7, ge=1, le=366, description="daily snapshots kept")
    keep_weekly: int = Field(default=4, ge=0, le=520, description="weekly snapshots kept")
    keep_monthly: int = Field(default=6, ge=0, le=120, description="monthly snapshots kept")

    @property
    def on_calendar(self) -> str:
        """The systemd OnCalendar expression of the schedule."""
        return self.schedule if self.schedule in ("hourly", "daily") else f"*-*-* {self.schedule}:00"


class PostgresSpec(PlacedService):
    """A PostgreSQL database."""

    kind: Literal["postgres"] = Field(default="postgres", description="a PostgreSQL database")
    version: Literal["14", "15", "16", "17", "18"] = Field(
        default="16", description="the major version; an upgrade is a deliberate change"
    )
    storage_gb: int = Field(default=20, ge=1, le=10000, description="the space for its data, in GB")
    database: str = Field(
        default="app", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="the database the application uses"
    )
    username: str = Field(
        default="app", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="the role the application connects as"
    )
    size: Size | None = Field(default=None, description="managed instance size (aws)")
    instance_class: str | None = Field(
        default=None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="explicit RDS class"
    )
    multi_az: bool = Field(default=False, description="a synchronous standby in another zone (aws)")
    backup_days: int | None = Field(
        default=None, ge=1, le=35, description="backup retention; default 7 in prod, 1 else"
    )
    backup: BackupSpec | None = Field(
        default=None, description="off-host backups (VPS targets); required in prod"
    )
    extensions: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]] = Field(
        default_factory=list,
        description="extension names such as timescaledb or vector (lowercase), created in the "
        "database before its consumers start (digitalocean)",
    )


class RedisSpec(PlacedService):
    """A Redis-compatible cache with persistence (AOF)."""

    kind: Literal["redis"] = Field(default="redis", description="a Redis-protocol cache or queue")
    engine: Literal["valkey", "redis"] = Field(
        default="valkey", description="Valkey (the open-source fork) or Redis, where the target offers both"
    )
    version: Literal["7.2", "7.4", "8.0", "8.1"] | None = Field(
        default=None, description="default: valkey 8.0, redis 7.4"
    )
    memory_mb: int = Field(
        default=256,
        ge=32,
        le=65536,
        description="the memory it may hold data in (maxmemory on a host), in MB",
    )
    node_type: str | None = Field(
        default=None, pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", description="explicit ElastiCache type"
    )
    nodes: int = Field(default=1, ge=1, le=6, description="primary plus replicas (aws); >1 enables failover")

    @property
    def engine_version(self) -> str:
        """The engine version, defaulted per engine (and per target: ElastiCache Redis is 7.1)."""
        if self.version:
            return self.version
        if self.engine == "valkey":
            return "8.0"
        return "7.1" if self.target == "aws" else "7.4"


class LifecycleSpec(Model):
    """Object lifecycle: expire (delete) objects after a number of days."""

    expire_after_days: int | None = Field(
        default=None, ge=1, le=36500, description="objects are deleted this many days after they were written"
    )
    archive_after_days: int | None = Field(
        default=None, ge=1, le=36500, description="move objects to an archive class (S3 Glacier IR, R2 IA)"
    )
    prefix: str = Field(default="", description="only objects whose key starts with this (default: all)")


class BucketSpec(ServiceBase):
    """An S3-compatible bucket."""

    kind: Literal["bucket"] = Field(default="bucket", description="an S3-compatible bucket")
    location: str | None = Field(default=None, description="provider region; default per target")
    versioning: bool = Field(
        default=False, description="keep earlier versions of overwritten and deleted objects"
    )
    lifecycle: LifecycleSpec | None = Field(
        default=None, description="when objects expire or move to colder storage"
    )


class StaticSiteSpec(ServiceBase):
    """A static frontend built from a git repository."""

    kind: Literal["static_site"] = Field(
        default="static_site", description="a frontend built from a repository"
    )
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/name on GitHub")
    branch: Branch = Field(default="main", description="the branch that is built and published")
    build_command: str = Field(
        default="", description="the command that builds it (empty: the files are served as they are)"
    )
    output_dir: RelativeDir = Field(
        default="dist", min_length=1, description="the folder the build writes, relative to root_dir"
    )
    root_dir: RelativeDir = Field(default="", description="the folder of the repository the build runs in")
    subdomain: str | None = Field(
        default=None,
        pattern=r"^(@|[a-z0-9]([a-z0-9-]*[a-z0-9])?)$",
        description="the name under `domain` it is served at (`@`: the domain itself); default: the service's name",
    )
    spa: bool = Field(default=False, description="serve index.html for unknown paths (single-page apps)")


ServiceSpec = Annotated[
    ApiSpec | WorkerSpec | JobSpec | PostgresSpec | RedisSpec | BucketSpec | StaticSiteSpec,
    Field(discriminator="kind"),
]
KINDS = ("api", "worker", "job", "postgres", "redis", "bucket", "static_site")


class StackSpec(Model):
    """Everything under `multicloud:` in `Pulumi.<stack>.yaml`."""

    environment: Environment = Field(
        description="dev, staging or prod: prod protects every stateful resource"
    )
    domain: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$",
        description="a lowercase domain such as example.com",
    )
    dns: DnsSpec | None = Field(
        default=None, description="where the public names are written (default: by hand)"
    )
    cloudflare: CloudflareSpec | None = Field(default=None, description="the Cloudflare account (Pages, R2)")
    aws: AwsSpec | None = Field(default=None, description="the AWS region and NAT")
    digitalocean: DigitalOceanSpec | None = Field(
        default=None, description="the DigitalOcean region without droplets"
    )
    admin: AdminSpec | None = Field(default=None, description="who may log in to the hosts, and from where")
    budget: BudgetSpec | None = Field(
        default=None, description="the monthly budget `infra cost --check-budget` enforces"
    )
    alerts: AlertsSpec | None = Field(
        default=None, description="uptime checks and backup heartbeats, and who hears about them"
    )
    usage: UsageSpec = Field(
        default_factory=UsageSpec, description="the quantities usage-based prices are estimated with"
    )
    hosts: dict[Name, HostSpec] = Field(
        default_factory=dict, description="the VPS machines services are placed on, by name"
    )
    services: dict[Name, ServiceSpec] = Field(
        min_length=1, description="the application's components, by name"
    )
    allow_data_replacement: list[Name] = Field(
        default_factory=list, description="stateful services allowed to move (after migrating their data)"
    )

    @property
    def protect(self) -> bool:
        """Prod protects every stateful resource from deletion (Pulumi `protect` and the
        provider's own deletion protection)."""
        return self.environment == "prod"

    @property
    def do_region(self) -> str | None:
        """The DigitalOcean region: the droplets' location (checked: one), else `digitalocean.region`."""
        for host in self.hosts.values():
            if host.target == "digitalocean":
                return host.location
        return self.digitalocean.region if self.digitalocean else None

    @property
    def aws_nat(self) -> str:
        """The AWS NAT mode the network is built with: `aws.nat`, else managed in prod and none
        elsewhere (a NAT gateway is $33/month)."""
        configured = self.aws.nat if self.aws else None
        return configured or ("managed" if self.environment == "prod" else "none")

    def region_for(self, target: str) -> str | None:
        """The stack-wide region of a cloud target (`aws.region`, the DigitalOcean region);
        None for targets placed per host or per bucket (Hetzner, Cloudflare)."""
        if target == "aws":
            return self.aws.region if self.aws else None
        if target == "digitalocean":
            return self.do_region
        return None

    def linked_across(self, name: str) -> list[str]:
        """The services that link `name` across the internet from another provider
        (components.capabilities.INTERNET_LINKS), in config order."""
        dep = self.services[name]
        return [
            consumer
            for consumer, svc in self.services.items()
            if isinstance(svc, ContainerService)
            and name in svc.links
            and link_path(svc.target, dep.kind, dep.target) == INTERNET
        ]

    def backed_up_on_hosts(self) -> list[str]:
        """The Postgres services on VPS hosts with off-host backups, in config order."""
        return [
            name
            for name, svc in self.services.items()
            if isinstance(svc, PostgresSpec) and svc.backup is not None and svc.placement
        ]

    def public_apis(self) -> list[str]:
        """The api services, in config order: each is published over HTTPS at its fqdn."""
        return [name for name, svc in self.services.items() if isinstance(svc, ApiSpec)]

    def fqdn(self, subdomain: str | None, default: str) -> str:
        """The public name for a subdomain (`@` is the apex)."""
        sub = subdomain or default
        return self.domain if sub == "@" else f"{sub}.{self.domain}"

"""ManagedPostgres: a PostgreSQL database with the same outputs on every backend.

Usage::

    db = ManagedPostgres("db", PostgresArgs(target="hetzner", version="16", storage_gb=40, host=main))
    db.connection_env()   # DATABASE_URL, PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD

Backends: `hetzner` (a container on a VpsHost, data on the host's volume, SCRAM auth, TLS),
`aws` (RDS PostgreSQL: encrypted gp3, private subnets — public ones, admitting their
addresses alone, when hosts on other providers link it — TLS forced, backups, deletion
protection and a final snapshot in prod, Multi-AZ by flag), `digitalocean` (a managed
cluster in the stack's VPC, extensions such as TimescaleDB created by a `SetupJob`).

Cost: on a VPS host, only the volume space it needs (`storage_gb`) — the host is priced once;
self-managed, so patching and off-host backups are yours. On AWS, the instance class by the
hour (db.t4g.micro ≈ $11.68/month in us-east-1) plus $0.115/GB-month of gp3; Multi-AZ
doubles both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported
from multicloud.components._lib.naming import physical_name
from multicloud.components.connection import Link, OverInternet, postgres_env, secret
from multicloud.components.host import HostFleet, VpsHost
from multicloud.components.network import Network
from multicloud.components.object_store import ObjectStore


@dataclass(frozen=True)
class PostgresBackup:
    """Off-host backups of a Postgres on a VPS host (restic into an ObjectStore)."""

    store: ObjectStore
    """The bucket the encrypted backups go to (Hetzner Object Storage, R2, S3)."""
    on_calendar: str = "daily"
    """systemd OnCalendar expression."""
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 6
    heartbeat: BackupHeartbeat | None = None
    """Report every backup and verification to a heartbeat (alerts set); None: unreported."""


@dataclass(frozen=True)
class BackupHeartbeat:
    """Where backups report their runs: a Healthchecks.io project (components.alerts.healthchecks)."""

    api_key: pulumi.Input[str]
    """The project's read-write API key (a secret)."""
    prefix: str
    """Starts the checks' names (project and stack), unique within the Healthchecks.io project."""
    api_url: str | None = None
    """A self-hosted Healthchecks instance; None: healthchecks.io."""


@dataclass(frozen=True)
class PostgresArgs:
    """Inputs of a ManagedPostgres."""

    target: str
    version: str = "16"
    """Major version; pinned, upgrades are deliberate."""
    storage_gb: int = 20
    database: str = "app"
    username: str = "app"
    host: VpsHost | None = None
    """VPS targets: the host it runs on."""
    protect: bool = False
    """Prod: protect, deletion protection, final snapshot."""
    network: Network | None = None
    """Cloud targets: the VPC it lives in (private subnets only)."""
    instance_class: str = "db.t4g.micro"
    """Managed instance class, resolved from the neutral size by the stack (stacks.targets.<provider>)."""
    multi_az: bool = False
    backup_days: int = 1
    """Managed targets: days of automated backups."""
    backup: PostgresBackup | None = None
    """VPS targets: scheduled off-host backups."""
    extensions: list[str] = field(default_factory=list)
    """Extensions to create in the database (DigitalOcean: as the cluster's admin, by a
    one-shot job that runs before each consumer starts; see `SetupJob`)."""
    fleet: HostFleet | None = None
    """DigitalOcean: the stack's droplets (their VPC and the tag the database firewall trusts)."""
    admit_vpc: bool = False
    """DigitalOcean: also trust every address of the stack's VPC, which App Platform apps that
    link the database connect from."""
    region: str | None = None
    """DigitalOcean: the region of the managed cluster (the droplets' region); AWS: the
    stack's region (whose RDS CA bundle consumers on other providers verify with)."""
    admit_addresses: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """DigitalOcean and AWS: IPv4 addresses of consumers on other providers (VpsHost.egress_ipv4,
    Network.egress_ipv4), by a label of whose address it is (stacks.args.internet_consumers). Each is admitted by the cluster firewall (the RDS security group, the
    instance then publicly accessible in the public subnets), and they connect to its public
    name over TLS they verify (`link.internet`)."""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PostgresOutputs:
    """The contract every backend returns."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    database: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    sslmode: str
    resources: dict[str, pulumi.Resource]
    security_group_id: pulumi.Output[str] | None = None
    """Cloud targets: the group linked services are admitted to (one rule per link)."""
    backup_password: pulumi.Output[str] | None = None
    """VPS targets: the key of the encrypted backup repository (keep it: restores need it)."""
    admin_env: dict[str, pulumi.Output[str]] | None = None
    """Managed targets whose databases belong to an admin: libpq variables (PGHOST …
    PGPASSWORD, PGSSLMODE) of the cluster's admin user for the application's database (its
    setup job grants the application's user what it needs, and creates the extensions)."""
    public_host: pulumi.Output[str] | None = None
    """When it admits addresses from other providers: the name they connect to."""
    public_port: pulumi.Output[int] | None = None
    """With `public_host`, when they connect to another port than `port` (a host's published one)."""
    ca_certificate: pulumi.Output[str] | None = None
    """With `public_host`: the PEM of the CA its server certificate is verified against."""


@dataclass(frozen=True)
class SetupJob:
    """A one-shot container a consumer runs before it starts (on a host: before the release
    starts its services; on App Platform: a PRE_DEPLOY job). As the cluster's admin it lets
    the application's user create tables in its database, and creates the database's
    extensions. Idempotent, and retried: consumers on several machines may run it at the
    same moment."""

    name: str
    image: str
    command: list[str]
    env: dict[str, pulumi.Output[str]]
    """libpq variables; PGPASSWORD is a secret."""


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_EXTENSION = re.compile(r"[a-z][a-z0-9_-]{0,62}")


def setup_job_name(database: str) -> str:
    """The name of a database's setup job: a compose service on hosts, an App Platform
    component (≤ 32 characters, App Platform's limit for a component name)."""
    return physical_name(database, "setup", max_len=32)


def setup_command(database: str, username: str, extensions: list[str]) -> list[str]:
    """`sh -c` that runs the setup SQL with psql as the admin, retrying a few times.

    A managed database created through the API belongs to the cluster's admin (doadmin on
    DigitalOcean), and since PostgreSQL 15 only the owner may create in schema public, so the
    application's user gets CREATE there and on the database — else its migrations fail with
    "permission denied for schema public". The names are identifiers of the stack spec's
    patterns (checked again here: they land inside SQL and a shell string).
    """
    for word, pattern in (
        (database, _IDENTIFIER),
        (username, _IDENTIFIER),
        *((e, _EXTENSION) for e in extensions),
    ):
        if not pattern.fullmatch(word):
            raise ValueError(f"{word!r} cannot be used in the setup job")
    sql = " ".join(
        [
            f'GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "{database}" TO "{username}";',
            f'GRANT USAGE, CREATE ON SCHEMA public TO "{username}";',
            # CASCADE: an extension that needs another (postgis_topology → postgis) brings it along.
            *(f'CREATE EXTENSION IF NOT EXISTS "{e}" CASCADE;' for e in extensions),
        ]
    )
    script = (
        f"for attempt in 1 2 3 4 5; do psql -v ON_ERROR_STOP=1 -q -c '{sql}' && exit 0; sleep 5; done; exit 1"
    )
    return ["sh", "-c", script]


class PostgresBackend(Protocol):
    """What `components/postgres/<provider>.py` provides."""

    def build(self, parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs: ...


def backend_for(target: str) -> PostgresBackend:
    """The postgres backend for `target`, checked by mypy against PostgresBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "aws":
        from multicloud.components.postgres import aws

        return aws
    if target == "digitalocean":
        from multicloud.components.postgres import digitalocean

        return digitalocean
    if target == "hetzner":
        from multicloud.components.postgres import hetzner

        return hetzner
    raise unsupported("postgres", target)


class ManagedPostgres(pulumi.ComponentResource):
    """A PostgreSQL database reachable only by the services that link it."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    database: pulumi.Output[str]
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    """Secret."""
    url: pulumi.Output[str]
    """`postgresql://…?sslmode=…`, secret."""

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:ManagedPostgres", name, None, opts)
        if args.storage_gb < 1:
            raise ValueError(f"{name}: storage_gb must be at least 1")
        backend = backend_for(args.target)
        out = backend.build(self, name, args)
        self.host, self.port, self.database = out.host, out.port, out.database
        self.username, self.password = out.username, secret(out.password)
        self.resources = out.resources
        self.security_group_id = out.security_group_id
        self.backup_password = secret(out.backup_password) if out.backup_password is not None else None
        self.setup_job = (
            SetupJob(
                name=setup_job_name(name),
                image=f"postgres:{args.version}-alpine",
                command=setup_command(args.database, args.username, args.extensions),
                env=out.admin_env,
            )
            if out.admin_env is not None
            else None
        )
        self.link = Link(
            "postgres",
            target=args.target,
            security_group_id=out.security_group_id,
            setup_job=self.setup_job,
            internet=_over_internet(out, self.setup_job),
        )
        self._env = postgres_env(out.host, out.port, out.database, out.username, out.password, out.sslmode)
        self.url = self._env["DATABASE_URL"]
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "database": self.database,
                "username": self.username,
                "password": self.password,
                "url": self.url,
            }
        )

    def connection_env(self) -> dict[str, pulumi.Output[str]]:
        """DATABASE_URL and PG* for linked services."""
        return dict(self._env)


def _over_internet(out: PostgresOutputs, job: SetupJob | None) -> OverInternet | None:
    """How consumers on other providers connect: the public name, `verify-full` against the
    provider's CA (the consumer's copy at `ca_path`); its setup job likewise."""
    public_host, ca = out.public_host, out.ca_certificate
    if public_host is None or ca is None:
        return None

    def env(ca_path: str) -> dict[str, pulumi.Output[str]]:
        return postgres_env(
            public_host,
            out.public_port if out.public_port is not None else out.port,
            out.database,
            out.username,
            out.password,
            "verify-full",
            sslrootcert=ca_path,
        )

    def setup_job(ca_path: str) -> SetupJob:
        assert job is not None
        verified = {
            "PGHOST": public_host,
            "PGPORT": pulumi.Output.from_input(
                out.public_port if out.public_port is not None else out.port
            ).apply(str),
            "PGSSLMODE": pulumi.Output.from_input("verify-full"),
            "PGSSLROOTCERT": pulumi.Output.from_input(ca_path),
        }
        return SetupJob(name=job.name, image=job.image, command=job.command, env={**job.env, **verified})

    return OverInternet(ca_certificate=ca, env=env, setup_job=setup_job if job is not None else None)

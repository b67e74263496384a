"""ManagedPostgres: a PostgreSQL database with the same outputs on every backend.

Usage::

    db = ManagedPostgres("db", PostgresArgs(target="hetzner", version="16", storage_gb=40, host=main))
    db.connection_env()   # DATABASE_URL, PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD

Backends: `hetzner` (a container on a VpsHost, data on the host's volume, SCRAM auth, TLS).
AWS RDS and DigitalOcean managed clusters plug in through the same `build` contract.

Cost: on a VPS host, only the volume space it needs (`storage_gb`) — the host is priced once.
Self-managed: patching and off-host backups are yours (see the README's operations notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pulumi

from components._lib.backends import load_backend
from components.connection import postgres_env, secret
from components.host import VpsHost


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


class PostgresBackend(Protocol):
    """What `components/postgres/<provider>.py` provides."""

    def build(self, parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs: ...


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
        backend: PostgresBackend = load_backend("postgres", args.target)  # type: ignore[assignment]
        out = backend.build(self, name, args)
        self.host, self.port, self.database = out.host, out.port, out.database
        self.username, self.password = out.username, secret(out.password)
        self.resources = out.resources
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

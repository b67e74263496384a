"""The connection contract: the same variable names from every backend.

Each linkable component (ManagedPostgres, Redis, ObjectStore) builds its variables with one
of these functions, so an app never sees a provider difference. Values carrying a password
are Pulumi secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

import pulumi

from multicloud.components.capabilities import LINK_ENV, LINK_TLS_ENV

if TYPE_CHECKING:  # a link carries a postgres job; components.postgres imports this module
    from multicloud.components.postgres import SetupJob

# Contract variables whose values are secrets: delivered as secrets (SSM on AWS, 0600 env
# files on hosts) and shown as <secret> in rendered templates.
SECRET_VARS = frozenset(
    {"DATABASE_URL", "PGPASSWORD", "REDIS_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}
)


# Where a consumer finds the CA certificate of a dependency it reaches over the internet: the
# same path in every container, on every target (components.api_service ships the file).
TLS_DIR = "/run/multicloud/tls"


def ca_file(link_name: str) -> str:
    """The path of the CA certificate a consumer verifies `link_name`'s server with."""
    return f"{TLS_DIR}/{link_name}-ca.pem"


@dataclass(frozen=True)
class OverInternet:
    """How a consumer on another provider reaches a database or cache: at its public endpoint,
    from an address its firewall admits, over TLS the client verifies against `ca_certificate`
    (`sslmode=verify-full`, `rediss://`). Only a dependency that admits some addresses from
    outside its provider has one."""

    ca_certificate: pulumi.Output[str]
    """PEM of the CA that signed the server's certificate."""
    env: Callable[[str], dict[str, pulumi.Output[str]]]
    """The connection variables, given the path of the CA file in the consumer's container."""
    setup_job: Callable[[str], SetupJob] | None = None
    """The setup job run from the consumer's side, given the same path."""


@dataclass(frozen=True)
class Link:
    """What a service needs from a component it links, besides its variables: how to be
    admitted to it and what to run first. A backend reads these fields, never probes the
    component for attributes."""

    kind: str
    """`postgres`, `redis` or `bucket` (the LINK_ENV contract it meets)."""
    target: str = ""
    """The provider it runs on: a consumer on another one reaches it `internet` or not at all."""
    security_group_id: pulumi.Output[str] | None = None
    """AWS: the security group that admits clients (the service adds its own group to it)."""
    bucket_arn: pulumi.Output[str] | None = None
    """AWS: the bucket a task role is granted."""
    setup_job: SetupJob | None = None
    """A job every linking service runs before it starts (a database's privileges, extensions)."""
    internet: OverInternet | None = None
    """How consumers on other providers reach it, when it admits any."""


class Linkable(Protocol):
    """A component an ApiService/Worker can `links:` to."""

    link: Link

    def connection_env(self) -> dict[str, pulumi.Output[str]]:
        """The variables a linked service receives."""
        ...


def secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """`Output.secret` with the type it actually returns (the SDK's stub says Never)."""
    return pulumi.Output.secret(value)  # type: ignore[arg-type]


def postgres_url(
    host: str,
    port: int | str,
    database: str,
    username: str,
    password: str,
    sslmode: str,
    sslrootcert: str | None = None,
) -> str:
    """`postgresql://user:password@host:port/database?sslmode=…[&sslrootcert=…]`, the user and
    password percent-encoded (libpq's URI grammar)."""
    query = f"sslmode={sslmode}"
    if sslrootcert is not None:
        query += f"&sslrootcert={quote(sslrootcert, safe='/')}"
    return (
        f"postgresql://{quote(username, safe='')}:{quote(password, safe='')}@{host}:{port}/{database}?{query}"
    )


def redis_url(host: str, port: int | str, password: str, tls: bool) -> str:
    """`redis://` or `rediss://` (TLS) with the password percent-encoded, database 0."""
    return f"{'rediss' if tls else 'redis'}://:{quote(password, safe='')}@{host}:{port}/0"


def postgres_env(
    host: pulumi.Input[str],
    port: pulumi.Input[int],
    database: pulumi.Input[str],
    username: pulumi.Input[str],
    password: pulumi.Input[str],
    sslmode: str,
    sslrootcert: str | None = None,
) -> dict[str, pulumi.Output[str]]:
    """DATABASE_URL plus the libpq PG* variables; with `sslrootcert` (a CA file the client
    verifies the server against), `verify-full` in the URL and in PGSSLMODE/PGSSLROOTCERT too,
    so libpq clients that read only the PG* variables verify as well."""
    url = pulumi.Output.all(host, port, database, username, password).apply(
        lambda v: postgres_url(v[0], v[1], v[2], v[3], v[4], sslmode, sslrootcert)
    )
    env = {
        "DATABASE_URL": secret(url),
        "PGHOST": pulumi.Output.from_input(host),
        "PGPORT": pulumi.Output.from_input(port).apply(str),
        "PGDATABASE": pulumi.Output.from_input(database),
        "PGUSER": pulumi.Output.from_input(username),
        "PGPASSWORD": secret(password),
    }
    if sslrootcert is not None:
        env["PGSSLMODE"] = pulumi.Output.from_input(sslmode)
        env["PGSSLROOTCERT"] = pulumi.Output.from_input(sslrootcert)
    _check("postgres", env)
    return env


def redis_env(
    host: pulumi.Input[str],
    port: pulumi.Input[int],
    password: pulumi.Input[str],
    tls: bool,
    ca_file: str | None = None,
) -> dict[str, pulumi.Output[str]]:
    """REDIS_URL with the password (`rediss://` when the server speaks TLS); with `ca_file`,
    REDIS_CA_FILE names the CA the client verifies the server against (redis-py:
    `from_url(REDIS_URL, ssl_ca_certs=REDIS_CA_FILE)`)."""
    url = pulumi.Output.all(host, port, password).apply(lambda v: redis_url(v[0], v[1], v[2], tls))
    env = {"REDIS_URL": secret(url)}
    if ca_file is not None:
        if not tls:
            raise ValueError("a CA file verifies a TLS server; this Redis does not speak TLS")
        env["REDIS_CA_FILE"] = pulumi.Output.from_input(ca_file)
    _check("redis", env)
    return env


def s3_env(
    endpoint: pulumi.Input[str],
    region: pulumi.Input[str],
    bucket: pulumi.Input[str],
    access_key_id: pulumi.Input[str],
    secret_access_key: pulumi.Input[str],
) -> dict[str, pulumi.Output[str]]:
    """S3_* variables for any S3-compatible store."""
    env = {
        "S3_ENDPOINT": pulumi.Output.from_input(endpoint),
        "S3_REGION": pulumi.Output.from_input(region),
        "S3_BUCKET": pulumi.Output.from_input(bucket),
        "S3_ACCESS_KEY_ID": secret(access_key_id),
        "S3_SECRET_ACCESS_KEY": secret(secret_access_key),
    }
    _check("bucket", env)
    return env


def _check(kind: str, env: dict[str, pulumi.Output[str]]) -> None:
    # The names are part of the public contract; a backend may not drift from them.
    allowed = (LINK_ENV[kind], LINK_ENV[kind] + LINK_TLS_ENV.get(kind, ()))
    if tuple(env) not in allowed:
        raise AssertionError(f"{kind} connection variables {tuple(env)} differ from the contract {allowed}")

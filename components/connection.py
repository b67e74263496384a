"""The connection contract: the same variable names from every backend.

Each linkable component (ManagedPostgres, Redis, ObjectStore) builds its variables with one
of these functions, so an app never sees a provider difference. Values carrying a password
are Pulumi secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

import pulumi

from components.capabilities import LINK_ENV

if TYPE_CHECKING:  # a link carries a postgres job; components.postgres imports this module
    from components.postgres import SetupJob

# Contract variables whose values are secrets: delivered as secrets (SSM on AWS, 0600 env
# files on hosts) and shown as <secret> in rendered templates.
SECRET_VARS = frozenset(
    {"DATABASE_URL", "PGPASSWORD", "REDIS_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}
)


@dataclass(frozen=True)
class Link:
    """What a service needs from a component it links, besides its variables: how to be
    admitted to it and what to run first. A backend reads these fields, never probes the
    component for attributes."""

    kind: str
    """`postgres`, `redis` or `bucket` (the LINK_ENV contract it meets)."""
    security_group_id: pulumi.Output[str] | None = None
    """AWS: the security group that admits clients (the service adds its own group to it)."""
    bucket_arn: pulumi.Output[str] | None = None
    """AWS: the bucket a task role is granted."""
    setup_job: SetupJob | None = None
    """A job every linking service runs before it starts (a database's privileges, extensions)."""


class Linkable(Protocol):
    """A component an ApiService/Worker can `links:` to."""

    link: Link

    def connection_env(self) -> dict[str, pulumi.Output[str]]:
        """The variables a linked service receives."""
        ...


def secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """`Output.secret` with the type it actually returns (the SDK's stub says Never)."""
    return pulumi.Output.secret(value)  # type: ignore[arg-type]


def postgres_env(
    host: pulumi.Input[str],
    port: pulumi.Input[int],
    database: pulumi.Input[str],
    username: pulumi.Input[str],
    password: pulumi.Input[str],
    sslmode: str,
) -> dict[str, pulumi.Output[str]]:
    """DATABASE_URL plus the libpq PG* variables."""
    url = pulumi.Output.all(host, port, database, username, password).apply(
        lambda v: (
            f"postgresql://{quote(v[3], safe='')}:{quote(v[4], safe='')}@{v[0]}:{v[1]}/{v[2]}?sslmode={sslmode}"
        )
    )
    env = {
        "DATABASE_URL": secret(url),
        "PGHOST": pulumi.Output.from_input(host),
        "PGPORT": pulumi.Output.from_input(port).apply(str),
        "PGDATABASE": pulumi.Output.from_input(database),
        "PGUSER": pulumi.Output.from_input(username),
        "PGPASSWORD": secret(password),
    }
    _check("postgres", env)
    return env


def redis_env(
    host: pulumi.Input[str], port: pulumi.Input[int], password: pulumi.Input[str], tls: bool
) -> dict[str, pulumi.Output[str]]:
    """REDIS_URL with the password (`rediss://` when the server speaks TLS)."""
    scheme = "rediss" if tls else "redis"
    url = pulumi.Output.all(host, port, password).apply(
        lambda v: f"{scheme}://:{quote(v[2], safe='')}@{v[0]}:{v[1]}/0"
    )
    env = {"REDIS_URL": secret(url)}
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
    if tuple(env) != LINK_ENV[kind]:
        raise AssertionError(
            f"{kind} connection variables {tuple(env)} differ from the contract {LINK_ENV[kind]}"
        )

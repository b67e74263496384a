"""`infra dev`: the stack's data services on a developer's machine, with the variables the
deployed services get.

From a validated spec: a Compose file with one container per Postgres (the official image of
its version) and Redis/Valkey (its engine's image and version), one S3-compatible server for
all buckets (moto, which the tests already run as S3) plus a one-off container that creates
the buckets, each published on 127.0.0.1 only; and an env file per service that links them
(`<service>.env`), holding exactly the contract's variable names (components.connection:
DATABASE_URL and PG*, REDIS_URL, S3_*) pointed at localhost, with throwaway passwords made for
this render. With `with_apps`, the stack's apis, workers and jobs join the file with their
images, the api ports published, and `<service>.compose.env`: the same variables pointed at
the Compose services' names.

Pure: returns file texts; `infra dev` writes them and, with `--up`, runs `docker compose up`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import yaml

from multicloud.components._vps.render import _ComposeDumper, compose_literal, env_file
from multicloud.components.capabilities import LINK_ENV
from multicloud.components.connection import postgres_url, redis_url
from multicloud.stacks.spec import (
    ApiSpec,
    BucketSpec,
    ContainerService,
    JobSpec,
    PostgresSpec,
    RedisSpec,
    StackSpec,
)

POSTGRES_PORT, REDIS_PORT, S3_PORT = 5432, 6379, 9000
S3_IMAGE = "motoserver/moto:5.1.1"
AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
S3_REGION = "us-east-1"
# The official images of each engine (Docker Hub's library and the Valkey project's own).
REDIS_IMAGES = {"valkey": "valkey/valkey", "redis": "redis"}
# Compose services of our own beside the stack's (a stack service of the same name is refused).
S3_SERVICE, BUCKETS_SERVICE = "multicloud-s3", "multicloud-s3-buckets"
# Where a variable points: the host ("local": localhost, the published port) or a container of
# the same Compose project ("compose": the service's name and its own port).
WHERE = ("local", "compose")


@dataclass
class DevFiles:
    """What `infra dev` writes: file name → text."""

    files: dict[str, str] = field(default_factory=dict)
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per service that links data: its variables as the host sees them."""


def _password() -> str:
    # Hex: it goes into URLs, a command line and an env file without quoting.
    return secrets.token_hex(16)


def _postgres(name: str, svc: PostgresSpec, port: int) -> tuple[dict, dict[str, dict[str, str]]]:
    password = _password()
    service = {
        "image": f"postgres:{svc.version}",
        "environment": {"POSTGRES_USER": svc.username, "POSTGRES_PASSWORD": password, "POSTGRES_DB": svc.database},
        "ports": [f"127.0.0.1:{port}:5432"],
        "volumes": [f"{name}-data:/var/lib/postgresql/data"],
        "healthcheck": {"test": ["CMD", "pg_isready", "-U", svc.username, "-d", svc.database], "interval": "2s", "retries": 30},
    }  # fmt: skip
    env = {}
    for where, host, at in (("local", "localhost", port), ("compose", name, 5432)):
        env[where] = {
            "DATABASE_URL": postgres_url(host, at, svc.database, svc.username, password, "disable"),
            "PGHOST": host,
            "PGPORT": str(at),
            "PGDATABASE": svc.database,
            "PGUSER": svc.username,
            "PGPASSWORD": password,
        }
    return service, env


def _redis(name: str, svc: RedisSpec, port: int) -> tuple[dict, dict[str, dict[str, str]]]:
    password = _password()
    server = "valkey-server" if svc.engine == "valkey" else "redis-server"
    service = {
        "image": f"{REDIS_IMAGES[svc.engine]}:{svc.engine_version}",
        "command": [server, "--requirepass", password, "--appendonly", "yes"],
        "ports": [f"127.0.0.1:{port}:6379"],
        "volumes": [f"{name}-data:/data"],
    }
    env = {
        where: {"REDIS_URL": redis_url(host, at, password, tls=False)}
        for where, host, at in (("local", "localhost", port), ("compose", name, 6379))
    }
    return service, env


def render(
    spec: StackSpec,
    with_apps: bool = False,
    first_ports: tuple[int, int, int] = (POSTGRES_PORT, REDIS_PORT, S3_PORT),
) -> DevFiles:
    """The Compose file and env files of the stack's data services (and, with `with_apps`,
    its containers). `first_ports`: where the first Postgres, Redis and the S3 server are
    published (the next Postgres or Redis takes the next port)."""
    taken = sorted({S3_SERVICE, BUCKETS_SERVICE} & set(spec.services))
    if taken:
        raise ValueError(f"services.{taken[0]}: the name is infra dev's own S3 server; rename the service")
    services: dict[str, dict] = {}
    link_env: dict[str, dict[str, dict[str, str]]] = {where: {} for where in WHERE}
    ports = {"postgres": first_ports[0], "redis": first_ports[1]}
    s3_port = first_ports[2]
    s3_key, s3_secret = "dev" + secrets.token_hex(6), _password()
    buckets = []
    for name, svc in spec.services.items():
        if isinstance(svc, PostgresSpec | RedisSpec):
            made = (
                _postgres(name, svc, ports["postgres"])
                if isinstance(svc, PostgresSpec)
                else _redis(name, svc, ports["redis"])
            )
            services[name], per_place = made
            ports[svc.kind] += 1
            for where in WHERE:
                link_env[where][name] = per_place[where]
        elif isinstance(svc, BucketSpec):
            buckets.append(name)
            for where, endpoint in (
                ("local", f"http://localhost:{s3_port}"),
                ("compose", f"http://{S3_SERVICE}:5000"),
            ):
                link_env[where][name] = {
                    "S3_ENDPOINT": endpoint,
                    "S3_REGION": S3_REGION,
                    "S3_BUCKET": f"dev-{name}",  # S3 names are 3 characters at least
                    "S3_ACCESS_KEY_ID": s3_key,
                    "S3_SECRET_ACCESS_KEY": s3_secret,
                }  # fmt: skip
    if buckets:
        services[S3_SERVICE] = {"image": S3_IMAGE, "ports": [f"127.0.0.1:{s3_port}:5000"]}
        # The server starts empty: a one-off container creates the stack's buckets in it.
        creates = " && ".join(
            f"aws --endpoint-url http://{S3_SERVICE}:5000 s3 mb s3://dev-{b}" for b in buckets
        )
        services[BUCKETS_SERVICE] = {
            "image": AWS_CLI_IMAGE,
            "entrypoint": ["sh", "-c", creates],
            "environment": {"AWS_ACCESS_KEY_ID": s3_key, "AWS_SECRET_ACCESS_KEY": s3_secret, "AWS_DEFAULT_REGION": S3_REGION},
            "depends_on": [S3_SERVICE],
            "restart": "no",
        }  # fmt: skip
    result = DevFiles()
    for name, svc in spec.services.items():
        if not isinstance(svc, ContainerService):
            continue
        local: dict[str, str] = {}
        for link in svc.links:
            local |= link_env["local"].get(link, {})
        if local:
            result.variables[name] = local
            result.files[f"{name}.env"] = env_file(local)
        if with_apps:
            services[name] = _app(name, svc, spec, link_env["compose"], services, result)
    volumes: dict[str, dict] = {
        f"{n}-data": {} for n, s in spec.services.items() if isinstance(s, PostgresSpec | RedisSpec)
    }
    doc: dict = {"name": "multicloud-dev", "services": compose_literal(services, "services")}
    if volumes:
        doc["volumes"] = volumes
    result.files["compose.yaml"] = (
        "# Generated by `infra dev`: the stack's data services for local development.\n"
        "# Throwaway passwords, made for this render; published on 127.0.0.1 only.\n"
        + yaml.dump(doc, Dumper=_ComposeDumper, sort_keys=False)
    )
    names = {k for env in result.variables.values() for k in env}
    contract = {k for kind in ("postgres", "redis", "bucket") for k in LINK_ENV[kind]}
    if not names <= contract:  # the contract's names, nothing else
        raise AssertionError(f"infra dev would hand out {sorted(names - contract)}, outside the contract")
    return result


def _app(
    name: str,
    svc: ContainerService,
    spec: StackSpec,
    inside: dict[str, dict[str, str]],
    services: dict,
    result: DevFiles,
) -> dict:
    """A stack container in the Compose project, its variables pointed at the services' names."""
    env = {k: v for link in svc.links if link in inside for k, v in inside[link].items()}
    app: dict = {"image": svc.image}
    if env:
        result.files[f"{name}.compose.env"] = env_file(env)
        app["env_file"] = [f"{name}.compose.env"]
    needs = {(BUCKETS_SERVICE if isinstance(spec.services[link], BucketSpec) else link) for link in svc.links}
    if needs & set(services):
        app["depends_on"] = sorted(needs & set(services))
    if svc.env:
        app["environment"] = dict(svc.env)
    if svc.command:
        app["command"] = list(svc.command)
    if isinstance(svc, ApiSpec):
        app["ports"] = [f"127.0.0.1:{svc.port}:{svc.port}"]
    if isinstance(svc, JobSpec):
        app["profiles"] = ["jobs"]  # run one with `docker compose run <job>`
    return app

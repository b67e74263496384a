"""ManagedPostgres on a Hetzner VpsHost: the official image as a container behind no port.

Data lives on the host's volume (/srv/data/<name>/pgdata), so replacing the server loses
nothing. Every connection needs a SCRAM password and every TCP connection TLS (a key pair
generated on the host at the first release). When the stack has several hosts, the port is
published on the host's private-network address only, for services on the other hosts.

Consumers on another provider (Fargate tasks behind their NAT gateway) reach it only when the
stack exposes it (VpsHost.exposure): then the port is published on the host's IPv4 interfaces, the
host firewall and pg_hba.conf admit their addresses alone, and the server presents a certificate
for the host's public address signed by a CA of its own (components._lib.private_ca), which
those consumers verify (`sslmode=verify-full`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

import pulumi

from multicloud.components._lib.passwords import generated_password
from multicloud.components._lib.private_ca import ServerTls, server_tls
from multicloud.components._vps.model import POSTGRES_UID, Container, DataDir, File
from multicloud.components._vps.render import (
    PG_TLS_DIR,
    backup_env,
    backup_units,
    container_path,
    pg_hba,
    postgres_settings,
)
from multicloud.components.connection import secret
from multicloud.components.host import Exposure
from multicloud.components.postgres import ManagedPostgres, PostgresArgs, PostgresBackup, PostgresOutputs

PORT = 5432
# Where the certificate signed by its own CA is mounted when the port is exposed.
CA_SIGNED_TLS_DIR = "/etc/postgresql/ca-signed-tls"


@dataclass(frozen=True)
class _Placement:
    """Where the container runs and how services reach it (its container and outputs share this)."""

    name: str
    args: PostgresArgs
    private_ip: str | None
    """The host's private-network address, when the stack has several hosts."""
    port: int
    exposure: Exposure | None = None
    """The port it opens to consumers on other providers, if any."""
    subnet: str | None = None
    """The private network's subnet, when the stack has several hosts."""


def build(parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs:
    """Place a Postgres container on `args.host`."""
    host = args.host
    if host is None:
        raise ValueError(f"{name}: postgres on hetzner runs on a host; pass host=")
    password = generated_password(parent, name, protect=args.protect)
    secret_file = File(
        f"secrets/{name}/password", password.result, mode=0o400, uid=POSTGRES_UID, gid=POSTGRES_UID
    )
    # Same host: the compose network, container port. Other hosts: the private address,
    # on a host port of its own (several databases may share a host) — or, when it is exposed
    # to other providers, the exposed port, which the host's IPv4 interfaces publish.
    exposure = host.exposure(name)
    if exposure is not None:
        port = exposure.port if host.private_ip else PORT
    else:
        port = host.workloads.claim_port(PORT) if host.private_ip else PORT
    fleet = host.args.fleet
    at = _Placement(
        name,
        args,
        host.private_ip,
        port,
        exposure,
        fleet.args.subnet if fleet is not None and host.private_ip else None,
    )
    resources: dict[str, pulumi.Resource] = {"password": password}
    host_files: list[File] = []
    backup_password = None
    if args.backup is not None:
        host_files, backup_password = _backup(parent, name, args, container_path(secret_file))
        resources["backup_password"] = backup_password
    tls = None
    if exposure is not None:
        # For every public address of the host (its own, its floating IP) and its compose name.
        tls = server_tls(parent, name, ip_addresses=host.egress_ipv4, dns_names=[name])
        resources |= tls.resources
    host.workloads.add(_container(at, secret_file, host_files, tls))
    return PostgresOutputs(
        host=pulumi.Output.from_input(at.private_ip or name),
        port=pulumi.Output.from_input(port),
        database=pulumi.Output.from_input(args.database),
        username=pulumi.Output.from_input(args.username),
        password=password.result,
        sslmode="require",
        resources=resources,
        backup_password=backup_password.result if backup_password is not None else None,
        public_host=host.public_ipv4 if tls is not None else None,
        public_port=pulumi.Output.from_input(at.exposure.port) if at.exposure is not None else None,
        ca_certificate=tls.ca_certificate if tls is not None else None,
    )


def _hba(at: _Placement) -> pulumi.Output[str] | str:
    """pg_hba.conf: any TLS peer with a password, or — exposed — the same peers the firewall
    admits: this host's containers, the private network, the consumers' addresses."""
    if at.exposure is None:
        return pg_hba()
    networks = [at.subnet] if at.subnet else []
    return pulumi.Output.all(*at.exposure.cidrs()).apply(lambda cidrs: pg_hba(networks + list(cidrs)))


def _container(at: _Placement, secret_file: File, host_files: list[File], tls: ServerTls | None) -> Container:
    name, args = at.name, at.args
    hba_file = File(f"config/{name}/pg_hba.conf", _hba(at), mode=0o444)
    tls_files = tls.files(name, CA_SIGNED_TLS_DIR, POSTGRES_UID) if tls is not None else []
    ports = [f"{at.private_ip}:{at.port}:{PORT}"] if at.private_ip else []
    if at.exposure is not None:
        # IPv4 only: docker-proxy would forward IPv6 clients from the bridge's gateway, an
        # address `samenet` admits; the firewall admits IPv4 /32s only anyway.
        ports = [f"0.0.0.0:{at.exposure.port}:{PORT}"]
    return Container(
        name=name,
        image=f"postgres:{args.version}",
        command=_command(hba_file, CA_SIGNED_TLS_DIR if tls is not None else PG_TLS_DIR),
        env={
            "POSTGRES_USER": args.username,
            "POSTGRES_DB": args.database,
            "POSTGRES_PASSWORD_FILE": container_path(secret_file),
            "POSTGRES_INITDB_ARGS": "--auth-local=scram-sha-256 --auth-host=scram-sha-256",
            "PGDATA": "/var/lib/postgresql/data",
        },
        files=[secret_file, hba_file, *tls_files],
        mounts=[
            f"/srv/data/{name}/pgdata:/var/lib/postgresql/data",
            f"/srv/data/{name}/tls:{PG_TLS_DIR}:ro",
        ],
        data_dirs=[DataDir(f"{name}/pgdata", POSTGRES_UID, POSTGRES_UID, 0o700)],
        ports=ports,
        # Runs as the image's postgres user from the start: no root, no capabilities.
        user=f"{POSTGRES_UID}:{POSTGRES_UID}",
        # Shell text: the names are identifiers of the spec's pattern, quoted all the same.
        healthcheck=[
            "CMD-SHELL",
            f"pg_isready -U {shlex.quote(args.username)} -d {shlex.quote(args.database)}",
        ],
        prepare_script=" ".join(
            ["prepare-postgres.sh", name, args.version, *([at.private_ip] if at.private_ip else [])]
        ),
        stop_grace_period="60s",
        host_files=host_files,
    )


def _command(hba_file: File, tls_dir: str) -> list[str]:
    settings = postgres_settings(tls_dir=tls_dir, hba_file=container_path(hba_file))
    return ["postgres"] + [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]


# How long a heartbeat waits for the next success: the timer's period, then a grace for the
# timer's randomized delay (20 min for backups, 1 h for verifications) and the run itself.
BACKUP_GRACE_SECONDS = {"hourly": 3600}
DEFAULT_BACKUP_GRACE_SECONDS = 2 * 3600
VERIFY_PERIOD_SECONDS, VERIFY_GRACE_SECONDS = 7 * 86400, 4 * 3600


def _heartbeats(parent: ManagedPostgres, name: str, backup: PostgresBackup) -> list[pulumi.Output[str]]:
    """The ping URLs of the backup's and the verification's heartbeats (none without alerts)."""
    if backup.heartbeat is None:
        return []
    from multicloud.components.alerts.healthchecks import Heartbeat

    beat = backup.heartbeat
    period = 3600 if backup.on_calendar == "hourly" else 86400
    runs = {
        "backup": (period, BACKUP_GRACE_SECONDS.get(backup.on_calendar, DEFAULT_BACKUP_GRACE_SECONDS)),
        "verify": (VERIFY_PERIOD_SECONDS, VERIFY_GRACE_SECONDS),
    }
    urls = []
    for run, (timeout, grace) in runs.items():
        props: dict[str, Any] = {
            "name": f"{beat.prefix}-{name}-{run}",
            "desc": f"PostgreSQL {name}: the {'backup' if run == 'backup' else 'weekly backup verification'} "
            "reports every run here (multicloud)",
            "tags": f"multicloud {name}",
            "timeout": timeout,
            "grace": grace,
            "api_key": secret(beat.api_key),
        }
        if beat.api_url is not None:
            props["api_url"] = beat.api_url
        check = Heartbeat.create(f"{name}-{run}-heartbeat", props, pulumi.ResourceOptions(parent=parent))
        urls.append(secret(check.ping_url))
    return urls


def _backup(
    parent: ManagedPostgres, name: str, args: PostgresArgs, password_file: str
) -> tuple[list[File], Any]:
    """The settings and systemd units of the nightly restic backup (scripts: components/_vps/scripts)."""
    backup = args.backup
    assert backup is not None
    # The repository key: without it no backup can be read back, so it is protected in prod
    # and exported as a secret stack output (`<name>_backup_password`).
    key = generated_password(parent, f"{name}-backup", protect=args.protect)
    store = backup.store
    pings = _heartbeats(parent, name, backup)
    env = pulumi.Output.all(
        store.endpoint,
        store.bucket,
        store.region,
        store.access_key_id,
        store.secret_access_key,
        key.result,
        *pings,
    ).apply(
        lambda v: backup_env(
            {
                "RESTIC_REPOSITORY": f"s3:{v[0]}/{v[1]}/postgres/{name}",
                "RESTIC_PASSWORD": v[5],
                "AWS_ACCESS_KEY_ID": v[3],
                "AWS_SECRET_ACCESS_KEY": v[4],
                "AWS_DEFAULT_REGION": v[2],
                "PGUSER": args.username,
                "PGDATABASE": args.database,
                "PGPASSWORD_FILE": password_file,
                # Compose names the single container <project>-<service>-1.
                "CONTAINER": f"multicloud-{name}-1",
                "KEEP_DAILY": str(backup.keep_daily),
                "KEEP_WEEKLY": str(backup.keep_weekly),
                "KEEP_MONTHLY": str(backup.keep_monthly),
            }
            # heartbeat.sh reads these; each run of the units reports to its check.
            | ({"HEARTBEAT_URL": v[6], "VERIFY_HEARTBEAT_URL": v[7]} if pings else {})
        )
    )
    files = [File(f"backup/{name}.env", secret(env), mode=0o600), *backup_units(name, backup.on_calendar)]
    return files, key

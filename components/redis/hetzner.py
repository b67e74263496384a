"""Redis on a Hetzner VpsHost: the official image, password always on, AOF on the volume.

The official image is compiled with protected mode off, so the password is what keeps it
closed; no port is published except, with several hosts, on the private-network address.

Consumers on another provider (Fargate tasks behind their NAT gateway) reach it only when the
stack exposes it (VpsHost.exposure): then it also listens with TLS on the exposed port,
published on the host's IPv4 interfaces and admitted by the host firewall from their addresses alone,
with a certificate for the host's public address signed by a CA of its own
(components._lib.private_ca) that those consumers verify (`rediss://`). Its plain port stays
on the compose and private networks, where it always was.
"""

from __future__ import annotations

import pulumi

from multicloud.components._lib.passwords import generated_password
from multicloud.components._lib.private_ca import server_tls
from multicloud.components._vps.model import REDIS_UID, Container, DataDir, File
from multicloud.components._vps.render import container_path, redis_conf
from multicloud.components.redis import Redis, RedisArgs, RedisOutputs

PORT = 6379
TLS_DIR = "/etc/redis/tls"


def build(parent: Redis, name: str, args: RedisArgs) -> RedisOutputs:
    """Place a Redis container on `args.host`."""
    host = args.host
    if host is None:
        raise ValueError(f"{name}: redis on hetzner runs on a host; pass host=")
    password = generated_password(parent, name, protect=args.protect)
    private = host.private_ip is not None
    port = host.workloads.claim_port(PORT) if private else PORT
    exposure = host.exposure(name)
    resources: dict[str, pulumi.Resource] = {"password": password}
    tls_files: list[File] = []
    tls = None
    if exposure is not None:
        tls = server_tls(parent, name, ip_addresses=host.egress_ipv4, dns_names=[name])
        resources |= tls.resources
        tls_files = tls.files(name, TLS_DIR, REDIS_UID, with_ca=True)
    tls_port = exposure.port if exposure is not None else None
    conf = File(
        f"secrets/{name}/redis.conf",
        password.result.apply(
            lambda pw: redis_conf(pw, args.memory_mb, private=private, tls_port=tls_port, tls_dir=TLS_DIR)
        ),
        mode=0o400,
        uid=REDIS_UID,
        gid=REDIS_UID,
    )
    conf_path = container_path(conf)
    # Valkey ships valkey-server/valkey-cli; the configuration format is Redis'.
    cli_prefix = "valkey" if args.engine == "valkey" else "redis"
    host.workloads.add(
        Container(
            name=name,
            image=f"valkey/valkey:{args.version}" if args.engine == "valkey" else f"redis:{args.version}",
            command=[f"{cli_prefix}-server", conf_path],
            files=[conf, *tls_files],
            mounts=[f"/srv/data/{name}:/data"],
            data_dirs=[DataDir(name, REDIS_UID, REDIS_UID, 0o700)],
            ports=[
                *([f"{host.private_ip}:{port}:{PORT}"] if private else []),
                # IPv4 only, as the firewall admits (components/postgres/hetzner.py).
                *([f"0.0.0.0:{tls_port}:{tls_port}"] if tls_port is not None else []),
            ],
            user=f"{REDIS_UID}:{REDIS_UID}",
            # The password is read from the config file inside the container, so it is not
            # visible in compose.yaml or `docker inspect`.
            healthcheck=[
                "CMD-SHELL",
                (
                    f"pw=\"$(awk '/^requirepass/ {{print $2}}' {conf_path})\"; "
                    f'REDISCLI_AUTH="$pw" VALKEYCLI_AUTH="$pw" {cli_prefix}-cli ping | grep -q PONG'
                ),
            ],
        )
    )
    return RedisOutputs(
        host=pulumi.Output.from_input(host.private_ip or name),
        port=pulumi.Output.from_input(port),
        password=password.result,
        tls=False,
        resources=resources,
        public_host=host.public_ipv4 if tls is not None else None,
        public_port=pulumi.Output.from_input(tls_port) if tls_port is not None else None,
        ca_certificate=tls.ca_certificate if tls is not None else None,
    )

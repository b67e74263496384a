"""Redis: a Redis-compatible cache with a password and persistence, same outputs everywhere.

Usage::

    cache = Redis("cache", RedisArgs(target="hetzner", memory_mb=512, host=main))
    cache.connection_env()   # REDIS_URL

Backends: `hetzner` (the official Valkey or Redis image on a VpsHost, AOF on the host's
volume), `aws` (ElastiCache replication group, TLS and an auth token).

Cost: on a VPS host, twice `memory_mb` of volume space (AOF rewrites) — the host is priced once.
On AWS, the node type by the hour per node (cache.t4g.micro Valkey ≈ $9.34/month in
us-east-1; Redis OSS costs 25 % more).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported
from multicloud.components.connection import Link, OverInternet, redis_env, secret
from multicloud.components.host import HostFleet, VpsHost
from multicloud.components.network import Network


@dataclass(frozen=True)
class RedisArgs:
    """Inputs of a Redis."""

    target: str
    engine: str = "valkey"
    """`valkey` (the open-source fork, default) or `redis`."""
    version: str = "8.0"
    memory_mb: int = 256
    """maxmemory; writes fail rather than evict when full (safe for queues)."""
    host: VpsHost | None = None
    protect: bool = False
    network: Network | None = None
    """Cloud targets: the VPC it lives in (private subnets only)."""
    node_type: str = "cache.t4g.micro"
    """Managed node type, resolved from memory_mb by the stack (stacks.targets.<provider>)."""
    nodes: int = 1
    """Primary plus replicas; more than one turns on automatic failover across zones."""
    fleet: HostFleet | None = None
    """DigitalOcean: the stack's droplets (their VPC and the tag the database firewall trusts)."""
    admit_vpc: bool = False
    """DigitalOcean: also trust every address of the stack's VPC, which App Platform apps that
    link the database connect from."""
    region: str | None = None
    """DigitalOcean: the region of the managed cluster (the droplets' region)."""
    admit_addresses: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """DigitalOcean: IPv4 addresses of consumers on other providers (VpsHost.egress_ipv4), by a
    label of whose address it is, admitted by the cluster firewall; they connect to its public
    name over verified TLS."""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RedisOutputs:
    """The contract every backend returns."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    password: pulumi.Output[str]
    tls: bool
    resources: dict[str, pulumi.Resource]
    security_group_id: pulumi.Output[str] | None = None
    """Cloud targets: the group linked services are admitted to."""
    public_host: pulumi.Output[str] | None = None
    """When it admits addresses from other providers: the name they connect to."""
    public_port: pulumi.Output[int] | None = None
    """With `public_host`, when they connect to another port than `port` (a host's published one)."""
    ca_certificate: pulumi.Output[str] | None = None
    """With `public_host`: the PEM of the CA its server certificate is verified against."""


class RedisBackend(Protocol):
    """What `components/redis/<provider>.py` provides."""

    def build(self, parent: Redis, name: str, args: RedisArgs) -> RedisOutputs: ...


def backend_for(target: str) -> RedisBackend:
    """The redis backend for `target`, checked by mypy against RedisBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "aws":
        from multicloud.components.redis import aws

        return aws
    if target == "digitalocean":
        from multicloud.components.redis import digitalocean

        return digitalocean
    if target == "hetzner":
        from multicloud.components.redis import hetzner

        return hetzner
    raise unsupported("redis", target)


class Redis(pulumi.ComponentResource):
    """A password-protected Redis reachable only by the services that link it."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    password: pulumi.Output[str]
    """Secret."""
    url: pulumi.Output[str]
    """`redis://` or `rediss://` with the password, secret."""

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:Redis", name, None, opts)
        if args.memory_mb < 32:
            raise ValueError(f"{name}: memory_mb must be at least 32")
        backend = backend_for(args.target)
        out = backend.build(self, name, args)
        self.host, self.port = out.host, out.port
        self.password = secret(out.password)
        self.resources = out.resources
        self.security_group_id = out.security_group_id
        self.link = Link(
            "redis", target=args.target, security_group_id=out.security_group_id, internet=_over_internet(out)
        )
        self._env = redis_env(out.host, out.port, out.password, out.tls)
        self.url = self._env["REDIS_URL"]
        self.register_outputs(
            {"host": self.host, "port": self.port, "password": self.password, "url": self.url}
        )

    def connection_env(self) -> dict[str, pulumi.Output[str]]:
        """REDIS_URL for linked services."""
        return dict(self._env)


def _over_internet(out: RedisOutputs) -> OverInternet | None:
    """How consumers on other providers connect: `rediss://` to the public name, verified
    against the provider's CA (the consumer's copy at the path it is given)."""
    public_host, ca = out.public_host, out.ca_certificate
    if public_host is None or ca is None:
        return None
    return OverInternet(
        ca_certificate=ca,
        # Across the internet always TLS, verified: a Hetzner container speaks it on its
        # published port only (plain Redis stays on the compose and private networks).
        env=lambda ca_path: redis_env(
            public_host,
            out.public_port if out.public_port is not None else out.port,
            out.password,
            True,
            ca_file=ca_path,
        ),
    )

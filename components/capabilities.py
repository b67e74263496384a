"""The capability matrix: which backend module builds each component kind on each target.

This table *is* the matrix. Validation reads it to reject a kind/target pair that has no
backend (without importing any provider SDK); each facade's `backend_for(target)` imports
the same modules, typed, and `tests/test_backends.py` holds the two equal. A target missing
from a row has no backend module (and no file) for that kind.
"""

from __future__ import annotations

BACKENDS: dict[str, dict[str, str]] = {
    "host": {
        "digitalocean": "multicloud.components.host.digitalocean",
        "hetzner": "multicloud.components.host.hetzner",
    },
    "network": {"aws": "multicloud.components.network.aws"},
    "api": {
        "aws": "multicloud.components.api_service.aws",
        "digitalocean": "multicloud.components.api_service.digitalocean",
        "hetzner": "multicloud.components.api_service.hetzner",
    },
    "worker": {
        "aws": "multicloud.components.api_service.aws",
        "digitalocean": "multicloud.components.api_service.digitalocean",
        "hetzner": "multicloud.components.api_service.hetzner",
    },
    # A container run on a schedule: a systemd timer on the stack's hosts, EventBridge Scheduler
    # starting a Fargate task on AWS. App Platform has no job backend; validate says so.
    "job": {
        "aws": "multicloud.components.api_service.aws",
        "digitalocean": "multicloud.components.api_service.digitalocean",
        "hetzner": "multicloud.components.api_service.hetzner",
    },
    "postgres": {
        "aws": "multicloud.components.postgres.aws",
        "digitalocean": "multicloud.components.postgres.digitalocean",
        "hetzner": "multicloud.components.postgres.hetzner",
    },
    "redis": {
        "aws": "multicloud.components.redis.aws",
        "digitalocean": "multicloud.components.redis.digitalocean",
        "hetzner": "multicloud.components.redis.hetzner",
    },
    "bucket": {
        "aws": "multicloud.components.object_store.aws",
        "digitalocean": "multicloud.components.object_store.digitalocean",
        "hetzner": "multicloud.components.object_store.hetzner",
        "cloudflare": "multicloud.components.object_store.cloudflare",
    },
    "static_site": {
        "aws": "multicloud.components.static_frontend.aws",
        "cloudflare": "multicloud.components.static_frontend.cloudflare",
        "digitalocean": "multicloud.components.static_frontend.digitalocean",
    },
    # Outside checks of a public api (`alerts`), by where the api runs: the provider's own
    # uptime service, Checkly for Hetzner hosts, which have none.
    "uptime": {
        "aws": "multicloud.components.alerts.aws",
        "digitalocean": "multicloud.components.alerts.digitalocean",
        "hetzner": "multicloud.components.alerts.checkly",
    },
    "dns": {
        "cloudflare": "multicloud.components.dns.cloudflare",
        "digitalocean": "multicloud.components.dns.digitalocean",
        "route53": "multicloud.components.dns.route53",
    },
}

# Targets whose compute runs on VPS hosts (`hosts:`), so placed services need `host:`.
VPS_TARGETS = frozenset({"hetzner", "digitalocean"})

# Kinds that need the stack's private network on AWS (a VPC).
AWS_NETWORKED_KINDS = frozenset({"api", "worker", "job", "postgres", "redis"})

# Kinds that run on a host, per VPS provider. DigitalOcean's databases and caches are managed
# clusters; Hetzner has none, so they run as containers there.
HOST_PLACED: dict[str, frozenset[str]] = {
    "hetzner": frozenset({"api", "worker", "job", "postgres", "redis"}),
    "digitalocean": frozenset({"api", "worker", "job"}),
}


# Runtimes that run an api/worker somewhere other than the stack's hosts, per target
# (DigitalOcean App Platform); without one, a container service on a VPS target runs on hosts.
OFF_HOST_RUNTIMES: dict[str, frozenset[str]] = {"digitalocean": frozenset({"app_platform"})}


def placed_on_host(kind: str, target: str, runtime: str | None = None) -> bool:
    """Whether a `kind` on `target` (with `runtime`) runs as a container on one of the stack's hosts."""
    off_host = runtime in OFF_HOST_RUNTIMES.get(target, frozenset())
    return kind in HOST_PLACED.get(target, frozenset()) and not off_host


# Kinds an api/worker may `links:` to, and the variables each link provides (the connection
# contract, components.connection).
LINK_ENV: dict[str, tuple[str, ...]] = {
    "postgres": ("DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"),
    "redis": ("REDIS_URL",),
    "bucket": ("S3_ENDPOINT", "S3_REGION", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"),
}


# What a consumer additionally gets for a dependency it reaches over the internet: where the CA
# file it verifies the server with is (components.connection.ca_file), in the variables its
# client reads (libpq's own PGSSLMODE/PGSSLROOTCERT; REDIS_CA_FILE for a Redis client).
LINK_TLS_ENV: dict[str, tuple[str, ...]] = {
    "postgres": ("PGSSLMODE", "PGSSLROOTCERT"),
    "redis": ("REDIS_CA_FILE",),
}


def supported_targets(kind: str) -> list[str]:
    """Targets that have a backend for `kind`, sorted."""
    return sorted(BACKENDS.get(kind, {}))


# How a service reaches what it links. A database or cache listens on a private network (a
# host's compose network and the Hetzner private network, a DigitalOcean VPC whose cluster
# firewall admits the stack's droplets and apps, an AWS VPC whose security group admits the
# tasks); a bucket is an HTTPS endpoint reached with its keys from anywhere.
PRIVATE_KINDS = frozenset({"postgres", "redis"})

PUBLIC_ENDPOINT = "public endpoint"
PRIVATE_NETWORK = "private network"
INTERNET = "internet, TLS verified"
UNWIRED = "unwired"

# Pairs wired across the internet: (consumer target, kind, dependency target). The dependency's
# firewall admits exactly the consumers' fixed egress addresses and the client verifies the
# server's certificate against the provider's CA (docs/links.md). A Hetzner service always runs
# on hosts, whose primary (and floating) IPv4 addresses are fixed; Fargate tasks leave through
# the NAT gateway's Elastic IP (so they need `nat: managed`, stacks/checks.py); DigitalOcean's
# managed clusters admit IPv4 addresses and hand out their CA (`getDatabaseCa`); a container on
# a Hetzner host is published on a port its host firewall opens to those addresses alone, with
# a certificate from a CA of its own (components._lib.private_ca); an RDS instance that hosts
# link is made publicly accessible in the VPC's public subnets, its security group admitting
# their addresses, verified against the RDS CA bundle. DigitalOcean consumers are droplets only:
# App Platform apps leave from shared addresses (stacks/checks.py refuses them). ElastiCache
# cannot be reached from outside its VPC at all.
INTERNET_LINKS = frozenset(
    {
        ("hetzner", "postgres", "digitalocean"),
        ("hetzner", "redis", "digitalocean"),
        ("hetzner", "postgres", "aws"),
        ("digitalocean", "postgres", "aws"),
        ("aws", "postgres", "digitalocean"),
        ("aws", "redis", "digitalocean"),
        ("aws", "postgres", "hetzner"),
        ("aws", "redis", "hetzner"),
    }
)

# Where a private dependency listens, per target: what the refusal tells the user.
LISTENS = {
    "aws": "private in the stack's AWS VPC",
    "digitalocean": "a managed cluster that admits only the stack's droplets and App Platform apps",
    "hetzner": "a container on a Hetzner host, reachable from the stack's Hetzner hosts only",
}


def link_path(consumer_target: str, kind: str, dependency_target: str) -> str:
    """How a service on `consumer_target` reaches a `kind` on `dependency_target`:
    PUBLIC_ENDPOINT (a bucket), PRIVATE_NETWORK (both on one provider, which the backends wire:
    compose or Hetzner network, DigitalOcean VPC and cluster firewall, AWS security groups),
    INTERNET (a pair of INTERNET_LINKS) or UNWIRED (nothing connects them)."""
    if kind not in PRIVATE_KINDS:
        return PUBLIC_ENDPOINT
    if consumer_target == dependency_target:
        return PRIVATE_NETWORK
    return INTERNET if (consumer_target, kind, dependency_target) in INTERNET_LINKS else UNWIRED

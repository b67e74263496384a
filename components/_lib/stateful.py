"""Which resource types hold data: losing one (replace or delete) loses data.

Shared by the replacement guard (`infra guard`), the prod-protection checks and the tests.
"""

from __future__ import annotations

from typing import Any

STATEFUL_TYPES = frozenset(
    {
        "hcloud:index/server:Server",
        "hcloud:index/volume:Volume",
        "hcloud:index/floatingIp:FloatingIp",
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:s3/bucket:Bucket",
        "cloudflare:index/r2Bucket:R2Bucket",
        "random:index/randomPassword:RandomPassword",
        "digitalocean:index/databaseCluster:DatabaseCluster",
        "digitalocean:index/volume:Volume",
        "digitalocean:index/spacesBucket:SpacesBucket",
        "digitalocean:index/reservedIp:ReservedIp",
    }
)


def is_stateful(type_token: str, inputs: dict[str, Any] | None = None) -> bool:
    """Whether a resource of this type (with these inputs) holds data."""
    if type_token == "pulumi-python:dynamic:Resource":
        # Our dynamic resources: Hetzner Object Storage buckets.
        return str((inputs or {}).get("endpoint", "")).endswith("your-objectstorage.com")
    return type_token in STATEFUL_TYPES

"""ObjectStore: a private S3-compatible bucket with the same S3_* variables on every backend.

Usage::

    uploads = ObjectStore("uploads", ObjectStoreArgs(target="cloudflare", account_id=..., expire_after_days=90),
                          opts=pulumi.ResourceOptions(providers={"cloudflare": cf}))
    uploads.connection_env()   # S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY

Backends: `hetzner` (Hetzner Object Storage through its S3 API, with the project's S3
credentials), `cloudflare` (R2, with an API token scoped to this one bucket), `aws` (S3,
private and encrypted, TLS-only, with an IAM user scoped to this one bucket).

Cost: Hetzner Object Storage is a flat base fee per project (1 TB storage and egress
included); R2 bills stored GB beyond a 10 GB free tier and has no egress fees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported
from multicloud.components.connection import Link, s3_env, secret


@dataclass(frozen=True)
class ObjectStoreArgs:
    """Inputs of an ObjectStore."""

    target: str
    location: str | None = None
    """Provider region (Hetzner: fsn1/nbg1/hel1; R2: a location hint such as weur)."""
    versioning: bool = False
    expire_after_days: int | None = None
    """Delete objects this many days after creation (lifecycle rule)."""
    expire_prefix: str = ""
    """Limit expiry to keys with this prefix ("" = every object)."""
    archive_after_days: int | None = None
    """Move objects to the provider's archive class after this many days."""
    protect: bool = False
    physical_name: str | None = None
    """Bucket name where the provider scopes names per account (R2)."""
    account_id: str | None = None
    """Cloudflare account (R2)."""
    access_key_id: pulumi.Input[str] | None = None
    """Hetzner: the project's S3 access key (a secret from stack config)."""
    secret_access_key: pulumi.Input[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    """Tags/labels where the provider has them."""


@dataclass(frozen=True)
class ObjectStoreOutputs:
    """The contract every backend returns."""

    endpoint: pulumi.Output[str]
    region: pulumi.Output[str]
    bucket: pulumi.Output[str]
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]
    resources: dict[str, pulumi.Resource]
    bucket_arn: pulumi.Output[str] | None = None
    """AWS: lets linked services' task roles be granted this bucket."""


class ObjectStoreBackend(Protocol):
    """What `components/object_store/<provider>.py` provides."""

    def build(self, parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs: ...


def backend_for(target: str) -> ObjectStoreBackend:
    """The bucket backend for `target`, checked by mypy against ObjectStoreBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "aws":
        from multicloud.components.object_store import aws

        return aws
    if target == "cloudflare":
        from multicloud.components.object_store import cloudflare

        return cloudflare
    if target == "digitalocean":
        from multicloud.components.object_store import digitalocean

        return digitalocean
    if target == "hetzner":
        from multicloud.components.object_store import hetzner

        return hetzner
    raise unsupported("bucket", target)


class ObjectStore(pulumi.ComponentResource):
    """A private bucket; linked services get credentials through the connection contract."""

    endpoint: pulumi.Output[str]
    region: pulumi.Output[str]
    bucket: pulumi.Output[str]
    access_key_id: pulumi.Output[str]
    """Secret."""
    secret_access_key: pulumi.Output[str]
    """Secret."""

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:ObjectStore", name, None, opts)
        if args.expire_after_days is not None and args.expire_after_days < 1:
            raise ValueError(f"{name}: expire_after_days must be at least 1")
        backend = backend_for(args.target)
        out = backend.build(self, name, args)
        self.endpoint, self.region, self.bucket = out.endpoint, out.region, out.bucket
        self.access_key_id = secret(out.access_key_id)
        self.secret_access_key = secret(out.secret_access_key)
        self.resources = out.resources
        self.bucket_arn = out.bucket_arn
        self.link = Link("bucket", target=args.target, bucket_arn=out.bucket_arn)
        self._env = s3_env(out.endpoint, out.region, out.bucket, out.access_key_id, out.secret_access_key)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "region": self.region,
                "bucket": self.bucket,
                "access_key_id": self.access_key_id,
                "secret_access_key": self.secret_access_key,
            }
        )

    def connection_env(self) -> dict[str, pulumi.Output[str]]:
        """S3_* for linked services."""
        return dict(self._env)

"""ObjectStore on Hetzner Object Storage, through its S3 API.

Hetzner has no bucket resource in its cloud API, so the bucket is a Pulumi dynamic resource
that calls the S3 API with boto3 (see `hetzner_s3.py` for why not pulumi-aws). Buckets are
private by default there. The S3 credentials are the project's keys from the Cloud Console,
stored as stack secrets; Hetzner cannot scope a key to one bucket, so keep application
buckets in a Hetzner project of their own.
"""

from __future__ import annotations

import pulumi

from multicloud.components._lib.unique import unique_name
from multicloud.components.connection import secret
from multicloud.components.object_store import ObjectStore, ObjectStoreArgs, ObjectStoreOutputs
from multicloud.components.object_store.hetzner_s3 import HetznerBucket

DEFAULT_LOCATION = "fsn1"


def endpoint(location: str) -> str:
    """The S3 endpoint of a Hetzner Object Storage location."""
    return f"https://{location}.your-objectstorage.com"


def build(parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs:
    """Create the bucket with its versioning and lifecycle rule."""
    if args.access_key_id is None or args.secret_access_key is None:
        raise ValueError(f"{name}: Hetzner Object Storage needs access_key_id and secret_access_key")
    if args.archive_after_days is not None:
        raise ValueError(f"{name}: Hetzner Object Storage has no archive storage class")
    location = args.location or DEFAULT_LOCATION
    # Bucket names are global across every Hetzner customer: add a random suffix once.
    bucket_name, suffix = unique_name(parent, name, args.physical_name or name)
    bucket = HetznerBucket.create(
        f"{name}-bucket",
        {
            "bucket": bucket_name,
            "endpoint": endpoint(location),
            "region": location,
            "versioning": args.versioning,
            "expire_after_days": args.expire_after_days,
            "expire_prefix": args.expire_prefix,
            "access_key_id": secret(args.access_key_id),
            "secret_access_key": secret(args.secret_access_key),
        },
        pulumi.ResourceOptions(
            parent=parent,
            protect=args.protect,
            retain_on_delete=args.protect,
            additional_secret_outputs=["access_key_id", "secret_access_key"],
        ),
    )
    return ObjectStoreOutputs(
        endpoint=pulumi.Output.from_input(endpoint(location)),
        region=pulumi.Output.from_input(location),
        bucket=bucket.bucket,
        access_key_id=secret(args.access_key_id),
        secret_access_key=secret(args.secret_access_key),
        resources={"bucket": bucket, "suffix": suffix},
    )

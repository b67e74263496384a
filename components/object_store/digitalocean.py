"""ObjectStore on DigitalOcean Spaces: a private bucket and a key that can use only it."""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.unique import unique_name
from multicloud.components.connection import secret
from multicloud.components.object_store import ObjectStore, ObjectStoreArgs, ObjectStoreOutputs

DEFAULT_REGION = "fra1"


def build(parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs:
    """Create the bucket (private, lifecycle, versioning by flag) and a scoped Spaces key."""
    if args.physical_name is None:
        raise ValueError(f"{name}: Spaces needs physical_name")
    if args.archive_after_days is not None:
        raise ValueError(f"{name}: Spaces has no archive storage class")
    region = args.location or DEFAULT_REGION
    rules = [do.SpacesBucketLifecycleRuleArgs(enabled=True, abort_incomplete_multipart_upload_days=7)]
    if args.expire_after_days is not None:
        rules.append(
            do.SpacesBucketLifecycleRuleArgs(
                enabled=True,
                prefix=args.expire_prefix or None,
                expiration=do.SpacesBucketLifecycleRuleExpirationArgs(days=args.expire_after_days),
            )
        )
    # Spaces names are global across every DigitalOcean customer: add a random suffix once.
    bucket_name, suffix = unique_name(parent, name, args.physical_name)
    bucket = do.SpacesBucket(
        f"{name}-bucket",
        name=bucket_name,
        region=region,
        acl="private",
        force_destroy=False,
        versioning=do.SpacesBucketVersioningArgs(enabled=True) if args.versioning else None,
        lifecycle_rules=rules,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect, retain_on_delete=args.protect),
    )
    key = do.SpacesKey(
        f"{name}-key",
        name=bucket_name.apply(lambda n: f"{n}-app"),
        grants=[do.SpacesKeyGrantArgs(bucket=bucket.name, permission="readwrite")],
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["secret_key"]),
    )
    return ObjectStoreOutputs(
        endpoint=pulumi.Output.from_input(f"https://{region}.digitaloceanspaces.com"),
        region=pulumi.Output.from_input(region),
        bucket=bucket.name,
        access_key_id=key.access_key,
        secret_access_key=secret(key.secret_key),
        resources={"bucket": bucket, "key": key, "suffix": suffix},
    )

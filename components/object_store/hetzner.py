"""ObjectStore on Hetzner Object Storage, through its S3 API.

Hetzner has no bucket resource in its cloud API, so buckets are created with the AWS
provider pointed at `https://<location>.your-objectstorage.com` (the stack passes that
provider in; see stacks/providers.py). Buckets are private by default there. The S3
credentials are the project's keys from the Cloud Console, stored as stack secrets;
Hetzner cannot yet scope a key to one bucket.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.connection import secret
from components.object_store import ObjectStore, ObjectStoreArgs, ObjectStoreOutputs

DEFAULT_LOCATION = "fsn1"


def endpoint(location: str) -> str:
    """The S3 endpoint of a Hetzner Object Storage location."""
    return f"https://{location}.your-objectstorage.com"


def build(parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs:
    """Create the bucket, its versioning and its lifecycle rule."""
    if args.access_key_id is None or args.secret_access_key is None:
        raise ValueError(f"{name}: Hetzner Object Storage needs access_key_id and secret_access_key")
    location = args.location or DEFAULT_LOCATION
    # No explicit name: Pulumi adds a random suffix, since bucket names are global at Hetzner.
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        force_destroy=False,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect, retain_on_delete=args.protect),
    )
    resources: dict[str, pulumi.Resource] = {"bucket": bucket}
    if args.versioning:
        resources["versioning"] = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.bucket,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    if args.expire_after_days is not None:
        resources["lifecycle"] = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.bucket,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id=f"expire-after-{args.expire_after_days}-days",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=args.expire_prefix),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.expire_after_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(resources.values())),
        )
    return ObjectStoreOutputs(
        endpoint=pulumi.Output.from_input(endpoint(location)),
        region=pulumi.Output.from_input(location),
        bucket=bucket.bucket,
        access_key_id=secret(args.access_key_id),
        secret_access_key=secret(args.secret_access_key),
        resources=resources,
    )

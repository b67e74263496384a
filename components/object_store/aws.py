"""ObjectStore on AWS S3: private, encrypted, TLS-only, with lifecycle rules from config.

Mirrors CKV_AWS_53-56 / AWS-0086-0094 (all four public-access blocks), CKV_AWS_19 /
AWS-0088 (default encryption), CKV_AWS_21 (versioning, by flag), a TLS-only bucket policy
(aws:SecureTransport, as CKV_AWS_379 intends) and BucketOwnerEnforced (no ACLs).

Access: linked services on AWS get the bucket through their task role. The connection
contract still carries S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY, so an app written against
Hetzner or R2 runs unchanged: they belong to an IAM user that can touch this bucket only.
(Checkov's CKV_AWS_273 prefers no IAM users; the trade is app portability.)
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from multicloud.components.connection import secret
from multicloud.components.object_store import ObjectStore, ObjectStoreArgs, ObjectStoreOutputs

OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation"]


def bucket_access_policy(bucket_arn: str) -> str:
    """IAM policy: read, write and list one bucket, nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": BUCKET_ACTIONS, "Resource": bucket_arn},
                {"Effect": "Allow", "Action": OBJECT_ACTIONS, "Resource": f"{bucket_arn}/*"},
            ],
        }
    )


def tls_only_statement(bucket_arn: str) -> dict:
    """Deny every request that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def private_bucket(
    parent: pulumi.Resource, name: str, protect: bool, tags: dict[str, str]
) -> dict[str, pulumi.Resource]:
    """A bucket with every public path closed and default encryption (shared with StaticFrontend)."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        force_destroy=False,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                ),
                bucket_key_enabled=True,
            )
        ],
        opts=child,
    )
    return {
        "bucket": bucket,
        "ownership": ownership,
        "public_access": public_access,
        "encryption": encryption,
    }


def build(parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs:
    """Create the bucket, its policies and lifecycle, and a bucket-scoped IAM user."""
    if args.location is None:
        raise ValueError(f"{name}: S3 needs location (the stack's AWS region)")
    resources = private_bucket(parent, name, args.protect, args.labels)
    bucket = resources["bucket"]
    assert isinstance(bucket, aws.s3.Bucket)
    resources["policy"] = _tls_only_policy(parent, name, bucket, resources["public_access"])
    if args.versioning:
        resources["versioning"] = _versioning(parent, name, bucket)
    resources["lifecycle"] = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=_lifecycle_rules(args),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    user, user_policy, key = _bucket_user(parent, name, args, bucket)
    resources |= {"user": user, "user_policy": user_policy, "access_key": key}
    return ObjectStoreOutputs(
        endpoint=pulumi.Output.from_input(f"https://s3.{args.location}.amazonaws.com"),
        region=pulumi.Output.from_input(args.location),
        bucket=bucket.bucket,
        access_key_id=key.id,
        secret_access_key=secret(key.secret),
        resources=resources,
        bucket_arn=bucket.arn,
    )


def _tls_only_policy(
    parent: ObjectStore, name: str, bucket: aws.s3.Bucket, public_access: pulumi.Resource
) -> aws.s3.BucketPolicy:
    return aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [tls_only_statement(arn)]})
        ),
        # A bucket policy is refused while the public-access block is being applied.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )


def _versioning(parent: ObjectStore, name: str, bucket: aws.s3.Bucket) -> aws.s3.BucketVersioning:
    return aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _lifecycle_rules(args: ObjectStoreArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Incomplete uploads are always aborted; expiry and archiving only when configured."""
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-uploads",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7
            ),
        )
    ]
    if args.expire_after_days is not None:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=f"expire-after-{args.expire_after_days}-days",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=args.expire_prefix),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expire_after_days),
            )
        )
    if args.archive_after_days is not None:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=f"archive-after-{args.archive_after_days}-days",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=args.expire_prefix),
                # Glacier Instant Retrieval: archive pricing, but reads still work in milliseconds,
                # so the application needs no restore step.
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=args.archive_after_days, storage_class="GLACIER_IR"
                    )
                ],
            )
        )
    return rules


def _bucket_user(
    parent: ObjectStore, name: str, args: ObjectStoreArgs, bucket: aws.s3.Bucket
) -> tuple[aws.iam.User, aws.iam.UserPolicy, aws.iam.AccessKey]:
    """The IAM user whose access key the connection contract carries, limited to this bucket."""
    child = pulumi.ResourceOptions(parent=parent)
    user = aws.iam.User(f"{name}-user", path="/multicloud/", tags=args.labels, opts=child)
    user_policy = aws.iam.UserPolicy(
        f"{name}-user-policy", user=user.name, policy=bucket.arn.apply(bucket_access_policy), opts=child
    )
    key = aws.iam.AccessKey(
        f"{name}-access-key",
        user=user.name,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["secret"]),
    )
    return user, user_policy, key

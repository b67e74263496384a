"""ObjectStore on Cloudflare R2, with an API token that can touch this bucket only.

R2's S3 credentials are derived from an API token: the access key ID is the token's ID
and the secret access key is the SHA-256 of the token's value
(https://developers.cloudflare.com/r2/api/tokens/).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from multicloud.components.connection import secret
from multicloud.components.object_store import ObjectStore, ObjectStoreArgs, ObjectStoreOutputs

# Cloudflare's permission group "Workers R2 Storage Bucket Item Write" (object read, write,
# list, delete), stable across accounts; read from GET /user/tokens/permission_groups.
R2_BUCKET_ITEM_WRITE = "2efd5506f9c8494dacb1fa10a3e7d5b6"
DAY = 86400  # R2 lifecycle ages are in seconds


def token_policy_resources(account_id: str, bucket_name: str) -> str:
    """The `resources` JSON that scopes a token to one R2 bucket."""
    return json.dumps({f"com.cloudflare.edge.r2.bucket.{account_id}_default_{bucket_name}": "*"})


@dataclass(frozen=True)
class _R2:
    """What every step of the build shares: the component, its name, its inputs, and the
    account and bucket name R2 requires (checked by build)."""

    parent: ObjectStore
    name: str
    args: ObjectStoreArgs
    account_id: str
    bucket_name: str


def build(parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs:
    """Create the bucket, its lifecycle rule and a bucket-scoped token."""
    if args.account_id is None or args.physical_name is None:
        raise ValueError(f"{name}: R2 needs account_id and physical_name")
    r2 = _R2(parent, name, args, args.account_id, args.physical_name)
    bucket = _bucket(r2)
    lifecycle = _lifecycle(r2, bucket)
    if args.versioning:
        raise ValueError(f"{name}: R2 has no object versioning")
    token = _token(r2, bucket)
    secret_access_key = token.value.apply(lambda v: hashlib.sha256(v.encode()).hexdigest())
    return ObjectStoreOutputs(
        endpoint=pulumi.Output.from_input(f"https://{r2.account_id}.r2.cloudflarestorage.com"),
        region=pulumi.Output.from_input("auto"),
        bucket=bucket.name,
        access_key_id=token.id,
        secret_access_key=secret(secret_access_key),
        resources={"bucket": bucket, "lifecycle": lifecycle, "token": token},
    )


def _bucket(r2: _R2) -> cloudflare.R2Bucket:
    protect = r2.args.protect
    return cloudflare.R2Bucket(
        f"{r2.name}-bucket",
        account_id=r2.account_id,
        name=r2.bucket_name,
        location=r2.args.location,
        opts=pulumi.ResourceOptions(parent=r2.parent, protect=protect, retain_on_delete=protect),
    )


def _lifecycle(r2: _R2, bucket: cloudflare.R2Bucket) -> cloudflare.R2BucketLifecycle:
    args = r2.args
    # Setting a lifecycle replaces R2's default rule, so the abort rule is always restated.
    rules = [_abort_rule()]
    if args.expire_after_days is not None:
        rules.append(_expire_rule(args.expire_after_days, args.expire_prefix))
    if args.archive_after_days is not None:
        rules.append(_archive_rule(args.archive_after_days, args.expire_prefix))
    return cloudflare.R2BucketLifecycle(
        f"{r2.name}-lifecycle",
        account_id=r2.account_id,
        bucket_name=bucket.name,
        rules=rules,
        opts=pulumi.ResourceOptions(parent=r2.parent),
    )


def _abort_rule() -> cloudflare.R2BucketLifecycleRuleArgs:
    return cloudflare.R2BucketLifecycleRuleArgs(
        id="abort-incomplete-uploads",
        enabled=True,
        conditions=cloudflare.R2BucketLifecycleRuleConditionsArgs(prefix=""),
        abort_multipart_uploads_transition=cloudflare.R2BucketLifecycleRuleAbortMultipartUploadsTransitionArgs(
            condition=cloudflare.R2BucketLifecycleRuleAbortMultipartUploadsTransitionConditionArgs(
                type="Age", max_age=7 * DAY
            )
        ),
    )


def _expire_rule(days: int, prefix: str) -> cloudflare.R2BucketLifecycleRuleArgs:
    return cloudflare.R2BucketLifecycleRuleArgs(
        id=f"expire-after-{days}-days",
        enabled=True,
        conditions=cloudflare.R2BucketLifecycleRuleConditionsArgs(prefix=prefix),
        delete_objects_transition=cloudflare.R2BucketLifecycleRuleDeleteObjectsTransitionArgs(
            condition=cloudflare.R2BucketLifecycleRuleDeleteObjectsTransitionConditionArgs(
                type="Age", max_age=days * DAY
            )
        ),
    )


def _archive_rule(days: int, prefix: str) -> cloudflare.R2BucketLifecycleRuleArgs:
    return cloudflare.R2BucketLifecycleRuleArgs(
        id=f"infrequent-access-after-{days}-days",
        enabled=True,
        conditions=cloudflare.R2BucketLifecycleRuleConditionsArgs(prefix=prefix),
        storage_class_transitions=[
            cloudflare.R2BucketLifecycleRuleStorageClassTransitionArgs(
                storage_class="InfrequentAccess",
                condition=cloudflare.R2BucketLifecycleRuleStorageClassTransitionConditionArgs(
                    type="Age", max_age=days * DAY
                ),
            )
        ],
    )


def _token(r2: _R2, bucket: cloudflare.R2Bucket) -> cloudflare.ApiToken:
    account_id = r2.account_id
    return cloudflare.ApiToken(
        f"{r2.name}-token",
        name=f"{r2.bucket_name} (r2 object access)",
        policies=[
            cloudflare.ApiTokenPolicyArgs(
                effect="allow",
                permission_groups=[cloudflare.ApiTokenPolicyPermissionGroupArgs(id=R2_BUCKET_ITEM_WRITE)],
                resources=bucket.name.apply(lambda n: token_policy_resources(account_id, n)),
            )
        ],
        opts=pulumi.ResourceOptions(parent=r2.parent, additional_secret_outputs=["value"]),
    )

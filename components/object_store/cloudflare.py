"""ObjectStore on Cloudflare R2, with an API token that can touch this bucket only.

R2's S3 credentials are derived from an API token: the access key ID is the token's ID
and the secret access key is the SHA-256 of the token's value
(https://developers.cloudflare.com/r2/api/tokens/).
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_cloudflare as cloudflare

from components.connection import secret
from components.object_store import ObjectStore, ObjectStoreArgs, ObjectStoreOutputs

# Cloudflare's permission group "Workers R2 Storage Bucket Item Write" (object read, write,
# list, delete), stable across accounts; read from GET /user/tokens/permission_groups.
R2_BUCKET_ITEM_WRITE = "2efd5506f9c8494dacb1fa10a3e7d5b6"
DAY = 86400  # R2 lifecycle ages are in seconds


def token_policy_resources(account_id: str, bucket_name: str) -> str:
    """The `resources` JSON that scopes a token to one R2 bucket."""
    return json.dumps({f"com.cloudflare.edge.r2.bucket.{account_id}_default_{bucket_name}": "*"})


def build(parent: ObjectStore, name: str, args: ObjectStoreArgs) -> ObjectStoreOutputs:
    """Create the bucket, its lifecycle rule and a bucket-scoped token."""
    if args.account_id is None or args.physical_name is None:
        raise ValueError(f"{name}: R2 needs account_id and physical_name")
    account_id, bucket_name = args.account_id, args.physical_name
    bucket = cloudflare.R2Bucket(
        f"{name}-bucket",
        account_id=account_id,
        name=bucket_name,
        location=args.location,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect, retain_on_delete=args.protect),
    )
    resources: dict[str, pulumi.Resource] = {"bucket": bucket}
    # Setting a lifecycle replaces R2's default rule, so the abort rule is always restated.
    rules = [
        cloudflare.R2BucketLifecycleRuleArgs(
            id="abort-incomplete-uploads",
            enabled=True,
            conditions=cloudflare.R2BucketLifecycleRuleConditionsArgs(prefix=""),
            abort_multipart_uploads_transition=cloudflare.R2BucketLifecycleRuleAbortMultipartUploadsTransitionArgs(
                condition=cloudflare.R2BucketLifecycleRuleAbortMultipartUploadsTransitionConditionArgs(
                    type="Age", max_age=7 * DAY
                )
            ),
        )
    ]
    if args.expire_after_days is not None:
        rules.append(
            cloudflare.R2BucketLifecycleRuleArgs(
                id=f"expire-after-{args.expire_after_days}-days",
                enabled=True,
                conditions=cloudflare.R2BucketLifecycleRuleConditionsArgs(prefix=args.expire_prefix),
                delete_objects_transition=cloudflare.R2BucketLifecycleRuleDeleteObjectsTransitionArgs(
                    condition=cloudflare.R2BucketLifecycleRuleDeleteObjectsTransitionConditionArgs(
                        type="Age", max_age=args.expire_after_days * DAY
                    )
                ),
            )
        )
    if args.archive_after_days is not None:
        rules.append(
            cloudflare.R2BucketLifecycleRuleArgs(
                id=f"infrequent-access-after-{args.archive_after_days}-days",
                enabled=True,
                conditions=cloudflare.R2BucketLifecycleRuleConditionsArgs(prefix=args.expire_prefix),
                storage_class_transitions=[
                    cloudflare.R2BucketLifecycleRuleStorageClassTransitionArgs(
                        storage_class="InfrequentAccess",
                        condition=cloudflare.R2BucketLifecycleRuleStorageClassTransitionConditionArgs(
                            type="Age", max_age=args.archive_after_days * DAY
                        ),
                    )
                ],
            )
        )
    resources["lifecycle"] = cloudflare.R2BucketLifecycle(
        f"{name}-lifecycle",
        account_id=account_id,
        bucket_name=bucket.name,
        rules=rules,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if args.versioning:
        raise ValueError(f"{name}: R2 has no object versioning")
    token = cloudflare.ApiToken(
        f"{name}-token",
        name=f"{bucket_name} (r2 object access)",
        policies=[
            cloudflare.ApiTokenPolicyArgs(
                effect="allow",
                permission_groups=[cloudflare.ApiTokenPolicyPermissionGroupArgs(id=R2_BUCKET_ITEM_WRITE)],
                resources=bucket.name.apply(lambda n: token_policy_resources(account_id, n)),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["value"]),
    )
    resources["token"] = token
    secret_access_key = token.value.apply(lambda v: hashlib.sha256(v.encode()).hexdigest())
    return ObjectStoreOutputs(
        endpoint=pulumi.Output.from_input(f"https://{account_id}.r2.cloudflarestorage.com"),
        region=pulumi.Output.from_input("auto"),
        bucket=bucket.name,
        access_key_id=token.id,
        secret_access_key=secret(secret_access_key),
        resources=resources,
    )

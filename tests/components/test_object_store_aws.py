"""ObjectStore on AWS S3: private, encrypted, TLS-only, lifecycle from config, a bucket-scoped user.

Most security settings asserted here by value are also controls of the policy pack
(policies/controls/aws_*.py), each shown to fail on a broken copy of a real plan
(tests/test_aws_security.py); the rest (private subnets, no IAM wildcards …) only here.
"""

from __future__ import annotations

import pytest

from tests.aws_plans import (
    BUCKET,
    POLICY,
    aws_config,
    depends_on,
    document,
    example_config,
    out,
    task_container,
)
from tests.conftest import one
from tests.helpers import child_set

STORE = "multicloud:index:ObjectStore"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
USER = "aws:iam/user:User"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
ABORT = {
    "id": "abort-incomplete-uploads",
    "status": "Enabled",
    "filter": {"prefix": ""},
    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
}


@pytest.fixture(scope="module")
def prod(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


@pytest.fixture(scope="module")
def dev(aws_plan):
    return aws_plan(aws_config("dev"), "dev")


@pytest.fixture(scope="module")
def example(aws_plan):
    return aws_plan(example_config(), "prod")


def test_component_children(prod):
    uploads = one(prod, STORE, "uploads")
    assert child_set(prod, uploads) == {
        (BUCKET, "uploads-bucket"),
        (OWNERSHIP, "uploads-ownership"),
        (PUBLIC_ACCESS, "uploads-public-access"),
        (ENCRYPTION, "uploads-encryption"),
        (POLICY, "uploads-policy"),
        (LIFECYCLE, "uploads-lifecycle"),
        (USER, "uploads-user"),
        (USER_POLICY, "uploads-user-policy"),
        (ACCESS_KEY, "uploads-access-key"),
    }


@pytest.mark.parametrize(("fixture", "kept"), [("prod", True), ("dev", False)])
def test_bucket_is_never_force_destroyed_and_kept_in_prod(request, fixture, kept):
    bucket = one(request.getfixturevalue(fixture), BUCKET, "uploads-bucket")
    assert bucket.inputs["forceDestroy"] is False
    assert (bucket.protect, bucket.retain_on_delete) == (kept, kept)
    assert bucket.delete_before_replace is False


def test_every_public_path_is_closed(prod):
    bucket = one(prod, BUCKET, "uploads-bucket")
    assert one(prod, PUBLIC_ACCESS, "uploads-public-access").inputs == {
        "bucket": bucket.id,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert one(prod, OWNERSHIP, "uploads-ownership").inputs == {
        "bucket": bucket.id,
        "rule": {"objectOwnership": "BucketOwnerEnforced"},
    }


def test_default_encryption_is_sse_s3(prod):
    assert one(prod, ENCRYPTION, "uploads-encryption").inputs == {
        "bucket": one(prod, BUCKET, "uploads-bucket").id,
        "rules": [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}
        ],
    }


def test_policy_denies_every_request_without_tls(prod):
    bucket = one(prod, BUCKET, "uploads-bucket")
    arn = out(prod, bucket, "arn")
    policy = one(prod, POLICY, "uploads-policy")
    assert policy.inputs["bucket"] == bucket.id
    assert document(policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    # Applied after the public-access block, which refuses policies while it is changing.
    assert (PUBLIC_ACCESS, "uploads-public-access") in depends_on(prod, policy)


def test_plain_offline_plan_knows_the_bucket_policy(run_plan):
    result = run_plan(aws_config("prod"), stack="prod")
    assert one(result, POLICY, "uploads-policy").inputs["policy"] != "[unknown]"


@pytest.mark.parametrize(
    ("config", "bucket", "versioned"),
    [(aws_config, "uploads", False), (example_config, "uploads", True), (example_config, "artifacts", False)],
    ids=["default", "flag-on", "flag-absent"],
)
def test_versioning_only_by_flag(aws_plan, config, bucket, versioned):
    result = aws_plan(config(), "prod")
    found = [r for r in result.registrations if r.type == VERSIONING and r.name == f"{bucket}-versioning"]
    if versioned:
        assert [r.inputs for r in found] == [
            {
                "bucket": one(result, BUCKET, f"{bucket}-bucket").id,
                "versioningConfiguration": {"status": "Enabled"},
            }
        ]
    else:
        assert found == []


def test_lifecycle_aborts_uploads_and_expires_after_the_configured_days(prod):
    lifecycle = one(prod, LIFECYCLE, "uploads-lifecycle")
    assert lifecycle.inputs["bucket"] == one(prod, BUCKET, "uploads-bucket").id
    assert lifecycle.inputs["rules"] == [
        ABORT,
        {
            "id": "expire-after-90-days",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": 90},
        },
    ]


def test_lifecycle_archives_to_glacier_instant_retrieval(example):
    assert one(example, LIFECYCLE, "artifacts-lifecycle").inputs["rules"] == [
        ABORT,
        {
            "id": "archive-after-30-days",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "transitions": [{"days": 30, "storageClass": "GLACIER_IR"}],
        },
    ]


def test_lifecycle_prefix_and_both_rules(aws_plan):
    config = aws_config("prod")
    config["services"]["uploads"]["lifecycle"] = {
        "expire_after_days": 30,
        "archive_after_days": 7,
        "prefix": "tmp/",
    }
    rules = one(aws_plan(config, "prod"), LIFECYCLE, "uploads-lifecycle").inputs["rules"]
    assert rules == [
        ABORT,
        {
            "id": "expire-after-30-days",
            "status": "Enabled",
            "filter": {"prefix": "tmp/"},
            "expiration": {"days": 30},
        },
        {
            "id": "archive-after-7-days",
            "status": "Enabled",
            "filter": {"prefix": "tmp/"},
            "transitions": [{"days": 7, "storageClass": "GLACIER_IR"}],
        },
    ]


def test_without_lifecycle_only_the_abort_rule(aws_plan):
    config = aws_config("prod")
    del config["services"]["uploads"]["lifecycle"]
    assert one(aws_plan(config, "prod"), LIFECYCLE, "uploads-lifecycle").inputs["rules"] == [ABORT]


def test_user_policy_names_only_this_bucket(example):
    uploads = out(example, one(example, BUCKET, "uploads-bucket"), "arn")
    policy = one(example, USER_POLICY, "uploads-user-policy")
    assert policy.inputs["user"] == out(example, one(example, USER, "uploads-user"), "name")
    assert document(policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": uploads},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": f"{uploads}/*",
            },
        ],
    }
    others = [
        out(example, b, "arn")
        for b in example.registrations
        if b.type == BUCKET and b.name != "uploads-bucket"
    ]
    assert len(others) == 2 and not any(arn in policy.inputs["policy"] for arn in others)
    assert one(example, USER, "uploads-user").inputs["path"] == "/multicloud/"


def test_linked_service_gets_the_contract_variables(prod):
    definition = task_container(prod, "api")
    env = {e["name"]: e["value"] for e in definition["environment"]}
    assert env["S3_ENDPOINT"] == "https://s3.us-east-1.amazonaws.com"
    assert env["S3_REGION"] == "us-east-1"
    assert env["S3_BUCKET"] == out(prod, one(prod, BUCKET, "uploads-bucket"), "bucket")
    secrets = {s["name"] for s in definition["secrets"]}
    assert {"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"} <= secrets
    key = one(prod, ACCESS_KEY, "uploads-access-key")
    assert key.inputs == {"user": out(prod, one(prod, USER, "uploads-user"), "name")}
    assert one(prod, "aws:ssm/parameter:Parameter", "api-s3-access-key-id").raw_inputs["value"] == key.id
    secret = out(prod, key, "secret")
    assert secret in prod.secret_values
    assert one(prod, "aws:ssm/parameter:Parameter", "api-s3-secret-access-key").raw_inputs["value"] == secret


def test_region_follows_the_stack(aws_plan):
    config = aws_config("prod")
    config["aws"]["region"] = "eu-west-1"
    env = {e["name"]: e["value"] for e in task_container(aws_plan(config, "prod"), "api")["environment"]}
    assert (env["S3_ENDPOINT"], env["S3_REGION"]) == ("https://s3.eu-west-1.amazonaws.com", "eu-west-1")

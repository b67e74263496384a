"""ObjectStore on Cloudflare R2: bucket, lifecycle, and a token that reaches this bucket only."""

from __future__ import annotations

import hashlib
import json

import pytest

from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import ACCOUNT, base_config, one
from tests.helpers import child_set, env_of

BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"
TOKEN = "cloudflare:index/apiToken:ApiToken"
R2_BUCKET_ITEM_WRITE = "2efd5506f9c8494dacb1fa10a3e7d5b6"


def bucket_config(environment: str = "prod", **uploads: object) -> dict:
    config = base_config(environment)
    config["services"]["uploads"].update(uploads)
    return config


def test_component_owns_bucket_lifecycle_and_token(run_plan):
    result = run_plan(base_config(), stack="prod")
    store = one(result, "multicloud:index:ObjectStore", "uploads")
    assert child_set(result, store) == {
        (BUCKET, "uploads-bucket"),
        (LIFECYCLE, "uploads-lifecycle"),
        (TOKEN, "uploads-token"),
    }


def test_without_expiry_only_the_abort_rule_remains(run_plan):
    # A lifecycle configuration replaces R2's default abort-multipart rule, so it is always restated.
    config = base_config()
    del config["services"]["uploads"]["lifecycle"]
    result = run_plan(config, stack="prod")
    store = one(result, "multicloud:index:ObjectStore", "uploads")
    assert child_set(result, store) == {
        (BUCKET, "uploads-bucket"),
        (TOKEN, "uploads-token"),
        (LIFECYCLE, "uploads-lifecycle"),
    }
    (rule,) = one(result, LIFECYCLE).inputs["rules"]
    assert rule["id"] == "abort-incomplete-uploads"
    assert rule["abortMultipartUploadsTransition"]["condition"] == {"type": "Age", "maxAge": 7 * 86400}


def test_archive_moves_objects_to_infrequent_access(run_plan):
    result = run_plan(bucket_config(lifecycle={"archive_after_days": 30}), stack="prod")
    rules = {r["id"]: r for r in one(result, LIFECYCLE).inputs["rules"]}
    (transition,) = rules["infrequent-access-after-30-days"]["storageClassTransitions"]
    assert transition == {
        "storageClass": "InfrequentAccess",
        "condition": {"type": "Age", "maxAge": 30 * 86400},
    }


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_bucket_name_is_project_stack_service(run_plan, stack):
    bucket = one(run_plan(base_config(), stack=stack), BUCKET)
    assert bucket.inputs["name"] == f"multicloud-{stack}-uploads"
    assert bucket.inputs["accountId"] == ACCOUNT


def test_location_hint_is_passed_only_when_given(run_plan):
    assert "location" not in one(run_plan(base_config()), BUCKET).inputs
    assert one(run_plan(bucket_config(location="weur")), BUCKET).inputs["location"] == "weur"


@pytest.mark.parametrize("days", [1, 90, 365])
def test_lifecycle_deletes_objects_after_the_given_days(run_plan, days):
    result = run_plan(bucket_config(lifecycle={"expire_after_days": days, "prefix": "tmp/"}), stack="prod")
    lifecycle = one(result, LIFECYCLE)
    assert lifecycle.inputs["bucketName"] == "multicloud-prod-uploads"
    assert lifecycle.inputs["accountId"] == ACCOUNT
    abort, rule = lifecycle.inputs["rules"]
    assert abort["id"] == "abort-incomplete-uploads"
    assert rule["enabled"] is True
    assert rule["conditions"] == {"prefix": "tmp/"}
    assert rule["deleteObjectsTransition"]["condition"] == {"type": "Age", "maxAge": days * 86400}


def test_token_is_scoped_to_this_bucket_with_object_write_only(run_plan):
    token = one(run_plan(base_config(), stack="prod"), TOKEN)
    (policy,) = token.inputs["policies"]
    assert policy["effect"] == "allow"
    assert policy["permissionGroups"] == [{"id": R2_BUCKET_ITEM_WRITE}]
    assert json.loads(policy["resources"]) == {
        f"com.cloudflare.edge.r2.bucket.{ACCOUNT}_default_multicloud-prod-uploads": "*"
    }


def test_token_scope_follows_the_bucket_name(run_plan):
    # Counterpart: the scope is derived from the bucket, not a constant.
    token = one(run_plan(base_config(), stack="staging"), TOKEN)
    (resource,) = json.loads(token.inputs["policies"][0]["resources"])
    assert resource.endswith("_default_multicloud-staging-uploads")


@pytest.mark.parametrize(("environment", "kept"), [("prod", True), ("dev", False), ("staging", False)])
def test_bucket_is_protected_and_retained_in_prod_only(run_plan, environment, kept):
    result = run_plan(base_config(environment))
    bucket = one(result, BUCKET)
    assert (bucket.protect, bucket.retain_on_delete) == (kept, kept)
    # The lifecycle rule and the token can be replaced freely.
    assert not one(result, LIFECYCLE).protect and not one(result, TOKEN).protect


def test_linked_service_gets_r2_endpoint_and_token_derived_credentials(run_plan):
    result = run_plan(base_config(), stack="prod")
    env = env_of(result, "main", "api")
    assert env["S3_ENDPOINT"] == f"https://{ACCOUNT}.r2.cloudflarestorage.com"
    assert env["S3_REGION"] == "auto"
    assert env["S3_BUCKET"] == "multicloud-prod-uploads"
    # R2's secret access key is the SHA-256 of a secret the run made up (the token value).
    hashes_of_secrets = {hashlib.sha256(s.encode()).hexdigest() for s in result.secret_values}
    assert env["S3_SECRET_ACCESS_KEY"] in hashes_of_secrets


def test_versioning_on_r2_is_refused_before_anything_runs():
    config = bucket_config(versioning=True)
    with pytest.raises(ConfigError) as err:
        parse(RawConfig(config | {"ssh_private_key": "x"}, frozenset({"ssh_private_key"})))
    assert err.value.problems == [
        ("services.uploads.versioning", "R2 has no object versioning; remove it or use target hetzner")
    ]

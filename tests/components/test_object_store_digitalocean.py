"""ObjectStore on DigitalOcean Spaces: a private bucket with lifecycle rules and a random
suffix, and a Spaces key that can use only that bucket."""

from __future__ import annotations

import json

import pytest

from tests.aws_plans import RecordedPlan, broken, out, set_input
from tests.conftest import of_type, one
from tests.do_plans import RANDOM_STRING, SPACES, SPACES_KEY, do_config, service
from tests.helpers import child_set, env_of, release_command

STORE = "multicloud:index:ObjectStore"
ABORT_RULE = {"enabled": True, "abortIncompleteMultipartUploadDays": 7}


@pytest.fixture(scope="module")
def prod(aws_plan) -> RecordedPlan:
    return aws_plan(do_config("prod"), "prod")


def bucket_name(result: RecordedPlan) -> str:
    return one(result, SPACES, "uploads-bucket").inputs["name"]


def scoped_to_its_bucket(result: RecordedPlan) -> bool:
    """The key grants read-write on exactly its own bucket and nothing else."""
    return one(result, SPACES_KEY, "uploads-key").inputs["grants"] == [
        {"bucket": bucket_name(result), "permission": "readwrite"}
    ]


def test_component_children(prod):
    assert child_set(prod, one(prod, STORE, "uploads")) == {
        (SPACES, "uploads-bucket"),
        (SPACES_KEY, "uploads-key"),
        (RANDOM_STRING, "uploads-suffix"),
    }
    assert len(of_type(prod, SPACES)) == 1 and len(of_type(prod, SPACES_KEY)) == 1


def test_bucket_inputs(prod):
    suffix = out(prod, one(prod, RANDOM_STRING, "uploads-suffix"), "result")
    assert one(prod, SPACES, "uploads-bucket").inputs == {
        "name": f"multicloud-prod-uploads-{suffix}",
        "region": "fra1",
        "acl": "private",
        "forceDestroy": False,
        "lifecycleRules": [ABORT_RULE, {"enabled": True, "expiration": {"days": 90}}],
    }


def test_suffix_is_six_lowercase_alphanumerics_made_once(prod):
    suffix = one(prod, RANDOM_STRING, "uploads-suffix")
    assert suffix.inputs == {"length": 6, "special": False, "upper": False}
    assert len(out(prod, suffix, "result")) == 6
    assert prod.property_dependencies[one(prod, SPACES).urn]["name"] == [suffix.urn]


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False), ("staging", False)])
def test_bucket_is_protected_and_retained_in_prod_only(aws_plan, environment, protected):
    result = aws_plan(do_config(environment), environment)
    bucket = one(result, SPACES)
    assert (bucket.protect, bucket.retain_on_delete) == (protected, protected)
    # Never force-destroyed, in any environment: deleting the bucket never deletes objects.
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["acl"] == "private"
    assert one(result, SPACES_KEY).protect is False


@pytest.mark.parametrize(("versioning", "expected"), [(True, {"enabled": True}), (False, None)])
def test_versioning_follows_the_flag(aws_plan, versioning, expected):
    bucket = one(aws_plan(service(do_config(), "uploads", versioning=versioning), "prod"), SPACES)
    assert bucket.inputs.get("versioning") == expected


def test_expiry_with_a_prefix(aws_plan):
    config = service(do_config(), "uploads", lifecycle={"expire_after_days": 30, "prefix": "tmp/"})
    rules = one(aws_plan(config, "prod"), SPACES).inputs["lifecycleRules"]
    assert rules == [ABORT_RULE, {"enabled": True, "prefix": "tmp/", "expiration": {"days": 30}}]


def test_without_lifecycle_only_incomplete_uploads_are_aborted(aws_plan):
    config = do_config()
    del config["services"]["uploads"]["lifecycle"]
    assert one(aws_plan(config, "prod"), SPACES).inputs["lifecycleRules"] == [ABORT_RULE]


@pytest.mark.parametrize(("location", "region"), [("ams3", "ams3"), (None, "fra1")])
def test_region_and_endpoint(aws_plan, location, region):
    config = do_config()
    if location is None:
        del config["services"]["uploads"]["location"]
    else:
        config["services"]["uploads"]["location"] = location
    result = aws_plan(config, "prod")
    assert one(result, SPACES).inputs["region"] == region
    env = env_of(result, "edge", "api")
    assert (env["S3_ENDPOINT"], env["S3_REGION"]) == (f"https://{region}.digitaloceanspaces.com", region)


@pytest.mark.parametrize(("droplets", "region"), [("ams3", "ams3"), ("nyc1", "fra1"), ("lon1", "lon1")])
def test_without_a_location_spaces_follow_the_droplets(aws_plan, droplets, region):
    """Spaces in the droplets' region when Spaces is offered there (nyc1 has none: the default)."""
    config = do_config()
    del config["services"]["uploads"]["location"]
    config["hosts"]["edge"]["location"] = droplets
    assert one(aws_plan(config, "prod"), SPACES).inputs["region"] == region


# --- the key --------------------------------------------------------------------------------


def test_key_grants_readwrite_on_exactly_its_bucket(prod):
    key, bucket = one(prod, SPACES_KEY), one(prod, SPACES)
    assert key.inputs == {
        "name": f"{bucket_name(prod)}-app",
        "grants": [{"bucket": bucket_name(prod), "permission": "readwrite"}],
    }
    # The grant takes the bucket's name from the bucket: the key is made after it.
    assert prod.property_dependencies[key.urn]["grants"] == [bucket.urn]
    assert scoped_to_its_bucket(prod)


@pytest.mark.parametrize(
    "grants",
    [
        [{"bucket": "", "permission": "fullaccess"}],
        [{"bucket": "multicloud-prod-other", "permission": "readwrite"}],
        [{"bucket": "[bucket]", "permission": "readwrite"}, {"bucket": "other", "permission": "read"}],
    ],
    ids=["full-access-to-every-bucket", "other-bucket", "extra-grant"],
)
def test_scope_detector_fires_on_broken_copies(prod, grants):
    grants = [{**g, "bucket": bucket_name(prod)} if g["bucket"] == "[bucket]" else g for g in grants]
    assert not scoped_to_its_bucket(broken(prod, SPACES_KEY, "uploads-key", set_input("grants", grants)))


def test_linked_service_gets_the_bucket_and_the_keys_credentials(prod):
    env = env_of(prod, "edge", "api")
    key = one(prod, SPACES_KEY)
    assert env["S3_ENDPOINT"] == "https://fra1.digitaloceanspaces.com"
    assert env["S3_REGION"] == "fra1"
    assert env["S3_BUCKET"] == bucket_name(prod)
    assert env["S3_ACCESS_KEY_ID"] == out(prod, key, "accessKey")
    assert env["S3_SECRET_ACCESS_KEY"] == out(prod, key, "secretKey")


def test_keys_are_secret_and_redacted_everywhere(prod):
    key = one(prod, SPACES_KEY)
    access, secret = out(prod, key, "accessKey"), out(prod, key, "secretKey")
    assert {access, secret} <= prod.secret_values
    # They travel only inside the release bundle, which is redacted as a whole.
    command = release_command(prod, "edge")
    assert command.inputs["stdin"] == "[secret]"
    assert command.raw_inputs["stdin"] != "[secret]"
    redacted = json.dumps([r.inputs for r in prod.registrations])
    assert access not in redacted and secret not in redacted

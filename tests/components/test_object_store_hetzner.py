"""ObjectStore on Hetzner Object Storage: a dynamic resource that speaks S3 to Hetzner.

The provider's S3 calls themselves are exercised against a real S3-compatible server in
tests/integration/test_hetzner_bucket.py; here: what the program registers.
"""

from __future__ import annotations

import pytest

from multicloud.components.object_store.hetzner_s3 import lifecycle_rules
from multicloud.infra.offline import PLACEHOLDER
from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import base_config, of_type, one
from tests.helpers import child_set, env_of

BUCKET = "pulumi-python:dynamic:Resource"
SUFFIX = "random:index/randomString:RandomString"


def hetzner_bucket(environment: str = "prod", **uploads: object) -> dict:
    config = base_config(environment)
    config["services"]["uploads"] = {
        "kind": "bucket",
        "target": "hetzner",
        "lifecycle": {"expire_after_days": 90},
        **uploads,
    }
    return config


def raw(
    config: dict, secrets: dict[str, str] | None = None, plain: dict[str, str] | None = None
) -> RawConfig:
    secrets = {"ssh_private_key": "x"} | (secrets or {})
    return RawConfig(config | secrets | (plain or {}), frozenset(secrets))


def test_component_owns_the_bucket_and_its_name_suffix(run_plan):
    result = run_plan(hetzner_bucket(), stack="prod")
    store = one(result, "multicloud:index:ObjectStore", "uploads")
    assert child_set(result, store) == {(BUCKET, "uploads-bucket"), (SUFFIX, "uploads-suffix")}


@pytest.mark.parametrize("location", ["fsn1", "nbg1", "hel1"])
def test_bucket_talks_to_the_location_endpoint(run_plan, location):
    bucket = one(run_plan(hetzner_bucket(location=location), stack="prod"), BUCKET)
    assert bucket.inputs["endpoint"] == f"https://{location}.your-objectstorage.com"
    assert bucket.inputs["region"] == location


def test_bucket_name_is_stack_scoped_with_a_random_suffix(run_plan):
    result = run_plan(hetzner_bucket(), stack="prod")
    suffix = one(result, SUFFIX)
    assert (
        suffix.inputs["length"] == 6 and suffix.inputs["upper"] is False and suffix.inputs["special"] is False
    )
    name = one(result, BUCKET).inputs["bucket"]
    assert name.startswith("multicloud-prod-uploads-") and len(name) == len("multicloud-prod-uploads-") + 6


def test_credentials_are_secret_inputs(run_plan):
    bucket = one(run_plan(hetzner_bucket(), stack="prod"), BUCKET)
    assert bucket.inputs["access_key_id"] == "[secret]"
    assert bucket.inputs["secret_access_key"] == "[secret]"
    assert bucket.raw_inputs["secret_access_key"] == PLACEHOLDER


@pytest.mark.parametrize(("environment", "kept"), [("prod", True), ("dev", False)])
def test_bucket_is_protected_and_retained_in_prod_only(run_plan, environment, kept):
    bucket = one(run_plan(hetzner_bucket(environment), stack=environment), BUCKET)
    assert bucket.protect is kept
    assert bucket.retain_on_delete is kept


def test_versioning_and_expiry_reach_the_provider(run_plan):
    bucket = one(
        run_plan(hetzner_bucket(versioning=True, lifecycle={"expire_after_days": 7, "prefix": "tmp/"})),
        BUCKET,
    )
    assert bucket.inputs["versioning"] is True
    assert bucket.inputs["expire_after_days"] == 7
    assert bucket.inputs["expire_prefix"] == "tmp/"


def test_lifecycle_rules_always_abort_stale_uploads_and_expire_when_asked():
    assert [r["ID"] for r in lifecycle_rules({})] == ["abort-incomplete-uploads"]
    rules = lifecycle_rules({"expire_after_days": 90, "expire_prefix": "tmp/"})
    assert rules[1] == {
        "ID": "expire-after-90-days",
        "Status": "Enabled",
        "Filter": {"Prefix": "tmp/"},
        "Expiration": {"Days": 90},
    }


def test_no_aws_provider_is_needed(run_plan):
    assert of_type(run_plan(hetzner_bucket()), "pulumi:providers:aws") == []


def test_archive_is_a_config_error_on_hetzner():
    config = hetzner_bucket(lifecycle={"archive_after_days": 30})
    keys = {"hetzner_s3_access_key": "a", "hetzner_s3_secret_key": "b"}
    with pytest.raises(ConfigError) as err:
        parse(raw(config, keys))
    assert [p for p, _ in err.value.problems] == ["services.uploads.lifecycle.archive_after_days"]


def test_linked_service_gets_hetzner_endpoint_and_project_keys(run_plan):
    result = run_plan(hetzner_bucket(location="nbg1"))
    env = env_of(result, "main", "api")
    assert env["S3_ENDPOINT"] == "https://nbg1.your-objectstorage.com"
    assert env["S3_REGION"] == "nbg1"
    assert env["S3_BUCKET"].startswith("multicloud-test-uploads-")
    assert (env["S3_ACCESS_KEY_ID"], env["S3_SECRET_ACCESS_KEY"]) == (PLACEHOLDER, PLACEHOLDER)


# --- credentials ----------------------------------------------------------------------


def test_credentials_are_required_for_a_hetzner_bucket():
    with pytest.raises(ConfigError) as err:
        parse(raw(hetzner_bucket()))
    assert [path for path, _ in err.value.problems] == ["hetzner_s3_access_key", "hetzner_s3_secret_key"]
    assert all("pulumi config set --secret multicloud:" in message for _, message in err.value.problems)


def test_credentials_given_as_secrets_are_accepted():
    keys = {"hetzner_s3_access_key": "AKIAEXAMPLE", "hetzner_s3_secret_key": "very-secret-value"}
    spec = parse(raw(hetzner_bucket(), secrets=keys))
    assert spec.services["uploads"].target == "hetzner"


def test_credentials_in_plain_text_are_refused_without_echoing_them():
    keys = {"hetzner_s3_access_key": "AKIAEXAMPLE", "hetzner_s3_secret_key": "very-secret-value"}
    with pytest.raises(ConfigError) as err:
        parse(raw(hetzner_bucket(), plain=keys))
    assert [path for path, _ in err.value.problems] == ["hetzner_s3_access_key", "hetzner_s3_secret_key"]
    text = "\n".join(err.value.lines())
    assert "must be a secret" in text
    assert "AKIAEXAMPLE" not in text and "very-secret-value" not in text

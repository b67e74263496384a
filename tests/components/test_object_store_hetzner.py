"""ObjectStore on Hetzner Object Storage: an S3 bucket through an AWS provider aimed at Hetzner."""

from __future__ import annotations

import json

import pytest

import infra.offline
from infra.mocks import RecordingMonitor
from infra.offline import PLACEHOLDER
from stacks.loader import ConfigError, RawConfig, parse
from tests.conftest import base_config, of_type, one
from tests.helpers import child_set, env_of

BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PROVIDER = "pulumi:providers:aws"


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


def test_component_owns_bucket_and_lifecycle(run_plan):
    result = run_plan(hetzner_bucket())
    store = one(result, "multicloud:index:ObjectStore", "uploads")
    assert child_set(result, store) == {(BUCKET, "uploads-bucket"), (LIFECYCLE, "uploads-lifecycle")}


def test_versioning_adds_the_versioning_resource_only_when_asked(run_plan):
    result = run_plan(hetzner_bucket(versioning=True))
    store = one(result, "multicloud:index:ObjectStore", "uploads")
    assert child_set(result, store) == {
        (BUCKET, "uploads-bucket"),
        (LIFECYCLE, "uploads-lifecycle"),
        (VERSIONING, "uploads-versioning"),
    }
    versioning = one(result, VERSIONING)
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert of_type(run_plan(hetzner_bucket(versioning=False)), VERSIONING) == []


def test_bucket_is_never_force_destroyed_and_gets_a_unique_name(run_plan):
    bucket = one(run_plan(hetzner_bucket()), BUCKET)
    assert bucket.inputs["forceDestroy"] is False
    # No fixed name: Hetzner bucket names are global, so Pulumi adds a random suffix.
    assert "bucket" not in bucket.inputs


@pytest.mark.parametrize(("environment", "kept"), [("prod", True), ("dev", False)])
def test_bucket_is_protected_and_retained_in_prod_only(run_plan, environment, kept):
    result = run_plan(hetzner_bucket(environment, versioning=True))
    bucket = one(result, BUCKET)
    assert (bucket.protect, bucket.retain_on_delete) == (kept, kept)
    assert not one(result, LIFECYCLE).protect and not one(result, VERSIONING).protect


@pytest.mark.parametrize(("days", "prefix"), [(90, ""), (7, "tmp/")])
def test_lifecycle_expires_objects_after_the_given_days(run_plan, days, prefix):
    config = hetzner_bucket(lifecycle={"expire_after_days": days, "prefix": prefix})
    (rule,) = one(run_plan(config), LIFECYCLE).inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"] == {"days": days}
    assert rule["filter"] == {"prefix": prefix}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_no_lifecycle_without_expiry(run_plan):
    config = hetzner_bucket()
    del config["services"]["uploads"]["lifecycle"]
    assert of_type(run_plan(config), LIFECYCLE) == []


@pytest.mark.parametrize("location", ["fsn1", "nbg1"])
def test_aws_provider_points_at_hetzner_object_storage(run_plan, location):
    result = run_plan(hetzner_bucket(location=location))
    provider = one(result, PROVIDER, f"hetzner-s3-{location}")
    inputs = provider.inputs
    assert json.loads(inputs["endpoints"]) == [{"s3": f"https://{location}.your-objectstorage.com"}]
    assert inputs["region"] == location
    # Not AWS: no STS, metadata API, region list or account ID to look up.
    for flag in (
        "skipCredentialsValidation",
        "skipMetadataApiCheck",
        "skipRegionValidation",
        "skipRequestingAccountId",
    ):
        assert inputs[flag] == "true", flag
    assert inputs["s3UsePathStyle"] == "true"
    assert (inputs["accessKey"], inputs["secretKey"]) == ("[secret]", "[secret]")
    assert (provider.raw_inputs["accessKey"], provider.raw_inputs["secretKey"]) == (PLACEHOLDER, PLACEHOLDER)


def test_bucket_is_created_through_the_hetzner_provider(run_plan, monkeypatch):
    # Registration does not keep the provider reference, so record it here.
    providers: dict[str, str] = {}

    class Monitor(RecordingMonitor):
        def RegisterResource(self, request):
            providers[request.name] = request.provider
            return super().RegisterResource(request)

    monkeypatch.setattr(infra.offline, "RecordingMonitor", Monitor)
    run_plan(hetzner_bucket(versioning=True))
    for name in ("uploads-bucket", "uploads-lifecycle", "uploads-versioning"):
        assert "pulumi:providers:aws::hetzner-s3-fsn1::" in providers[name], name


def test_stack_without_hetzner_bucket_has_no_aws_provider(run_plan):
    assert of_type(run_plan(base_config()), PROVIDER) == []


def test_linked_service_gets_hetzner_endpoint_and_project_keys(run_plan):
    result = run_plan(hetzner_bucket(location="nbg1"))
    env = env_of(result, "main", "api")
    assert env["S3_ENDPOINT"] == "https://nbg1.your-objectstorage.com"
    assert env["S3_REGION"] == "nbg1"
    assert env["S3_BUCKET"].startswith("uploads-bucket-")
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

"""The Hetzner bucket provider's S3 calls, run for real against an S3-compatible server (moto).

The dynamic provider in components/object_store/hetzner_s3.py is what `pulumi up` executes
for a `target: hetzner` bucket; here the same create/diff/update/delete run against moto
on 127.0.0.1 and the bucket's real state is read back with boto3.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from multicloud.components.object_store.hetzner_s3 import HetznerBucketProvider

pytestmark = pytest.mark.integration


def props(endpoint: str, **extra: object) -> dict:
    return {
        "bucket": "multicloud-test-uploads-a1b2c3",
        "endpoint": endpoint,
        "region": "fsn1",
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "versioning": False,
        "expire_after_days": None,
        "expire_prefix": "",
    } | extra


def s3(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_create_makes_a_private_bucket_with_its_lifecycle(s3_server):
    provider = HetznerBucketProvider()
    created = provider.create(props(s3_server, expire_after_days=90, expire_prefix="tmp/"))
    assert created.id == "multicloud-test-uploads-a1b2c3"
    client = s3(s3_server)
    assert client.head_bucket(Bucket=created.id)["ResponseMetadata"]["HTTPStatusCode"] == 200
    rules = {r["ID"]: r for r in client.get_bucket_lifecycle_configuration(Bucket=created.id)["Rules"]}
    assert rules["expire-after-90-days"]["Expiration"]["Days"] == 90
    assert rules["expire-after-90-days"]["Filter"]["Prefix"] == "tmp/"
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    assert "Status" not in client.get_bucket_versioning(Bucket=created.id)
    grants = client.get_bucket_acl(Bucket=created.id)["Grants"]
    assert all("AllUsers" not in str(g.get("Grantee")) for g in grants), grants


def test_update_turns_versioning_on_and_off_and_changes_expiry(s3_server):
    provider = HetznerBucketProvider()
    old = props(s3_server)
    provider.create(old)
    new = props(s3_server, versioning=True, expire_after_days=7)
    diff = provider.diff(old["bucket"], old, new)
    assert diff.changes and not diff.replaces
    provider.update(old["bucket"], old, new)
    client = s3(s3_server)
    assert client.get_bucket_versioning(Bucket=old["bucket"])["Status"] == "Enabled"
    rules = {r["ID"] for r in client.get_bucket_lifecycle_configuration(Bucket=old["bucket"])["Rules"]}
    assert "expire-after-7-days" in rules
    provider.update(old["bucket"], new, props(s3_server))
    assert client.get_bucket_versioning(Bucket=old["bucket"])["Status"] == "Suspended"


def test_renaming_or_moving_the_bucket_is_a_replacement(s3_server):
    provider = HetznerBucketProvider()
    old = props(s3_server)
    assert provider.diff("b", old, props(s3_server, bucket="other")).replaces == ["bucket"]
    assert provider.diff("b", old, props(s3_server, region="nbg1")).replaces == ["region"]
    assert not provider.diff("b", old, dict(old)).changes


def test_delete_refuses_a_bucket_that_still_holds_objects(s3_server):
    provider = HetznerBucketProvider()
    p = props(s3_server)
    provider.create(p)
    client = s3(s3_server)
    client.put_object(Bucket=p["bucket"], Key="keep.txt", Body=b"data")
    with pytest.raises(ClientError, match="BucketNotEmpty"):
        provider.delete(p["bucket"], p)
    assert client.get_object(Bucket=p["bucket"], Key="keep.txt")["Body"].read() == b"data"
    client.delete_object(Bucket=p["bucket"], Key="keep.txt")
    provider.delete(p["bucket"], p)
    with pytest.raises(ClientError):
        client.head_bucket(Bucket=p["bucket"])


def test_create_without_location_constraint_first(monkeypatch):
    # Ceph-style stores (Hetzner) accept a bare CreateBucket; no constraint is sent then.
    from botocore.stub import Stubber

    from multicloud.components.object_store.hetzner_s3 import create_bucket

    client = boto3.client(
        "s3",
        endpoint_url="https://fsn1.your-objectstorage.com",
        region_name="fsn1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )
    with Stubber(client) as stub:
        stub.add_response("create_bucket", {}, {"Bucket": "b"})
        create_bucket(client, "b", "fsn1")
        stub.assert_no_pending_responses()

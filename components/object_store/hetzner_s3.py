"""A Pulumi dynamic provider for Hetzner Object Storage buckets, speaking plain S3 with boto3.

Why not the AWS provider pointed at Hetzner's endpoint? With a non-AWS region such as
`fsn1`, pulumi-aws 7 substitutes `us-east-1` and then sends an empty
`CreateBucketConfiguration`, which Ceph-based stores reject with 400 InvalidArgument
(hashicorp/terraform-provider-aws#46517, fix pending in #49890). Hetzner has no bucket API
of its own, so the bucket, its versioning and its lifecycle rule are managed here with the
four S3 calls they need, and tested against a real S3-compatible server (moto) in CI.

The engine runs this code during `pulumi up`; credentials arrive as secret inputs.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

# Inputs whose change needs a new bucket (a bucket cannot be renamed or moved).
REPLACE_ON = ("bucket", "endpoint", "region")


def _client(props: dict[str, Any]) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=props["endpoint"],
        region_name=props["region"],
        aws_access_key_id=props["access_key_id"],
        aws_secret_access_key=props["secret_access_key"],
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 5, "mode": "standard"},
            # botocore >= 1.36 adds CRC32 checksums (aws-chunked uploads) wherever an operation
            # allows them; Hetzner's Ceph answers uploads with XAmzContentSHA256Mismatch
            # (home-assistant/core#144015, hetznercloud/terraform-provider-hcloud#1114).
            # Only where an operation requires one, like every other S3-compatible client.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def lifecycle_rules(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The bucket's lifecycle rules, in S3's API shape."""
    rules: list[dict[str, Any]] = [
        {
            "ID": "abort-incomplete-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
    if props.get("expire_after_days"):
        rules.append(
            {
                "ID": f"expire-after-{props['expire_after_days']}-days",
                "Status": "Enabled",
                "Filter": {"Prefix": props.get("expire_prefix", "")},
                "Expiration": {"Days": int(props["expire_after_days"])},
            }
        )
    return rules


def create_bucket(client: Any, bucket: str, region: str) -> None:
    """Create a bucket the way the store wants it.

    Hetzner (Ceph RGW) places a bucket by its endpoint and takes a request without any
    CreateBucketConfiguration, like its console and rclone do. Stores that follow AWS
    strictly insist on a LocationConstraint for a non-us-east-1 region instead, so that is
    the fallback when the first form is refused for that reason.
    """
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code not in ("IllegalLocationConstraintException", "InvalidLocationConstraint"):
            raise
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


def _apply_settings(client: Any, props: dict[str, Any]) -> None:
    bucket = props["bucket"]
    if props.get("versioning"):
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    else:
        # A bucket that was never versioned reports no status; suspend only if it was.
        status = client.get_bucket_versioning(Bucket=bucket).get("Status")
        if status == "Enabled":
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle_rules(props)}
    )


class HetznerBucketProvider(ResourceProvider):
    """Create, update and delete one bucket."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = _client(props)
        create_bucket(client, props["bucket"], props["region"])
        _apply_settings(client, props)
        return CreateResult(id_=props["bucket"], outs=dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = sorted(set(olds) | set(news))
        changed = [k for k in keys if not k.startswith("__") and olds.get(k) != news.get(k)]
        replaces = [k for k in changed if k in REPLACE_ON]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _apply_settings(_client(news), news)
        return UpdateResult(outs=dict(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Never empties a bucket: S3 refuses to delete one with objects (BucketNotEmpty),
        # which is the safe outcome. Prod buckets are also `protect`ed.
        client = _client(props)
        try:
            client.delete_bucket(Bucket=props["bucket"])
        except client.exceptions.NoSuchBucket:
            pass


class HetznerBucket:
    """Factory kept out of module import time: `pulumi.dynamic` pulls in dill and grpc."""

    @staticmethod
    def create(name: str, props: dict[str, Any], opts: Any) -> Any:
        """Register the dynamic resource `name` with `props`."""
        import pulumi.dynamic

        class _Bucket(pulumi.dynamic.Resource):
            bucket: Any

            def __init__(self) -> None:
                super().__init__(HetznerBucketProvider(), name, {"bucket": None, **props}, opts)

        return _Bucket()

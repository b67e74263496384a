"""StaticFrontend on AWS: private S3 bucket + CloudFront with origin access control.

Mirrors CKV_AWS_34 (viewer redirect to HTTPS), CKV_AWS_174 (TLSv1.2_2021 minimum, which
needs a custom certificate: ACM in us-east-1), CKV2_AWS_46 (origin access control, the bucket
stays private) and the S3 controls of the ObjectStore backend. AWS does not build from git,
so the site's CI uploads the build (`deploy_hint` has the two commands).
"""

from __future__ import annotations

import json
import shlex

import pulumi
import pulumi_aws as aws

from multicloud.components._lib.certificates import validated_certificate
from multicloud.components.dns import Record, create_record
from multicloud.components.object_store.aws import private_bucket, tls_only_statement
from multicloud.components.static_frontend import StaticFrontend, StaticFrontendArgs, StaticFrontendOutputs

# AWS managed cache policy "Managed-CachingOptimized".
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# Route 53 alias target zone of every CloudFront distribution.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def bucket_policy(bucket_arn: str, distribution_arn: str) -> str:
    """Only this distribution may read objects; nothing without TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudFrontReadsThroughOAC",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                },
                tls_only_statement(bucket_arn),
            ],
        }
    )


def deploy_hint(output_dir: str, bucket: str, distribution_id: str) -> str:
    """The two commands that upload a build and refresh the CDN, every word `shlex.quote`d:
    a directory such as `out/ s3://x --acl public-read; curl … | sh` stays one argument."""
    if any("\0" in word for word in (output_dir, bucket, distribution_id)):
        raise ValueError("output_dir, bucket and distribution id cannot contain NUL in a shell command")
    source = f"{output_dir}/" if output_dir else "./"  # empty: the repository's root
    if source.startswith("-"):
        source = f"./{source}"  # an argument, never an option of `aws s3 sync`
    return (
        f"aws s3 sync {shlex.quote(source)} {shlex.quote(f's3://{bucket}')} --delete && "
        f"aws cloudfront create-invalidation --distribution-id {shlex.quote(distribution_id)} --paths '/*'"
    )


def build(parent: StaticFrontend, name: str, args: StaticFrontendArgs) -> StaticFrontendOutputs:
    """Create the bucket, OAC, certificate, distribution, bucket policy and DNS record."""
    resources = private_bucket(parent, name, args.protect, args.tags)
    bucket = resources["bucket"]
    assert isinstance(bucket, aws.s3.Bucket)
    oac = _origin_access_control(parent, name)
    certificate_arn = validated_certificate(
        parent, name, args.fqdn, args.dns, provider=args.certificate_provider
    )
    distribution = _distribution(parent, name, args, _origin(bucket, oac), certificate_arn)
    resources |= {"oac": oac, "distribution": distribution}
    resources["policy"] = _bucket_policy(parent, name, bucket, distribution, resources["public_access"])
    resources["dns"] = _dns_record(parent, name, args, distribution)
    hint = pulumi.Output.all(bucket.bucket, distribution.id).apply(
        lambda a: deploy_hint(args.output_dir, a[0], a[1])
    )
    return StaticFrontendOutputs(
        url=pulumi.Output.from_input(f"https://{args.fqdn}"),
        default_url=distribution.domain_name.apply(lambda d: f"https://{d}"),
        resources=resources,
        deploy_hint=hint,
    )


def _origin_access_control(parent: StaticFrontend, name: str) -> aws.cloudfront.OriginAccessControl:
    return aws.cloudfront.OriginAccessControl(
        f"{name}-oac",
        description=f"{name}: CloudFront reads the private bucket",
        origin_access_control_origin_type="s3",
        signing_behavior="always",
        signing_protocol="sigv4",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _origin(
    bucket: aws.s3.Bucket, oac: aws.cloudfront.OriginAccessControl
) -> aws.cloudfront.DistributionOriginArgs:
    return aws.cloudfront.DistributionOriginArgs(
        origin_id="site",
        domain_name=bucket.bucket_regional_domain_name,
        origin_access_control_id=oac.id,
    )


def _distribution(
    parent: StaticFrontend,
    name: str,
    args: StaticFrontendArgs,
    origin: aws.cloudfront.DistributionOriginArgs,
    certificate_arn: pulumi.Output[str],
) -> aws.cloudfront.Distribution:
    return aws.cloudfront.Distribution(
        f"{name}-cdn",
        enabled=True,
        comment=f"{name} ({args.fqdn})",
        aliases=[args.fqdn],
        default_root_object="index.html",
        is_ipv6_enabled=True,
        http_version="http2and3",
        price_class="PriceClass_100",
        origins=[origin],
        default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
            target_origin_id="site",
            viewer_protocol_policy="redirect-to-https",
            allowed_methods=["GET", "HEAD", "OPTIONS"],
            cached_methods=["GET", "HEAD"],
            compress=True,
            cache_policy_id=CACHING_OPTIMIZED,
        ),
        custom_error_responses=_spa_error_responses() if args.spa else None,
        restrictions=aws.cloudfront.DistributionRestrictionsArgs(
            geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
        ),
        viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=certificate_arn,
            ssl_support_method="sni-only",
            minimum_protocol_version="TLSv1.2_2021",
        ),
        tags=args.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _spa_error_responses() -> list[aws.cloudfront.DistributionCustomErrorResponseArgs]:
    return [
        aws.cloudfront.DistributionCustomErrorResponseArgs(
            error_code=code, response_code=200, response_page_path="/index.html", error_caching_min_ttl=10
        )
        for code in (403, 404)
    ]


def _bucket_policy(
    parent: StaticFrontend,
    name: str,
    bucket: aws.s3.Bucket,
    distribution: aws.cloudfront.Distribution,
    public_access: pulumi.Resource,
) -> aws.s3.BucketPolicy:
    return aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, distribution.arn).apply(lambda a: bucket_policy(a[0], a[1])),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )


def _dns_record(
    parent: StaticFrontend, name: str, args: StaticFrontendArgs, distribution: aws.cloudfront.Distribution
) -> pulumi.Resource:
    return create_record(
        parent,
        f"{name}-dns",
        args.dns,
        # Route 53 refuses EvaluateTargetHealth on a CloudFront alias.
        Record(
            fqdn=args.fqdn,
            type="CNAME",
            content=distribution.domain_name,
            alias_zone_id=CLOUDFRONT_ZONE_ID,
            evaluate_target_health=False,
        ),
    )

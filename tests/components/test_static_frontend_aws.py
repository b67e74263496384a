"""StaticFrontend on AWS: private S3 bucket behind CloudFront (OAC), ACM certificate in us-east-1.

Most security settings asserted here by value are also controls of the policy pack
(policies/controls/aws_*.py), each shown to fail on a broken copy of a real plan
(tests/test_aws_security.py); the rest (private subnets, no IAM wildcards …) only here.
"""

from __future__ import annotations

import pytest

from tests.aws_plans import (
    AWS_PROVIDER,
    BUCKET,
    CERTIFICATE,
    CLOUDFRONT_ZONE_ID,
    POLICY,
    ROUTE53_ZONE,
    VALIDATION,
    aws_config,
    depends_on,
    document,
    example_config,
    out,
    provider_of,
)
from tests.conftest import one
from tests.helpers import child_set

SITE = "multicloud:index:StaticFrontend"
CDN = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
RECORD = "aws:route53/record:Record"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


@pytest.fixture(scope="module")
def prod(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


@pytest.fixture(scope="module")
def example(aws_plan):
    return aws_plan(example_config(), "prod")


@pytest.fixture(scope="module")
def ireland(aws_plan):
    config = aws_config("prod")
    config["aws"]["region"] = "eu-west-1"
    return aws_plan(config, "prod")


def test_component_children(prod):
    web = one(prod, SITE, "web")
    assert child_set(prod, web) == {
        (BUCKET, "web-bucket"),
        ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "web-ownership"),
        (PUBLIC_ACCESS, "web-public-access"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "web-encryption",
        ),
        (OAC, "web-oac"),
        (CERTIFICATE, "web-certificate"),
        (RECORD, "web-certificate-record"),
        (VALIDATION, "web-certificate-validation"),
        (CDN, "web-cdn"),
        (POLICY, "web-policy"),
        (RECORD, "web-dns"),
    }


def test_site_bucket_is_private_and_kept_in_prod(prod):
    bucket = one(prod, BUCKET, "web-bucket")
    assert bucket.inputs["forceDestroy"] is False
    assert (bucket.protect, bucket.retain_on_delete) == (True, True)
    assert one(prod, PUBLIC_ACCESS, "web-public-access").inputs == {
        "bucket": bucket.id,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }


def test_distribution_serves_the_name_over_modern_tls_only(prod):
    cdn = one(prod, CDN, "web-cdn").inputs
    validation = one(prod, VALIDATION, "web-certificate-validation")
    assert cdn["aliases"] == ["www.example.com"]
    assert cdn["enabled"] is True
    assert cdn["defaultRootObject"] == "index.html"
    assert cdn["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert cdn["defaultCacheBehavior"]["targetOriginId"] == "site"
    assert cdn["viewerCertificate"] == {
        "acmCertificateArn": out(prod, validation, "certificateArn"),
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    assert depends_on(prod, one(prod, CDN), "viewerCertificate") == {
        (VALIDATION, "web-certificate-validation")
    }
    assert one(prod, CERTIFICATE, "web-certificate").inputs == {
        "domainName": "www.example.com",
        "validationMethod": "DNS",
    }


def test_origin_is_the_private_bucket_through_origin_access_control(prod):
    bucket, oac = one(prod, BUCKET, "web-bucket"), one(prod, OAC, "web-oac")
    assert one(prod, CDN).inputs["origins"] == [
        {
            "originId": "site",
            "domainName": out(prod, bucket, "bucketRegionalDomainName"),
            "originAccessControlId": oac.id,
        }
    ]
    assert oac.inputs == {
        "description": "web: CloudFront reads the private bucket",
        "originAccessControlOriginType": "s3",
        "signingBehavior": "always",
        "signingProtocol": "sigv4",
    }


def test_bucket_policy_lets_only_this_distribution_read(prod):
    bucket = one(prod, BUCKET, "web-bucket")
    arn, distribution = out(prod, bucket, "arn"), out(prod, one(prod, CDN), "arn")
    policy = one(prod, POLICY, "web-policy")
    assert policy.inputs["bucket"] == bucket.id
    assert document(policy)["Statement"] == [
        {
            "Sid": "CloudFrontReadsThroughOAC",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{arn}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution}},
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    assert (PUBLIC_ACCESS, "web-public-access") in depends_on(prod, policy)


def test_spa_serves_index_html_for_unknown_paths(example):
    assert one(example, CDN).inputs["customErrorResponses"] == [
        {"errorCode": code, "responseCode": 200, "responsePagePath": "/index.html", "errorCachingMinTtl": 10}
        for code in (403, 404)
    ]


def test_without_spa_errors_are_passed_through(prod):
    assert "customErrorResponses" not in one(prod, CDN).inputs


def test_in_us_east_1_the_stack_provider_issues_the_certificate(prod):
    assert [p.name for p in prod.registrations if p.type == AWS_PROVIDER] == ["aws"]
    for reg in (
        one(prod, CERTIFICATE, "web-certificate"),
        one(prod, VALIDATION, "web-certificate-validation"),
    ):
        assert provider_of(prod, reg).name == "aws"


def test_elsewhere_a_us_east_1_provider_issues_the_cloudfront_certificate(ireland):
    providers = {p.name: p for p in ireland.registrations if p.type == AWS_PROVIDER}
    assert set(providers) == {"aws", "aws-us-east-1"}
    assert providers["aws"].inputs["region"] == "eu-west-1"
    assert providers["aws-us-east-1"].inputs["region"] == "us-east-1"
    for reg in (
        one(ireland, CERTIFICATE, "web-certificate"),
        one(ireland, VALIDATION, "web-certificate-validation"),
    ):
        assert provider_of(ireland, reg).name == "aws-us-east-1"
    # Everything else stays in the stack's region: the API's certificate must sit beside its ALB.
    assert provider_of(ireland, one(ireland, CERTIFICATE, "api-certificate")).name == "aws"
    assert provider_of(ireland, one(ireland, CDN)).name == "aws"
    assert provider_of(ireland, one(ireland, BUCKET, "web-bucket")).name == "aws"


def test_dns_aliases_the_name_to_the_distribution(prod):
    record = one(prod, RECORD, "web-dns")
    assert record.inputs["zoneId"] == ROUTE53_ZONE
    assert (record.inputs["name"], record.inputs["type"]) == ("www.example.com", "A")
    (alias,) = record.inputs["aliases"]
    assert alias["name"] == out(prod, one(prod, CDN), "domainName")
    assert alias["zoneId"] == CLOUDFRONT_ZONE_ID


def test_cloudfront_alias_does_not_evaluate_target_health(prod):
    (alias,) = one(prod, RECORD, "web-dns").inputs["aliases"]
    assert alias["evaluateTargetHealth"] is False


def test_dev_site_bucket_is_disposable(aws_plan):
    bucket = one(aws_plan(aws_config("dev"), "dev"), BUCKET, "web-bucket")
    assert (bucket.protect, bucket.retain_on_delete, bucket.inputs["forceDestroy"]) == (False, False, False)

"""AWS CloudFront distributions: viewers on HTTPS with TLS 1.2 or newer, S3 origins read
through origin access control."""

from __future__ import annotations

import re

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from multicloud.components._lib import types
from multicloud.policies.controls._checks import MANDATORY, describe, props_of
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, show

DISTRIBUTION = types.AWS_CLOUDFRONT_DISTRIBUTION

_HTTPS_VIEWER = ("redirect-to-https", "https-only")
_MODERN_VIEWER_TLS = re.compile(r"TLSv1\.2_(20(2[1-9]|[3-9]\d))|TLSv1\.3_\d{4}")
_S3_REST_ORIGIN = re.compile(r"\.s3(\.[a-z0-9-]+)?\.amazonaws\.com$")


def validate_cloudfront_https(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, DISTRIBUTION)
    if props is None:
        return
    behaviors = [("defaultCacheBehavior", get(props, "defaultCacheBehavior"))] + [
        (f"orderedCacheBehaviors[{i}]", b) for i, b in enumerate(items(get(props, "orderedCacheBehaviors")))
    ]
    for where, behavior in behaviors:
        if behavior is MISSING:
            continue
        policy = get(behavior, "viewerProtocolPolicy")
        if policy is not UNKNOWN and policy not in _HTTPS_VIEWER:
            report_violation(
                f"{where}.viewerProtocolPolicy is {show(policy)}; use redirect-to-https or https-only", None
            )


HTTPS = ResourceValidationPolicy(
    name="ckv-aws-34-cloudfront-https",
    description=describe(
        "Every CloudFront cache behavior uses viewerProtocolPolicy redirect-to-https or https-only."
    ),
    validate=validate_cloudfront_https,
    enforcement_level=MANDATORY,
)


def validate_cloudfront_tls12(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, DISTRIBUTION)
    if props is None:
        return
    certificate = get(props, "viewerCertificate")
    if certificate is UNKNOWN:
        return
    default = get(certificate, "cloudfrontDefaultCertificate")
    if default is UNKNOWN:
        return
    if default is True or certificate is MISSING:
        report_violation(
            "the default CloudFront certificate accepts TLS 1.0; use an ACM certificate "
            "with minimumProtocolVersion TLSv1.2_2021",
            None,
        )
        return
    version = get(certificate, "minimumProtocolVersion")
    if version is not UNKNOWN and not _MODERN_VIEWER_TLS.fullmatch(str(version)):
        report_violation(
            f"viewerCertificate.minimumProtocolVersion is {show(version)}; use TLSv1.2_2021 or newer", None
        )


TLS12 = ResourceValidationPolicy(
    name="ckv-aws-174-cloudfront-tls12",
    description=describe(
        "CloudFront distributions use a custom certificate with minimumProtocolVersion TLSv1.2_2021 "
        "or newer (the default certificate accepts TLS 1.0).",
        "TLSv1",
    ),
    validate=validate_cloudfront_tls12,
    enforcement_level=MANDATORY,
)


def validate_cloudfront_s3_origin_access(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = props_of(args, DISTRIBUTION)
    if props is None:
        return
    for index, origin in enumerate(items(get(props, "origins"))):
        domain = get(origin, "domainName")
        if not isinstance(domain, str) or not _S3_REST_ORIGIN.search(domain):
            continue
        control = get(origin, "originAccessControlId")
        identity = get(origin, "s3OriginConfig", "originAccessIdentity")
        if UNKNOWN in (control, identity) or control not in (MISSING, "") or identity not in (MISSING, ""):
            continue
        report_violation(
            f"origins[{index}] ({show(get(origin, 'originId'))}) reads an S3 bucket without origin access "
            "control; set originAccessControlId and keep the bucket private",
            None,
        )


S3_ORIGIN_ACCESS = ResourceValidationPolicy(
    name="ckv2-aws-46-cloudfront-s3-origin-access",
    description=describe(
        "CloudFront origins that are S3 buckets use origin access control (or a legacy origin access "
        "identity), so the bucket stays private."
    ),
    validate=validate_cloudfront_s3_origin_access,
    enforcement_level=MANDATORY,
)

POLICIES = [HTTPS, TLS12, S3_ORIGIN_ACCESS]

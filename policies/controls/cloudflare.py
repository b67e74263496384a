"""Cloudflare R2: buckets stay private unless listed as public on purpose (policy config
`public_buckets`); a listed bucket's custom domain requires TLS 1.2 or newer."""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from multicloud.components._lib import types
from multicloud.policies.controls._checks import MANDATORY, config_names, describe, names_property, props_of
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, show

R2_CUSTOM_DOMAIN = types.CLOUDFLARE_R2_CUSTOM_DOMAIN
R2_MANAGED_DOMAIN = types.CLOUDFLARE_R2_MANAGED_DOMAIN

PUBLIC_BUCKETS_PROPERTY = names_property("R2 bucket names that are public on purpose (opt-in)")


def validate_r2_private(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, (R2_MANAGED_DOMAIN, R2_CUSTOM_DOMAIN))
    if props is None:
        return
    enabled, bucket = get(props, "enabled"), get(props, "bucketName")
    if UNKNOWN in (enabled, bucket):
        return
    public = enabled is True or (args.resource_type == R2_CUSTOM_DOMAIN and enabled is MISSING)
    if not public:
        return
    opted_in = bucket in config_names(args, "public_buckets")
    if args.resource_type == R2_MANAGED_DOMAIN:
        if not opted_in:
            report_violation(
                f"the r2.dev domain makes bucket {show(bucket)} public; "
                "disable it or list the bucket in public_buckets",
                None,
            )
        return
    domain = show(get(props, "domain"))
    if not opted_in:
        report_violation(
            f"custom domain {domain} makes bucket {show(bucket)} public; "
            "disable it or list the bucket in public_buckets",
            None,
        )
        return
    min_tls = get(props, "minTls")
    if min_tls is not UNKNOWN and min_tls not in ("1.2", "1.3"):
        report_violation(
            f"custom domain {domain}: minTls is {show(min_tls)} (default 1.0); use 1.2 or 1.3", None
        )


R2_PRIVATE = ResourceValidationPolicy(
    name="r2-bucket-private",
    description=describe(
        "R2 buckets stay private: no enabled r2.dev managed domain or custom domain unless the bucket "
        "is listed in public_buckets; a listed bucket's custom domain sets minTls 1.2 or 1.3. "
        "A custom domain's unset enabled means enabled."
    ),
    validate=validate_r2_private,
    enforcement_level=MANDATORY,
    config_schema=PolicyConfigSchema(properties={"public_buckets": PUBLIC_BUCKETS_PROPERTY}),
)

POLICIES = [R2_PRIVATE]

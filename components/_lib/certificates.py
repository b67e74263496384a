"""ACM certificates validated through the stack's DNS provider (Route 53 or Cloudflare)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from multicloud.components.dns import DnsArgs, Record, create_record


def validated_certificate(
    parent: pulumi.Resource,
    name: str,
    fqdn: str,
    dns: DnsArgs,
    provider: pulumi.ProviderResource | None = None,
) -> pulumi.Output[str]:
    """Request a certificate for `fqdn`, publish its DNS validation record, and return the
    ARN once ACM has issued it (listeners and distributions must not use it before).

    `provider` pins the region: CloudFront only accepts certificates from us-east-1.
    """
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    certificate = aws.acm.Certificate(
        f"{name}-certificate", domain_name=fqdn, validation_method="DNS", opts=opts
    )
    option = certificate.domain_validation_options[0]
    validation_record = create_record(
        parent,
        f"{name}-certificate-record",
        dns,
        Record(
            fqdn=option.resource_record_name.apply(lambda n: (n or "").rstrip(".")),
            type=option.resource_record_type.apply(lambda t: t or "CNAME"),
            content=option.resource_record_value.apply(lambda v: (v or "").rstrip(".")),
            comment="ACM certificate validation, managed by multicloud",
        ),
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[option.resource_record_name.apply(lambda n: (n or "").rstrip("."))],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[validation_record]),
    )
    return validation.certificate_arn

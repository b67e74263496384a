"""DNS for AWS components: Route 53 alias and validation records, or the same records on Cloudflare."""

from __future__ import annotations

import pytest

from tests.aws_plans import CERTIFICATE, LB_ZONE_ID, ROUTE53_ZONE, VALIDATION, aws_config, out, provider_of
from tests.conftest import ZONE, one

RECORD = "aws:route53/record:Record"
CF_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
LB = "aws:lb/loadBalancer:LoadBalancer"
CDN = "aws:cloudfront/distribution:Distribution"


@pytest.fixture(scope="module")
def route53(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


@pytest.fixture(scope="module")
def cloudflare(aws_plan):
    config = aws_config("prod")
    config["dns"] = {"provider": "cloudflare", "zone_id": ZONE}
    return aws_plan(config, "prod")


def validation_option(result, name: str) -> dict:
    (option,) = out(result, one(result, CERTIFICATE, f"{name}-certificate"), "domainValidationOptions")
    return option


def test_route53_records_are_exactly_two_per_public_name(route53):
    assert sorted(r.name for r in route53.registrations if r.type == RECORD) == [
        "api-certificate-record",
        "api-dns",
        "web-certificate-record",
        "web-dns",
    ]
    assert not any(r.type.startswith("cloudflare:") for r in route53.registrations)
    assert all(provider_of(route53, r).name == "aws" for r in route53.registrations if r.type == RECORD)


def test_api_name_is_an_alias_a_record_to_the_load_balancer(route53):
    lb = one(route53, LB, "api-lb")
    record = one(route53, RECORD, "api-dns")
    assert record.inputs == {
        "zoneId": ROUTE53_ZONE,
        "name": "api.example.com",
        "type": "A",
        "aliases": [
            {
                "name": out(route53, lb, "dnsName"),
                "zoneId": out(route53, lb, "zoneId"),
                "evaluateTargetHealth": True,
            }
        ],
    }
    assert record.inputs["aliases"][0]["zoneId"] == LB_ZONE_ID
    # An alias has no TTL and no values of its own.
    assert "ttl" not in record.inputs and "records" not in record.inputs


@pytest.mark.parametrize("name", ["api", "web"])
def test_validation_record_is_a_cname_without_trailing_dots(route53, name):
    option = validation_option(route53, name)
    assert option["resourceRecordName"].endswith(".")  # what ACM returns…
    record = one(route53, RECORD, f"{name}-certificate-record")
    assert record.inputs == {
        "zoneId": ROUTE53_ZONE,
        "name": option["resourceRecordName"].rstrip("."),
        "type": "CNAME",
        "ttl": 300,
        "records": [option["resourceRecordValue"].rstrip(".")],
        "allowOverwrite": True,
    }
    assert not record.inputs["name"].endswith(".") and not record.inputs["records"][0].endswith(".")


@pytest.mark.parametrize("name", ["api", "web"])
def test_validation_waits_for_that_record(route53, name):
    validation = one(route53, VALIDATION, f"{name}-certificate-validation")
    certificate = one(route53, CERTIFICATE, f"{name}-certificate")
    assert validation.inputs == {
        "certificateArn": out(route53, certificate, "arn"),
        "validationRecordFqdns": [validation_option(route53, name)["resourceRecordName"].rstrip(".")],
    }


def test_cloudflare_dns_gets_the_same_records_as_unproxied_cnames(cloudflare):
    assert not any(r.type == RECORD for r in cloudflare.registrations)
    records = {r.name: r for r in cloudflare.registrations if r.type == CF_RECORD}
    assert sorted(records) == ["api-certificate-record", "api-dns", "web-certificate-record", "web-dns"]
    for record in records.values():
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["proxied"] is False
        assert record.inputs["zoneId"] == ZONE
        assert record.inputs["ttl"] == 1
        assert provider_of(cloudflare, record).name == "cloudflare"
    assert (records["api-dns"].inputs["name"], records["api-dns"].inputs["content"]) == (
        "api.example.com",
        out(cloudflare, one(cloudflare, LB, "api-lb"), "dnsName"),
    )
    assert (records["web-dns"].inputs["name"], records["web-dns"].inputs["content"]) == (
        "www.example.com",
        out(cloudflare, one(cloudflare, CDN), "domainName"),
    )
    for name in ("api", "web"):
        option = validation_option(cloudflare, name)
        record = records[f"{name}-certificate-record"]
        assert record.inputs["name"] == option["resourceRecordName"].rstrip(".")
        assert record.inputs["content"] == option["resourceRecordValue"].rstrip(".")


def test_cloudflare_dns_still_issues_and_validates_certificates_on_aws(cloudflare):
    https = one(cloudflare, "aws:lb/listener:Listener", "api-https")
    validation = one(cloudflare, VALIDATION, "api-certificate-validation")
    assert https.inputs["certificateArn"] == out(cloudflare, validation, "certificateArn")
    assert provider_of(cloudflare, validation).name == "aws"

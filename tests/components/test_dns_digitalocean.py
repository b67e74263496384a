"""DNS records in DigitalOcean DNS: the zone is the stack's domain, record names are relative to
it (`@` for the apex), and the targets of CNAMEs are absolute (a trailing dot).

The name arithmetic is pure and tested as such; the plans then show every record of a stack
lands in the stack's domain with a relative name, whichever component wrote it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from multicloud.components.dns.digitalocean import absolute, relative_name
from tests.aws_plans import RecordedPlan, aws_config, out
from tests.conftest import base_config, one
from tests.do_plans import (
    APP,
    CF_RECORD,
    DNS_RECORD,
    DROPLET,
    LOAD_BALANCER,
    app_platform_config,
    balanced_config,
    do_config,
    do_dns,
    service,
)

DOMAIN = "example.com"


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fqdn", "name"),
    [
        ("example.com", "@"),
        ("example.com.", "@"),
        ("api.example.com", "api"),
        ("api.example.com.", "api"),
        ("API.Example.COM", "api"),
        ("a.b.example.com", "a.b"),
        ("_d0c43d388506.api.example.com.", "_d0c43d388506.api"),
    ],
)
def test_relative_name(fqdn, name):
    assert relative_name(fqdn, DOMAIN) == name


@pytest.mark.parametrize("fqdn", ["example.org", "api.example.org", "notexample.com", "com"])
def test_a_name_outside_the_zone_is_refused(fqdn):
    with pytest.raises(ValueError, match=f"not in the DigitalOcean zone {DOMAIN}"):
        relative_name(fqdn, DOMAIN)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("app-x1.ondigitalocean.app", "app-x1.ondigitalocean.app."),
        ("_v.acm-validations.aws.", "_v.acm-validations.aws."),
    ],
)
def test_absolute_adds_exactly_one_trailing_dot(target, expected):
    assert absolute(target) == expected
    assert absolute(absolute(target)) == expected


# --- plans ----------------------------------------------------------------------------------


def records(result: RecordedPlan) -> dict[str, tuple[str, str, str, str]]:
    """(domain, name, type, value) of every DigitalOcean DNS record, by resource name."""
    return {
        r.name: (r.inputs["domain"], r.inputs["name"], r.inputs["type"], r.inputs["value"])
        for r in result.registrations
        if r.type == DNS_RECORD
    }


def assert_in_the_zone(result: RecordedPlan) -> None:
    """Every record in the stack's domain, relative, TTL 300; none at Cloudflare."""
    regs = [r for r in result.registrations if r.type == DNS_RECORD]
    assert regs
    for reg in regs:
        assert reg.inputs["domain"] == DOMAIN
        assert reg.inputs["name"] == "@" or not reg.inputs["name"].endswith(DOMAIN)
        assert reg.inputs["ttl"] == 300
        if reg.inputs["type"] == "CNAME":
            assert reg.inputs["value"].endswith(".") and not reg.inputs["value"].endswith("..")
    assert not [r for r in result.registrations if r.type == CF_RECORD]


def test_load_balanced_stack_records(aws_plan):
    result = aws_plan(balanced_config(), "prod")
    assert_in_the_zone(result)
    lb_ip = out(result, one(result, LOAD_BALANCER, "api-lb"), "ip")
    web = urlsplit(out(result, one(result, APP, "web-app"), "defaultIngress")).hostname
    assert records(result) == {
        "api-dns-a": (DOMAIN, "api", "A", lb_ip),
        "web-cname": (DOMAIN, "www", "CNAME", f"{web}."),
    }


def test_single_droplet_at_the_apex_gets_at_records(aws_plan):
    result = aws_plan(service(do_dns(do_config()), "api", subdomain="@"), "prod")
    assert_in_the_zone(result)
    droplet = one(result, DROPLET, "edge-droplet")
    found = {k: v for k, v in records(result).items() if k.startswith("api-")}
    assert found == {
        "api-dns-a": (DOMAIN, "@", "A", out(result, droplet, "ipv4Address")),
        "api-dns-aaaa": (DOMAIN, "@", "AAAA", out(result, droplet, "ipv6Address")),
    }


def test_app_platform_api_cname(aws_plan):
    result = aws_plan(do_dns(app_platform_config()), "prod")
    assert_in_the_zone(result)
    ingress = urlsplit(out(result, one(result, APP, "api-app"), "defaultIngress")).hostname
    assert records(result)["api-dns-cname"] == (DOMAIN, "api", "CNAME", f"{ingress}.")


def aws_with_do_dns() -> dict:
    """Every service on AWS, the zone in DigitalOcean DNS."""
    config = aws_config()
    config["dns"] = {"provider": "digitalocean"}
    return config


def hetzner_with_do_dns() -> dict:
    """base_config() (the api on a Hetzner host), the zone in DigitalOcean DNS; no static site
    (Cloudflare Pages needs the zone on Cloudflare)."""
    config = base_config()
    config["dns"] = {"provider": "digitalocean"}
    del config["services"]["web"]
    return config


def test_aws_targets_get_cnames_and_relative_validation_records(aws_plan):
    result = aws_plan(aws_with_do_dns(), "prod")
    assert_in_the_zone(result)
    found = records(result)
    assert set(found) == {"api-dns", "web-dns", "api-certificate-record", "web-certificate-record"}
    # An alias elsewhere is a CNAME here, to the load balancer's and the distribution's names.
    lb = one(result, "aws:lb/loadBalancer:LoadBalancer", "api-lb")
    assert found["api-dns"] == (DOMAIN, "api", "CNAME", f"{out(result, lb, 'dnsName')}.")
    cdn = one(result, "aws:cloudfront/distribution:Distribution")
    assert found["web-dns"] == (DOMAIN, "www", "CNAME", f"{out(result, cdn, 'domainName')}.")
    # ACM gives absolute names: stored relative, the value keeps its one trailing dot.
    certificate = one(result, "aws:acm/certificate:Certificate", "api-certificate")
    (option,) = out(result, certificate, "domainValidationOptions")
    assert found["api-certificate-record"] == (
        DOMAIN,
        option["resourceRecordName"].removesuffix(f".{DOMAIN}."),
        "CNAME",
        option["resourceRecordValue"],
    )


def test_hetzner_host_records(aws_plan):
    result = aws_plan(hetzner_with_do_dns(), "prod")
    assert_in_the_zone(result)
    assert {k: v[:3] for k, v in records(result).items()} == {
        "api-dns-a": (DOMAIN, "api", "A"),
        "api-dns-aaaa": (DOMAIN, "api", "AAAA"),
    }


def provider_name(result: RecordedPlan, reg) -> str:
    """The name of the named provider that creates `reg`, or "(default)"."""
    ref = result.providers[reg.urn]
    names = [
        p.name
        for p in result.registrations
        if p.type.startswith("pulumi:providers:") and ref == f"{p.urn}::{p.id}"
    ]
    return names[0] if names else "(default)"


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(balanced_config, id="digitalocean-targets"),
        pytest.param(aws_with_do_dns, id="aws-targets"),
        pytest.param(hetzner_with_do_dns, id="hetzner-targets"),
    ],
)
def test_records_are_written_by_the_named_digitalocean_provider(aws_plan, config):
    # As Route 53 records by the named `aws` provider and Cloudflare records by `cloudflare`
    # (test_dns_route53.py): a resource moved from the default provider to a named one later
    # is replaced.
    result = aws_plan(config(), "prod")
    regs = [r for r in result.registrations if r.type == DNS_RECORD]
    assert regs
    assert {provider_name(result, r) for r in regs} == {"digitalocean"}

"""DNS records in a DigitalOcean DNS zone (a domain added to the DigitalOcean account).

DigitalOcean names a zone by its domain, so `DnsArgs.zone_id` is the stack's domain here.
Keeping the zone on DigitalOcean is what lets DigitalOcean issue (and renew) the Let's
Encrypt certificate of a load balancer. DigitalOcean DNS is free.
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do

from multicloud.components.dns import DnsArgs, Record

TTL = 300
# DigitalOcean wants the target of these record types as an absolute name, ending in a dot.
ABSOLUTE_TARGETS = {"CNAME", "MX", "NS", "SRV"}


def relative_name(fqdn: str, domain: str) -> str:
    """The record name inside the zone: `@` for the apex, else the labels before the domain."""
    fqdn = fqdn.rstrip(".").lower()
    if fqdn == domain:
        return "@"
    if not fqdn.endswith(f".{domain}"):
        raise ValueError(f"{fqdn} is not in the DigitalOcean zone {domain}")
    return fqdn[: -len(domain) - 1]


def absolute(target: str) -> str:
    return target if target.endswith(".") else f"{target}."


def record(parent: pulumi.Resource, name: str, dns: DnsArgs, rec: Record) -> pulumi.Resource:
    """One digitalocean.DnsRecord. An alias (an AWS load balancer or CloudFront name) becomes
    a CNAME; the config check keeps those off the apex, where DNS allows no CNAME."""
    rtype = "CNAME" if rec.alias_zone_id is not None else rec.type
    value = pulumi.Output.from_input(rec.content)
    return do.DnsRecord(
        name,
        domain=dns.zone_id,
        name=pulumi.Output.from_input(rec.fqdn).apply(lambda fqdn: relative_name(fqdn, dns.zone_id)),
        type=rtype,
        value=pulumi.Output.all(rtype, value).apply(
            lambda tv: absolute(tv[1]) if tv[0] in ABSOLUTE_TARGETS else tv[1]
        ),
        ttl=TTL,
        opts=pulumi.ResourceOptions(parent=parent),
    )

"""DNS records in a Cloudflare zone."""

from __future__ import annotations

import pulumi
import pulumi_cloudflare as cloudflare

from multicloud.components.dns import DnsArgs, Record

AUTOMATIC_TTL = 1  # Cloudflare's "automatic"; required for proxied records


def record(parent: pulumi.Resource, name: str, dns: DnsArgs, rec: Record) -> pulumi.Resource:
    """One cloudflare.DnsRecord."""
    return cloudflare.DnsRecord(
        name,
        zone_id=dns.zone_id,
        name=rec.fqdn,
        # Cloudflare flattens a CNAME at the zone apex, so an alias is simply a CNAME.
        type="CNAME" if rec.alias_zone_id is not None else rec.type,
        content=rec.content,
        proxied=rec.proxied,
        ttl=AUTOMATIC_TTL,
        comment=rec.comment,
        opts=pulumi.ResourceOptions(parent=parent),
    )

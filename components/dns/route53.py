"""DNS records in a Route 53 hosted zone."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from multicloud.components.dns import DnsArgs, Record

TTL = 300


def record(parent: pulumi.Resource, name: str, dns: DnsArgs, rec: Record) -> pulumi.Resource:
    """One aws.route53.Record (an alias A record when `rec.alias_zone_id` is set)."""
    if rec.alias_zone_id is not None:
        return aws.route53.Record(
            name,
            zone_id=dns.zone_id,
            name=rec.fqdn,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=rec.content,
                    zone_id=rec.alias_zone_id,
                    evaluate_target_health=rec.evaluate_target_health,
                )
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return aws.route53.Record(
        name,
        zone_id=dns.zone_id,
        name=rec.fqdn,
        type=rec.type,
        ttl=TTL,
        records=[rec.content],
        # Certificate validation records may already exist from an earlier certificate.
        allow_overwrite=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )

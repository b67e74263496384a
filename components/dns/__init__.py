"""DNS records, written to the stack's DNS provider (Cloudflare, Route 53 or DigitalOcean).

Records are children of the component that needs them (an ApiService's A/AAAA, a static
site's CNAME), so the plan shows them under their owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported


@dataclass(frozen=True)
class DnsArgs:
    """Where records go."""

    provider: str
    zone_id: str


@dataclass(frozen=True)
class Record:
    """One record to create."""

    fqdn: pulumi.Input[str]
    type: pulumi.Input[str]
    content: pulumi.Input[str]
    proxied: bool = False
    comment: str = "managed by multicloud"
    alias_zone_id: pulumi.Input[str] | None = None
    """Point at an AWS load balancer or CloudFront name: an alias A record on Route 53, a
    (flattened) CNAME on Cloudflare. `type` is ignored then."""
    evaluate_target_health: bool = True
    """Route 53 aliases: follow the target's health (CloudFront targets refuse this)."""


class DnsBackend(Protocol):
    """What `components/dns/<provider>.py` provides."""

    def record(self, parent: pulumi.Resource, name: str, dns: DnsArgs, rec: Record) -> pulumi.Resource: ...


def backend_for(target: str) -> DnsBackend:
    """The dns backend for `target`, checked by mypy against DnsBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "cloudflare":
        from multicloud.components.dns import cloudflare

        return cloudflare
    if target == "digitalocean":
        from multicloud.components.dns import digitalocean

        return digitalocean
    if target == "route53":
        from multicloud.components.dns import route53

        return route53
    raise unsupported("dns", target)


def create_record(parent: pulumi.Resource, name: str, dns: DnsArgs, record: Record) -> pulumi.Resource:
    """Create `record` in the DNS provider, as a child of `parent`."""
    backend = backend_for(dns.provider)
    return backend.record(parent, name, dns, record)

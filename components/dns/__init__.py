"""DNS records, written to the stack's DNS provider (Cloudflare today; Route 53 and DO later).

Records are children of the component that needs them (an ApiService's A/AAAA, a static
site's CNAME), so the plan shows them under their owner.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._lib.backends import load_backend


@dataclass(frozen=True)
class DnsArgs:
    """Where records go."""

    provider: str
    zone_id: str


@dataclass(frozen=True)
class Record:
    """One record to create."""

    fqdn: str
    type: str
    content: pulumi.Input[str]
    proxied: bool = False
    comment: str = "managed by multicloud"


def create_record(parent: pulumi.Resource, name: str, dns: DnsArgs, record: Record) -> pulumi.Resource:
    """Create `record` in the DNS provider, as a child of `parent`."""
    backend = load_backend("dns", dns.provider)
    return backend.record(parent, name, dns, record)

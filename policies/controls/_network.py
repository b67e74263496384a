"""Inbound rules in every provider's words: sources that are the whole internet, protocols,
port ranges, and the admin and data ports no such rule may reach.

A provider module turns its firewall or security-group resources into `Inbound` rules
((where, ports, sources) each); the cross-provider ingress control reads them all alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from multicloud.components._lib.networks import reaches_everyone
from multicloud.policies.controls._values import UNKNOWN

GUARDED_PORTS = {22: "SSH", 5432: "PostgreSQL", 6379: "Redis"}
ALL_PORTS = (0, 65535)

Inbound = tuple[str, Any, list[Any]]
"""One inbound rule: where it sits (e.g. "rules[2]", "" for a rule resource), the port range
it opens ((low, high), None for no ports, UNKNOWN) and its sources."""
InboundRules = Callable[[dict[str, Any]], Iterable[Inbound]]
"""A rule-bearing resource's inbound rules, from its plain props."""


def is_world(cidr: Any) -> bool:
    """0.0.0.0/0 or ::/0 (any spelling of a zero-length prefix)."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def world_sources(sources: Iterable[Any]) -> list[str]:
    """The sources, when together they are the whole internet — `0.0.0.0/1` with
    `128.0.0.0/1` as much as `0.0.0.0/0` (components._lib.networks, the config check's rule
    too); else []."""
    cidrs = []
    for source in sources:
        if isinstance(source, str):
            try:
                ipaddress.ip_network(source.strip(), strict=False)
            except ValueError:
                continue
            cidrs.append(source)
    return cidrs if cidrs and reaches_everyone(cidrs) else []


def protocol_name(value: Any) -> Any:
    """A rule's protocol, lower case ("tcp", "-1" …); a protocol number as a string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return value.strip().lower() if isinstance(value, str) else value


def guarded(ports: Any) -> list[str]:
    """The GUARDED_PORTS a port range contains, as "22 (SSH)" …"""
    if ports is None or ports is UNKNOWN:
        return []
    return [f"{p} ({label})" for p, label in GUARDED_PORTS.items() if ports[0] <= p <= ports[1]]

"""Hetzner Cloud: firewalls open only the web and ICMP to the internet, servers get a firewall
at creation, and deletion protection goes with Pulumi's protect (in prod, on every protected
server, volume and floating IP).

The checks Hetzner servers share with DigitalOcean droplets are in vps.py; the firewall's
inbound rules also feed the cross-provider ingress control (stack.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from multicloud.components._lib import types
from multicloud.policies.controls._checks import (
    ENVIRONMENT_SCHEMA,
    MANDATORY,
    describe,
    in_prod,
    property_check,
    props_of,
)
from multicloud.policies.controls._network import (
    ALL_PORTS,
    Inbound,
    InboundRules,
    protocol_name,
    world_sources,
)
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items, show

HCLOUD_FIREWALL = types.HCLOUD_FIREWALL
HCLOUD_SERVER = types.HCLOUD_SERVER
HCLOUD_VOLUME = types.HCLOUD_VOLUME
HCLOUD_FLOATING_IP = types.HCLOUD_FLOATING_IP


def hcloud_port_range(protocol: Any, port: Any) -> Any:
    """An hcloud rule's port ("22", "1-65535", "any") as (low, high); None for protocols
    without ports; UNKNOWN when the protocol or port is unknown."""
    if UNKNOWN in (protocol, port):
        return UNKNOWN
    if protocol_name(protocol) not in ("tcp", "udp"):
        return None
    if port is MISSING or str(port).strip().lower() == "any":
        return ALL_PORTS
    low, _, high = show(port).partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        return ALL_PORTS


def _inbound_rules(props: dict[str, Any]) -> Iterable[tuple[int, dict[str, Any]]]:
    for index, rule in enumerate(items(get(props, "rules"))):
        if get(rule, "direction") in ("in", MISSING):
            yield index, rule


def _firewall(props: dict[str, Any]) -> Iterable[Inbound]:
    for index, rule in _inbound_rules(props):
        ports = hcloud_port_range(get(rule, "protocol"), get(rule, "port"))
        yield f"rules[{index}]", ports, items(get(rule, "sourceIps"))


INBOUND: dict[str, InboundRules] = {HCLOUD_FIREWALL: _firewall}

_PUBLIC_WEB = {(80, 80), (443, 443)}


def validate_hetzner_firewall_admin_only(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = props_of(args, HCLOUD_FIREWALL)
    if props is None:
        return
    for index, rule in _inbound_rules(props):
        protocol, port = get(rule, "protocol"), get(rule, "port")
        world = world_sources(items(get(rule, "sourceIps")))
        if not world or UNKNOWN in (protocol, port):
            continue
        if protocol_name(protocol) == "icmp":
            continue
        if hcloud_port_range(protocol, port) in _PUBLIC_WEB:
            continue
        report_violation(
            f"rules[{index}] opens {protocol_name(protocol)} {show(port) if port is not MISSING else 'any'} "
            f"to the whole internet ({', '.join(world)}); only 80, 443 and ICMP may be public, "
            "SSH only from the admin networks",
            None,
        )


FIREWALL_ADMIN_ONLY = ResourceValidationPolicy(
    name="ckv-dio-4-like-hetzner-firewall-ssh-admin-only",
    description=describe(
        "Hetzner firewalls open only 80, 443 and ICMP to the whole internet; SSH and every other port "
        "only to the admin networks (CKV_DIO_4 for DigitalOcean)."
    ),
    validate=validate_hetzner_firewall_admin_only,
    enforcement_level=MANDATORY,
)

FIREWALL_ATTACHED = property_check(
    "hcloud-server-firewall-attached",
    describe(
        "Hetzner servers get a firewall at creation (firewallIds not empty), so they never boot unprotected."
    ),
    HCLOUD_SERVER,
    "firewallIds",
    lambda firewalls: bool(items(firewalls)),
    "no firewall at creation: set firewallIds so the server never boots unprotected",
)

_DELETE_PROTECTION = {
    HCLOUD_SERVER: ("deleteProtection", "rebuildProtection"),
    HCLOUD_VOLUME: ("deleteProtection",),
    HCLOUD_FLOATING_IP: ("deleteProtection",),
}


def validate_hcloud_delete_protection(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = props_of(args, tuple(_DELETE_PROTECTION))
    if props is None:
        return
    protected = bool(args.opts.protect)
    for flag in _DELETE_PROTECTION[args.resource_type]:
        value = get(props, flag)
        if value is UNKNOWN:
            continue
        if value is True and not protected:
            # The provider-contract rule (components.contracts.Protected), in the pack's words.
            report_violation(
                f"{flag} without the protect option: a replacement would create the new resource and "
                f"then fail to delete the old one; set protect or turn {flag} off",
                None,
            )
        elif value is not True and protected and in_prod(args):
            report_violation(f"{flag} must be true in prod", None)


DELETE_PROTECTION = ResourceValidationPolicy(
    name="hcloud-delete-protection",
    description=describe(
        "Hetzner deletion protection goes with Pulumi's protect: in prod protected servers set "
        "deleteProtection and rebuildProtection, volumes and floating IPs deleteProtection; nothing "
        "sets them without protect (a replacement would fail half way).",
        "false",
    ),
    validate=validate_hcloud_delete_protection,
    enforcement_level=MANDATORY,
    config_schema=ENVIRONMENT_SCHEMA,
)

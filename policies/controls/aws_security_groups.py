"""AWS security groups: their inbound rules, for the cross-provider ingress control
(stack.py). A group's rules are inline (`ingress`) or resources of their own:
SecurityGroupIngressRule (one source each) and SecurityGroupRule of type ingress."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from multicloud.components._lib import types
from multicloud.policies.controls._network import ALL_PORTS, Inbound, InboundRules, protocol_name
from multicloud.policies.controls._values import MISSING, UNKNOWN, get, items

SECURITY_GROUP = types.AWS_EC2_SECURITY_GROUP
SECURITY_GROUP_RULE = types.AWS_EC2_SECURITY_GROUP_RULE
INGRESS_RULE = types.AWS_VPC_SECURITY_GROUP_INGRESS_RULE


def port_range(protocol: Any, low: Any = MISSING, high: Any = MISSING) -> Any:
    """The TCP/UDP port range a rule opens: (low, high), None for no ports (ICMP …), or
    UNKNOWN when the protocol or a port is unknown."""
    if UNKNOWN in (protocol, low, high):
        return UNKNOWN
    protocol = protocol_name(protocol)
    if protocol in ("-1", "all"):
        return ALL_PORTS
    if protocol not in ("tcp", "udp", "6", "17"):
        return None
    if low is MISSING and high is MISSING:
        return ALL_PORTS
    low = high if low is MISSING else low
    high = low if high is MISSING else high
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low < 0:
        return ALL_PORTS
    return int(low), int(high)


def _ingress_rule(props: dict[str, Any]) -> Iterable[Inbound]:
    ports = port_range(get(props, "ipProtocol"), get(props, "fromPort"), get(props, "toPort"))
    yield "", ports, [get(props, "cidrIpv4"), get(props, "cidrIpv6")]


def _security_group_rule(props: dict[str, Any]) -> Iterable[Inbound]:
    if get(props, "type") == "ingress":
        ports = port_range(get(props, "protocol"), get(props, "fromPort"), get(props, "toPort"))
        yield "", ports, items(get(props, "cidrBlocks")) + items(get(props, "ipv6CidrBlocks"))


def _security_group(props: dict[str, Any]) -> Iterable[Inbound]:
    for index, rule in enumerate(items(get(props, "ingress"))):
        ports = port_range(get(rule, "protocol"), get(rule, "fromPort"), get(rule, "toPort"))
        sources = items(get(rule, "cidrBlocks")) + items(get(rule, "ipv6CidrBlocks"))
        yield f"ingress[{index}]", ports, sources


INBOUND: dict[str, InboundRules] = {
    INGRESS_RULE: _ingress_rule,
    SECURITY_GROUP_RULE: _security_group_rule,
    SECURITY_GROUP: _security_group,
}

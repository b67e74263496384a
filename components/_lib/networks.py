"""Network reach, computed: whether a set of CIDRs lets the whole internet in.

A prefix length of 0 is one way to say "everyone"; `0.0.0.0/1` with `128.0.0.0/1`, `::/1`
with `8000::/1`, or the IPv4-mapped block `::ffff:0:0/96` are others. The config check
(stacks/checks.py) and the policy pack (policies/controls/_network.py) both ask this function.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

ALL_V4 = ipaddress.IPv4Network("0.0.0.0/0")
ALL_V6 = ipaddress.IPv6Network("::/0")
# IPv6 blocks that carry the whole IPv4 space inside them: IPv4-mapped addresses (RFC 4291
# §2.5.5.2) and the NAT64 well-known prefix (RFC 6052).
IPV4_IN_IPV6 = (ipaddress.IPv6Network("::ffff:0:0/96"), ipaddress.IPv6Network("64:ff9b::/96"))


def _as_networks(cidrs: Iterable[str]) -> tuple[list[ipaddress.IPv4Network], list[ipaddress.IPv6Network]]:
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(str(cidr).strip(), strict=False)
        if isinstance(net, ipaddress.IPv4Network):
            v4.append(net)
            continue
        v6.append(net)
        for block in IPV4_IN_IPV6:
            if net.subnet_of(block):
                offset = int(net.network_address) - int(block.network_address)
                v4.append(ipaddress.IPv4Network((offset, net.prefixlen - 96)))
            elif block.subnet_of(net):
                v4.append(ALL_V4)
    return v4, v6


def reaches_everyone(cidrs: Iterable[str]) -> bool:
    """Whether the union of `cidrs` is every IPv4 or every IPv6 address. Raises ValueError for
    a string that is not a CIDR."""
    v4, v6 = _as_networks(cidrs)
    return ALL_V4 in ipaddress.collapse_addresses(v4) or ALL_V6 in ipaddress.collapse_addresses(v6)

"""Price a resource graph: one pricer per resource type token, reading that resource's inputs.

The same function prices the offline plan, the steps of a real `pulumi preview --json` and
the resources of a `pulumi stack export` (see `costs.sources`): each becomes a list of
`Resource(urn, type, name, parent, inputs)` first. Every type is one of three things:

- priced by its provider's pricer (`costs/pricers/<provider>.py`, prices from
  `costs/catalog/<provider>.yaml`, each with its source);
- explicitly free (`FREE`: security groups, DNS records, IAM, Pages …) — shown as 0;
- unpriced — listed as such, never silently counted as 0.

Usage-based lines (stored GB, NAT traffic, load balancer capacity) take their quantity from
the stack's `usage:` config, whose values are printed with every estimate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from multicloud.components._lib import types
from multicloud.costs.pricers import aws, cloudflare, digitalocean, hetzner, monitoring, shared
from multicloud.costs.pricers.base import Context, Line, Pricer, Resource
from multicloud.costs.usage import UsageSpec

__all__ = ["FREE", "PRICERS", "Line", "Priced", "Resource", "price"]

PROVIDERS = (hetzner, digitalocean, aws, cloudflare, monitoring, shared)
PRICERS: dict[str, Pricer] = {token: fn for module in PROVIDERS for token, fn in module.PRICERS.items()}
# Types that cost nothing by themselves (their cost, if any, is priced on another resource).
FREE: frozenset[str] = frozenset().union(*(module.FREE for module in PROVIDERS))


@dataclass
class Priced:
    """The result of pricing a set of resources."""

    lines: list[Line] = field(default_factory=list)
    free: list[Resource] = field(default_factory=list)
    unpriced: list[Resource] = field(default_factory=list)
    usage: UsageSpec = field(default_factory=UsageSpec)
    approximations: list[str] = field(default_factory=list)


def price(resources: list[Resource], usage: UsageSpec | None = None, today: dt.date | None = None) -> Priced:
    """Price every resource; component resources (our own) and providers are skipped."""
    usage = usage or UsageSpec()
    # Sorted, so account-wide allowances (free tiers, a base fee) land on the same resource
    # every run, whatever order the engine registered them in.
    resources = sorted(resources, key=lambda r: r.urn)
    ctx = Context(resources, usage, today or dt.date.today())
    result = Priced(usage=usage)
    for res in resources:
        if res.type.startswith((types.OWN_PACKAGE_PREFIX, types.PROVIDER_PREFIX, types.STACK_PREFIX)):
            continue
        fn = PRICERS.get(res.type)
        if fn is not None:
            result.lines.extend(fn(res, ctx))
        elif res.type in FREE:
            result.free.append(res)
        else:
            result.unpriced.append(res)
    result.approximations = list(ctx.approximations)
    return result

"""Each provider's own rules for a stack, one module per target.

A target module has `check(spec) -> list[Problem]`: what a stack must satisfy for that
provider to build it (regions, versions, sizes that exist, what its services need), and,
where the provider sizes things, the functions that turn neutral sizes into its SKUs.
Adding a provider adds a module here, beside its backends in components/ and its pricer in
costs/.
"""

from __future__ import annotations

from typing import Any, Protocol

from multicloud.stacks.spec import Problem, StackSpec
from multicloud.stacks.targets import aws, cloudflare, digitalocean, hetzner


class Target(Protocol):
    """What `stacks/targets/<provider>.py` provides."""

    def check(self, spec: StackSpec) -> list[Problem]: ...

    def moved_here(self, config: dict[str, Any], notes: list[str]) -> None: ...


TARGETS: dict[str, Target] = {
    "aws": aws,
    "cloudflare": cloudflare,
    "digitalocean": digitalocean,
    "hetzner": hetzner,
}


def in_use(spec: StackSpec) -> list[str]:
    """The providers a stack places anything on (hosts and services), sorted."""
    used = {h.target for h in spec.hosts.values()} | {s.target for s in spec.services.values()}
    return sorted(used & set(TARGETS))


def check(spec: StackSpec) -> list[Problem]:
    """Every problem the providers the stack uses find in it."""
    return [problem for target in in_use(spec) for problem in TARGETS[target].check(spec)]

"""Hetzner Cloud: what a stack on it must satisfy.

Hosts are checked with every VPS host (stacks.checks: location, size, volume); here is what
only Hetzner has: Object Storage, offered in three locations.
"""

from __future__ import annotations

from components.contracts.hetzner import OBJECT_STORAGE_LOCATIONS as BUCKET_LOCATIONS
from stacks.spec import BucketSpec, Problem, StackSpec


def check(spec: StackSpec) -> list[Problem]:
    problems: list[Problem] = []
    for name, svc in spec.services.items():
        if not isinstance(svc, BucketSpec) or svc.target != "hetzner" or svc.location is None:
            continue
        if svc.location not in BUCKET_LOCATIONS:
            problems.append(
                (
                    f"services.{name}.location",
                    f"unknown hetzner bucket location; allowed: {', '.join(BUCKET_LOCATIONS)}",
                )
            )
    return problems

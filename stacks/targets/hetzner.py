"""Hetzner Cloud: what a stack on it must satisfy.

Hosts are checked with every VPS host (stacks.checks: location, size, volume); here is what
only Hetzner has: Object Storage, offered in three locations.
"""

from __future__ import annotations

from typing import Any

from multicloud.components.contracts.hetzner import OBJECT_STORAGE_LOCATIONS as BUCKET_LOCATIONS
from multicloud.stacks.spec import BucketSpec, Problem, StackSpec


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


# --- moving a stack here (infra cost --compare) ----------------------------------------


def moved_here(config: dict[str, Any], notes: list[str]) -> None:
    """Adjust a raw config whose components `--compare` just moved onto Hetzner:
    nothing beyond the host placement every VPS target gets (stacks.compare)."""

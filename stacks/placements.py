"""Refuse to move a stateful component by config alone.

Changing `target` (or `host`) of a database, cache or bucket creates an empty one in the new
place and deletes the old one: the data does not move with it. The program compares the
placements it deployed last time (a stack output it reads back through a StackReference to
itself) with the config, and stops before registering anything when one moved, unless the
component is listed in `multicloud:allow_data_replacement` after the data was migrated
(docs/migrations.md).
"""

from __future__ import annotations

from typing import Any

from multicloud.stacks.checks import Problem
from multicloud.stacks.spec import StackSpec

STATEFUL_KINDS = ("postgres", "redis", "bucket")
OUTPUT = "multicloud_placements"


# An RDS instance that services on other providers link lives in the VPC's public subnets, and
# RDS cannot move an instance between subnet groups of one VPC (components/postgres/aws.py):
# becoming reachable from outside, or private again, is a new instance, so it counts as a move.
PUBLIC = "public"


def placements(spec: StackSpec) -> dict[str, str]:
    """Where each stateful component lives: `target`, `target/host`, or `aws/public`."""
    result = {}
    for name, svc in spec.services.items():
        if svc.kind in STATEFUL_KINDS:
            host = getattr(svc, "host", None)
            if svc.kind == "postgres" and svc.target == "aws" and spec.linked_across(name):
                host = PUBLIC
            result[name] = f"{svc.target}/{host}" if host else svc.target
    return result


def placement_problems(spec: StackSpec, previous: dict[str, Any] | None) -> list[Problem]:
    """One problem per stateful component that moved since the last deployment."""
    if not previous:
        return []
    problems = []
    for name, now in placements(spec).items():
        before = previous.get(name)
        if before is None or before == now or name in spec.allow_data_replacement:
            continue
        kind = spec.services[name].kind
        problems.append(
            (
                f"services.{name}",
                (
                    f"moves from {before} to {now}, which starts it empty and deletes the old {kind}; "
                    f"migrate the data first (docs/migrations.md#{kind}), then add {name} to multicloud:allow_data_replacement"
                ),
            )
        )
    return problems

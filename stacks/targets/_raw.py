"""The raw (unvalidated) stack config as `infra cost --compare` rewrites it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def services_on(config: dict[str, Any], target: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, entry) of every service the raw config places on `target`."""
    for name, svc in (config.get("services") or {}).items():
        if svc.get("target") == target:
            yield name, svc

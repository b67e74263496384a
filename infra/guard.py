"""The replacement guard: refuse a `pulumi preview --json` that would replace or delete data.

Pulumi's `protect` stops most of this, but not every path (delete-before-replace chains,
pulumi/pulumi#15763; dependents of a protected resource, #6191), and dev stacks are not
protected at all. The guard reads the preview and names every stateful resource that would
be replaced or deleted; each must be allowed explicitly with `--allow-replace URN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components._lib.stateful import is_stateful

DESTRUCTIVE = {"replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced"}


@dataclass(frozen=True)
class Finding:
    """A stateful resource the previewed update would destroy."""

    urn: str
    type: str
    op: str

    @property
    def name(self) -> str:
        """The resource's name, from its URN."""
        return self.urn.split("::")[-1]


def findings(preview: dict[str, Any], allowed: set[str] | None = None) -> list[Finding]:
    """Stateful resources replaced or deleted by the preview, minus the allowed URNs."""
    allowed = allowed or set()
    found: dict[str, Finding] = {}
    for step in preview.get("steps", []):
        op, urn = step.get("op", ""), step.get("urn", "")
        if op not in DESTRUCTIVE or urn in allowed:
            continue
        state = step.get("oldState") or step.get("newState") or {}
        type_token = state.get("type") or urn.split("::")[-2].split("$")[-1]
        if not is_stateful(type_token, state.get("inputs")):
            continue
        verb = "delete" if op in ("delete", "discard") else "replace"
        found.setdefault(urn, Finding(urn, type_token, verb))
    return sorted(found.values(), key=lambda f: f.urn)

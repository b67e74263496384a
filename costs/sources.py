"""Turn what Pulumi prints into resources to price: a `pulumi preview --json` document or a
`pulumi stack export`. (The offline plan is converted in `costs.estimate.resources_from`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from multicloud.costs.pricers import Resource

# Step kinds of `pulumi preview --json` (pkg/display/json.go): which side of the change
# each one contributes a state to.
AFTER_OPS = {
    "create",
    "create-replacement",
    "update",
    "replace",
    "same",
    "import",
    "import-replacement",
    "refresh",
    "read",
}
BEFORE_OPS = {
    "delete",
    "delete-replaced",
    "discard",
    "discard-replaced",
    "update",
    "replace",
    "same",
    "refresh",
    "read",
}


@dataclass
class PreviewChange:
    """Resources before and after a previewed update, and what happens to each URN."""

    before: list[Resource] = field(default_factory=list)
    after: list[Resource] = field(default_factory=list)
    ops: dict[str, str] = field(default_factory=dict)


def _resource(state: dict[str, Any], urn: str) -> Resource:
    return Resource(
        urn=state.get("urn", urn),
        type=state.get("type", urn.split("::")[-2].split("$")[-1] if "::" in urn else ""),
        name=urn.split("::")[-1],
        parent=state.get("parent") or None,
        inputs=state.get("inputs") or state.get("outputs") or {},
    )


def from_preview(doc: dict[str, Any]) -> PreviewChange:
    """Read the steps of `pulumi preview --json`.

    Only changed resources have steps unless the preview ran with `--show-sames`; unchanged
    resources are then missing from both sides, so the difference is still right.
    """
    change = PreviewChange()
    seen_before: set[str] = set()
    seen_after: set[str] = set()
    for step in doc.get("steps", []):
        urn, op = step.get("urn", ""), step.get("op", "")
        # A replacement shows as one "replace" step plus its create/delete halves: keep the
        # strongest verb per URN for display.
        if change.ops.get(urn) not in ("replace",):
            change.ops[urn] = "replace" if op in ("create-replacement", "delete-replaced") else op
        if op in AFTER_OPS and step.get("newState") and urn not in seen_after:
            change.after.append(_resource(step["newState"], urn))
            seen_after.add(urn)
        if op in BEFORE_OPS and step.get("oldState") and urn not in seen_before:
            change.before.append(_resource(step["oldState"], urn))
            seen_before.add(urn)
    return change


def from_export(doc: dict[str, Any]) -> list[Resource]:
    """Read the resources of `pulumi stack export` (deployment version 3)."""
    resources = doc.get("deployment", doc).get("resources", [])
    return [
        _resource({**r, "inputs": r.get("inputs") or r.get("outputs") or {}}, r["urn"]) for r in resources
    ]

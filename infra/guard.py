"""The replacement guard: refuse a `pulumi preview --json` that would replace or delete data.

Pulumi's `protect` stops most of this, but not every path (delete-before-replace chains,
pulumi/pulumi#15763; dependents of a protected resource, #6191), and dev stacks are not
protected at all. The guard reads the preview and names every stateful resource that would
be replaced or deleted; each must be allowed explicitly with `--allow-replace URN`.

It fails closed: a document it cannot read as a preview (a `pulumi stack export`, `{}`, steps
of another shape, a bad URN) is refused with `PreviewError`, never passed as "nothing to lose".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from multicloud.components._lib.stateful import is_stateful

# Every step kind `pulumi preview --json` writes (sdk/go/common/resource/deploy: StepOps).
OPS = frozenset(
    {
        "same",
        "create",
        "update",
        "delete",
        "replace",
        "create-replacement",
        "delete-replaced",
        "read",
        "read-replacement",
        "refresh",
        "discard",
        "discard-replaced",
        "remove-pending-replace",
        "import",
        "import-replacement",
        "diff",
    }
)
DESTRUCTIVE = {"replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced"}
EXPECTED = 'expected the output of `pulumi preview --json` (a JSON object with a list of "steps")'


class PreviewError(ValueError):
    """The document is not a `pulumi preview --json` digest. The message is one line that
    says what was expected; it never quotes the document."""


@dataclass(frozen=True)
class Urn:
    """The parts of a Pulumi URN: `urn:pulumi:<stack>::<project>::<type chain>::<name>`."""

    stack: str
    project: str
    type: str
    """The resource's own type: the last of the `$`-separated chain of parent types."""
    name: str


def parse_urn(urn: Any) -> Urn | None:
    """The parts of `urn`, or None when it is not a Pulumi URN."""
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        return None
    parts = urn.removeprefix("urn:pulumi:").split("::", 3)  # a name may itself hold "::"
    if len(parts) != 4 or not all(parts):
        return None
    stack, project, chain, name = parts
    type_token = chain.split("$")[-1]
    return Urn(stack, project, type_token, name) if type_token else None


@dataclass(frozen=True)
class Step:
    """One step of a preview, as far as the guard needs it."""

    op: str
    urn: str
    type: str
    inputs: dict[str, Any]

    @property
    def name(self) -> str:
        """The resource's name, from its URN."""
        parsed = parse_urn(self.urn)
        return parsed.name if parsed else self.urn


def _kind(value: Any) -> str:
    """How a JSON value is described in an error (its kind, never its content)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    kinds: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}
    return kinds.get(type(value), type(value).__name__)


# The fields of a step's state that the guard and the cost engine read, and their JSON kinds.
_STATE_FIELDS = (
    ("urn", str, "a string"),
    ("type", str, "a string"),
    ("parent", str, "a string"),
    ("provider", str, "a string"),
    ("inputs", dict, "an object"),
    ("outputs", dict, "an object"),
)


def read_preview(doc: Any) -> list[Step]:
    """The steps of a `pulumi preview --json` document; PreviewError for anything else."""
    if not isinstance(doc, dict):
        raise PreviewError(f"is {_kind(doc)}; {EXPECTED}")
    if "steps" not in doc:
        if "deployment" in doc or "checkpoint" in doc:
            raise PreviewError(f"is a `pulumi stack export` document, not a preview; {EXPECTED}")
        raise PreviewError(f'has no "steps"; {EXPECTED}')
    raw_steps = doc["steps"]
    if not isinstance(raw_steps, list):
        raise PreviewError(f'"steps" is {_kind(raw_steps)}; {EXPECTED}')
    if not raw_steps:
        # A preview always has a step for the stack itself, even when nothing changes.
        raise PreviewError(f'"steps" is empty (a preview lists at least the stack itself); {EXPECTED}')
    return [_step(i, raw) for i, raw in enumerate(raw_steps)]


def _step(index: int, raw: Any) -> Step:
    where = f"steps[{index}]"
    if not isinstance(raw, dict):
        raise PreviewError(f'{where} is {_kind(raw)}; expected an object with "op" and "urn"')
    op = raw.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise PreviewError(f"{where}.op is not a step kind of pulumi preview ({', '.join(sorted(OPS))})")
    urn = parse_urn(raw.get("urn"))
    if urn is None:
        raise PreviewError(f"{where}.urn is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)")
    states = []
    for key in ("oldState", "newState"):
        state = raw.get(key)
        if state is None:
            continue
        if not isinstance(state, dict):
            raise PreviewError(f"{where}.{key} is {_kind(state)}; expected an object or null")
        for field, wanted, described in _STATE_FIELDS:
            value = state.get(field)
            if value is not None and not isinstance(value, wanted):
                raise PreviewError(f"{where}.{key}.{field} is {_kind(value)}; expected {described} or null")
        states.append(state)
    # The old state says what would be lost; a create has only the new one.
    state = states[0] if states else {}
    return Step(op, raw["urn"], state.get("type") or urn.type, state.get("inputs") or {})


@dataclass(frozen=True)
class Finding:
    """A stateful resource the previewed update would destroy."""

    urn: str
    type: str
    op: str

    @property
    def name(self) -> str:
        """The resource's name, from its URN."""
        parsed = parse_urn(self.urn)
        return parsed.name if parsed else self.urn


def findings(preview: Any, allowed: set[str] | None = None) -> list[Finding]:
    """Stateful resources replaced or deleted by the preview, minus the allowed URNs.
    Raises PreviewError when `preview` is not a `pulumi preview --json` document."""
    allowed = allowed or set()
    found: dict[str, Finding] = {}
    for step in read_preview(preview):
        if step.op not in DESTRUCTIVE or step.urn in allowed:
            continue
        if not is_stateful(step.type, step.inputs):
            continue
        verb = "delete" if step.op in ("delete", "discard") else "replace"
        found.setdefault(step.urn, Finding(step.urn, step.type, verb))
    return sorted(found.values(), key=lambda f: f.urn)

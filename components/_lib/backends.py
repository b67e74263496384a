"""The error for a kind/target pair that has no backend.

Each component facade (`components/<kind>/__init__.py`) loads its backends itself, in
`backend_for(target)`: one import per target, so mypy checks every backend module against
the facade's Protocol and a provider's SDK is imported only when a stack uses it.
`components.capabilities.BACKENDS` names the same modules for validation, which must not
import any SDK; `tests/test_contract_matrix.py` holds the two equal.
"""

from __future__ import annotations

from multicloud.components.capabilities import supported_targets


def unsupported(kind: str, target: str) -> ValueError:
    """Config validation rejects a pair without a backend; reaching a facade with one is a
    programming error, so the message says which targets exist."""
    return ValueError(f"{kind} has no backend for {target}; supported: {', '.join(supported_targets(kind))}")

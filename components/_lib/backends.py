"""Load the backend module for a kind/target pair, and the contract each backend meets."""

from __future__ import annotations

import importlib
from types import ModuleType

from stacks.capabilities import backend_module, supported_targets


def load_backend(kind: str, target: str) -> ModuleType:
    """Import the backend for `kind` on `target` (provider SDKs load only here, lazily).

    Unsupported pairs are rejected by config validation; reaching this with one is a
    programming error, so the message says which targets exist.
    """
    try:
        path = backend_module(kind, target)
    except KeyError:
        raise ValueError(
            f"{kind} has no backend for {target}; supported: {', '.join(supported_targets(kind))}"
        ) from None
    return importlib.import_module(path)

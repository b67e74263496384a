"""Each facade loads exactly the backends the capability matrix names, and no other.

Validation reads the matrix (`components.capabilities.BACKENDS`, import paths as strings, so
it never imports an SDK); each facade loads its backends with typed imports that mypy
checks against the facade's Protocol. These tests hold the two equal.
"""

from __future__ import annotations

import functools

import pytest

from multicloud.components import (
    alerts,
    api_service,
    dns,
    host,
    network,
    object_store,
    postgres,
    redis,
    static_frontend,
)
from multicloud.components.capabilities import BACKENDS


class _Jobs:
    """The api_service facade, asked for the job kind (which has fewer targets than an api)."""

    backend_for = staticmethod(functools.partial(api_service.backend_for, kind="job"))


FACADES = {
    "api": api_service,
    "worker": api_service,
    "job": _Jobs,
    "bucket": object_store,
    "dns": dns,
    "host": host,
    "network": network,
    "postgres": postgres,
    "redis": redis,
    "static_site": static_frontend,
    "uptime": alerts,
}
EVERY_TARGET = sorted({t for row in BACKENDS.values() for t in row} | {"fly", ""})


def test_every_kind_has_a_facade():
    assert sorted(FACADES) == sorted(BACKENDS)


@pytest.mark.parametrize(("kind", "target"), [(k, t) for k in sorted(BACKENDS) for t in EVERY_TARGET])
def test_a_facade_loads_the_module_the_matrix_names_or_refuses(kind, target):
    load = FACADES[kind].backend_for
    if target in BACKENDS[kind]:
        assert load(target).__name__ == BACKENDS[kind][target]
    else:
        with pytest.raises(ValueError, match=f"has no backend for {target}; supported: "):
            load(target)

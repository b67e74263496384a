"""The pack's package: every policy a provider module defines is registered once, and the
modules describe themselves without pointing at documents outside the repository."""

from __future__ import annotations

import importlib
import pkgutil

from pulumi_policy.policy import Policy

from multicloud import policies
from multicloud.policies.controls import POLICIES

MODULES = [
    importlib.import_module(f"multicloud.policies.controls.{m.name}")
    for m in pkgutil.iter_modules(policies.controls.__path__)
]


def test_every_policy_a_module_defines_is_in_the_pack_once() -> None:
    defined = {id(v): v for m in MODULES for v in vars(m).values() if isinstance(v, Policy)}
    assert len({id(p) for p in POLICIES}) == len(POLICIES) == len({p.name for p in POLICIES})
    assert set(defined) == {id(p) for p in POLICIES}


def test_module_docstrings_state_facts_not_references() -> None:
    for module in [policies.controls, *MODULES]:
        assert module.__doc__, module.__name__
        assert "DESIGN" not in module.__doc__ and "shared/reference" not in module.__doc__

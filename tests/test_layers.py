"""The packages form layers: each imports only the ones below it, so none imports another back.

    components   resource builders, provider contracts, grammars: imports none of ours
    costs        catalog, pricing, usage assumptions: components (type tokens, grammars)
    stacks       the spec, its rules per provider, the program: components, costs
    policies     the policy pack: components, costs
    infra        the CLI, offline plan, guard: everything

Imports inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "components": set(),
    "costs": {"components"},
    "stacks": {"components", "costs"},
    "policies": {"components", "costs"},
    "infra": {"components", "costs", "stacks", "policies"},
}


def imports(source: str) -> set[str]:
    """The top-level packages of ours a module's source imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {_package(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "multicloud" and node.level == 0:
            found |= {alias.name for alias in node.names}  # from multicloud import costs
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(_package(node.module))
    return found & set(ALLOWED)


def _package(module: str) -> str:
    """`multicloud.costs.estimate` → `costs`: our packages install under `multicloud`."""
    parts = module.split(".")
    return parts[1] if parts[0] == "multicloud" and len(parts) > 1 else parts[0]


def crossings(package: str) -> list[str]:
    """`module -> package` for every import of `package` that its layer does not allow."""
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for other in sorted(imports(path.read_text()) - ALLOWED[package] - {package}):
            wrong.append(f"{path.relative_to(ROOT)} -> {other}")
    return wrong


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    assert crossings(package) == []


def test_the_layers_have_no_cycle():
    order = ["components", "costs", "stacks", "policies", "infra"]
    for i, package in enumerate(order):
        assert ALLOWED[package] <= set(order[:i])


def test_an_upward_import_is_found_even_inside_a_function():
    lazy = "def f():\n    from multicloud.stacks.sizing import volume_gb\n    import multicloud.infra.cli\n"
    assert imports(lazy) == {"stacks", "infra"}
    assert imports("from multicloud import costs, policies\n") == {"costs", "policies"}
    assert imports("from stacks.sizing import volume_gb\n") == {"stacks"}  # the old spelling too
    assert imports("from .sibling import x\nimport pulumi\n") == set()

"""Code-shape metrics for the refactoring issues: what a reader or a new provider pays.

    python benchmarks/code_metrics.py            # a table
    python benchmarks/code_metrics.py --json     # the same numbers, machine-readable

Measured over the product's own packages (not tests, not benchmarks):

- the longest functions and the number longer than 50 lines (`ast` end_lineno - lineno + 1);
- the biggest modules, in lines;
- imports between top-level packages, and any pair that imports each other (a cycle);
- how many shared modules spell a target's name as a string ("hetzner", "digitalocean", "aws"):
  a module named after a provider (`stacks/targets/aws.py`, `costs/pricers/hetzner.py`) is that
  provider's own and not counted; each one counted is shared code that decides per target.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("components", "costs", "infra", "policies", "stacks")
TARGETS = ("aws", "digitalocean", "hetzner")


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def functions(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node.end_lineno - node.lineno + 1))
    return found


def imported_packages(tree: ast.AST, own: str) -> set[str]:
    """Top-level packages this module imports (at any depth: lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(_package(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "multicloud" and node.level == 0:
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(_package(node.module))
    return {n for n in names if n in PACKAGES and n != own}


def _package(module: str) -> str:
    """`multicloud.costs.estimate` → `costs` (our packages install under `multicloud`)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "multicloud" and len(parts) > 1 else parts[0]


def target_literals(tree: ast.AST) -> set[str]:
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in TARGETS
    }


def measure() -> dict:
    longest: list[tuple[int, str]] = []
    sizes: list[tuple[int, str]] = []
    edges: dict[str, set[str]] = defaultdict(set)
    naming_targets: list[str] = []
    for path in modules():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        tree = ast.parse(text)
        sizes.append((len(text.splitlines()), rel))
        longest += [(n, f"{rel}:{name}") for name, n in functions(tree)]
        own = rel.split("/")[0]
        for other in imported_packages(tree, own):
            edges[own].add(other)
        if path.stem not in TARGETS + ("cloudflare", "route53") and target_literals(tree):
            naming_targets.append(rel)
    longest.sort(reverse=True)
    sizes.sort(reverse=True)
    cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, set())})
    return {
        "longest_functions": [{"lines": n, "where": w} for n, w in longest[:5]],
        "functions_over_50_lines": sum(1 for n, _ in longest if n > 50),
        "biggest_modules": [{"lines": n, "module": m} for n, m in sizes[:5]],
        "package_imports": {k: sorted(v) for k, v in sorted(edges.items())},
        "package_cycles": [list(c) for c in cycles],
        "modules_naming_a_target": len(naming_targets),
        "modules_naming_a_target_list": naming_targets,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    m = measure()
    if args.json:
        print(json.dumps(m, indent=2))
        return 0
    print("longest functions:")
    for f in m["longest_functions"]:
        print(f"  {f['lines']:5d}  {f['where']}")
    print(f"functions over 50 lines: {m['functions_over_50_lines']}")
    print("biggest modules:")
    for f in m["biggest_modules"]:
        print(f"  {f['lines']:5d}  {f['module']}")
    print("package imports:")
    for pkg, deps in m["package_imports"].items():
        print(f"  {pkg} -> {', '.join(deps)}")
    print(f"package cycles: {m['package_cycles'] or 'none'}")
    print(f"shared modules that name a target: {m['modules_naming_a_target']}")
    for rel in m["modules_naming_a_target_list"]:
        print(f"  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

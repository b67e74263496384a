"""The README's promise: it opens with exactly two commands, and CI runs the second verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert first_block is not None, "README must open with a sh code block"
    assert text.index("```sh") < text.index("\n## "), "the commands come before any section"
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert "infra plan --stack prod" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_ci_installs_every_tool_the_integration_tests_use() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    for package in ("cloud-init", "caddy", "shellcheck", "postgresql", "redis-server", "restic"):
        assert re.search(rf"\b{package}\b", ci), package
    assert "CI=true" in ci, "integration tests must fail, not skip, in CI"


def test_the_cost_table_matches_infra_cost() -> None:
    """Every `| `<stack file>` (…) | <amount> |` row of the README is today's estimate."""
    from multicloud.costs.estimate import estimate_plan
    from multicloud.infra.offline import plan

    text = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `([\w./-]+\.yaml)`[^|]*\| ([€$])([\d,]+\.\d\d) \|$", text, re.MULTILINE)
    assert len(rows) >= 6, rows
    for path, symbol, amount in rows:
        stack = path.removeprefix("Pulumi.").removesuffix(".yaml") if "/" not in path else Path(path).stem
        est = estimate_plan(plan(ROOT / path, stack, project_dir=ROOT))
        assert (symbol, f"{est.total:,.2f}") == ({"EUR": "€", "USD": "$"}[est.currency], amount), path

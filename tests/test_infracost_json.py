"""`infra cost --format json` is Infracost's JSON: every shipped stack's output, plain and as a
diff (`--base`), validates against Infracost's published schema (vendored in costs/schema with
its source, commit and licence), and a budget policy in Rego reads it.

The Rego runs in regorus (Microsoft's Rego interpreter) through the `opa-eval` wheel: neither
the `opa` nor the `conftest` binary installs from the package registries this project's CI can
reach. The policy uses only core Rego (rego.v1), which both binaries run unchanged.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from multicloud.infra.cli import main
from tests.conftest import ROOT, write_stack

SCHEMA = json.loads((ROOT / "costs" / "schema" / "infracost.schema.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
STACKS = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
POLICY = ROOT / "policies" / "infracost" / "budget.rego"


def cost_json(capsys, *argv: str) -> dict:
    assert main(["cost", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def problems(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message[:160]}" for e in VALIDATOR.iter_errors(doc)]


@pytest.mark.parametrize("stack", STACKS, ids=[p.name for p in STACKS])
def test_every_stack_is_valid_infracost_json(capsys, stack):
    doc = cost_json(capsys, "--config", str(stack), "--format", "json")
    assert problems(doc) == []
    (project,) = doc["projects"]
    assert project["breakdown"]["totalMonthlyCost"] == doc["totalMonthlyCost"]
    # What Infracost has no field for travels in the resources' free-form metadata.
    lines = [line for r in project["breakdown"]["resources"] for line in r["metadata"]["multicloud"]["lines"]]
    assert all(line["source"] and line["priceDate"] for line in lines if line["note"] != "unpriced SKU")


def test_a_diff_is_valid_infracost_json_with_the_past_and_the_change(capsys, tmp_path):
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["multicloud:hosts"]["main"]["size"] = {"cpu": 8, "memory_gb": 16}
    head = tmp_path / "Pulumi.prod.yaml"
    head.write_text(yaml.safe_dump(doc))
    result = cost_json(
        capsys, "--config", str(head), "--base", str(ROOT / "Pulumi.prod.yaml"), "--format", "json"
    )
    assert problems(result) == []
    (project,) = result["projects"]
    assert project["pastBreakdown"]["resources"] and project["diff"]["resources"]
    change = float(result["totalMonthlyCost"]) - float(result["pastTotalMonthlyCost"])
    assert float(result["diffTotalMonthlyCost"]) == pytest.approx(change, abs=0.011)
    (main_host,) = [r for r in project["diff"]["resources"] if r["name"] == "main"]
    assert float(main_host["monthlyCost"]) > 0


def test_multicloud_json_adds_what_infracost_has_no_field_for(capsys):
    doc = cost_json(capsys, "--config", str(ROOT / "Pulumi.prod.yaml"), "--format", "multicloud-json")
    extra = doc.pop("multicloud")
    assert problems(doc) == []  # the rest is still Infracost's
    assert {"exchangeRate", "usage", "unpricedResources", "oldestPriceDate", "approximations"} <= set(extra)


def test_the_schema_is_strict_enough_to_catch_our_old_shape():
    """The validator has teeth: the output as it was before (extra keys, no hourly figures)."""
    old = {
        "version": "0.2",
        "currency": "EUR",
        "exchangeRate": {"EURUSD": 1.16},
        "projects": [],
        "totalMonthlyCost": "1",
    }
    assert len(problems(old)) >= 5


# --- the Rego budget policy ---------------------------------------------------------------


def deny(doc: dict, budget: dict | None = None) -> list[str]:
    import opa_eval

    engine = opa_eval.OpaEval(
        str(POLICY), data_json=json.dumps({"budget": budget} if budget else {}), query="data.main.deny"
    )
    return sorted(engine.evaluate_parsed(json.dumps(doc)))


def test_the_budget_policy_reads_the_cost_json(capsys, tmp_path):
    doc = cost_json(capsys, "--config", str(ROOT / "Pulumi.prod.yaml"), "--format", "json")
    assert deny(doc) == []  # €16.96 is within the default 100
    assert deny(doc, {"max_monthly": 10}) == [
        f"monthly cost {doc['totalMonthlyCost']} EUR is over the budget of 10"
    ]


def test_the_budget_policy_limits_an_increase(capsys, tmp_path):
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["multicloud:hosts"]["main"]["size"] = {"cpu": 8, "memory_gb": 16}
    head = write_stack(
        tmp_path / "Pulumi.prod.yaml", {k.removeprefix("multicloud:"): v for k, v in doc["config"].items()}
    )
    diff = cost_json(
        capsys, "--config", str(head), "--base", str(ROOT / "Pulumi.prod.yaml"), "--format", "json"
    )
    (message,) = deny(diff)
    assert message.startswith("the change adds ") and message.endswith("the limit is 20 %")
    assert deny(diff, {"max_increase_percent": 1000}) == []


def test_the_budget_policy_refuses_a_missing_price():
    doc = {"currency": "USD", "totalMonthlyCost": "1", "pastTotalMonthlyCost": None, "projects": [{"breakdown": {
        "resources": [{"name": "db", "costComponents": [{"name": "RDS db.x9 (not in catalog)", "priceNotFound": True}]}]}}]}  # fmt: skip
    assert deny(doc) == ["db: no price for RDS db.x9 (not in catalog)"]


@pytest.mark.parametrize("stack", STACKS, ids=[p.name for p in STACKS])
def test_every_stack_diffed_against_itself_is_valid_with_a_zero_change(capsys, stack):
    doc = cost_json(capsys, "--config", str(stack), "--base", str(stack), "--format", "json")
    assert problems(doc) == []
    assert float(doc["diffTotalMonthlyCost"]) == 0 and doc["projects"][0]["diff"]["resources"] == []

"""The cost engine: reference workloads against hand arithmetic from the catalog's own
prices, every source format, comparisons, diffs and the budget exit code."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from costs.estimate import estimate, estimate_plan
from costs.pricing import FREE, PRICERS, Resource, price
from costs.sources import from_export, from_preview
from infra.cli import main
from infra.offline import plan
from tests.conftest import ROOT

HOURS = 730
FIXTURE = ROOT / "tests" / "fixtures" / "preview-prod.json"


def plan_estimate(path: Path, stack: str):
    return estimate_plan(plan(path, stack, project_dir=ROOT))


# --- reference workloads: hand calculations ----------------------------------------------


def test_hetzner_single_box_matches_the_hand_calculation():
    # examples/hetzner-single-box.yaml (the FinanceHub lean option), catalog prices of 15 Jun 2026:
    server = 8.49  # cx33: 4 vCPU / 8 GB is the cheapest fit
    ipv4 = 0.50
    backups = 0.20 * server  # prod turns on Hetzner backups (+20 %)
    volume = (1 + 30 + 2 * 512 / 1024) * 0.0572  # caddy + db storage_gb + 2× Redis memory, per GB
    object_storage = 4.99  # one base fee per Hetzner project
    hand = server + ipv4 + backups + volume + object_storage  # = €17.51
    est = plan_estimate(ROOT / "examples" / "hetzner-single-box.yaml", "hetzner-single-box")
    assert est.currency == "EUR"
    assert est.total == pytest.approx(hand, rel=0.05)
    assert est.total == pytest.approx(17.5084, abs=0.005)


def test_prod_stack_matches_the_hand_calculation():
    host = 8.49 + 0.50 + 0.2 * 8.49 + 43 * 0.0572 + 3.00  # cx33, IPv4, backups, 43 GB volume, floating IP
    backups_bucket = 10 * 0.015 / 1.1637  # second R2 bucket: 10 GB, the free 10 GB went to the first; USD→EUR
    hand = host + backups_bucket  # = €16.28
    est = plan_estimate(ROOT / "Pulumi.prod.yaml", "prod")
    assert est.total == pytest.approx(hand, rel=0.05)
    assert est.total == pytest.approx(16.2765, abs=0.005)
    assert est.components["main"].monthly == pytest.approx(host, abs=0.005)
    # One R2 bucket fits in the account's 10 GB free tier, the other pays; Pages is free, explicitly.
    r2 = est.components["uploads"].monthly + est.components["backups"].monthly
    assert r2 == pytest.approx(backups_bucket, abs=0.001)
    assert est.components["uploads"].lines and est.components["backups"].lines
    assert est.components["web"].monthly == 0 and est.components["web"].lines


def test_aws_example_matches_the_hand_calculation():
    nat = 0.045 * HOURS + 10 * 0.045 + 0.005 * HOURS  # gateway, 10 GB processed, its Elastic IP
    alb = 0.0225 * HOURS + 1 * 0.008 * HOURS + 2 * 0.005 * HOURS  # hours, 1 LCU, two zone IPv4s
    api_tasks = 2 * (0.5 * 0.03238 + 1 * 0.00356) * HOURS  # 2 ARM tasks of 0.5 vCPU / 1 GB
    worker_task = (0.25 * 0.04048 + 0.5 * 0.004445) * HOURS  # 1 x86 task of 0.25 vCPU / 0.5 GB
    logs = 0.50  # the second log group's 1 GB (the first uses the 5 GB free tier)
    rds = 0.032 * HOURS + 40 * 0.115  # db.t4g.small + 40 GB gp3
    cache = 2 * 0.0128 * HOURS  # two cache.t4g.micro Valkey nodes
    buckets = 3 * 10 * 0.023  # uploads, artifacts, the site bucket; CloudFront inside its free TB
    hand = nat + alb + api_tasks + worker_task + logs + rds + cache + buckets  # = $152.20
    est = plan_estimate(ROOT / "examples" / "aws.yaml", "aws")
    assert est.currency == "USD"
    assert est.total == pytest.approx(hand, rel=0.05)
    assert est.total == pytest.approx(152.198, abs=0.01)
    assert est.components["db"].monthly == pytest.approx(rds, abs=0.005)
    assert est.components["cache"].monthly == pytest.approx(cache, abs=0.005)
    assert est.components["network"].monthly == pytest.approx(nat, abs=0.005)


def test_multi_az_doubles_instance_and_storage():
    res = Resource(
        "urn:db",
        "aws:rds/instance:Instance",
        "db",
        None,
        {"instanceClass": "db.t4g.micro", "allocatedStorage": 20, "multiAz": True},
    )
    lines = price([res]).lines
    assert sum(line.monthly for line in lines) == pytest.approx(2 * (0.016 * HOURS + 20 * 0.115))


def test_usage_quantities_come_from_config(run_plan):
    from tests.conftest import base_config

    config = base_config()
    config["usage"] = {"storage_gb": 110}
    est = estimate_plan(run_plan(config))
    (line,) = est.components["uploads"].lines
    assert line.usage_based and line.quantity == 100  # 110 GB, 10 GB free
    assert line.monthly == pytest.approx(100 * 0.015)


def test_included_allowances_are_modelled():
    server = Resource("urn:s", "hcloud:index/server:Server", "s", None, {"serverType": "cx23"})
    bucket = Resource(
        "urn:b",
        "pulumi-python:dynamic:Resource",
        "b",
        None,
        {"endpoint": "https://fsn1.your-objectstorage.com"},
    )
    from stacks.spec import UsageSpec

    lines = {
        line.name.split(" (")[0]: line
        for line in price([server, bucket], UsageSpec(egress_gb=25_000, storage_gb=3_000)).lines
    }
    assert lines["traffic"].quantity == pytest.approx(5)  # 25 TB out, 20 TB included, €1/TB
    assert lines["traffic"].monthly == pytest.approx(5.00)
    assert lines["Object Storage beyond 1 TB"].quantity == pytest.approx(2)  # 3 TB stored, 1 TB included
    within = price([server, bucket], UsageSpec(egress_gb=100, storage_gb=10)).lines
    assert sum(line.monthly for line in within) == pytest.approx(5.49 + 0.50 + 4.99)


# --- never silently zero ------------------------------------------------------------------


def test_unknown_types_are_unpriced_not_zero():
    res = [Resource("urn:x", "example:index/widget:Widget", "x", None, {})]
    result = price(res)
    assert result.unpriced == res and not result.lines


def test_every_type_the_backends_create_is_priced_or_known_free():
    seen = set()
    for path in [*ROOT.glob("Pulumi.*.yaml"), *(ROOT / "examples").glob("*.yaml")]:
        result = plan(path, path.stem.removeprefix("Pulumi."), project_dir=ROOT)
        seen |= {r.type for r in result.registrations}
    ours = {t for t in seen if not t.startswith(("multicloud:", "pulumi:providers:"))}
    assert ours - set(PRICERS) - FREE == set()


def test_every_catalog_price_has_a_source_and_a_date():
    for provider in ("hetzner", "aws", "cloudflare"):
        doc = yaml.safe_load((ROOT / "costs" / "catalog" / f"{provider}.yaml").read_text())
        for source in doc["sources"].values():
            assert source["url"].startswith("https://") and source["read"]

        def walk(node, path):
            if isinstance(node, dict):
                priced = {
                    "monthly",
                    "hourly",
                    "gb_month",
                    "vcpu_hour",
                    "monthly_per_gb",
                    "gb_ingested",
                    "percent_of_server",
                }
                if priced & set(node) and path[0] != "sources":
                    assert isinstance(node.get("source"), dict) and node["source"]["read"], path
                for key, value in node.items():
                    if key not in ("source", "free"):  # free: allowances, not prices
                        walk(value, [*path, key])
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, [*path, i])

        walk(doc, [provider])


# --- sources ------------------------------------------------------------------------------


def test_preview_fixture_prices_every_kind_of_step():
    change = from_preview(json.loads(FIXTURE.read_text()))
    assert (
        change.ops[
            "urn:pulumi:prod::multicloud::multicloud:index:VpsHost$hcloud:index/volume:Volume::main-volume"
        ]
        == "replace"
    )
    before = estimate(change.before, currency="EUR")
    after = estimate(change.after, currency="EUR")
    # Before: cx23 server (+IPv4, +20 % backups), a 20 GB volume, the legacy S3 bucket.
    assert before.total == pytest.approx(
        5.49 + 0.5 + 0.2 * 5.49 + 20 * 0.0572 + 10 * 0.023 / 1.1637, abs=0.01
    )
    # After: cx33 (+IPv4, +backups), a 40 GB volume, a floating IP, one Object Storage base fee.
    assert after.total == pytest.approx(8.49 + 0.5 + 0.2 * 8.49 + 40 * 0.0572 + 3.00 + 4.99, abs=0.01)
    assert "legacy" in before.components and "legacy" not in after.components
    assert [r.type for r in after.unpriced] == ["example:index/widget:Widget"]


def test_preview_diff_lists_replaced_and_deleted_resources(capsys):
    code = main(["cost", "--stack", "prod", "--from-preview", str(FIXTURE), "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 0
    assert "| replace | main-volume |" in out
    assert "| delete | legacy-bucket |" in out
    assert "| create | archive-bucket |" in out
    assert "Monthly cost will **increase**" in out
    assert "UNPRICED" in out


def test_stack_export_is_priced():
    doc = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:prod::multicloud::pulumi:pulumi:Stack::multicloud-prod",
                    "type": "pulumi:pulumi:Stack",
                    "custom": False,
                },
                {
                    "urn": "urn:pulumi:prod::multicloud::multicloud:index:VpsHost::main",
                    "type": "multicloud:index:VpsHost",
                    "parent": "urn:pulumi:prod::multicloud::pulumi:pulumi:Stack::multicloud-prod",
                },
                {
                    "urn": "urn:pulumi:prod::multicloud::multicloud:index:VpsHost$hcloud:index/server:Server::main-server",
                    "type": "hcloud:index/server:Server",
                    "parent": "urn:pulumi:prod::multicloud::multicloud:index:VpsHost::main",
                    "inputs": {"serverType": "cx23", "backups": False},
                },
            ]
        },
    }
    est = estimate(from_export(doc))
    assert est.components["main"].monthly == pytest.approx(5.49 + 0.5)


# --- CLI ----------------------------------------------------------------------------------


def test_json_has_the_infracost_shape(capsys):
    assert main(["cost", "--stack", "prod", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["currency"] == "EUR" and float(doc["totalMonthlyCost"]) == pytest.approx(16.2765, abs=0.01)
    resource = doc["projects"][0]["breakdown"]["resources"][0]
    assert {"name", "resourceType", "monthlyCost", "costComponents"} <= set(resource)
    assert {"name", "unit", "monthlyQuantity", "price", "monthlyCost"} <= set(resource["costComponents"][0])


def test_compare_prints_every_target_column_and_writes_a_chart(tmp_path, capsys):
    chart = tmp_path / "cost.svg"
    assert (
        main(
            [
                "cost",
                "--stack",
                "prod",
                "--compare",
                "aws,hetzner,cloudflare",
                "--format",
                "markdown",
                "--chart",
                str(chart),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header == "| Component | as configured | aws | hetzner | cloudflare |"
    total = next(line for line in out.splitlines() if line.startswith("| **total**"))
    cells = [c.strip(" *€") for c in total.split("|")[2:-1]]
    assert float(cells[1].replace(",", "")) > 3 * float(cells[0])  # AWS costs several times the box
    assert "api (api) stays on hetzner: cloudflare has no api backend" in out
    svg = ET.fromstring(chart.read_text())
    assert svg.tag.endswith("svg") and len([e for e in svg.iter() if e.tag.endswith("rect")]) == 1 + 4


def test_compare_rejects_unknown_targets(capsys):
    assert main(["cost", "--stack", "prod", "--compare", "azure"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "infra cost: --compare: unknown target azure; known: aws, cloudflare, digitalocean, hetzner"
    )


def test_base_file_diff(tmp_path, capsys):
    bigger = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    bigger["config"]["multicloud:hosts"]["main"]["size"] = {"cpu": 8, "memory_gb": 16}
    head = tmp_path / "Pulumi.prod.yaml"
    head.write_text(yaml.safe_dump(bigger))
    assert (
        main(
            ["cost", "--config", str(head), "--base", str(ROOT / "Pulumi.prod.yaml"), "--format", "markdown"]
        )
        == 0
    )
    out = capsys.readouterr().out
    # cx33 → cx43: server 8.49 → 15.99 and backups 20 % of each: +7.50 × 1.2 = +€9.00
    assert "| main | €16.15 | €25.15 | +€9.00 |" in out


def test_base_git_ref_diff(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.prod.yaml"):
        (repo / name).write_text((ROOT / name).read_text())
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    doc = yaml.safe_load((repo / "Pulumi.prod.yaml").read_text())
    doc["config"]["multicloud:hosts"]["main"]["floating_ip"] = False
    (repo / "Pulumi.prod.yaml").write_text(yaml.safe_dump(doc))
    assert (
        main(["cost", "--config", str(repo / "Pulumi.prod.yaml"), "--base", "HEAD", "--format", "markdown"])
        == 0
    )
    assert "| main | €16.15 | €13.15 | -€3.00 |" in capsys.readouterr().out


def test_over_budget_exits_3_with_one_line(tmp_path, capsys):
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["multicloud:budget"] = {"monthly": 10, "currency": "EUR"}
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main(["cost", "--config", str(path), "--check-budget", "--format", "json"]) == 3
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == "over budget: estimate €16.28/month exceeds the budget of €10.00 by €6.28"


def test_within_budget_exits_0():
    assert main(["cost", "--stack", "prod", "--check-budget", "--format", "json"]) == 0


def test_increase_limits_apply_to_a_change(tmp_path, capsys):
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    doc["config"]["multicloud:budget"] = {"monthly": 100, "currency": "EUR", "max_increase_percent": 20}
    doc["config"]["multicloud:hosts"]["main"]["size"] = {"cpu": 8, "memory_gb": 16}
    head = tmp_path / "Pulumi.prod.yaml"
    head.write_text(yaml.safe_dump(doc))
    assert (
        main(
            [
                "cost",
                "--config",
                str(head),
                "--base",
                str(ROOT / "Pulumi.prod.yaml"),
                "--check-budget",
                "--format",
                "json",
            ]
        )
        == 3
    )
    assert "the change adds 55.3 %; the limit is 20 %" in capsys.readouterr().err


def test_plan_shows_component_costs(capsys):
    assert main(["plan", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "€16.28/month estimated" in out.splitlines()[0]
    assert "VpsHost main  €16.15/mo" in out

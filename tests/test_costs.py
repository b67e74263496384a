"""The cost engine: reference workloads against hand arithmetic from the catalog's own
prices, every source format, comparisons, diffs and the budget exit code."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from multicloud.costs.estimate import estimate, estimate_plan
from multicloud.costs.pricers import FREE, PRICERS, Resource, price
from multicloud.costs.sources import from_export, from_preview
from multicloud.infra.cli import main
from multicloud.infra.offline import plan
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
    checkly = 2 * 0.40 / 1.1637  # the api's URL and certificate monitors, USD → EUR
    hand = server + ipv4 + backups + volume + object_storage + checkly  # = €18.20
    est = plan_estimate(ROOT / "examples" / "hetzner-single-box.yaml", "hetzner-single-box")
    assert est.currency == "EUR"
    assert est.total == pytest.approx(hand, rel=0.05)
    assert est.total == pytest.approx(18.1959, abs=0.005)


def test_prod_stack_matches_the_hand_calculation():
    host = 8.49 + 0.50 + 0.2 * 8.49 + 43 * 0.0572 + 3.00  # cx33, IPv4, backups, 43 GB volume, floating IP
    backups_bucket = 10 * 0.015 / 1.1637  # second R2 bucket: 10 GB, the free 10 GB went to the first; USD→EUR
    checkly = 2 * 0.40 / 1.1637  # the api's URL and certificate monitors (alerts), USD → EUR
    hand = host + backups_bucket + checkly  # = €16.96
    est = plan_estimate(ROOT / "Pulumi.prod.yaml", "prod")
    assert est.total == pytest.approx(hand, rel=0.05)
    assert est.total == pytest.approx(16.9640, abs=0.005)
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
    alerts = 0.50 + 1.00 + 2 * 0.10  # Route 53 HTTPS health check of the ALB, down and certificate alarms
    hand = nat + alb + api_tasks + worker_task + logs + rds + cache + buckets + alerts  # = $153.90
    est = plan_estimate(ROOT / "examples" / "aws.yaml", "aws")
    assert est.currency == "USD"
    assert est.total == pytest.approx(hand, rel=0.05)
    assert est.total == pytest.approx(153.898, abs=0.01)
    assert est.components["db"].monthly == pytest.approx(rds, abs=0.005)
    assert est.components["cache"].monthly == pytest.approx(cache, abs=0.005)
    assert est.components["network"].monthly == pytest.approx(nat, abs=0.005)


def test_digitalocean_example_matches_the_hand_calculation():
    # examples/digitalocean.yaml, prices from costs/catalog/digitalocean.yaml:
    droplets = 3 * 24.00  # api-a, api-b, workers: s-2vcpu-4gb, the cheapest 2 vCPU / 4 GB droplet
    backups = 3 * 0.20 * 24.00  # prod turns on droplet backups (+20 %)
    volumes = 3 * 10 * 0.10  # each droplet's volume: the 10 GB minimum (its data services are managed)
    load_balancer = 1 * 12.00  # one node in front of the api on api-a and api-b
    db = 2 * 60.00  # db-s-2vcpu-4gb for 2 vCPU / 4 GB, and a standby node (multi_az) at the same price
    cache = 15.00  # Valkey db-s-1vcpu-1gb for 1024 MB
    spaces = 5.00  # one subscription; 10 GB stored is inside its 250 GiB
    web = 0.00  # App Platform static site: the account's first static-only app is free
    uptime = 1.00  # the api's DigitalOcean Uptime check (alerts)
    hand = droplets + backups + volumes + load_balancer + db + cache + spaces + web + uptime  # = $242.40
    est = plan_estimate(ROOT / "examples" / "digitalocean.yaml", "digitalocean")
    assert (est.currency, est.unpriced) == ("USD", [])
    assert hand == pytest.approx(242.40)
    assert est.total == pytest.approx(hand, abs=0.005)
    per_host = 24.00 + 0.20 * 24.00 + 10 * 0.10
    assert {n: c.monthly for n, c in est.components.items() if c.monthly} == pytest.approx(
        {
            "api-a": per_host,
            "api-b": per_host,
            "workers": per_host,
            "api": load_balancer,
            "db": db,
            "cache": cache,
            "files": spaces,
            "alerts": uptime,
        }
    )
    # The workers are priced on their host; the static site has a line that says it is free.
    assert (est.components["collector"].lines, est.components["scheduler"].lines) == ([], [])
    assert [(line.name, line.monthly) for line in est.components["web"].lines] == [
        ("App Platform static site (one of 3 free per account)", 0.0)
    ]


def test_digitalocean_app_platform_example_matches_the_hand_calculation():
    # examples/digitalocean-app-platform.yaml, prices from costs/catalog/digitalocean.yaml:
    api = 2 * 34.00  # 1 vCPU / 1 GB autoscaled needs a dedicated size: apps-d-1vcpu-1gb, 2 instances minimum
    collector = 1 * 5.00  # no size: apps-s-1vcpu-0.5gb, the cheapest, one instance
    db = 30.00  # db-s-1vcpu-2gb for 1 vCPU / 2 GB, one node
    cache = 15.00  # Valkey db-s-1vcpu-1gb for 1024 MB
    spaces = 5.00  # one subscription
    web = 0.00  # the first static-only app is free
    uptime = 1.00  # the api's DigitalOcean Uptime check (alerts)
    hand = api + collector + db + cache + spaces + web + uptime  # = $124.00
    est = plan_estimate(ROOT / "examples" / "digitalocean-app-platform.yaml", "digitalocean-app-platform")
    assert (est.currency, est.unpriced) == ("USD", [])
    assert hand == pytest.approx(124.00)
    assert est.total == pytest.approx(hand, abs=0.005)
    assert {n: c.monthly for n, c in est.components.items() if c.monthly} == {
        "api": api,
        "collector": collector,
        "db": db,
        "cache": cache,
        "files": spaces,
        "alerts": uptime,
    }
    ((line,),) = [est.components["api"].lines]
    assert (line.quantity, line.unit_price, line.note) == (2, 34.00, "autoscales to 4")


@pytest.mark.parametrize(
    ("example", "total"),
    [("digitalocean.yaml", 242.40), ("digitalocean-app-platform.yaml", 124.00)],
)
def test_cli_cost_of_the_digitalocean_examples(example, total, capsys):
    assert main(["cost", "--config", str(ROOT / "examples" / example), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["currency"], float(doc["totalMonthlyCost"])) == ("USD", pytest.approx(total, abs=0.005))


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
    from multicloud.costs.usage import UsageSpec

    lines = {
        line.name.split(" (")[0]: line
        for line in price([server, bucket], UsageSpec(egress_gb=25_000, storage_gb=3_000)).lines
    }
    assert lines["traffic"].quantity == pytest.approx(5)  # 25 TB out, 20 TB included, €1/TB
    assert lines["traffic"].monthly == pytest.approx(5.00)
    assert lines["Object Storage beyond 1 TB"].quantity == pytest.approx(2)  # 3 TB stored, 1 TB included
    within = price([server, bucket], UsageSpec(egress_gb=100, storage_gb=10)).lines
    assert sum(line.monthly for line in within) == pytest.approx(5.49 + 0.50 + 4.99)


# --- DigitalOcean load balancers and App Platform -----------------------------------------

APP = "digitalocean:index/app:App"


def do_app(urn: str, **spec: object) -> Resource:
    return Resource(urn, APP, urn.rsplit(":", 1)[1], None, {"spec": spec})


def static_site(name: str) -> dict:
    return {"name": name, "github": {"repo": f"acme/{name}", "branch": "main"}}


@pytest.mark.parametrize(("inputs", "nodes"), [({"sizeUnit": 3}, 3), ({}, 1)])
def test_a_load_balancer_costs_12_dollars_per_node(inputs, nodes):
    lb = Resource("urn:lb", "digitalocean:index/loadBalancer:LoadBalancer", "lb", None, inputs)
    (line,) = price([lb]).lines
    assert (line.quantity, line.unit, line.unit_price, line.currency) == (nodes, "node-month", 12.00, "USD")
    assert line.monthly == 12.00 * nodes
    assert line.source == "https://docs.digitalocean.com/products/networking/load-balancers/details/pricing/"


def test_app_platform_bills_each_component_by_size_and_instances():
    app = do_app(
        "urn:app:api",
        services=[{"name": "api", "instanceSizeSlug": "apps-s-1vcpu-1gb", "instanceCount": 3}],
        workers=[{"name": "jobs", "instanceSizeSlug": "apps-d-1vcpu-2gb"}],
    )
    lines = price([app]).lines
    assert [(line.name, line.quantity, line.unit_price, line.note) for line in lines] == [
        ("App Platform api apps-s-1vcpu-1gb × 3", 3, 12.00, ""),
        ("App Platform jobs apps-d-1vcpu-2gb × 1", 1, 39.00, ""),  # no count: one instance
    ]
    assert sum(line.monthly for line in lines) == 3 * 12.00 + 39.00


def test_an_autoscaled_component_is_priced_at_its_minimum():
    scaling = {"minInstanceCount": 2, "maxInstanceCount": 6, "metrics": {"cpu": {"percent": 60}}}
    app = do_app(
        "urn:app:api",
        services=[{"name": "api", "instanceSizeSlug": "apps-d-1vcpu-1gb", "autoscaling": scaling}],
    )
    (line,) = price([app]).lines
    assert (line.quantity, line.monthly, line.note) == (2, 2 * 34.00, "autoscales to 6")


def test_an_unknown_app_size_is_marked_unpriced_not_silently_zero():
    app = do_app("urn:app:api", services=[{"name": "api", "instanceSizeSlug": "apps-x-9vcpu-1gb"}])
    (line,) = price([app]).lines
    assert (line.monthly, line.note, line.source) == (0.0, "unpriced SKU", None)


def test_three_static_only_apps_are_free_then_3_dollars_each():
    # By URN, as the engine's order varies: a, b, c take the free three, d pays. The mixed app's
    # static site is part of a paid app and takes no free slot.
    static = [do_app(f"urn:app:{n}", staticSites=[static_site(n)]) for n in "dbca"]
    mixed = do_app(
        "urn:app:0-mixed",
        staticSites=[static_site("docs")],
        services=[{"name": "api", "instanceSizeSlug": "apps-s-1vcpu-0.5gb"}],
    )
    lines = price([*static, mixed]).lines
    assert [(line.resource, line.name, line.monthly) for line in lines] == [
        ("urn:app:0-mixed", "App Platform api apps-s-1vcpu-0.5gb × 1", 5.00),
        ("urn:app:a", "App Platform static site (one of 3 free per account)", 0.0),
        ("urn:app:b", "App Platform static site (one of 3 free per account)", 0.0),
        ("urn:app:c", "App Platform static site (one of 3 free per account)", 0.0),
        ("urn:app:d", "App Platform static site", 3.00),
    ]


def test_digitalocean_certificates_and_dns_records_are_free():
    res = [
        Resource(
            "urn:cert", "digitalocean:index/certificate:Certificate", "cert", None, {"type": "lets_encrypt"}
        ),
        Resource("urn:dns", "digitalocean:index/dnsRecord:DnsRecord", "dns", None, {"type": "A"}),
    ]
    result = price(res)
    assert (result.free, result.lines, result.unpriced) == (res, [], [])


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
    for provider in ("hetzner", "aws", "cloudflare", "digitalocean"):
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
                    "percent_of_droplet",
                    "monthly_per_node",
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
    assert doc["currency"] == "EUR" and float(doc["totalMonthlyCost"]) == pytest.approx(16.9640, abs=0.01)
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
    assert svg.tag.endswith("svg")
    # Each bar is stacked by component: one segment per priced component of each target,
    # with its name and cost as a tooltip, and a legend square per component.
    segments = [e for e in svg.iter() if e.tag.endswith("rect") and any(c.tag.endswith("title") for c in e)]
    tips = ["".join(c.itertext()) for e in segments for c in e if c.tag.endswith("title")]
    assert any(t.startswith("main: ") for t in tips) and any(t.startswith("db: ") for t in tips)
    texts = ["".join(e.itertext()) for e in svg.iter() if e.tag.endswith("text")]
    assert "4 vCPU · 8 GB memory · 43 GB storage" in texts  # the configured stack's capacity under its bar


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
    assert line == "over budget: estimate €16.96/month exceeds the budget of €10.00 by €6.96"


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
    assert "the change adds 53.1 %; the limit is 20 %" in capsys.readouterr().err


def test_plan_shows_component_costs(capsys):
    assert main(["plan", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "€16.96/month estimated" in out.splitlines()[0]
    assert "VpsHost main  €16.15/mo" in out

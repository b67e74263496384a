"""`infra cost --compare`: re-targeting a stack keeps it a valid stack.

Each example is moved to every other provider with `stacks.compare.retarget`; the result must
validate (so the comparison prices a real plan), and the notes must say what did not move
or was changed on the way.
"""

from __future__ import annotations

import pytest
import yaml

from stacks.compare import retarget
from stacks.loader import NAMESPACE, ConfigError, RawConfig, parse
from tests.conftest import ROOT

EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.yaml"))
TARGETS = ["aws", "cloudflare", "digitalocean", "hetzner"]


def example(name: str) -> dict:
    doc = yaml.safe_load((ROOT / "examples" / name).read_text())["config"]
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in doc.items() if k.startswith(prefix)}


def validates(values: dict) -> list[str]:
    secrets = {
        "ssh_private_key": "x",
        "hetzner_s3_access_key": "x",
        "hetzner_s3_secret_key": "x",
        "healthchecks_api_key": "x" * 32,
    }
    try:
        parse(RawConfig(values | secrets, frozenset(secrets)))
    except ConfigError as err:
        return err.lines()
    return []


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_moves_to_every_target_as_a_valid_stack(name, target):
    moved, _ = retarget(example(name), target)
    assert validates(moved) == []


def test_an_api_across_droplets_lands_on_one_hetzner_host():
    moved, notes = retarget(example("digitalocean.yaml"), "hetzner")
    api = moved["services"]["api"]
    assert "hosts" not in api and api["host"] == "main"
    assert "api: hosts dropped (hetzner does not have it)" in notes
    # The droplets nothing runs on any more are gone, the dashboard stays on App Platform.
    assert set(moved["hosts"]) == {"main"}
    assert moved["services"]["web"]["target"] == "digitalocean"
    assert moved["digitalocean"] == {"region": "fra1"}


def test_a_prod_database_moved_onto_a_host_gets_backups():
    moved, notes = retarget(example("digitalocean.yaml"), "hetzner")
    assert moved["services"]["db"]["backup"] == {"bucket": "files"}
    assert "db: backup to files added (prod databases on a host need one)" in notes


def test_services_that_stay_keep_their_droplets():
    moved, notes = retarget(example("digitalocean.yaml"), "cloudflare")
    assert moved["services"]["api"]["hosts"] == ["api-a", "api-b"]
    assert set(moved["hosts"]) == {"api-a", "api-b", "workers"}
    assert "web (static_site) stays on digitalocean: Pages needs the zone on Cloudflare DNS" in notes
    assert moved["cloudflare"]["account_id"] == "0" * 32


def test_app_platform_settings_are_dropped_elsewhere():
    moved, notes = retarget(example("digitalocean-app-platform.yaml"), "aws")
    assert {"runtime", "instance_size"}.isdisjoint(moved["services"]["api"])
    assert moved["services"]["api"]["max_replicas"] == 4  # AWS autoscales too
    assert "api: runtime dropped (aws does not have it)" in notes


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_no_note_says_a_target_lacks_backups_it_has(name, target):
    _, notes = retarget(example(name), target)
    assert not any("backup dropped" in note or "backup_days dropped" in note for note in notes), notes


def test_a_configured_backup_is_replaced_by_the_targets_own():
    from stacks.compare import EQUIVALENTS

    _, notes = retarget(example("hetzner-single-box.yaml"), "digitalocean")
    assert f"db: backup → {EQUIVALENTS[('postgres', 'backup', 'digitalocean')]}" in notes
    _, notes = retarget(example("hetzner-single-box.yaml"), "aws")
    assert f"db: backup → {EQUIVALENTS[('postgres', 'backup', 'aws')]}" in notes


@pytest.mark.parametrize(
    ("stack", "target"),
    [("Pulumi.prod.yaml", "aws"), ("Pulumi.prod.yaml", "digitalocean"), ("examples/aws.yaml", "hetzner")],
)
def test_the_emitted_stack_validates_and_costs_what_the_comparison_showed(stack, target, tmp_path, capsys):
    import json

    from infra.cli import main

    emitted = tmp_path / f"Pulumi.{target}.yaml"
    path = str(ROOT / stack)
    assert (
        main(["cost", "--config", path, "--compare", target, "--emit", str(emitted), "--format", "json"]) == 0
    )
    compared = json.loads(capsys.readouterr().out)[target]
    assert emitted.read_text().startswith(f"# Moved to {target} by")
    assert main(["validate", "--config", str(emitted)]) == 0
    capsys.readouterr()
    assert main(["cost", "--config", str(emitted), "--format", "json"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert (alone["currency"], alone["totalMonthlyCost"]) == (
        compared["currency"],
        compared["totalMonthlyCost"],
    )


def test_emit_needs_exactly_one_target(tmp_path, capsys):
    from infra.cli import main

    argv = [
        "cost",
        "--config",
        str(ROOT / "Pulumi.prod.yaml"),
        "--compare",
        "aws,hetzner",
        "--emit",
        str(tmp_path / "x.yaml"),
    ]
    assert main(argv) == 2
    assert "give --compare exactly one target" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_capacity_is_counted_from_what_is_bought():
    from costs.estimate import estimate_plan
    from infra.offline import plan

    prod = estimate_plan(plan(ROOT / "Pulumi.prod.yaml", "prod", project_dir=ROOT)).capacity
    # One cx33 (4 vCPU, 8 GB); the 43 GB volume holds the data.
    assert prod.as_dict() == {"vcpu": 4, "memory_gb": 8, "storage_gb": 43} and prod.unknown == []
    aws = estimate_plan(plan(ROOT / "examples" / "aws.yaml", "aws", project_dir=ROOT)).capacity
    # api 2 × 0.5 vCPU / 1 GB, worker 0.25 / 0.5, RDS db.t4g.small (2 / 2, 40 GB), 2 × cache.t4g.micro (2 / 0.5).
    assert aws.as_dict() == {"vcpu": 1.0 + 0.25 + 2 + 4, "memory_gb": 2 + 0.5 + 2 + 1, "storage_gb": 40}


def test_compare_shows_capacity_and_calls_out_unequal_capacity(capsys):
    import json

    from infra.cli import main

    assert (
        main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--compare", "aws", "--format", "json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["as configured"]["capacity"] == {"vcpu": 4, "memory_gb": 8, "storage_gb": 43}
    assert set(doc["aws"]["capacity"]) == {"vcpu", "memory_gb", "storage_gb"}
    assert (
        main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--compare", "aws", "--format", "markdown"])
        == 0
    )
    out = capsys.readouterr().out
    assert "| vCPU | 4 |" in out and "| memory GB | 8 |" in out
    assert "aws: memory" in out and "as configured" in out  # more than 25 % apart, said

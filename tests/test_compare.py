"""`infra cost --compare`: re-targeting a stack keeps it a valid stack.

Each example is moved to every other provider with `stacks.compare.retarget`; the result must
validate (so the comparison prices a real plan), and the notes must say what did not move
or was changed on the way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from multicloud.stacks.compare import retarget
from multicloud.stacks.loader import NAMESPACE, ConfigError, RawConfig, parse
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
    assert "api: hosts dropped (the api runs on one host, not several)" in notes
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
    assert "api: runtime dropped (multicloud has no such setting on aws)" in notes


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_no_note_says_a_target_lacks_backups_it_has(name, target):
    _, notes = retarget(example(name), target)
    assert not any("backup dropped" in note or "backup_days dropped" in note for note in notes), notes


def test_a_configured_backup_is_replaced_by_the_targets_own():
    from multicloud.stacks.compare import EQUIVALENTS

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

    from multicloud.infra.cli import main

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
    from multicloud.infra.cli import main

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
    from multicloud.costs.estimate import estimate_plan
    from multicloud.infra.offline import plan

    prod = estimate_plan(plan(ROOT / "Pulumi.prod.yaml", "prod", project_dir=ROOT)).capacity
    # One cx33 (4 vCPU, 8 GB); the 43 GB volume holds the data.
    assert prod.as_dict() == {"vcpu": 4, "memory_gb": 8, "storage_gb": 43} and prod.unknown == []
    aws = estimate_plan(plan(ROOT / "examples" / "aws.yaml", "aws", project_dir=ROOT)).capacity
    # api 2 × 0.5 vCPU / 1 GB, worker 0.25 / 0.5, RDS db.t4g.small (2 / 2, 40 GB), 2 × cache.t4g.micro (2 / 0.5).
    assert aws.as_dict() == {"vcpu": 1.0 + 0.25 + 2 + 4, "memory_gb": 2 + 0.5 + 2 + 1, "storage_gb": 40}


def test_compare_shows_capacity_and_calls_out_unequal_capacity(capsys):
    import json

    from multicloud.infra.cli import main

    assert (
        main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--compare", "aws", "--format", "json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["as configured"]["capacity"] == {"vcpu": 4, "memory_gb": 8, "storage_gb": 43, "redundant": []}
    assert set(doc["aws"]["capacity"]) == {"vcpu", "memory_gb", "storage_gb", "redundant"}
    assert (
        main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--compare", "aws", "--format", "markdown"])
        == 0
    )
    out = capsys.readouterr().out
    assert "| vCPU | 4 |" in out and "| memory GB | 8 |" in out
    assert "- aws: capacity not like for like, vCPU 6 against 4 (+50 %)" in out  # more than 25 % apart, said
    assert "- aws: db: 1 vCPU / 2.33 GB as configured → 2 vCPU / 4 GB" in out


def test_services_sharing_a_host_get_their_share_by_the_documented_rule():
    from multicloud.stacks.compare import host_shares

    shares = host_shares(example("hetzner-single-box.yaml"))
    # box: 4 vCPU / 8 GB for api, worker, db and cache (512 MB): the cache takes its memory,
    # the other three share the rest equally; vCPUs are split four ways.
    assert {n: (round(c, 3), round(m, 3)) for n, (c, m, _) in shares.items()} == {
        "api": (1.0, 2.5), "worker": (1.0, 2.5), "db": (1.0, 2.5), "cache": (1.0, 0.5),
    }  # fmt: skip


def test_an_explicit_size_is_kept_and_taken_off_the_host_first():
    from multicloud.stacks.compare import host_shares

    config = example("hetzner-single-box.yaml")
    config["services"]["api"]["size"] = {"cpu": 2, "memory_gb": 4}
    shares = host_shares(config)
    assert shares["api"][:2] == (2.0, 4.0)
    assert shares["worker"][:2] == (
        pytest.approx(2 / 3),
        pytest.approx(3.5 / 2),
    )  # (4-2)/3 vCPU, (8-4-0.5)/2 GB
    moved, notes = retarget(config, "aws")
    assert moved["services"]["api"]["size"] == {"cpu": 2, "memory_gb": 4}  # kept as configured
    assert not any(note.startswith("api: size") for note in notes)


def test_a_moved_service_keeps_its_share_and_a_new_host_is_the_sum():
    moved, notes = retarget(example("hetzner-single-box.yaml"), "aws")
    assert moved["services"]["worker"]["size"] == {"cpu": 1.0, "memory_gb": 2.5}
    assert (
        "worker: size 1 vCPU / 2.5 GB, its share of host box (4 vCPU / 8 GB, shared by 4 services)" in notes
    )
    # To DigitalOcean the data services become managed clusters: the droplet that remains for the
    # api and the worker is sized to them, not to the whole box.
    moved, notes = retarget(example("hetzner-single-box.yaml"), "digitalocean")
    (host,) = moved["hosts"].values()
    assert host["size"] == {"cpu": 2.0, "memory_gb": 5.0}  # 1 + 1 vCPU; 2.5 + 2.5 GB
    assert (
        "host main added: 2 vCPU / 5 GB for what it now holds (2 vCPU / 5 GB; it takes api, worker)" in notes
    )


def test_the_capacity_note_says_which_components_hold_it():
    from multicloud.costs.estimate import estimate_plan
    from multicloud.infra.offline import plan

    est = estimate_plan(plan(ROOT / "examples" / "aws.yaml", "aws", project_dir=ROOT))
    parts = {name: (c.vcpu, c.memory_gb) for name, c in est.capacity_by_component.items()}
    assert parts == {"api": (1.0, 2.0), "worker": (0.25, 0.5), "db": (2, 2), "cache": (4, 1.0)}
    total = est.capacity
    assert (sum(v for v, _ in parts.values()), sum(m for _, m in parts.values())) == (
        total.vcpu,
        total.memory_gb,
    )


def configured(path: str):
    """A stack's raw values and its estimate, as `infra cost --compare` has them."""
    from multicloud.costs.estimate import estimate_plan
    from multicloud.infra.offline import plan

    doc = yaml.safe_load((ROOT / path).read_text())["config"]
    prefix = f"{NAMESPACE}:"
    values = {k[len(prefix) :]: v for k, v in doc.items() if k.startswith(prefix)}
    return values, estimate_plan(plan(ROOT / path, "compare", project_dir=ROOT))


def test_a_host_that_takes_services_is_resized_to_hold_them():
    # hetzner-compute-rds: the box (2 vCPU / 4 GB) runs api, worker and cache; the database
    # is an RDS db.t4g.micro (2 vCPU / 1 GB). Moved to Hetzner, the box takes the database too.
    values, est = configured("examples/hetzner-compute-rds.yaml")
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    assert moved["hosts"]["box"]["size"] == {"cpu": 4.0, "memory_gb": 5.0}
    assert "db: size → its host is sized to hold it" in notes
    assert any(n.startswith("host box resized from 2 vCPU / 4 GB: 4 vCPU / 5 GB") for n in notes), notes
    # Without the configured capacity only explicit sizes count: the box is sized by db's size.
    moved, _ = retarget(values, "hetzner")
    assert moved["hosts"]["box"]["size"] == {"cpu": 4.0, "memory_gb": 5.0}


def test_a_service_on_a_managed_sku_keeps_that_size_when_it_moves():
    values, est = configured("examples/digitalocean-app-platform.yaml")
    moved, notes = retarget(values, "aws", est.capacity_by_component)
    # collector ran on one apps-s-1vcpu-0.5gb; on Fargate it asks for the same.
    assert moved["services"]["collector"]["size"] == {"cpu": 1.0, "memory_gb": 0.5}
    assert "collector: size 1 vCPU / 0.5 GB, what one apps-s-1vcpu-0.5gb on digitalocean has" in notes


def test_an_explicit_database_size_sizes_the_host_it_moves_to():
    # aws.yaml: api 2 × 0.5 vCPU / 1 GB, worker 0.25 / 0.5, db size 2 / 2, cache memory_mb 512.
    values, est = configured("examples/aws.yaml")
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    assert moved["hosts"]["main"]["size"] == {"cpu": 4.0, "memory_gb": 5.0}  # ⌈3.25⌉, 1 + 0.5 + 2 + 0.5
    assert "cache: nodes dropped (a Redis on a host has no replica)" in notes  # nodes: 2
    # multi_az: false is dropped without a word: nothing is lost.
    assert not any(n.startswith("db: multi_az") for n in notes)
    _, notes = retarget(example("digitalocean.yaml"), "hetzner")
    assert "db: multi_az dropped (a database on a host has no standby node)" in notes


def test_tls_is_named_on_both_sides_when_an_api_moves():
    _, notes = retarget(example("hetzner-single-box.yaml"), "aws")
    assert (
        "api: TLS by Caddy on the host with a Let's Encrypt certificate → "
        "an ACM certificate on the load balancer, renewed by AWS"
    ) in notes
    _, notes = retarget(example("digitalocean.yaml"), "hetzner")
    assert any(
        n.startswith("api: TLS by a DigitalOcean Let's Encrypt certificate on the load balancer")
        for n in notes
    )


def test_the_capacity_differences_name_the_sku_and_the_rule(capsys):
    from multicloud.infra.cli import main

    assert main(["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--compare", "aws,digitalocean"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "aws: capacity not like for like, vCPU 6 against 4 (+50 %)" in out
    # The database had a third of the box after the cache's 1 GB; RDS has no 2.33 GB class.
    assert (
        "aws: db: 1 vCPU / 2.33 GB as configured → 2 vCPU / 4 GB (db.t4g.medium (2 burstable vCPU / 4 GB)): "
        "db.t4g.medium is the smallest RDS instance class that holds it"
    ) in out
    assert "digitalocean: host main (api, worker): 2 vCPU / 4.67 GB as configured → 4 vCPU / 8 GB" in out
    assert "s-4vcpu-8gb is the smallest DigitalOcean droplet size that holds them" in out


def test_redundancy_is_shown_per_target(capsys):
    import json

    from multicloud.infra.cli import main

    path = str(ROOT / "examples" / "digitalocean.yaml")
    assert main(["cost", "--config", path, "--compare", "hetzner,aws", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # api on two droplets and db with a standby survive a machine; on one Hetzner host nothing does.
    assert doc["as configured"]["capacity"]["redundant"] == ["api", "db"]
    assert doc["hetzner"]["capacity"]["redundant"] == []
    assert {"api", "db"} <= set(doc["aws"]["capacity"]["redundant"])


HOSTILE = sorted(f"tests/data/compare/{p.name}" for p in (ROOT / "tests" / "data" / "compare").glob("*.yaml"))
STACKS = [
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    "Pulumi.staging.yaml",
    *(f"examples/{n}" for n in EXAMPLES),
    *HOSTILE,
]
_CONFIGURED: dict[str, tuple[dict, object]] = {}


def configured_once(path: str):
    """`configured`, planned once per stack for every target (the file's tests share a worker)."""
    if path not in _CONFIGURED:
        _CONFIGURED[path] = configured(path)
    return _CONFIGURED[path]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_comparison_is_like_for_like_or_says_why_and_its_stack_file_plans(stack, target):
    """For every shipped stack (and the hostile ones in tests/data/compare) and target: the
    stack file --emit writes — the very text the column plans and prices — plans (config and
    every resource's provider rules); every component's difference adds up to the column's
    exactly, and each one more than 25 % off is in the output with a reason. (The CLI round
    trip, --emit then `infra cost` on the file, is test_the_emitted_stack_validates….)"""
    from multicloud.infra.cli import _retargeted, _retargeted_file
    from multicloud.stacks.compare import differences

    values, current = configured_once(stack)
    text = _retargeted_file(values, target, current)
    column = _retargeted(values, text, target, "compare", current)
    assert not [n for n in column.notes if n.startswith("cannot be planned")], column.notes
    assert not any("does not have" in note for note in column.notes), column.notes

    moved = {k.removeprefix("multicloud:"): v for k, v in yaml.safe_load(text)["config"].items()}
    every = differences(values, current, moved, column.estimate, target, tolerance=0)
    before, after = current.capacity, column.estimate.capacity
    for i, change in enumerate((after.vcpu - before.vcpu, after.memory_gb - before.memory_gb)):
        assert sum(d.got[i] - d.had[i] for d in every) == pytest.approx(change, abs=0.02), every
    listed = {d.name: d for d in column.differences}
    for d in every:
        if any(abs(g - h) > 0.25 * h if h else g > 0 for h, g in zip(d.had, d.got, strict=True)):
            assert d.name in listed and listed[d.name].reasons, (d, listed)


def test_a_host_keeps_its_architecture_when_it_takes_services():
    values, est = configured("tests/data/compare/arm-box-with-rds.yaml")
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    box = moved["hosts"]["box"]
    assert "server_type" not in box and (box["arch"], box["cpu_kind"]) == ("arm64", "shared")
    assert any(n.startswith("host box resized from cax21: 6 vCPU / 9 GB") for n in notes), notes


def test_replicas_on_several_hosts_count_on_each():
    # api: 2 replicas of 1 vCPU / 2 GB on each of two droplets; the AWS worker (1 / 2) moves onto api-a.
    values, est = configured("tests/data/compare/api-on-two-droplets-sized.yaml")
    moved, notes = retarget(values, "digitalocean", est.capacity_by_component)
    assert moved["hosts"]["api-a"]["size"] == {"cpu": 3.0, "memory_gb": 6.0}
    # To Hetzner the api's two droplets become one host: the same four containers.
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    assert moved["services"]["api"]["replicas"] == 4
    assert "api: replicas 2 per host on 2 hosts → 4" in notes


def test_a_host_never_shrinks_and_room_no_service_had_is_said():
    values, est = configured("tests/data/compare/big-box-small-services.yaml")
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    assert moved["hosts"]["box"]["size"] == {"cpu": 8.0, "memory_gb": 16.0}
    assert any(n.startswith("host box keeps 8 vCPU / 16 GB: what it now holds fits") for n in notes), notes


def test_room_no_service_had_is_a_row_of_its_own(capsys):
    import json

    from multicloud.infra.cli import main

    path = str(ROOT / "tests" / "data" / "compare" / "big-box-small-services.yaml")
    assert main(["cost", "--config", path, "--compare", "aws", "--format", "json"]) == 0
    rows = {d["component"]: d for d in json.loads(capsys.readouterr().out)["aws"]["capacity_differences"]}
    room = rows["host box, room no service had"]
    assert room["had"] == {"vcpu": 7.0, "memory_gb": 14.0} and room["got"] == {"vcpu": 0.0, "memory_gb": 0.0}


def test_a_redis_sized_by_node_type_keeps_that_memory_within_what_the_target_has():
    values, est = configured("tests/data/compare/redis-by-node-type.yaml")
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    assert moved["services"]["cache"]["memory_mb"] == int(3.09 * 1024)  # cache.t4g.medium
    moved, notes = retarget(values, "digitalocean", est.capacity_by_component)
    assert moved["services"]["cache"]["memory_mb"] == 2048  # db-s-1vcpu-2gb, the largest Valkey size
    assert "cache: memory_mb 3164 → 2048, the most a catalogued digitalocean size has" in notes


def test_a_host_bigger_than_any_type_is_capped_and_said(capsys):
    import json

    from multicloud.infra.cli import main

    values, est = configured("tests/data/compare/three-big-droplets.yaml")
    moved, notes = retarget(values, "hetzner", est.capacity_by_component)
    assert moved["hosts"]["main"]["size"] == {"cpu": 16.0, "memory_gb": 32.0}  # cx53
    assert any("is more than the largest hetzner type catalogued (cx53" in n for n in notes), notes
    path = str(ROOT / "tests" / "data" / "compare" / "three-big-droplets.yaml")
    assert main(["cost", "--config", path, "--compare", "hetzner", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["hetzner"]["capacity_differences"]
    assert "cx53 is the largest Hetzner server type catalogued" in row["reasons"]


def test_the_reason_names_storage_when_it_picked_the_size(capsys):
    import json

    from multicloud.infra.cli import main

    # saas-two-hosts: db needs 1 vCPU / 2 GB, which db-s-1vcpu-2gb holds — but with 30 GB;
    # storage_gb 60 is what needs db-s-2vcpu-4gb.
    path = str(ROOT / "examples" / "saas-two-hosts.yaml")
    assert main(["cost", "--config", path, "--compare", "digitalocean", "--format", "json"]) == 0
    rows = {
        d["component"]: d for d in json.loads(capsys.readouterr().out)["digitalocean"]["capacity_differences"]
    }
    assert rows["db"]["reasons"][0] == (
        "db-s-1vcpu-2gb would hold the vCPUs and memory but includes 30 GB of storage; storage_gb 60 needs db-s-2vcpu-4gb"
    )


def test_emit_writes_nothing_when_its_stack_cannot_be_planned(tmp_path, capsys, monkeypatch):
    from multicloud.infra import cli
    from multicloud.stacks.loader import ConfigError as Refused

    real = cli.plan

    def refuse_moved(path, stack, *args, **kwargs):
        if "Moved to" in Path(path).read_text():
            raise Refused([("services.db.size", "no catalogued size holds it")])
        return real(path, stack, *args, **kwargs)

    monkeypatch.setattr(cli, "plan", refuse_moved)
    out = tmp_path / "x.yaml"
    argv = ["cost", "--config", str(ROOT / "Pulumi.prod.yaml"), "--compare", "aws", "--emit", str(out)]
    assert cli.main(argv) == 2
    assert "--emit: the stack moved to aws cannot be planned on aws" in capsys.readouterr().err
    assert not out.exists()


def test_a_load_balancer_on_one_droplet_is_named_as_what_serves_tls():
    config = example("digitalocean.yaml")
    api = config["services"]["api"]
    api["hosts"], api["load_balancer"] = ["api-a"], True
    _, notes = retarget(config, "aws")
    assert "api: load_balancer → an Application Load Balancer in front of the tasks (always, on AWS)" in notes
    assert (
        "api: TLS by a DigitalOcean Let's Encrypt certificate on the load balancer → "
        "an ACM certificate on the load balancer, renewed by AWS"
    ) in notes

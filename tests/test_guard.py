"""The replacement guard over `pulumi preview --json` documents: stateful vs stateless
resources under create, update, replace and delete."""

from __future__ import annotations

import json

import pytest

from multicloud.infra.cli import main
from multicloud.infra.guard import findings
from tests.conftest import ROOT

PREFIX = "urn:pulumi:prod::multicloud::"


def step(op: str, type_token: str, name: str, inputs: dict | None = None) -> dict:
    urn = f"{PREFIX}multicloud:index:X${type_token}::{name}"
    state = {"urn": urn, "type": type_token, "inputs": inputs or {}}
    doc: dict = {"op": op, "urn": urn}
    if op in ("create", "create-replacement", "update", "replace", "same"):
        doc["newState"] = state
    if op in ("delete", "delete-replaced", "update", "replace", "same"):
        doc["oldState"] = state
    return doc


STATEFUL = [
    ("hcloud:index/volume:Volume", {}),
    ("hcloud:index/server:Server", {}),
    ("aws:rds/instance:Instance", {}),
    ("aws:elasticache/replicationGroup:ReplicationGroup", {}),
    ("aws:s3/bucket:Bucket", {}),
    ("cloudflare:index/r2Bucket:R2Bucket", {}),
    ("pulumi-python:dynamic:Resource", {"endpoint": "https://fsn1.your-objectstorage.com"}),
    ("random:index/randomPassword:RandomPassword", {}),
]
STATELESS = [
    ("hcloud:index/firewall:Firewall", {}),
    ("cloudflare:index/dnsRecord:DnsRecord", {}),
    ("aws:ecs/service:Service", {}),
    ("command:remote:Command", {}),
]


@pytest.mark.parametrize(("type_token", "inputs"), STATEFUL, ids=[t for t, _ in STATEFUL])
@pytest.mark.parametrize("op", ["replace", "delete"])
def test_destroying_data_is_found(type_token, inputs, op):
    (found,) = findings({"steps": [step(op, type_token, "thing", inputs)]})
    assert (found.type, found.op, found.name) == (type_token, op, "thing")


@pytest.mark.parametrize(("type_token", "inputs"), STATEFUL, ids=[t for t, _ in STATEFUL])
@pytest.mark.parametrize("op", ["create", "update", "same"])
def test_keeping_data_is_fine(type_token, inputs, op):
    assert findings({"steps": [step(op, type_token, "thing", inputs)]}) == []


@pytest.mark.parametrize(("type_token", "inputs"), STATELESS, ids=[t for t, _ in STATELESS])
@pytest.mark.parametrize("op", ["create", "update", "replace", "delete"])
def test_stateless_resources_never_block(type_token, inputs, op):
    assert findings({"steps": [step(op, type_token, "thing", inputs)]}) == []


def test_a_replacement_is_reported_once_across_its_three_steps():
    steps = [
        step(op, "hcloud:index/volume:Volume", "data")
        for op in ("replace", "create-replacement", "delete-replaced")
    ]
    assert len(findings({"steps": steps})) == 1


def test_other_dynamic_resources_are_not_buckets():
    assert (
        findings(
            {
                "steps": [
                    step("delete", "pulumi-python:dynamic:Resource", "x", {"endpoint": "https://example.com"})
                ]
            }
        )
        == []
    )


def test_allow_replace_accepts_exactly_the_named_urn():
    doc = {
        "steps": [
            step("replace", "hcloud:index/volume:Volume", "a"),
            step("delete", "aws:s3/bucket:Bucket", "b"),
        ]
    }
    allowed = {doc["steps"][0]["urn"]}
    assert [f.name for f in findings(doc, allowed)] == ["b"]


def test_cli_exits_4_naming_each_resource(capsys):
    assert main(["guard", "--from-preview", str(ROOT / "tests" / "fixtures" / "preview-prod.json")]) == 4
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("refusing: delete of aws:s3/bucket:Bucket legacy-bucket")
    assert err[1].startswith("refusing: replace of hcloud:index/volume:Volume main-volume")
    assert len(err) == 3 and "--allow-replace" in err[2]


def test_cli_passes_when_everything_is_allowed(tmp_path, capsys):
    fixture = json.loads((ROOT / "tests" / "fixtures" / "preview-prod.json").read_text())
    urns = [f.urn for f in findings(fixture)]
    args = ["guard", "--from-preview", str(ROOT / "tests" / "fixtures" / "preview-prod.json")]
    for urn in urns:
        args += ["--allow-replace", urn]
    assert main(args) == 0
    assert "no stateful resource is replaced or deleted" in capsys.readouterr().out


def test_cli_rejects_a_file_that_is_not_json(tmp_path, capsys):
    bad = tmp_path / "preview.json"
    bad.write_text("{nope")
    assert main(["guard", "--from-preview", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"infra guard: {bad} is not JSON (line 1)"

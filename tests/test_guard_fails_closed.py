"""`infra guard` fails closed: whatever is not a `pulumi preview --json` document exits 2 with
one line saying what it expected — never 0 ("nothing is lost"), never "internal error"."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from multicloud.infra.cli import main
from multicloud.infra.guard import PreviewError, findings, parse_urn, read_preview
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "preview-prod.json"
PREVIEW = json.loads(FIXTURE.read_text())
URN = "urn:pulumi:prod::multicloud::multicloud:index:ManagedPostgres$digitalocean:index/databaseDb:DatabaseDb::db-database"
EXPECTED = 'expected the output of `pulumi preview --json` (a JSON object with a list of "steps")'
EXPORT = {
    "version": 3,
    "deployment": {
        "manifest": {"time": "2025-01-01T00:00:00Z", "magic": "x", "version": "v3.150.0"},
        "resources": [{"urn": URN, "type": "digitalocean:index/databaseDb:DatabaseDb", "custom": True}],
    },
}


LAST = len(PREVIEW["steps"]) - 1
OPS = (
    "create, create-replacement, delete, delete-replaced, diff, discard, discard-replaced, import, "
    "import-replacement, read, read-replacement, refresh, remove-pending-replace, replace, same, update"
)


def with_step(**fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(PREVIEW)
    doc["steps"][-1] = {"op": "delete", "urn": URN, **fields}
    return doc


def deep(levels: int) -> str:
    return '{"steps": ' + "[" * levels + "]" * levels + "}"


# Each: the document (as JSON text) and the one line the guard answers, after the file name.
NOT_A_PREVIEW: dict[str, tuple[str, str]] = {
    "empty-object": ("{}", f'has no "steps"; {EXPECTED}'),
    "stack-export": (
        json.dumps(EXPORT),
        f"is a `pulumi stack export` document, not a preview; {EXPECTED}",
    ),
    "list": (json.dumps(PREVIEW["steps"]), f"is a list; {EXPECTED}"),
    "null": ("null", f"is null; {EXPECTED}"),
    "string": ('"steps"', f"is a string; {EXPECTED}"),
    "number": ("4", f"is a number; {EXPECTED}"),
    "steps-string": ('{"steps": "delete everything"}', f'"steps" is a string; {EXPECTED}'),
    "steps-object": ('{"steps": {"0": {}}}', f'"steps" is an object; {EXPECTED}'),
    "steps-null": ('{"steps": null}', f'"steps" is null; {EXPECTED}'),
    "steps-empty": (
        '{"steps": []}',
        f'"steps" is empty (a preview lists at least the stack itself); {EXPECTED}',
    ),
    "step-number": ('{"steps": [1]}', 'steps[0] is a number; expected an object with "op" and "urn"'),
    "step-no-op": (
        json.dumps({"steps": [{"urn": URN}]}),
        f"steps[0].op is not a step kind of pulumi preview ({OPS})",
    ),
    "step-unknown-op": (
        json.dumps(with_step(op="obliterate")),
        f"steps[{LAST}].op is not a step kind of pulumi preview ({OPS})",
    ),
    "step-no-urn": (
        json.dumps({"steps": [{"op": "delete"}]}),
        "steps[0].urn is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)",
    ),
    "bad-urn": (
        json.dumps(with_step(urn="urn:pulumi:prod::multicloud")),
        f"steps[{LAST}].urn is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)",
    ),
    "urn-not-text": (
        json.dumps(with_step(urn=["urn:pulumi:a::b::c::d"])),
        f"steps[{LAST}].urn is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)",
    ),
    "state-string": (
        json.dumps(with_step(oldState="gone")),
        f"steps[{LAST}].oldState is a string; expected an object or null",
    ),
    "state-type-number": (
        json.dumps(with_step(oldState={"type": 7})),
        f"steps[{LAST}].oldState.type is a number; expected a string or null",
    ),
    "state-inputs-list": (
        json.dumps(with_step(oldState={"type": "aws:s3/bucket:Bucket", "inputs": []})),
        f"steps[{LAST}].oldState.inputs is a list; expected an object or null",
    ),
    "state-parent-object": (
        json.dumps(with_step(oldState={"type": "aws:s3/bucket:Bucket", "parent": {}})),
        f"steps[{LAST}].oldState.parent is an object; expected a string or null",
    ),
    "deep": (deep(100_000), "nests values too deeply to be a Pulumi document"),
    "not-json": ("{steps: [", "is not JSON (line 1)"),
    "nan": ('{"steps": [], "duration": NaN}', "holds a number that is out of range or not finite"),
    "overflow": ('{"steps": [], "duration": 1e999}', "holds a number that is out of range or not finite"),
    "huge-int": ('{"duration": ' + "9" * 5000 + "}", "holds a number that is out of range or not finite"),
}


@pytest.mark.parametrize(("text", "expected"), NOT_A_PREVIEW.values(), ids=NOT_A_PREVIEW.keys())
def test_what_is_not_a_preview_exits_2_saying_what_was_expected(tmp_path, capsys, text, expected):
    path = tmp_path / "preview.json"
    path.write_text(text)
    assert main(["guard", "--from-preview", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"infra guard: {path} {expected}"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"steps": []}'.encode("utf-16"), "is not UTF-8 text; expected JSON"),
        (b"\xff\xfe\x00garbage", "is not UTF-8 text; expected JSON"),
    ],
    ids=["utf-16", "binary"],
)
def test_a_preview_that_is_not_utf8(tmp_path, capsys, data, expected):
    path = tmp_path / "preview.json"
    path.write_bytes(data)
    assert main(["guard", "--from-preview", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"infra guard: {path} {expected}"]


def test_a_missing_preview_and_a_directory(tmp_path, capsys):
    assert main(["guard", "--from-preview", str(tmp_path / "nope.json")]) == 2
    assert main(["guard", "--from-preview", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"infra guard: {tmp_path / 'nope.json'} does not exist",
        f"infra guard: {tmp_path} is a directory, not a JSON file",
    ]


def test_the_real_preview_shape_is_read():
    steps = read_preview(PREVIEW)
    assert [s.op for s in steps][:2] == ["same", "update"]
    assert all(parse_urn(s.urn) for s in steps)


def test_findings_refuse_a_document_that_is_not_a_preview():
    documents: list[Any] = [{}, EXPORT, [], None, {"steps": "x"}]
    for doc in documents:
        with pytest.raises(PreviewError):
            findings(doc)


def test_a_urn_name_may_hold_double_colons():
    urn = parse_urn("urn:pulumi:prod::multicloud::aws:s3/bucket:Bucket::a::b")
    assert urn is not None and (urn.type, urn.name) == ("aws:s3/bucket:Bucket", "a::b")
    assert parse_urn("urn:pulumi:prod::multicloud::::x") is None


# --- the DigitalOcean database is data ------------------------------------------------------


@pytest.mark.parametrize("op", ["delete", "replace"])
def test_dropping_the_digitalocean_database_is_refused(tmp_path, capsys, op):
    """Renaming `database` replaces the DatabaseDb: every table is gone, the cluster stays."""
    doc = with_step(op=op, oldState={"urn": URN, "type": "digitalocean:index/databaseDb:DatabaseDb"})
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    assert main(["guard", "--from-preview", str(path)]) == 4
    err = capsys.readouterr().err.splitlines()
    assert (
        f"refusing: {op} of digitalocean:index/databaseDb:DatabaseDb db-database would lose its data ({URN})"
        in err
    )


def test_cost_from_preview_refuses_the_same_documents(tmp_path, capsys):
    for name in ("empty-object", "stack-export", "list", "steps-string", "bad-urn", "state-parent-object"):
        text, expected = NOT_A_PREVIEW[name]
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        assert main(["cost", "--stack", "prod", "--from-preview", str(path)]) == 2, name
        out, err = capsys.readouterr()
        assert out == "" and err.splitlines() == [f"infra cost: {path} {expected}"]


def _write(tmp_path: Path, doc: Any) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({}, 'has no "deployment" object; expected the output of `pulumi stack export`'),
        (PREVIEW, "is a `pulumi preview --json` document; price it with --from-preview"),
        ([], "is not a JSON object; expected the output of `pulumi stack export`"),
        ({"deployment": {"resources": {}}}, ": deployment.resources is not a list"),
        ({"deployment": {"resources": [1]}}, ": deployment.resources[0] is not an object"),
        ({"deployment": {"resources": [{"urn": "x"}]}}, ": deployment.resources[0].urn is not a Pulumi URN"),
        (
            {"deployment": {"resources": [{"urn": URN, "type": 1}]}},
            ": deployment.resources[0].type is not a string",
        ),
        (
            {"deployment": {"resources": [{"urn": URN, "type": "t", "parent": []}]}},
            ": deployment.resources[0].parent is not a string",
        ),
        (
            {
                "deployment": {
                    "resources": [
                        {
                            "urn": URN.replace("databaseDb:DatabaseDb::db-database", "x::s"),
                            "type": "hcloud:index/server:Server",
                            "inputs": {"serverType": "cx23", "publicNets": "everywhere"},
                        }
                    ]
                }
            },
            ": a resource's inputs do not have the shape its provider gives them",
        ),
    ],
    ids=[
        "empty",
        "preview",
        "list",
        "resources-object",
        "resource-number",
        "bad-urn",
        "type",
        "parent",
        "shape",
    ],
)
def test_cost_from_export_fails_closed(tmp_path, capsys, doc, expected):
    path = _write(tmp_path, doc)
    assert main(["cost", "--stack", "prod", "--from-export", path]) == 2
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert out == "" and line.startswith(f"infra cost: {path}") and expected in line

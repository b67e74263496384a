"""The CLI never exits 1 on bad input: exit 0, 2 (bad input), 3 (budget) or 4 (guard), one line
per problem, nothing echoed, nothing that drives the terminal, only JSON from --format json,
and a clean interpreter exit (no "Exception ignored in BaseEventLoop.__del__")."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from multicloud import costs, infra
from multicloud.costs.estimate import ComponentCost, Estimate, infracost_json
from multicloud.costs.pricers import Line
from multicloud.costs.usage import UsageSpec
from multicloud.infra.cli import main
from multicloud.infra.offline import Plan
from tests.conftest import ROOT, base_config, write_stack

HOSTILE = "main[/]\x1b[2J\x1b]0;pwned\x07\rFAKE\nrefusing: nothing[bold]"
PREFIX = "urn:pulumi:prod::multicloud::"


@pytest.fixture(autouse=True)
def in_project(monkeypatch):
    monkeypatch.chdir(ROOT)


def no_control_characters(text: str) -> bool:
    return not any(ord(c) < 32 and c not in "\n" or 0x7F <= ord(c) < 0xA0 for c in text)


def clean(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err


# --- output paths ---------------------------------------------------------------------------


def stack(tmp_path: Path) -> str:
    # With alerts: a prod stack without them is valid but warned about on stderr.
    config = base_config() | {"alerts": {"emails": ["ops@example.com"]}}
    return str(write_stack(tmp_path / "Pulumi.prod.yaml", config))


def render(tmp_path: Path, out: str) -> int:
    return main(["render", "--config", stack(tmp_path), "--out", out])


def test_an_empty_out_is_refused_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert render(tmp_path, "") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "infra render: --out is empty; name the directory to write into (for the current one: --out .)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.prod.yaml"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda t: (t / "file").write_text("x") and t / "file", "--out {out} exists and is not a directory"),
        (
            lambda t: (t / "file").write_text("x") and t / "file" / "sub",
            "--out {out}: {tmp}/file is not a directory",
        ),
        (
            lambda t: (t / "dangling").symlink_to(t / "nowhere") or t / "dangling",
            "--out {out} is a symbolic link to nothing",
        ),
    ],
    ids=["a-file", "under-a-file", "dangling-link"],
)
def test_an_unusable_out_is_one_line(tmp_path, capsys, make, expected):
    out = make(tmp_path)
    assert render(tmp_path, str(out)) == 2
    stdout, err = capsys.readouterr()
    assert stdout == ""
    assert err.splitlines() == ["infra render: " + expected.format(out=out, tmp=tmp_path)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_out_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert render(tmp_path, str(locked / "out")) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"infra render: --out {locked / 'out'}: {locked} is not writable"
    ]


def test_a_link_to_a_directory_inside_out_is_not_followed(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "main").symlink_to(elsewhere)
    assert render(tmp_path, str(out)) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"infra render: {out / 'main'} is a symbolic link; render writes nothing through a link"
    ]
    assert list(elsewhere.iterdir()) == []


def test_a_link_to_a_file_inside_out_is_not_written_through(tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    out = tmp_path / "out"
    (out / "main" / "release").mkdir(parents=True)
    (out / "main" / "release" / "compose.yaml").symlink_to(victim)
    assert render(tmp_path, str(out)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert (
        line
        == f"infra render: {out / 'main/release/compose.yaml'} is a symbolic link; render writes nothing through a link"
    )
    assert victim.read_text() == "keep me\n"


def test_a_hard_link_inside_out_is_replaced_not_written_through(tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    out = tmp_path / "out"
    (out / "main").mkdir(parents=True)
    os.link(victim, out / "main" / "cloud-init.yaml")
    assert render(tmp_path, str(out)) == 0
    assert victim.read_text() == "keep me\n"
    assert (out / "main" / "cloud-init.yaml").read_text().startswith("#cloud-config\n")


def test_out_itself_may_be_a_link_the_user_named(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    assert render(tmp_path, str(tmp_path / "out")) == 0
    assert (real / "main" / "cloud-init.yaml").is_file()


def test_rendered_files_keep_their_modes_and_leave_no_temporary_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert render(tmp_path, str(out)) == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".tmp")]
    assert all(p.stat().st_mode & 0o600 == 0o600 and not p.stat().st_mode & 0o022 for p in files)
    # Rendering again over the same directory replaces every file.
    assert render(tmp_path, str(out)) == 0
    assert sorted(p for p in out.rglob("*") if p.is_file()) == sorted(files)


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["plan", "--stack", "../../etc/passwd"], "infra plan: --stack: a stack name has letters"),
        (["plan", "--stack", "no-such-stack"], "infra plan: no Pulumi.no-such-stack.yaml in "),
        (
            ["cost", "--stack", "prod", "--base=--output=/tmp/x"],
            "infra cost: --base: neither a file nor a git ref",
        ),
        (["cost", "--stack", "prod", "--chart", "x.svg"], "infra cost: --chart goes with --compare"),
    ],
    ids=["stack-path", "stack-missing", "base-option", "chart-alone"],
)
def test_bad_options_are_one_line_and_exit_2(capsys, argv, expected):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert out == "" and line.startswith(expected)


def test_argparse_errors_do_not_echo_control_characters(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["cost", "--stack", "prod", "--format", "\x1b[2Jjson"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jjson" in err


# --- terminal output --------------------------------------------------------------------------


def hostile_plan(monkeypatch) -> None:
    """Every plan the CLI makes, with a branch, a name and an image that try to drive the terminal."""
    real = infra.cli.plan

    def tampered(*args: Any, **kwargs: Any) -> Plan:
        result = real(*args, **kwargs)
        for reg in result.registrations:
            if reg.type == "cloudflare:index/pagesProject:PagesProject":
                reg.inputs["productionBranch"] = HOSTILE
            if reg.type == "hcloud:index/server:Server":
                reg.inputs["image"] = HOSTILE
            if reg.type == "hcloud:index/volume:Volume":
                reg.name = HOSTILE
        return result

    monkeypatch.setattr(infra.cli, "plan", tampered)


def test_plan_prints_config_values_literally_and_inertly(tmp_path, capsys, monkeypatch):
    hostile_plan(monkeypatch)
    assert main(["plan", "--config", stack(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert no_control_characters(out)
    escaped = "main[/]\\x1b[2J\\x1b]0;pwned\\x07\\rFAKE\\nrefusing: nothing[bold]"
    assert out.count(escaped) == 3  # branch, image, name: each on its own line, as written
    assert not [line for line in out.splitlines() if line.startswith(("FAKE", "refusing"))]


def test_the_guard_prints_document_values_inertly(tmp_path, capsys):
    urn = f"{PREFIX}aws:s3/bucket:Bucket::{HOSTILE}"
    doc = {"steps": [{"op": "delete", "urn": urn, "oldState": {"type": "aws:s3/bucket:Bucket"}}]}
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    assert main(["guard", "--from-preview", str(path)]) == 4
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 2 and no_control_characters(err)
    assert lines[0].startswith("refusing: delete of aws:s3/bucket:Bucket main[/]\\x1b[2J")


def preview_with_component(name: str, volume_size: Any = 40) -> dict[str, Any]:
    comp = f"{PREFIX}multicloud:index:VpsHost::{name}"
    vol = f"{PREFIX}multicloud:index:VpsHost$hcloud:index/volume:Volume::{name}-volume"
    state = {
        "type": "hcloud:index/volume:Volume",
        "parent": comp,
        "inputs": {"size": volume_size, "location": "fsn1"},
    }
    return {
        "steps": [
            {"op": "create", "urn": comp, "newState": {"type": "multicloud:index:VpsHost", "urn": comp}},
            {"op": "create", "urn": vol, "newState": {**state, "urn": vol}},
        ]
    }


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_cost_tables_print_document_names_inertly(tmp_path, capsys, fmt):
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview_with_component("[bold]x|y" + HOSTILE)))
    assert main(["cost", "--stack", "prod", "--from-preview", str(path), "--format", fmt]) == 0
    out, err = capsys.readouterr()
    clean(err)
    assert no_control_characters(out)
    assert "[bold]x" in out
    assert not [line for line in out.splitlines() if line.startswith(("FAKE", "refusing"))]
    if fmt == "markdown":
        assert "[bold]x\\|y" in out


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "table", "markdown"])
def test_a_cost_that_is_not_finite_stops_instead_of_printing(tmp_path, capsys, fmt):
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview_with_component("db", volume_size="inf")))
    assert main(["cost", "--stack", "prod", "--from-preview", str(path), "--format", fmt]) == 2
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert out == "" and line.startswith("infra cost: db: ") and "not finite" in line


def test_usage_that_is_not_finite_never_reaches_json(tmp_path, capsys):
    config = base_config()
    config["usage"] = {"storage_gb": float("inf")}
    path = write_stack(tmp_path / "Pulumi.prod.yaml", config)
    code = main(["cost", "--config", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    # Refused by the spec or by the cost engine: either way exit 2 and no bare Infinity.
    assert code == 2 and out == ""
    clean(err)


def estimate_with(value: float) -> Estimate:
    line = Line("urn:x", "volume", value, "GB-month", 0.05, "EUR")
    comp = ComponentCost("db", "ManagedPostgres", [line], value * 0.05)
    return Estimate("EUR", {"db": comp}, [], 0, UsageSpec(), 1)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), float("-inf")])
def test_the_json_writer_refuses_numbers_json_has_no_form_for(value):
    with pytest.raises(costs.estimate.NotFinite):
        costs.estimate.check_finite(estimate_with(value))
    with pytest.raises(costs.estimate.NotFinite):
        infracost_json(estimate_with(value), "multicloud", "prod")
    with pytest.raises(infra.cli.UsageError):
        infra.cli._json_text({"total": value})


def test_the_json_output_is_strict_json(capsys):
    assert main(["cost", "--stack", "prod", "--format", "json"]) == 0
    text = capsys.readouterr().out

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the output")

    json.loads(text, parse_constant=refuse)


# --- a corpus of bad inputs: exit 2, never 1 --------------------------------------------------


def corpus(tmp_path: Path) -> list[list[str]]:
    """Every kind of bad input file, document and output path, as argument lists."""
    files: dict[str, bytes] = {
        "list.yaml": b"- a\n",
        "scalar.yaml": b"just text\n",
        "latin1.yaml": "config:\n  multicloud:domain: caf\xe9\n".encode("latin-1"),
        "utf16.yaml": "config: {}\n".encode("utf-16"),
        "binary.yaml": os.urandom(512) + b"\xff",
        "dup.yaml": b"config:\n  multicloud:environment: prod\n  multicloud:environment: dev\n",
        "broken.yaml": b"config: [\n",
        "empty.yaml": b"",
        "date.yaml": b"config:\n  multicloud:environment: 2024-01-01\n",
        "preview-list.json": b"[]",
        "preview-null.json": b"null",
        "preview-empty.json": b"{}",
        "preview-deep.json": b"[" * 200_000 + b"]" * 200_000,
        "preview-bad.json": json.dumps({"steps": [{"op": "delete", "urn": "x"}]}).encode(),
        "preview-nan.json": b'{"steps": NaN}',
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "a-dir").mkdir()
    (tmp_path / "a-file").write_text("x")
    argv: list[list[str]] = []
    for name in [n for n in files if n.endswith(".yaml")] + ["a-dir", "missing.yaml"]:
        for command in (["validate"], ["plan", "--json"], ["cost", "--format", "json"]):
            argv.append([command[0], "--config", str(tmp_path / name), *command[1:]])
        argv.append(["render", "--config", str(tmp_path / name), "--out", str(tmp_path / "out")])
    for name in [n for n in files if n.endswith(".json")] + ["a-dir", "missing.json", "latin1.yaml"]:
        argv.append(["guard", "--from-preview", str(tmp_path / name)])
        argv.append(["cost", "--stack", "prod", "--from-preview", str(tmp_path / name)])
        argv.append(["cost", "--stack", "prod", "--from-export", str(tmp_path / name)])
    for out in ("", str(tmp_path / "a-file"), str(tmp_path / "a-file" / "x")):
        argv.append(["render", "--stack", "prod", "--out", out])
    return argv


def test_no_bad_input_exits_1(tmp_path, capsys):
    cases = corpus(tmp_path)
    assert len(cases) > 60
    for argv in cases:
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2, (argv, err)
        clean(err)
        assert err and no_control_characters(err), argv
        assert out == "", argv
        if argv[0] != "validate" or "dup.yaml" in argv[2]:
            assert len(err.splitlines()) == 1 or "empty.yaml" in argv[2] or "date.yaml" in argv[2], (
                argv,
                err,
            )
    assert not (tmp_path / "out").exists()


# --- a clean exit -----------------------------------------------------------------------------


def event_loops() -> list[asyncio.AbstractEventLoop]:
    return [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]


def test_main_closes_every_event_loop_it_made(capsys):
    """The loops the mock monitor's worker threads made were never closed; at interpreter exit
    their __del__ now and then printed "Invalid file descriptor: -1"."""
    before = {id(loop) for loop in event_loops()}
    threads = threading.active_count()
    assert main(["plan", "--stack", "prod", "--json"]) == 0
    made = [loop for loop in event_loops() if id(loop) not in before]
    assert made, "the plan ran on loops of its own"
    assert [loop for loop in made if not loop.is_closed()] == []
    assert threading.active_count() == threads  # the worker threads are gone too
    # The thread's own loop is as it was: plans after main() still run.
    assert json.loads(capsys.readouterr().out)["stack"] == "prod"
    assert main(["validate", "--stack", "prod"]) == 0


RUNS = int(os.environ.get("MULTICLOUD_EXIT_RUNS", "1"))


def test_plan_render_and_cost_exit_with_nothing_on_stderr(tmp_path):
    """Each command as a user runs it, several times over (MULTICLOUD_EXIT_RUNS, default 1 —
    each run imports the provider SDKs, ~5 s): nothing may appear on stderr, ever."""
    code = "import sys\nfrom infra.cli import main\nsys.exit(main())\n"
    commands = [["plan", "--stack", "prod"], ["cost", "--stack", "prod"]]
    commands += [["render", "--stack", "prod", "--out", str(tmp_path / f"out{i}")] for i in range(RUNS)]
    runs = [c for c in commands[:2] for _ in range(RUNS)] + commands[2:]

    def run(argv: list[str]) -> tuple[list[str], int, str]:
        done = subprocess.run(
            [sys.executable, "-c", code, *argv],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return argv, done.returncode, done.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, runs))
    assert [(argv, rc, err) for argv, rc, err in results if rc != 0 or err] == []

"""Stack files are read strictly: a key given twice is an error naming both lines, and a file
that is not a UTF-8 YAML mapping (or is missing, or a directory) is one line and exit 2 — never
"internal error", never a quote of the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from multicloud.infra.cli import main
from multicloud.stacks.loader import ConfigError, read_stack_file
from tests.conftest import ROOT, base_config, write_stack

# Put into every bad file: no message may repeat what a file holds.
SENTINEL = "sk_live_SENTINEL42"


def lines_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        read_stack_file(path)
    lines = caught.value.lines()
    assert all(SENTINEL not in line for line in lines)
    return lines


def only_line(path: Path) -> str:
    (line,) = lines_of(path)
    assert line.startswith(f"multicloud:<file>: {path} ")
    return line.removeprefix(f"multicloud:<file>: {path} ")


# --- duplicate keys ------------------------------------------------------------------------


def test_a_second_top_level_key_is_an_error_naming_both_lines(tmp_path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(
        "config:\n"
        "  multicloud:environment: prod\n"
        "  multicloud:admin:\n"
        "    cidrs: [203.0.113.0/24]\n"
        f"  multicloud:domain: {SENTINEL}.example.com\n"
        "  multicloud:admin:\n"
        "    cidrs: [0.0.0.0/0]\n"
    )
    assert only_line(path) == "defines config.multicloud:admin twice (lines 3 and 6); keep one"


def test_a_second_service_of_the_same_name_is_an_error(tmp_path):
    config = base_config()
    path = write_stack(tmp_path / "Pulumi.prod.yaml", config)
    text = path.read_text()
    # A second `api:` entry under services, as a careless merge would leave it.
    assert "\n    api:\n" in text
    text = text.replace("\n    db:\n", "\n    api:\n      kind: worker\n    db:\n", 1)
    path.write_text(text)
    first = text.splitlines().index("    api:") + 1
    second = text.splitlines().index("    api:", first) + 1
    assert only_line(path) == (
        f"defines config.multicloud:services.api twice (lines {first} and {second}); keep one"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config: {a: 1, a: 2}\n", "defines config.a twice (line 1); keep one"),
        ("config:\n  x:\n    1: a\n    0x1: b\n", "defines config.x.1 twice (lines 3 and 4); keep one"),
        (
            "config:\n  x:\n    - {k: 1}\n    - {k: 2, k: 3}\n",
            "defines config.x[1].k twice (line 4); keep one",
        ),
        ("config: {}\nconfig: {}\n", "defines config twice (lines 1 and 2); keep one"),
    ],
    ids=["flow", "same-int", "in-a-list", "top"],
)
def test_duplicates_anywhere_in_the_file(tmp_path, text, expected):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    assert only_line(path) == expected


def test_a_merge_key_may_override_what_it_merges(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("base: &b {a: 1, b: 2}\nconfig:\n  multicloud:x:\n    <<: *b\n    a: 3\n")
    assert read_stack_file(path).values == {"x": {"a": 3, "b": 2}}


def test_every_shipped_stack_file_reads_as_plain_yaml_does():
    for path in [*ROOT.glob("Pulumi.*.yaml"), *(ROOT / "examples").glob("*.yaml")]:
        if path.name == "Pulumi.yaml":
            continue
        plain = yaml.safe_load(path.read_text())["config"]
        expected = {k.partition(":")[2]: v for k, v in plain.items() if k.startswith("multicloud:")}
        assert read_stack_file(path).values == expected, path


def test_a_date_stays_text_as_pulumi_passes_it(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  multicloud:since: 2024-01-01\n")
    assert read_stack_file(path).values == {"since": "2024-01-01"}


# --- files that are not a UTF-8 YAML mapping ------------------------------------------------

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else SENTINEL] * 10)}]\n"
    for name, prev in zip("abcdef", ["", "a", "b", "c", "d", "e"], strict=True)
)

BAD_TEXT = {
    "top-level-list": ("- config: {}\n", "holds a list at the top level; expected a mapping with config:"),
    "top-level-text": (f"{SENTINEL}\n", "holds text at the top level; expected a mapping with config:"),
    "top-level-number": ("42\n", "holds a number at the top level; expected a mapping with config:"),
    "config-list": (f"config: [{SENTINEL}]\n", "has no config: mapping"),
    "not-yaml": (f"config:\n  multicloud:x: [{SENTINEL}\n", "is not valid YAML (line 3)"),
    "two-documents": ("config: {}\n---\nconfig: {}\n", "is not valid YAML (line 2)"),
    "nul": (
        f"config:\n  multicloud:x: {SENTINEL}\x00\n",
        "holds a control character YAML does not allow (line 2)",
    ),
    "escape": (
        f"config:\n  multicloud:x: \x1b[2J{SENTINEL}\n",
        "holds a control character YAML does not allow (line 2)",
    ),
    "self-anchor": ("config: &x\n  multicloud:x: *x\n", "has an anchor that contains itself (line 1)"),
    "billion-laughs": (LAUGHS, "expands to more than 200000 values (anchors and aliases, line 6)"),
    "deep": ("config: " + "[" * 300 + "]" * 300 + "\n", "nests values more than 100 levels deep (line 1)"),
    "set": (
        f"config:\n  multicloud:x: !!set {{{SENTINEL}}}\n",
        "uses the YAML tag 'set' (line 2); stack config holds only text, numbers, booleans, lists and mappings",
    ),
    "binary": (
        "config:\n  multicloud:x: !!binary aGVsbG8=\n",
        "uses the YAML tag 'binary' (line 2); stack config holds only text, numbers, booleans, lists and mappings",
    ),
    "python-tag": (
        "config:\n  multicloud:x: !!python/object/apply:os.system [id]\n",
        "is not valid YAML (line 2)",
    ),
}


@pytest.mark.parametrize(("text", "expected"), BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_a_file_that_is_not_a_yaml_mapping_is_one_line(tmp_path, text, expected):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    assert only_line(path) == expected


BAD_BYTES = {
    "latin-1": ("config:\n  multicloud:domain: café.example\n".encode("latin-1"), "line 2"),
    "utf-16": ("config:\n  multicloud:environment: prod\n".encode("utf-16"), "line 1"),
    "binary": (bytes(range(256)) * 4, "line 2"),
}


@pytest.mark.parametrize(("data", "where"), BAD_BYTES.values(), ids=BAD_BYTES.keys())
def test_a_file_that_is_not_utf8_is_one_line(tmp_path, data, where):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(data)
    assert only_line(path) == f"is not UTF-8 text ({where}); save it as UTF-8"


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(b"\xef\xbb\xbfconfig:\n  multicloud:environment: dev\n")
    assert read_stack_file(path).values == {"environment": "dev"}


def test_missing_file_and_directory(tmp_path):
    assert only_line(tmp_path / "Pulumi.nope.yaml") == "does not exist"
    assert only_line(tmp_path) == "is a directory, not a stack file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config: {}\n")
    path.chmod(0)
    assert only_line(path) == "cannot be read (permission denied)"


# --- through the CLI: exit 2, one line, nothing echoed --------------------------------------


@pytest.mark.parametrize(
    "command", [["validate"], ["plan"], ["plan", "--json"], ["cost"], ["cost", "--format", "json"]]
)
@pytest.mark.parametrize("case", [*BAD_TEXT, "latin-1", "utf-16", "missing", "directory"])
def test_every_command_exits_2_on_a_bad_file(tmp_path, capsys, command, case):
    path = tmp_path / "Pulumi.x.yaml"
    if case in BAD_TEXT:
        path.write_text(BAD_TEXT[case][0])
    elif case in BAD_BYTES:
        path.write_bytes(BAD_BYTES[case][0])
    elif case == "directory":
        path.mkdir()
    assert main([command[0], "--config", str(path), *command[1:]]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"multicloud:<file>: {path} ")
    assert SENTINEL not in err and "internal error" not in err and "Traceback" not in err

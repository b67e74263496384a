"""The two VPS host backends share their machinery instead of repeating it.

`duplicates` is a workplace tool, not a project dependency: the test is skipped where it is
not on PATH. It reads the tree as text and always exits 0; a row `Dn a:l-l ~ b:l-l` is a
pair of places sharing six or more identical or same-shape lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

PAIR = {"host/hetzner.py", "host/digitalocean.py"}
ROW = re.compile(r"^D\d+ (\S+?):\d+-\d+ ~ (\S+?):\d+-\d+")


def duplicate_rows() -> list[str]:
    tool = shutil.which("duplicates")
    if tool is None:
        pytest.skip("the duplicates tool is not on PATH")
    run = subprocess.run(
        [tool, "--repo", "components", "--min-lines", "6", "--most", "200", "--seconds", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = run.stdout.splitlines()
    assert lines, run.stderr
    # The whole tree was read and every pair listed: a clean result is not a truncated one.
    assert not [line for line in lines if line.startswith("incomplete:")], run.stdout
    assert not [line for line in lines if re.match(r"^\(\+\d+ more pairs\)", line)], run.stdout
    return lines


def pairs(lines: list[str]) -> list[tuple[str, str, str]]:
    """(first file, second file, row) of every row."""
    found = []
    for line in lines:
        match = ROW.match(line)
        if match:
            found.append((match.group(1), match.group(2), line))
    return found


def test_the_row_parser_reads_the_tools_format():
    rows = pairs(
        [
            "2 pairs of places (3 files read), each sharing runs of 6 or more lines",
            "D1 host/digitalocean.py:129-140 ~ host/hetzner.py:144-157 (+2 more runs)",
            "D2 api_service/aws.py:263-269 ~ host/hetzner.py:102-108 shape (+1 more run)",
        ]
    )
    assert [(a, b) for a, b, _ in rows] == [
        ("host/digitalocean.py", "host/hetzner.py"),
        ("api_service/aws.py", "host/hetzner.py"),
    ]
    assert [row for a, b, row in rows if {a, b} == PAIR] == [
        "D1 host/digitalocean.py:129-140 ~ host/hetzner.py:144-157 (+2 more runs)"
    ]


def test_no_duplicated_block_between_the_hetzner_and_digitalocean_hosts():
    lines = duplicate_rows()
    assert re.match(r"^(no duplicates|\d+ pairs? of places) \(\d+ files read\)", lines[0]), lines[0]
    shared = [row for a, b, row in pairs(lines) if {a, b} == PAIR]
    assert shared == []

"""`shellcheck` on every shipped host script (components/_vps/scripts/).

These scripts run as root on the server during a release (mounting the data volume,
generating Postgres keys, swapping the release directory); an unquoted variable there can
format the wrong disk or delete the wrong tree. New scripts are picked up by the glob.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from multicloud import components
from multicloud.components._vps.release import release_command
from multicloud.components._vps.render import script

SCRIPTS_DIR = Path(components._vps.__file__).resolve().parent / "scripts"
SCRIPTS = sorted(p for p in SCRIPTS_DIR.iterdir() if p.is_file())


@pytest.mark.integration
def test_scripts_directory_is_not_empty():
    assert SCRIPTS, f"no scripts found in {SCRIPTS_DIR}"


@pytest.mark.integration
@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_script_is_shellcheck_clean(path, require_tool, run, isolated_env):
    shellcheck = require_tool("shellcheck")

    # Default severity (style and up); directives inside the scripts are honoured.
    result = run([shellcheck, "--format=gcc", path], timeout=60, env=isolated_env)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_release_command_runs_the_checked_script_verbatim():
    # What goes over SSH is release.sh itself, quoted once: what shellcheck saw is what runs.
    assert shlex.split(release_command()) == ["sudo", "bash", "-c", script("release.sh")]
    assert script("release.sh") == (SCRIPTS_DIR / "release.sh").read_text()


@pytest.mark.integration
def test_shellcheck_flags_unquoted_variable(require_tool, run, isolated_env, tmp_path):
    # Negative control: proves the check can fail.
    shellcheck = require_tool("shellcheck")
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nset -euo pipefail\ntarget=$1\nrm -rf $target/cache\n")

    result = run([shellcheck, "--format=gcc", bad], timeout=60, env=isolated_env)

    assert result.returncode != 0
    assert "SC2086" in result.stdout, result.stdout + result.stderr

"""What `pip install` gives: everything under the one import name `multicloud`.

The wheel is built from this checkout by pip and setuptools (the same build `pip install .`
runs), installed into a directory of its own, and used from a project directory that is not
this checkout — as a user's program would use it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

GENERIC = {"stacks", "components", "costs", "infra", "policies"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a clean copy of the checkout (its symlinks kept): a build/ or *.egg-info left
    # in the checkout must neither leak into the wheel nor be written by the test.
    source = tmp_path_factory.mktemp("source") / "multicloud"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", "build", "*.egg-info", "__pycache__", ".venv", ".*_cache", "dist"
        ),
    )
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-build-isolation", "-w", str(out), str(source))
    (found,) = out.glob("multicloud-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-compile", "--target", str(target), str(wheel))
    return target


def _pip(command: str, *args: str) -> None:
    """pip as `pip install .` runs it, without dependencies (they are installed already)."""
    run = [sys.executable, "-m", "pip", command, "-q", "--no-deps", *args]
    subprocess.run(run, check=True, capture_output=True, timeout=240)


def test_the_wheel_claims_only_the_multicloud_name(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tops = {n.split("/")[0] for n in names}
        info = next(n for n in tops if n.endswith(".dist-info"))
        top_level = zf.read(f"{info}/top_level.txt").decode().split()
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    assert tops == {"multicloud", info}
    assert top_level == ["multicloud"]
    assert not GENERIC & tops
    assert "infra = multicloud.infra.cli:main" in entry_points
    # The data the code reads at run time travels with it.
    for data in (
        "multicloud/costs/catalog/hetzner.yaml",
        "multicloud/components/_vps/templates/Caddyfile.j2",
        "multicloud/components/_vps/scripts/backup-postgres.sh",
        "multicloud/components/contracts/digitalocean_app_spec.schema.json",
    ):
        assert data in names


def _run(installed: Path, cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(installed)}
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_package_imports_every_module_from_itself(installed, tmp_path):
    code = (
        "import importlib, pkgutil, multicloud\n"
        "mods = [m.name for m in pkgutil.walk_packages(multicloud.__path__, 'multicloud.')]\n"
        "mods = [m for m in mods if not m.endswith('.__main__')]  # the policy pack's serves the engine\n"
        "for m in mods: importlib.import_module(m)\n"
        "print(multicloud.__file__, len(mods))\n"
        "for name in ('stacks', 'components', 'costs', 'infra', 'policies'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError:\n"
        "        continue\n"
        "    print('generic', name)\n"
    )
    run = _run(installed, tmp_path, code)
    assert run.returncode == 0, run.stderr
    where, count = run.stdout.split()[:2]
    assert Path(where).is_relative_to(installed) and int(count) > 100
    assert "generic" not in run.stdout


def test_a_project_prices_its_stack_with_the_installed_package(installed, tmp_path):
    """A user's project (Pulumi.yaml, the two-line __main__.py, a stack file) and the
    installed package: `infra cost` plans and prices it with no file of this checkout."""
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    code = "import sys\nfrom multicloud.infra.cli import main\nsys.exit(main(['cost', '--stack', 'prod']))\n"
    run = _run(installed, tmp_path, code)
    assert run.returncode == 0, run.stderr
    assert "total" in run.stdout and "€" in run.stdout

"""Shared fixtures of the integration tests: finding real tools, free ports, bounded subprocesses.

A missing tool skips a test on a workstation but fails it under CI (`CI` set to anything but
"", "0", "false" or "no"): a pipeline that silently skips every real check proves nothing.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

import pytest

HERE = Path(__file__).resolve().parent


def in_ci() -> bool:
    """Whether this run must treat a missing tool as a failure."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """Skip (workstation) or fail (CI) because the environment cannot run this test."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so integration prerequisites are mandatory)", pytrace=False)
    pytest.skip(reason)


def _require_tool(name: str, apt_package: str | None = None) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"`{name}` is not on PATH; install it (apt-get install {apt_package or name})")
    return path


def _postgres_bindir() -> Path:
    """The directory holding the Postgres server binaries (initdb, postgres, pg_isready, psql)."""
    wanted = ("initdb", "postgres", "pg_isready", "psql")
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
        except (subprocess.SubprocessError, OSError):
            pass
    # Debian/Ubuntu install the server outside PATH; newest version first.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(versions, key=lambda p: int(Path(p).parent.name), reverse=True)]
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in wanted):
            return bindir
    unavailable(
        "Postgres server binaries (initdb, postgres) not found via `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin; install them (apt-get install postgresql)"
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a server started by a test: `sig` (SIGINT is Postgres's fast shutdown), then kill
    it if it has not exited within `timeout` seconds."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    text: bool = True,
    **kwargs,
) -> subprocess.CompletedProcess:
    """Run a command to completion with a timeout, capturing output; never raises on exit code."""
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=text, timeout=timeout, env=env, check=False, **kwargs
    )


@pytest.fixture(scope="session")
def require_tool() -> Callable[..., str]:
    """`require_tool("caddy")` → absolute path, or skip/fail (CI) with the reason."""
    return _require_tool


@pytest.fixture(scope="session")
def skip_or_fail() -> Callable[[str], NoReturn]:
    """`skip_or_fail(reason)`: the environment cannot run this test (skip; fail under CI)."""
    return unavailable


@pytest.fixture(scope="session")
def postgres_bindir() -> Path:
    """Directory of the Postgres server binaries, or skip/fail (CI)."""
    return _postgres_bindir()


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """`free_port()` → a currently unused TCP port on 127.0.0.1."""
    return _free_port


@pytest.fixture(scope="session")
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run([...], timeout=60, env=...)` → CompletedProcess with text stdout/stderr."""
    return _run


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """A minimal environment whose HOME and XDG directories are inside tmp_path."""
    home = tmp_path / "home"
    for sub in ("", ".config", ".local/share", ".cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LC_ALL": "C",
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this directory runs a real tool, so each must carry the `integration` marker."""
    unmarked = [
        item.nodeid
        for item in items
        if HERE in Path(str(item.path)).resolve().parents and item.get_closest_marker("integration") is None
    ]
    if unmarked:
        raise pytest.UsageError("mark these @pytest.mark.integration: " + ", ".join(unmarked))


@pytest.fixture
def s3_server(free_port: Callable[[], int], tmp_path: Path) -> Iterator[str]:
    """A real S3-compatible server (moto) on 127.0.0.1; yields its endpoint URL."""
    import shutil
    import time
    import urllib.request

    exe = shutil.which("moto_server")
    if exe is None:
        unavailable("moto_server not found; pip install 'moto[server]'")
    port = free_port()
    log = (tmp_path / "moto.log").open("w")
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    unavailable(f"moto_server did not start: {(tmp_path / 'moto.log').read_text()[-500:]}")
                time.sleep(0.2)
        yield url
    finally:
        stop(proc, timeout=10)
        log.close()

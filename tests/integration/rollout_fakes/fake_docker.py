"""A stand-in `docker` CLI for the rollout tests: just the subset rollout.sh uses, for real.

Tests put a `docker` wrapper that runs this file first on PATH and point FAKE_DOCKER_STATE at
a directory holding the whole "daemon" state:

  containers/<id>.json   one record per container (project, service, number, image, address,
                         pid of its process, status)
  logs/<id>.log          the container's output
  calls.log              every invocation (argv and working directory), one JSON line each
  next-address           the last loopback host number handed out (127.0.0.N, N >= 2)

A "container" is a real process (fake_app.py) serving HTTP on its own loopback address
127.0.0.N and the PORT from its environment, so several containers of one service share
PORT the way containers on a Docker network do. What it does is chosen by its image's tag,
`<version>-<mode>`, read from compose.yaml when `compose up` creates it: `api:v2-healthy`,
`api:v2-unhealthy` (500s), `api:v2-hang` (never answers), `api:v2-unpullable` (compose up
fails before creating anything). A container keeps the behaviour of the image it was
created from, as in Docker, so old and new versions run side by side.

Supported: `compose [-p P] [-f F] ps [-q] [-a]`, `compose ... up [-d] [--no-deps]
[--no-recreate] [--scale S=N] [SERVICE...]`, `compose ... config`, `compose ... logs`,
`inspect [-f FORMAT] ID...`, `stop [-t N] ID...`, `rm [-f] ID...`, `logs ID`. Anything else
exits 2, so the script cannot drift into commands the tests do not model. Like real Docker,
`inspect` without a format, `logs` and `compose config` reveal the containers' environment,
secrets included: if the script printed any of them, the tests would catch the leak.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ADDRESS_FORMAT = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
STATUS_FORMAT = "{{.State.Status}}"


class Usage(Exception):
    """An invocation the stand-in does not model (exit 2)."""


# --- state (also used by the tests) ---------------------------------------------------------


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int, starttime: str | None = None) -> bool:
    """Whether a process exists and is not a zombie (orphans may wait for a reaper); with
    `starttime`, also that it is still the same process (a PID may be reused)."""
    fields = _proc_stat(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return starttime is None or fields[19] == starttime


def load_containers(state: Path) -> list[dict[str, Any]]:
    """Every container record, oldest first, with `status` refreshed from its process."""
    records = []
    for path in (state / "containers").glob("*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # removed (or being replaced) right now
        if record["status"] == "running" and not alive(record["pid"], record["starttime"]):
            record["status"] = "exited"
        records.append(record)
    return sorted(records, key=lambda r: (r["created"], r["number"]))


def save(state: Path, record: dict[str, Any]) -> None:
    path = state / "containers" / f"{record['id']}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)  # readers never see half a record


def kill_all(state: Path) -> None:
    """Test teardown: kill every container process this state ever started."""
    for record in load_containers(state):
        if record["status"] == "running":
            _signal(record["pid"], signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # each container is its own session and process group
    except OSError:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


@contextmanager
def locked(state: Path) -> Iterator[None]:
    with (state / "lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def find(state: Path, ref: str) -> dict[str, Any] | None:
    """A container by full ID, unique ID prefix or name, like Docker."""
    matches = [r for r in load_containers(state) if r["id"].startswith(ref) or r["name"] == ref]
    return matches[0] if len(matches) == 1 else None


# --- containers -----------------------------------------------------------------------------


def _next_address(state: Path) -> str:
    counter = state / "next-address"
    n = int(counter.read_text()) + 1 if counter.exists() else 2
    if n > 254:
        raise RuntimeError("stand-in docker ran out of loopback addresses")
    counter.write_text(str(n))
    return f"127.0.0.{n}"


def _image_behaviour(image: str) -> tuple[str, str]:
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest-healthy"
    version, _, mode = tag.rpartition("-")
    if mode not in ("healthy", "unhealthy", "hang", "unpullable"):
        raise Usage(f"image tag {tag!r} must end in -healthy, -unhealthy, -hang or -unpullable")
    return version, mode


def _launch(state: Path, record: dict[str, Any]) -> None:
    log = (state / "logs" / f"{record['id']}.log").open("a")
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "fake_app.py"),
                "--addr",
                record["addr"],
                "--mode",
                record["mode"],
                "--version",
                record["version"],
                "--startup-delay",
                str(record["startup_delay"]),
                "--max-lifetime",
                os.environ.get("FAKE_CONTAINER_MAX_LIFETIME", "120"),
            ],
            env={**record["env"], "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,  # never the caller's pipes: `docker` returns while the container runs
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        log.close()
    proc.returncode = 0  # detached on purpose; silences Popen's "still running" warning
    record["pid"] = proc.pid
    fields = _proc_stat(proc.pid)
    record["starttime"] = fields[19] if fields else None
    record["status"] = "running"
    record["started"] = time.time()
    save(state, record)


def _create(
    state: Path, project: str, service: str, number: int, spec: dict[str, Any], env: dict[str, str]
) -> dict[str, Any]:
    version, mode = _image_behaviour(spec["image"])
    record = {
        "id": secrets.token_hex(32),
        "name": f"{project}-{service}-{number}",
        "project": project,
        "service": service,
        "number": number,
        "image": spec["image"],
        "version": version,
        "mode": mode,
        "addr": _next_address(state),
        "env": env,
        "startup_delay": float(spec.get("x-startup-delay", 0.5)),
        "created": time.time(),
        "pid": 0,
        "starttime": None,
        "status": "created",
    }
    save(state, record)
    _launch(state, record)
    print(f" Container {record['name']}  Started", file=sys.stderr)
    return record


def _stop(state: Path, record: dict[str, Any], timeout: float) -> None:
    pid, starttime = record["pid"], record["starttime"]
    if record["status"] == "running":
        _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid, starttime) and time.monotonic() < deadline:
            time.sleep(0.02)
        if alive(pid, starttime):
            _signal(pid, signal.SIGKILL)
            while alive(pid, starttime):
                time.sleep(0.02)
    record["status"] = "exited"
    save(state, record)


def _remove(state: Path, record: dict[str, Any]) -> None:
    (state / "containers" / f"{record['id']}.json").unlink()


# --- compose --------------------------------------------------------------------------------


def _parse_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def _service_env(compose_dir: Path, spec: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in spec.get("env_file", []):
        env.update(_parse_env_file(compose_dir / name))
    environment = spec.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    env.update({k: str(v) for k, v in environment.items()})
    return env


def compose(state: Path, args: list[str]) -> int:
    project = None
    file = "compose.yaml"
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt in ("-p", "--project-name"):
            project = args.pop(0)
        elif opt in ("-f", "--file"):
            file = args.pop(0)
        else:
            raise Usage(f"compose option {opt}")
    if not args:
        raise Usage("compose without a command")
    command = args.pop(0)
    path = Path(file).resolve()
    doc = yaml.safe_load(path.read_text())
    project = project or doc.get("name") or path.parent.name
    services: dict[str, dict[str, Any]] = doc["services"]

    if command == "ps":
        quiet = show_all = False
        names = []
        for arg in args:
            if arg in ("-q", "--quiet"):
                quiet = True
            elif arg in ("-a", "--all"):
                show_all = True
            elif arg.startswith("-"):
                raise Usage(f"compose ps option {arg}")
            else:
                names.append(arg)
        for name in names:
            if name not in services:
                print(f"no such service: {name}", file=sys.stderr)
                return 1
        for r in load_containers(state):
            if r["project"] != project or (names and r["service"] not in names):
                continue
            if r["status"] != "running" and not show_all:
                continue
            print(r["id"] if quiet else f"{r['name']}  {r['image']}  {r['service']}  {r['status']}")
        return 0

    if command == "up":
        no_recreate = False
        scale: dict[str, int] = {}
        names = []
        while args:
            arg = args.pop(0)
            if arg in ("-d", "--detach", "--no-deps", "--remove-orphans"):
                continue
            if arg == "--no-recreate":
                no_recreate = True
            elif arg == "--scale":
                name, _, count = args.pop(0).partition("=")
                scale[name] = int(count)
            elif arg.startswith("-"):
                raise Usage(f"compose up option {arg}")
            else:
                names.append(arg)
        for name in names or list(services):
            if name not in services:
                print(f"no such service: {name}", file=sys.stderr)
                return 1
            spec = services[name]
            if _image_behaviour(spec["image"])[1] == "unpullable":
                print(f"Error response from daemon: pull access denied for {spec['image']}", file=sys.stderr)
                return 1
            env = _service_env(path.parent, spec)
            target = scale.get(name, spec.get("deploy", {}).get("replicas", 1))
            existing = [r for r in load_containers(state) if r["project"] == project and r["service"] == name]
            kept = []
            for r in existing:
                if not no_recreate and (r["image"] != spec["image"] or r["env"] != env):
                    _stop(state, r, 10)  # a changed definition: replaced in place, as compose does
                    _remove(state, r)
                    continue
                kept.append(r)
            kept.sort(key=lambda r: r["number"])
            while len(kept) > target:
                r = kept.pop()
                _stop(state, r, 10)
                _remove(state, r)
            for r in kept:
                if r["status"] != "running":
                    _launch(state, r)
            used = {r["number"] for r in kept}
            number = 1
            while len(kept) < target:
                while number in used:
                    number += 1
                kept.append(_create(state, project, name, number, spec, env))
                used.add(number)
        return 0

    if command == "config":
        for name, spec in services.items():
            spec = dict(spec)
            spec["environment"] = _service_env(path.parent, spec)
            spec.pop("env_file", None)
            services[name] = spec
        print(yaml.safe_dump(doc, sort_keys=False))
        return 0

    if command == "logs":
        for r in load_containers(state):
            if r["project"] == project and (not args or r["service"] in args):
                for line in (state / "logs" / f"{r['id']}.log").read_text().splitlines():
                    print(f"{r['name']}  | {line}")
        return 0

    raise Usage(f"compose {command}")


# --- plain docker ---------------------------------------------------------------------------


def _refs(state: Path, refs: list[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
    if not refs:
        raise Usage("a container ID is required")
    for ref in refs:
        record = find(state, ref)
        if record is None:
            print(f"Error response from daemon: No such container: {ref}", file=sys.stderr)
        yield ref, record


def main(argv: list[str]) -> int:
    state = Path(os.environ["FAKE_DOCKER_STATE"])
    for sub in ("containers", "logs"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    with (state / "calls.log").open("a") as calls:
        calls.write(json.dumps({"argv": argv, "cwd": os.getcwd()}) + "\n")
    if not argv:
        raise Usage("no command")
    command, args = argv[0], argv[1:]

    with locked(state):
        if command == "compose":
            return compose(state, args)

        if command == "inspect":
            fmt = None
            if args and args[0] in ("-f", "--format"):
                fmt = args[1]
                args = args[2:]
            if fmt not in (None, ADDRESS_FORMAT, STATUS_FORMAT):
                raise Usage(f"inspect format {fmt!r}")
            rc, found = 0, []
            for _, r in _refs(state, args):
                if r is None:
                    rc = 1
                    continue
                running = r["status"] == "running"
                if fmt == ADDRESS_FORMAT:
                    print(f"{r['addr']} " if running else "")
                elif fmt == STATUS_FORMAT:
                    print(r["status"])
                else:
                    found.append(
                        {
                            "Id": r["id"],
                            "Name": "/" + r["name"],
                            "State": {"Status": r["status"], "Pid": r["pid"]},
                            "Config": {"Image": r["image"], "Env": [f"{k}={v}" for k, v in r["env"].items()]},
                            "NetworkSettings": {
                                "Networks": {"app": {"IPAddress": r["addr"] if running else ""}}
                            },
                        }
                    )
            if fmt is None:
                print(json.dumps(found, indent=4))
            return rc

        if command == "stop":
            timeout = 10.0
            if args and args[0] in ("-t", "--time", "--timeout"):
                timeout = float(args[1])
                args = args[2:]
            rc = 0
            for ref, r in _refs(state, args):
                if r is None:
                    rc = 1
                    continue
                _stop(state, r, timeout)
                print(ref)
            return rc

        if command == "rm":
            force = False
            while args and args[0].startswith("-"):
                opt = args.pop(0)
                if opt in ("-f", "--force"):
                    force = True
                elif opt not in ("-v", "--volumes"):
                    raise Usage(f"rm option {opt}")
            rc = 0
            for ref, r in _refs(state, args):
                if r is None:
                    rc = 1
                    continue
                if r["status"] == "running":
                    if not force:
                        print(
                            f"Error response from daemon: cannot remove container {ref}: "
                            "container is running: stop the container before removing or force remove",
                            file=sys.stderr,
                        )
                        rc = 1
                        continue
                    _stop(state, r, 0)
                _remove(state, r)
                print(ref)
            return rc

        if command == "logs":
            for _, r in _refs(state, args[-1:]):
                if r is None:
                    return 1
                sys.stdout.write((state / "logs" / f"{r['id']}.log").read_text())
            return 0

    raise Usage(command)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Usage as exc:
        print(f"stand-in docker: unsupported: {exc}", file=sys.stderr)
        sys.exit(2)

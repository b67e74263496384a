"""Helpers for reading a Plan: component children, the release bundle, env files.

Kept out of conftest.py because they are plain functions, not fixtures. The release bundle
is decoded exactly as `release.sh` would receive it: base64 → tar.gz, in memory.
"""

from __future__ import annotations

import base64
import io
import tarfile
from dataclasses import dataclass
from typing import Any

import yaml

from multicloud.infra.mocks import Registration
from multicloud.infra.offline import Plan
from tests.conftest import one

WORLD = {"0.0.0.0/0", "::/0"}

# The connection contract (components.connection): the variables an api linked to a postgres, a redis and a bucket receives.
CONTRACT = {
    "DATABASE_URL",
    "PGHOST",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "REDIS_URL",
    "S3_ENDPOINT",
    "S3_REGION",
    "S3_BUCKET",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
}


def children(result: Plan, parent: Registration) -> list[Registration]:
    """Direct children of a registration."""
    return [r for r in result.registrations if r.parent == parent.urn]


def child_set(result: Plan, parent: Registration) -> set[tuple[str, str]]:
    """(type, name) of every direct child."""
    return {(r.type, r.name) for r in children(result, parent)}


@dataclass(frozen=True)
class Member:
    """One regular file of a release bundle."""

    text: str
    mode: int
    uid: int
    gid: int


def release_command(result: Plan, host: str) -> Registration:
    """The HostRelease's remote command for `host`."""
    return one(result, "command:remote:Command", f"{host}-release-apply")


def bundle(result: Plan, host: str) -> dict[str, Member]:
    """The files of a host's release bundle, decoded from the command's stdin."""
    payload = base64.b64decode(release_command(result, host).raw_inputs["stdin"])
    files = {}
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile():
                data = tar.extractfile(m)
                assert data is not None
                files[m.name] = Member(data.read().decode(), m.mode, m.uid, m.gid)
    return files


def compose(result: Plan, host: str) -> dict[str, Any]:
    """The parsed compose.yaml of a host."""
    return yaml.safe_load(bundle(result, host)["compose.yaml"].text)


def mount_target(service: dict[str, Any], source: str) -> str:
    """Where a compose service mounts `source` read-only (the one volume entry for it)."""
    (target,) = [
        v.split(":")[1] for v in service.get("volumes", []) if v.split(":")[0] == source and v.endswith(":ro")
    ]
    return target


def parse_env(text: str) -> dict[str, str]:
    """Parse an env file written as KEY='value' lines."""
    env = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=value: {line!r}"
        assert value.startswith("'") and value.endswith("'"), f"{key} is not single-quoted"
        env[key] = value[1:-1]
    return env


def env_of(result: Plan, host: str, service: str) -> dict[str, str]:
    """The environment a service's container receives (its env file in the bundle)."""
    return parse_env(bundle(result, host)[f"env/{service}.env"].text)


def with_data_host(config: dict[str, Any]) -> dict[str, Any]:
    """Move db and cache of `base_config()` to a second hetzner host `data` (private network)."""
    config["hosts"]["data"] = {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": "fsn1"}
    config["services"]["db"]["host"] = "data"
    config["services"]["cache"]["host"] = "data"
    return config

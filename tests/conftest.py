"""Shared fixtures: run the real program under mocks for a config written as a dict."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

# In CI the property tests draw the same examples every run (a failure is then a change's, not
# the dice's); locally they explore new ones each time. Each test keeps its own example budget.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

from multicloud.infra.mocks import Registration
from multicloud.infra.offline import Plan, plan

ROOT = Path(__file__).resolve().parent.parent

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example.com"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
ACCOUNT = "7c5dae5552338874e5053f2534d2767a"


def base_config(environment: str = "prod") -> dict[str, Any]:
    """A complete, valid single-host stack (the seeds' architecture), as plain data."""
    return {
        "environment": environment,
        "domain": "example.com",
        "dns": {"provider": "cloudflare", "zone_id": ZONE},
        "cloudflare": {"account_id": ACCOUNT},
        "admin": {"ssh_public_keys": [KEY], "cidrs": ["203.0.113.0/24"], "acme_email": "ops@example.com"},
        "hosts": {"main": {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": "fsn1"}},
        "services": {
            "api": {
                "kind": "api",
                "target": "hetzner",
                "host": "main",
                "image": "ghcr.io/acme/api:1.4.2",
                "port": 8080,
                "links": ["db", "cache", "uploads"],
            },
            # Prod requires off-host backups for a database on a host.
            "db": {
                "kind": "postgres",
                "target": "hetzner",
                "host": "main",
                "storage_gb": 20,
                "backup": {"bucket": "uploads"},
            },
            "cache": {"kind": "redis", "target": "hetzner", "host": "main", "memory_mb": 256},
            "uploads": {"kind": "bucket", "target": "cloudflare", "lifecycle": {"expire_after_days": 90}},
            "web": {"kind": "static_site", "target": "cloudflare", "repo": "acme/web", "subdomain": "www"},
        },
    }


def write_stack(path: Path, config: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    """Write `config` (keys without namespace) as a Pulumi.<stack>.yaml file."""
    doc = {"config": {f"multicloud:{k}": v for k, v in config.items()} | (extra or {})}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture
def run_plan(tmp_path: Path) -> Callable[..., Plan]:
    """Plan a config dict offline: `run_plan(config, stack="prod")`."""

    def _run(config: dict[str, Any], stack: str = "test", extra: dict[str, Any] | None = None) -> Plan:
        path = write_stack(tmp_path / f"Pulumi.{stack}.yaml", copy.deepcopy(config), extra)
        return plan(path, stack, project_dir=ROOT)

    return _run


def of_type(result: Plan, type_token: str) -> list[Registration]:
    """Registrations of one type token."""
    return [r for r in result.registrations if r.type == type_token]


def one(result: Plan, type_token: str, name: str | None = None) -> Registration:
    """The single registration of a type (and name)."""
    found = [r for r in of_type(result, type_token) if name is None or r.name == name]
    assert len(found) == 1, f"expected one {type_token} {name or ''}, found {[r.name for r in found]}"
    return found[0]


@pytest.fixture(scope="session")
def aws_plan(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Plan a config dict offline, recording providers, dependencies and outputs
    (`tests.aws_plans.recorded_plan`): `aws_plan(config, stack="prod")`.

    Cached per (config, stack) for the session, so the AWS modules share their base plans;
    a test must not change a plan it got (use `tests.aws_plans.broken` for a changed copy).
    """
    from tests.aws_plans import recorded_plan  # here: tests.aws_plans imports this module

    cache: dict[tuple[str, str], Any] = {}

    def _run(config: dict[str, Any], stack: str = "prod") -> Any:
        key = (stack, json.dumps(config, sort_keys=True))
        if key not in cache:
            cache[key] = recorded_plan(tmp_path_factory.mktemp("aws"), config, stack)
        return cache[key]

    return _run

"""The program refuses to move a stateful component by config alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import RunError

from multicloud.infra import mocks, offline
from multicloud.stacks.loader import RawConfig, parse
from multicloud.stacks.placements import placement_problems, placements
from tests.conftest import ROOT, base_config, write_stack


def spec_of(config: dict):
    return parse(RawConfig(config | {"ssh_private_key": "x"}, frozenset({"ssh_private_key"})))


def test_placements_record_target_and_host():
    assert placements(spec_of(base_config())) == {
        "db": "hetzner/main",
        "cache": "hetzner/main",
        "uploads": "cloudflare",
    }


def test_first_deployment_and_unchanged_placements_pass():
    spec = spec_of(base_config())
    assert placement_problems(spec, None) == []
    assert placement_problems(spec, placements(spec)) == []


@pytest.mark.parametrize(
    ("name", "before"),
    [("db", "hetzner/data"), ("cache", "aws"), ("uploads", "hetzner")],
)
def test_a_moved_component_is_refused_with_the_runbook(name, before):
    spec = spec_of(base_config())
    previous = placements(spec) | {name: before}
    ((path, message),) = placement_problems(spec, previous)
    assert path == f"services.{name}"
    assert f"moves from {before} to " in message
    assert "docs/migrations.md#" in message and "allow_data_replacement" in message


def test_an_acknowledged_move_passes():
    config = base_config() | {"allow_data_replacement": ["db"]}
    spec = spec_of(config)
    assert placement_problems(spec, placements(spec) | {"db": "hetzner/data"}) == []


def test_the_program_stops_before_registering_anything(tmp_path, monkeypatch):
    class PreviousDeployment(mocks.ProviderMocks):
        def __init__(self) -> None:
            super().__init__(
                {"multicloud_placements": {"db": "aws", "cache": "hetzner/main", "uploads": "cloudflare"}}
            )

    monkeypatch.setattr(offline, "ProviderMocks", PreviousDeployment)
    recorded = []
    original = mocks.RecordingMonitor.RegisterResource

    def spy(self, request):
        recorded.append(request.type)
        return original(self, request)

    monkeypatch.setattr(mocks.RecordingMonitor, "RegisterResource", spy)
    path = write_stack(tmp_path / "Pulumi.prod.yaml", base_config())
    with pytest.raises(RunError, match=r"multicloud:services.db: moves from aws to hetzner/main"):
        offline.plan(Path(path), "prod", project_dir=ROOT)
    assert [t for t in recorded if t != "pulumi:pulumi:Stack"] == []

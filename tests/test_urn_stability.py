"""No refactor moves a stateful resource: every stack's and example's data-bearing URNs stay put.

A resource's URN is its identity in the state file. When code moves a resource (a new
parent, a new logical name or type), the engine plans a delete of the old URN and a create
of the new one, which for a database, a volume or a bucket is data loss, unless the resource
lists the old URN in its `aliases`. `tests/data/stateful_urns.json` holds every stateful URN
of every shipped stack and example, as recorded before the "one provider, one place"
refactor (issue 12). Each one must still be planned, or be an alias of a planned resource.

Record again only when a change *means* to add or retire a stateful resource:

    python -m tests.test_urn_stability --record
"""

from __future__ import annotations

import json
import sys
from copy import deepcopy
from pathlib import Path

import pytest

from multicloud.components._lib.stateful import is_stateful
from multicloud.infra.offline import plan

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "data" / "stateful_urns.json"


def stack_files() -> dict[str, Path]:
    files = {p.name: p for p in sorted(ROOT.glob("Pulumi.*.yaml")) if p.name != "Pulumi.yaml"}
    files |= {f"examples/{p.name}": p for p in sorted((ROOT / "examples").glob("*.yaml"))}
    return files


def _stack(path: Path) -> str:
    return path.stem.removeprefix("Pulumi.")


def planned(path: Path) -> tuple[set[str], dict[str, str]]:
    """The stateful URNs a file plans now, and every alias URN mapped to its resource's URN."""
    result = plan(path, _stack(path), project_dir=ROOT)
    stateful = {r.urn for r in result.registrations if r.custom and is_stateful(r.type, r.raw_inputs)}
    aliases = {old: r.urn for r in result.registrations for old in r.aliases}
    return stateful, aliases


def record() -> None:
    recorded = {name: sorted(planned(path)[0]) for name, path in stack_files().items()}
    RECORD.write_text(json.dumps(recorded, indent=1) + "\n")
    print(f"recorded {sum(map(len, recorded.values()))} stateful URNs of {len(recorded)} stacks to {RECORD}")


RECORDED: dict[str, list[str]] = json.loads(RECORD.read_text())


def test_every_shipped_stack_and_example_is_recorded():
    assert sorted(RECORDED) == sorted(stack_files())


def moved(recorded: list[str], stateful: set[str], aliases: dict[str, str]) -> list[str]:
    """Recorded URNs that are neither planned nor the alias of a planned resource."""
    return [urn for urn in recorded if urn not in stateful and urn not in aliases]


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_no_stateful_urn_moves(name):
    gone = moved(RECORDED[name], *planned(stack_files()[name]))
    assert not gone, (
        f"{name}: these stateful resources would be deleted and created anew (data lost); "
        "keep their name, type and parent, or add `aliases` with the old URN:\n  " + "\n  ".join(gone)
    )


def test_a_moved_resource_is_reported_and_an_aliased_one_is_not():
    recorded = RECORDED["Pulumi.prod.yaml"]
    old = next(u for u in recorded if "hcloud:index/volume:Volume" in u)
    new = old.replace("multicloud:index:VpsHost$", "multicloud:index:VpsHost$multicloud:index:Disk$")
    now = (set(recorded) - {old}) | {new}
    assert moved(recorded, now, {}) == [old]
    assert moved(recorded, now, {old: new}) == []


def test_plan_resolves_aliases_to_the_urns_the_engine_would(tmp_path):
    """A child moved under a component, aliased to its old top-level place and to an old name:
    the plan lists both old URNs in the engine's form (no root stack type in a URN)."""
    import pulumi
    import pulumi_random as random
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from multicloud.infra.mocks import ProviderMocks, RecordingMonitor

    class Disk(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("multicloud:index:Disk", name)

    def program() -> None:
        disk = Disk("data")
        random.RandomPassword(
            "key",
            length=16,
            opts=pulumi.ResourceOptions(
                parent=disk,
                aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE), pulumi.Alias(name="old")],
            ),
        )

    mocks = ProviderMocks()
    monitor = RecordingMonitor(mocks)
    saved = deepcopy(settings.SETTINGS)
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(mocks, project="p", stack="s", preview=True, monitor=monitor)
        _sync_await(run_pulumi_func(program))
    finally:
        settings.configure(saved)
    key = next(r for r in monitor.registrations if r.name == "key")
    assert key.urn == "urn:pulumi:s::p::multicloud:index:Disk$random:index/randomPassword:RandomPassword::key"
    assert key.aliases == [
        "urn:pulumi:s::p::random:index/randomPassword:RandomPassword::key",
        "urn:pulumi:s::p::multicloud:index:Disk$random:index/randomPassword:RandomPassword::old",
    ]


if __name__ == "__main__" and "--record" in sys.argv:
    record()

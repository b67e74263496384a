"""The offline plan is a function of the config: two plans of one stack diff clean.

Registrations interleave differently from run to run (the program awaits outputs), so the
mocks' made-up IDs and addresses come from each resource's type and name, not from the order
it arrived in. A reviewer comparing `infra plan --json` before and after a change then sees
only what the change did.
"""

from __future__ import annotations

import json
from pathlib import Path

from multicloud.infra.mocks import ProviderMocks
from multicloud.infra.offline import plan

ROOT = Path(__file__).resolve().parent.parent


def _resources(path: Path) -> dict[str, str]:
    result = plan(path, path.stem, project_dir=ROOT)
    return {r.urn: json.dumps([r.inputs, r.id], sort_keys=True) for r in result.registrations}


def test_two_plans_of_one_stack_are_equal():
    path = ROOT / "examples" / "aws.yaml"
    assert _resources(path) == _resources(path)


def test_ids_depend_on_type_and_name_not_on_arrival():
    first, second = ProviderMocks(), ProviderMocks()
    a = first._number("hcloud:index/server:Server", "main-server")
    first._number("hcloud:index/volume:Volume", "main-volume")
    second._number("hcloud:index/volume:Volume", "main-volume")
    assert second._number("hcloud:index/server:Server", "main-server") == a
    clash = ProviderMocks()
    clash._taken = set(range(1000, 10000)) - {1000}
    assert clash._number("x", "y") == 1000

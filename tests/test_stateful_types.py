"""One list of data-bearing types (components/_lib/stateful.py), decided for every type the
backends register, and used alike by prod's `protect`, the guard and the policy pack."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from multicloud.components._lib.stateful import DATA_BEARING, DYNAMIC, NOT_DATA, STATEFUL_TYPES, is_stateful
from multicloud.infra.guard import findings
from multicloud.infra.offline import Plan, plan
from multicloud.policies.controls import holds_data
from tests.conftest import ROOT
from tests.policy_fakes import stateless_hosts

STACK_FILES = [p for p in sorted(ROOT.glob("Pulumi.*.yaml")) if p.name != "Pulumi.yaml"]
STACK_FILES += sorted((ROOT / "examples").glob("*.yaml"))
DATABASE_DB = "digitalocean:index/databaseDb:DatabaseDb"
DATABASE_USER = "digitalocean:index/databaseUser:DatabaseUser"


@cache
def planned(path: Path) -> Plan:
    return plan(path, path.name.removeprefix("Pulumi.").removesuffix(".yaml"), project_dir=ROOT)


def test_every_registered_type_is_decided():
    """A type a backend starts to register shows up here until it is listed as data or not,
    with the reason beside it."""
    registered = {r.type for path in STACK_FILES for r in planned(path).registrations}
    undecided = {
        t
        for t in registered
        if t not in DATA_BEARING
        and t not in NOT_DATA
        and t != DYNAMIC
        and not t.startswith(("multicloud:index:", "pulumi:providers:"))
    }
    assert undecided == set()
    assert not set(DATA_BEARING) & set(NOT_DATA)
    assert all(reason.strip() for reason in [*DATA_BEARING.values(), *NOT_DATA.values()])


def test_the_digitalocean_database_and_its_owner_are_data():
    assert {DATABASE_DB, DATABASE_USER} <= STATEFUL_TYPES
    assert is_stateful(DATABASE_DB) and holds_data(DATABASE_DB, {}) is True


@pytest.mark.parametrize("type_token", sorted(STATEFUL_TYPES))
def test_the_guard_and_the_policy_pack_read_the_same_list(type_token):
    urn = f"urn:pulumi:prod::multicloud::multicloud:index:X${type_token}::thing"
    step = {"op": "delete", "urn": urn, "oldState": {"type": type_token}}
    assert [f.type for f in findings({"steps": [step]})] == [type_token]
    assert holds_data(type_token, {}) is True


@pytest.mark.parametrize(
    ("endpoint", "bucket"),
    [
        ("https://fsn1.your-objectstorage.com", True),
        ("https://nbg1.your-objectstorage.com/", True),
        ("https://objectstorage.example.com", False),
        ("https://your-objectstorage.com.example.com", False),
        (None, False),
        (["https://fsn1.your-objectstorage.com"], False),
    ],
)
def test_hetzner_buckets_are_told_apart_by_one_rule(endpoint, bucket):
    assert is_stateful(DYNAMIC, {"endpoint": endpoint}) is bucket
    assert holds_data(DYNAMIC, {"endpoint": endpoint}) is bucket


@pytest.mark.parametrize("path", [p for p in STACK_FILES], ids=lambda p: str(p.relative_to(ROOT)))
def test_prod_protects_everything_that_holds_data(path):
    """The `protect` side of the list: in prod every data-bearing registration is protected
    (a host's server only when it runs Postgres/Redis, as the policy pack exempts the others)."""
    result = planned(path)
    if result.spec.environment != "prod":
        pytest.skip("not a prod stack")
    stateless = set(stateless_hosts(result.spec))
    by_urn = {r.urn: r for r in result.registrations}
    unprotected = [
        f"{r.type} {r.name}"
        for r in result.registrations
        if is_stateful(r.type, r.inputs)
        and not r.protect
        and not (r.type == "hcloud:index/server:Server" and by_urn[r.parent].name in stateless)
    ]
    assert unprotected == []

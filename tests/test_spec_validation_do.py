"""Config validation for DigitalOcean targets: a valid DigitalOcean stack plus one mutation must
give exactly the listed problems (path and message), parsed by `stacks.loader.parse` directly."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stacks.loader import ConfigError, RawConfig, parse
from tests.aws_plans import example_config
from tests.do_plans import do_config

Values = dict[str, Any]
Mutation = Callable[[Values], None]
DEPLOY_KEY = "deploy-key-secret-value"
SPACES_REGIONS = "ams3, blr1, fra1, lon1, nyc3, sfo2, sfo3, sgp1, syd1, tor1"


def valid() -> Values:
    """do_config() plus the deploy key (a secret), as a real stack passes it."""
    return do_config() | {"ssh_private_key": DEPLOY_KEY}


def parsed(values: Values) -> Any:
    return parse(RawConfig(values, frozenset({"ssh_private_key"})))


def problems_of(mutation: Mutation, base: Values | None = None) -> list[tuple[str, str]]:
    values = copy.deepcopy(base if base is not None else valid())
    mutation(values)
    with pytest.raises(ConfigError) as err:
        parsed(values)
    return err.value.problems


def update(service: str, **fields: Any) -> Mutation:
    def mutate(values: Values) -> None:
        values["services"][service].update(fields)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(values: Values) -> None:
        for m in mutations:
            m(values)

    return mutate


def without_do_host(values: Values) -> None:
    """The api moves to a Hetzner host; postgres and redis stay on DigitalOcean."""
    values["hosts"] = {"main": {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": "fsn1"}}
    values["services"]["api"].update(target="hetzner", host="main")


def second_host_in(location: str) -> Mutation:
    def mutate(values: Values) -> None:
        values["hosts"]["jobs"] = {
            "target": "digitalocean",
            "size": {"cpu": 1, "memory_gb": 2},
            "location": location,
        }
        values["services"]["jobs-worker"] = {
            "kind": "worker",
            "target": "digitalocean",
            "host": "jobs",
            "image": "ghcr.io/acme/api:1.4.2",
        }

    return mutate


def host_named(name: str) -> Mutation:
    """Rename the droplet host `edge` to `name` (and the api's host with it)."""

    def mutate(values: Values) -> None:
        values["hosts"][name] = values["hosts"].pop("edge")
        values["services"]["api"]["host"] = name

    return mutate


def needs_region(service: str) -> tuple[str, str]:
    return (
        "digitalocean",
        (
            f"services.{service} needs a DigitalOcean region; set digitalocean: {{region: fra1}} "
            "(or add a digitalocean host)"
        ),
    )


CORPUS = [
    pytest.param(
        without_do_host,
        [needs_region("db")],
        id="managed-databases-without-a-droplet-host",
    ),
    pytest.param(
        both(without_do_host, lambda v: v["services"].pop("cache"), update("api", links=["db", "uploads"])),
        [needs_region("db")],
        id="postgres-without-a-droplet-host",
    ),
    pytest.param(
        both(without_do_host, lambda v: v["services"].pop("db"), update("api", links=["cache", "uploads"])),
        [needs_region("cache")],
        id="redis-without-a-droplet-host",
    ),
    pytest.param(
        update("cache", engine="redis"),
        [("services.cache.engine", "DigitalOcean offers managed valkey only; set engine: valkey")],
        id="engine-redis",
    ),
    pytest.param(
        update("db", version="18"),
        [("services.db.version", "DigitalOcean runs PostgreSQL 14, 15, 16, 17")],
        id="postgres-18",
    ),
    pytest.param(
        second_host_in("ams3"),
        [("hosts", "DigitalOcean hosts share one VPC, so one region; found ams3, fra1")],
        id="hosts-in-two-regions",
    ),
    pytest.param(
        update("uploads", location="fsn1"),
        [("services.uploads.location", f"unknown Spaces region; allowed: {SPACES_REGIONS}")],
        id="hetzner-location-for-spaces",
    ),
    pytest.param(
        update("uploads", location="nyc1"),
        [("services.uploads.location", f"unknown Spaces region; allowed: {SPACES_REGIONS}")],
        id="droplet-region-without-spaces",
    ),
    pytest.param(
        host_named("api"),
        [("services.api", "a host is also called 'api'; give the host or the service another name")],
        id="host-named-like-its-service",
    ),
    pytest.param(
        host_named("db"),
        [("services.db", "a host is also called 'db'; give the host or the service another name")],
        id="host-named-like-the-database",
    ),
    pytest.param(
        update("db", size={"cpu": 8, "memory_gb": 32}),
        [
            (
                "services.db.size",
                "no catalogued DigitalOcean pg size has 8 vCPU and 32 GB; the largest is db-s-4vcpu-8gb",
            )
        ],
        id="postgres-larger-than-the-catalog",
    ),
    pytest.param(
        update("cache", memory_mb=4096),
        [
            (
                "services.cache.memory_mb",
                "no catalogued DigitalOcean valkey size has 0 vCPU and 4 GB; the largest is db-s-1vcpu-2gb",
            )
        ],
        id="valkey-larger-than-the-catalog",
    ),
    pytest.param(
        update("uploads", lifecycle={"archive_after_days": 30}),
        [
            (
                "services.uploads.lifecycle.archive_after_days",
                "not supported on digitalocean; only on: aws, cloudflare",
            )
        ],
        id="spaces-archive",
    ),
    pytest.param(
        update("db", backup_days=14),
        [("services.db.backup_days", "not supported on digitalocean; only on: aws")],
        id="backup-days",
    ),
]


@pytest.mark.parametrize(("mutation", "expected"), CORPUS)
def test_corpus(mutation, expected):
    assert problems_of(mutation) == expected


def test_the_base_is_valid():
    spec = parsed(valid())
    assert {n: h.target for n, h in spec.hosts.items()} == {"edge": "digitalocean"}
    assert {n: s.target for n, s in spec.services.items() if n != "web"} == {
        "api": "digitalocean",
        "db": "digitalocean",
        "cache": "digitalocean",
        "uploads": "digitalocean",
    }


def test_the_example_is_valid():
    spec = parsed(example_config("digitalocean.yaml") | {"ssh_private_key": DEPLOY_KEY})
    assert spec.services["db"].multi_az is True


@pytest.mark.parametrize("version", ["14", "17"])
def test_supported_postgres_versions_pass(version):
    values = valid()
    update("db", version=version)(values)
    assert parsed(values).services["db"].version == version


def test_the_digitalocean_version_message_lists_only_settable_versions():
    (problem,) = problems_of(update("db", version="18"))
    for version in problem[1].removeprefix("DigitalOcean runs PostgreSQL ").split(", "):
        values = valid()
        update("db", version=version)(values)
        parsed(values)


def test_hosts_in_one_region_pass():
    values = valid()
    second_host_in("fra1")(values)
    assert set(parsed(values).hosts) == {"edge", "jobs"}


def test_a_standby_with_a_2_gb_size_passes():
    values = valid()
    update("db", size={"cpu": 1, "memory_gb": 2}, multi_az=True)(values)
    assert parsed(values).services["db"].multi_az is True

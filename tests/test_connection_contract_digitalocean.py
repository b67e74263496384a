"""The connection contract on DigitalOcean: the api's variable NAMES equal those on Hetzner and AWS.

Same links everywhere (db, cache, uploads); only the providers change. On a droplet the
names come from the env file in the release bundle, on AWS from the task definition's
environment plus its secrets (valueFrom SSM).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.aws_plans import aws_config, example_config, task_container
from tests.conftest import base_config
from tests.do_plans import do_config
from tests.helpers import CONTRACT, bundle, env_of

EXTRA = {"LOG_LEVEL": "info"}


def with_env(config: dict[str, Any]) -> dict[str, Any]:
    config["services"]["api"]["env"] = dict(EXTRA)
    return config


@pytest.fixture(scope="module")
def names(aws_plan) -> dict[str, set[str]]:
    """The api's variable names per provider."""
    do_env = env_of(aws_plan(with_env(do_config()), "prod"), "edge", "api")
    hetzner_env = env_of(aws_plan(with_env(base_config()), "prod"), "main", "api")
    container = task_container(aws_plan(with_env(aws_config()), "prod"), "api")
    aws_names = {e["name"] for e in container["environment"]} | {s["name"] for s in container["secrets"]}
    return {"digitalocean": set(do_env), "hetzner": set(hetzner_env), "aws": aws_names}


def test_digitalocean_gives_exactly_the_contract_names(names):
    assert names["digitalocean"] == CONTRACT | set(EXTRA)


@pytest.mark.parametrize("other", ["hetzner", "aws"])
def test_digitalocean_names_equal_the_other_providers(names, other):
    assert names["digitalocean"] == names[other]


def test_the_example_gives_every_linked_service_the_names_of_its_links(aws_plan):
    result = aws_plan(example_config("digitalocean.yaml"), "prod")
    api, collector = env_of(result, "api-a", "api"), env_of(result, "workers", "collector")
    # The api runs on both droplets behind the load balancer, with the same environment.
    assert env_of(result, "api-b", "api") == api
    scheduler = env_of(result, "workers", "scheduler")
    assert set(api) == set(collector) == CONTRACT
    # scheduler links db and cache only: the Postgres and Redis names, no S3_*.
    assert set(scheduler) == {n for n in CONTRACT if not n.startswith("S3_")}
    # Same database, same credentials, on whichever droplet the service runs.
    assert api["DATABASE_URL"] == collector["DATABASE_URL"] == scheduler["DATABASE_URL"]
    assert api["REDIS_URL"] == scheduler["REDIS_URL"]


def test_env_files_are_readable_by_root_only(aws_plan):
    files = bundle(aws_plan(with_env(do_config()), "prod"), "edge")
    assert files["env/api.env"].mode == 0o600

"""The connection contract (components.connection): the same variable names whatever the placement or provider.

Only config changes between the variants below; the api's env file must carry the same
names every time, while the values follow the placement (container name vs private IP,
R2 vs Hetzner endpoint).
"""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest

from multicloud.components.capabilities import LINK_ENV
from tests.conftest import ACCOUNT, base_config
from tests.helpers import CONTRACT, env_of, with_data_host

UPLOADS = {
    "cloudflare": {"kind": "bucket", "target": "cloudflare", "lifecycle": {"expire_after_days": 90}},
    "hetzner": {"kind": "bucket", "target": "hetzner", "lifecycle": {"expire_after_days": 90}},
}
PLACEMENTS = ("same-host", "data-host")
VARIANTS = list(itertools.product(UPLOADS, PLACEMENTS))


def variant(uploads: str, placement: str) -> dict:
    config = base_config()
    config["services"]["api"]["env"] = {"LOG_LEVEL": "info"}
    config["services"]["uploads"] = dict(UPLOADS[uploads])
    if placement == "data-host":
        with_data_host(config)
    return config


def api_env(run_plan, uploads: str, placement: str) -> dict[str, str]:
    """The api's environment in one variant."""
    return env_of(run_plan(variant(uploads, placement)), "main", "api")


def test_contract_names_match_the_capability_table():
    assert CONTRACT == set(itertools.chain.from_iterable(LINK_ENV.values()))


@pytest.mark.parametrize(("uploads", "placement"), VARIANTS)
def test_api_gets_exactly_the_contract_names(run_plan, uploads, placement):
    assert set(api_env(run_plan, uploads, placement)) == CONTRACT | {"LOG_LEVEL"}


def test_names_are_identical_across_every_variant(run_plan):
    names = {frozenset(api_env(run_plan, *key)) for key in VARIANTS}
    assert len(names) == 1


def test_values_follow_the_placement(run_plan):
    same, split = api_env(run_plan, "cloudflare", "same-host"), api_env(run_plan, "cloudflare", "data-host")
    assert (same["PGHOST"], split["PGHOST"]) == ("db", "10.0.1.133")
    assert (urlsplit(same["DATABASE_URL"]).hostname, urlsplit(split["DATABASE_URL"]).hostname) == (
        "db",
        "10.0.1.133",
    )
    assert (urlsplit(same["REDIS_URL"]).hostname, urlsplit(split["REDIS_URL"]).hostname) == (
        "cache",
        "10.0.1.133",
    )
    # TLS is required wherever the database runs.
    assert urlsplit(same["DATABASE_URL"]).query == urlsplit(split["DATABASE_URL"]).query == "sslmode=require"


def test_values_follow_the_bucket_provider(run_plan):
    envs = {key: api_env(run_plan, *key) for key in VARIANTS}
    r2, hetzner = envs[("cloudflare", "same-host")], envs[("hetzner", "same-host")]
    assert (r2["S3_ENDPOINT"], r2["S3_REGION"]) == (f"https://{ACCOUNT}.r2.cloudflarestorage.com", "auto")
    assert (hetzner["S3_ENDPOINT"], hetzner["S3_REGION"]) == ("https://fsn1.your-objectstorage.com", "fsn1")
    # Placement of the data services does not touch the bucket variables.
    for uploads in UPLOADS:
        a, b = envs[(uploads, "same-host")], envs[(uploads, "data-host")]
        assert {k: a[k] for k in LINK_ENV["bucket"]} == {k: b[k] for k in LINK_ENV["bucket"]}


def test_a_worker_with_the_same_links_gets_the_same_names(run_plan):
    config = variant("hetzner", "data-host")
    config["services"]["worker"] = {
        "kind": "worker",
        "target": "hetzner",
        "host": "data",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["db", "cache", "uploads"],
    }
    result = run_plan(config)
    worker, api = env_of(result, "data", "worker"), env_of(result, "main", "api")
    assert set(worker) == set(api) - {"LOG_LEVEL"}
    # Same database, same credentials, wherever the linked service runs.
    assert worker["DATABASE_URL"] == api["DATABASE_URL"]

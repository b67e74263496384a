"""Services on Hetzner hosts linking DigitalOcean's managed Postgres and Valkey: planned end to end.

What a real deployment needs, read from the plan (the mocks' addresses stand in for the
provider's): the cluster firewall admits the consuming hosts' own IPv4 addresses (and a floating
IP's) and nothing wider; the containers connect to the cluster's public name with
`sslmode=verify-full` / `rediss://` against the CA file mounted where their variables say, and
that file holds what DigitalOcean's `getDatabaseCa` returned; the setup job runs the same way.
tests/integration/test_internet_tls.py proves the same variables against real servers.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qs, urlsplit

import pytest

from components._lib import types
from costs.estimate import estimate_plan
from infra.mocks import OFFLINE_CA
from infra.offline import Plan, plan
from tests.conftest import ROOT, base_config, one, write_stack
from tests.helpers import bundle, compose, env_of, mount_target

DB_FIREWALL, CLUSTER, SERVER = types.DO_DATABASE_FIREWALL, types.DO_DATABASE_CLUSTER, types.HCLOUD_SERVER
FLOATING = types.HCLOUD_FLOATING_IP


def config(floating_ip: bool = False) -> dict:
    """api and worker on Hetzner host `main`; Postgres and Valkey managed on DigitalOcean; a
    second host `edge` whose worker links neither."""
    cfg = base_config()
    cfg["digitalocean"] = {"region": "fra1"}
    cfg["hosts"]["main"]["floating_ip"] = floating_ip
    cfg["hosts"]["edge"] = {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": "fsn1"}
    services = cfg["services"]
    services["db"] = {"kind": "postgres", "target": "digitalocean", "extensions": ["pgcrypto"]}
    services["cache"] = {"kind": "redis", "target": "digitalocean"}
    services["worker"] = {
        "kind": "worker", "target": "hetzner", "host": "main", "image": "ghcr.io/acme/api:1.4.2",
        "command": ["worker"], "links": ["db", "cache"],
    }  # fmt: skip
    services["mailer"] = {
        "kind": "worker", "target": "hetzner", "host": "edge", "image": "ghcr.io/acme/mailer:1.0.0",
        "links": ["uploads"],
    }  # fmt: skip
    return cfg


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[bool, Plan]:
    """The stack planned without and with a floating IP on `main`."""
    plans = {}
    for floating in (False, True):
        path = write_stack(tmp_path_factory.mktemp("stack") / "Pulumi.prod.yaml", config(floating))
        plans[floating] = plan(path, "prod", project_dir=ROOT)
    return plans


def _egress(result: Plan, host: str) -> set[str]:
    """The host's own IPv4 address, and its floating IP's when it has one (as the mocks made them)."""
    addresses = {one(result, SERVER, f"{host}-server").raw_outputs["ipv4Address"]}
    floating = [r for r in result.registrations if r.type == FLOATING and r.name.startswith(f"{host}-")]
    return addresses | {r.raw_outputs["ipAddress"] for r in floating}


@pytest.mark.parametrize("floating", [False, True])
@pytest.mark.parametrize("dependency", ["db", "cache"])
def test_the_cluster_admits_the_consumers_addresses_and_nothing_wider(planned, floating, dependency):
    result = planned[floating]
    rules = one(result, DB_FIREWALL, f"{dependency}-firewall").inputs["rules"]
    admitted = {r["value"] for r in rules if r["type"] == "ip_addr"}
    assert admitted == _egress(result, "main")
    assert len(admitted) == (2 if floating else 1)
    # Addresses, not networks; IPv4 only (DigitalOcean accepts no IPv6 trusted source).
    assert all(ipaddress.ip_network(a).num_addresses == 1 and ":" not in a for a in admitted)
    assert not admitted & _egress(result, "edge")
    # The stack's own droplets keep their tag rule; nothing else is added.
    assert sorted(r["type"] for r in rules) == ["ip_addr"] * len(admitted) + ["tag"]


def test_a_host_with_two_consumers_is_admitted_once(planned):
    rules = one(planned[False], DB_FIREWALL, "db-firewall").inputs["rules"]
    values = [r["value"] for r in rules]
    assert len(values) == len(set(values))


@pytest.mark.parametrize("service", ["api", "worker"])
def test_postgres_is_reached_at_its_public_name_verified_against_the_mounted_ca(planned, service):
    result = planned[False]
    cluster = one(result, CLUSTER, "db-cluster").raw_outputs
    env = env_of(result, "main", service)
    url = urlsplit(_secret(result, "main", service, "DATABASE_URL"))
    query = parse_qs(url.query)
    assert (url.hostname, url.port) == (cluster["host"], cluster["port"])
    assert (env["PGHOST"], env["PGPORT"]) == (cluster["host"], str(cluster["port"]))
    assert url.hostname != cluster["privateHost"]
    assert query["sslmode"] == ["verify-full"] and env["PGSSLMODE"] == "verify-full"
    assert query["sslrootcert"] == [env["PGSSLROOTCERT"]]
    _assert_mounted_ca(result, service, env["PGSSLROOTCERT"])


@pytest.mark.parametrize("service", ["api", "worker"])
def test_valkey_is_reached_over_tls_at_its_public_name_with_the_ca_file(planned, service):
    result = planned[False]
    cluster = one(result, CLUSTER, "cache-cluster").raw_outputs
    env = env_of(result, "main", service)
    url = urlsplit(_secret(result, "main", service, "REDIS_URL"))
    assert url.scheme == "rediss"
    assert (url.hostname, url.port) == (cluster["host"], cluster["port"])
    _assert_mounted_ca(result, service, env["REDIS_CA_FILE"])


def test_the_setup_job_runs_over_the_same_verified_path(planned):
    result = planned[False]
    cluster = one(result, CLUSTER, "db-cluster").raw_outputs
    env = env_of(result, "main", "db-setup")
    assert (env["PGHOST"], env["PGSSLMODE"]) == (cluster["host"], "verify-full")
    _assert_mounted_ca(result, "db-setup", env["PGSSLROOTCERT"])
    # It gets the CA of its own database only.
    assert [v for v in compose(result, "main")["services"]["db-setup"]["volumes"] if "cache" in v] == []


def test_a_host_whose_services_link_neither_gets_no_ca_and_no_variables(planned):
    result = planned[False]
    files = bundle(result, "edge")
    assert not [path for path in files if path.endswith("-ca.pem")]
    assert not {"PGSSLROOTCERT", "REDIS_CA_FILE", "DATABASE_URL"} & set(env_of(result, "edge", "mailer"))


def test_consumers_on_the_clusters_own_provider_stay_on_the_private_network(run_plan):
    """A droplet's api linking the same clusters: private name, no public admission, no CA file."""
    cfg = config()
    cfg["hosts"] = {
        "main": {"target": "digitalocean", "size": {"cpu": 2, "memory_gb": 4}, "location": "fra1"}
    }
    for svc in ("api", "worker"):
        cfg["services"][svc]["target"] = "digitalocean"
    del cfg["services"]["mailer"]
    result = run_plan(cfg, stack="prod")
    rules = one(result, DB_FIREWALL, "db-firewall").inputs["rules"]
    assert [r["type"] for r in rules] == ["tag"]
    env = env_of(result, "main", "api")
    assert env["PGHOST"] == one(result, CLUSTER, "db-cluster").raw_outputs["privateHost"]
    assert "PGSSLROOTCERT" not in env and "REDIS_CA_FILE" not in env


def test_the_path_is_a_line_of_the_estimate_and_only_for_clusters_reached_from_outside(planned, run_plan):
    """`infra cost` shows each cluster's traffic to consumers outside DigitalOcean (usage-based,
    its price marked unconfirmed); a stack whose consumers are all droplets has no such line."""
    lines = {(c.name, ln.name) for c in estimate_plan(planned[True]).components.values() for ln in c.lines}
    transfer = "transfer to 2 addresses outside DigitalOcean (10 GB)"
    assert {("db", transfer), ("cache", transfer)} <= lines
    cfg = config()
    cfg["services"]["api"]["links"] = ["uploads"]
    cfg["services"]["worker"]["links"] = ["uploads"]
    names = [
        ln.name for c in estimate_plan(run_plan(cfg, stack="prod")).components.values() for ln in c.lines
    ]
    assert not [n for n in names if "outside DigitalOcean" in n]


def _secret(result: Plan, host: str, service: str, name: str) -> str:
    """A secret variable's value as the host receives it (the bundle's env file holds it)."""
    return env_of(result, host, service)[name]


def _assert_mounted_ca(result: Plan, service: str, path: str) -> None:
    """`path` is a read-only mount of a bundle file holding DigitalOcean's CA (getDatabaseCa)."""
    (source,) = [
        v.split(":")[0]
        for v in compose(result, "main")["services"][service]["volumes"]
        if v.split(":")[1] == path
    ]
    assert mount_target(compose(result, "main")["services"][service], source) == path
    member = bundle(result, "main")[source.removeprefix("./")]
    assert member.text == OFFLINE_CA
    assert member.mode & 0o777 == 0o644

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
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from multicloud.components._lib import types
from multicloud.components.api_service import ApiServiceArgs, OnAppPlatform, OnHosts, internet_links
from multicloud.components.connection import Link
from multicloud.costs.estimate import estimate_plan
from multicloud.infra.cli import main
from multicloud.infra.mocks import OFFLINE_CA
from multicloud.infra.offline import Plan, plan
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


# --- Fargate tasks behind the NAT gateway --------------------------------------------------


def fargate_config(nat: str = "managed") -> dict:
    """api and worker on Fargate; Postgres and Valkey managed on DigitalOcean."""
    return {
        "environment": "prod",
        "domain": "example.com",
        "aws": {"region": "us-east-1", "nat": nat},
        "digitalocean": {"region": "nyc3"},
        "dns": {"provider": "route53", "zone_id": "Z0123456789ABCDEFGHIJ"},
        "services": {
            "api": {"kind": "api", "target": "aws", "image": "ghcr.io/acme/api:1.4.2", "port": 8080,
                    "links": ["db", "cache"]},
            "worker": {"kind": "worker", "target": "aws", "image": "ghcr.io/acme/api:1.4.2",
                       "command": ["worker"], "links": ["db"]},
            "db": {"kind": "postgres", "target": "digitalocean", "extensions": ["pgcrypto"]},
            "cache": {"kind": "redis", "target": "digitalocean"},
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def fargate(tmp_path_factory) -> Plan:
    path = write_stack(tmp_path_factory.mktemp("fargate") / "Pulumi.prod.yaml", fargate_config())
    return plan(path, "prod", project_dir=ROOT)


def containers(result: Plan, service: str) -> dict[str, dict]:
    """The task definition's containers by name (secrets as parameter ARNs)."""
    task = one(result, types.AWS_ECS_TASK_DEFINITION, f"{service}-task")
    return {c["name"]: c for c in json.loads(task.raw_inputs["containerDefinitions"])}


def variables(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


@pytest.mark.parametrize("dependency", ["db", "cache"])
def test_the_cluster_admits_the_nat_gateways_address_only(fargate, dependency):
    rules = one(fargate, DB_FIREWALL, f"{dependency}-firewall").inputs["rules"]
    (eip,) = [r for r in fargate.registrations if r.type == types.AWS_EC2_EIP]
    assert [r["value"] for r in rules if r["type"] == "ip_addr"] == [eip.raw_outputs["publicIp"]]


@pytest.mark.parametrize("service", ["api", "worker"])
def test_the_app_starts_after_the_ca_is_written_and_the_setup_job_succeeded(fargate, service):
    found = containers(fargate, service)
    app = found[service]
    assert app["dependsOn"] == [
        {"containerName": "tls-ca", "condition": "SUCCESS"},
        {"containerName": "db-setup", "condition": "SUCCESS"},
    ]
    assert (
        app["essential"] is True and not found["tls-ca"]["essential"] and not found["db-setup"]["essential"]
    )
    assert found["db-setup"]["dependsOn"] == [{"containerName": "tls-ca", "condition": "SUCCESS"}]
    # The app and the job read the volume the writer writes; only the writer may write it.
    mounts = {name: c["mountPoints"] for name, c in found.items()}
    assert {m["sourceVolume"] for ms in mounts.values() for m in ms} == {"tls"}
    assert [name for name, ms in mounts.items() if not ms[0]["readOnly"]] == ["tls-ca"]
    task = one(fargate, types.AWS_ECS_TASK_DEFINITION, f"{service}-task")
    assert task.inputs["volumes"] == [{"name": "tls"}]


def test_the_app_verifies_against_the_files_the_writer_writes(fargate):
    found = containers(fargate, "api")
    app, writer = variables(found["api"]), found["tls-ca"]
    script = writer["command"][2]
    cas = variables(writer)
    for variable in ("PGSSLROOTCERT", "REDIS_CA_FILE"):
        path = app[variable]
        assert path.startswith(found["api"]["mountPoints"][0]["containerPath"] + "/")
        # The writer puts one of its certificates at that path, and each is DigitalOcean's CA.
        (name,) = [n for n in cas if f'"${n}" > {path}' in script]
        assert cas[name] == OFFLINE_CA
    cluster = one(fargate, CLUSTER, "db-cluster").raw_outputs
    assert (app["PGHOST"], app["PGSSLMODE"]) == (cluster["host"], "verify-full")


def test_the_setup_job_reads_the_admin_password_from_ssm_and_its_role_may(fargate):
    job = containers(fargate, "api")["db-setup"]
    (secret,) = job["secrets"]
    assert secret["name"] == "PGPASSWORD" and "PGPASSWORD" not in variables(job)
    parameter = one(fargate, types.AWS_SSM_PARAMETER, "api-db-setup-pgpassword")
    assert parameter.inputs["type"] == "SecureString"
    assert secret["valueFrom"] == f"arn:aws:ssm:us-east-1:123456789012:{parameter.name}"
    policy = one(fargate, types.AWS_IAM_ROLE_POLICY, "api-execution-secrets").raw_inputs["policy"]
    assert secret["valueFrom"] in json.loads(policy)["Statement"][0]["Resource"]


def test_without_a_nat_gateway_validate_refuses_each_link_naming_it(tmp_path, capsys):
    path = write_stack(tmp_path / "Pulumi.prod.yaml", fargate_config(nat="none"))
    assert main(["validate", "--config", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":", 2)[1] for line in lines] == [
        "services.api.links[0]",
        "services.api.links[1]",
        "services.worker.links[0]",
    ]
    assert all("set aws.nat: managed" in line for line in lines)


# --- the library's own refusals (components used without the stack) -------------------------


class _Linked:
    """A linkable component reduced to what `internet_links` reads."""

    def __init__(self, link: Link):
        self.link = link


@pytest.mark.parametrize(
    ("runtime", "link", "refusal"),
    [
        (OnHosts(hosts=[]), Link("postgres", target="digitalocean"), "admits no address from hetzner"),
        (OnAppPlatform(instance_size="apps-s-1vcpu-1gb", region="fra"), Link("redis", target="hetzner"),
         "without a fixed egress address"),
    ],
)  # fmt: skip
def test_a_link_across_providers_without_a_path_is_refused_by_the_component(runtime, link, refusal):
    target = "digitalocean" if isinstance(runtime, OnAppPlatform) else "hetzner"
    args = ApiServiceArgs(
        target=target, image="ghcr.io/acme/api:1.4.2", runtime=runtime, links={"dep": _Linked(link)}
    )
    with pytest.raises(ValueError, match=refusal):
        internet_links(args)


def test_links_on_one_provider_or_to_a_bucket_never_cross():
    links = {
        "db": _Linked(Link("postgres", target="hetzner")),
        "files": _Linked(Link("bucket", target="aws")),
    }
    args = ApiServiceArgs(
        target="hetzner", image="ghcr.io/acme/api:1.4.2", runtime=OnHosts(hosts=[]), links=links
    )
    assert internet_links(args) == {}

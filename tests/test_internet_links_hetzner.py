"""Fargate tasks linking Postgres and Redis that run on a Hetzner host: planned end to end.

What a real deployment needs, read from the plan (the mocks' addresses stand in for the
providers'): the host firewall opens each exposed port to the NAT gateway's Elastic IP alone and
pg_hba.conf admits the same address; the servers present a certificate for the host's public
addresses, signed by a CA of their own, and the tasks verify it against that CA, written to the
task volume before the app starts. A stack whose data on hosts nobody reaches from elsewhere is
unchanged. tests/integration/test_exposed_tls.py starts real servers with the shipped files.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multicloud.components._lib import private_ca, types
from multicloud.components._vps.render import pg_hba
from multicloud.components.contracts import breaks
from multicloud.components.host import Exposure
from multicloud.infra.cli import main
from multicloud.infra.mocks import offline_pem
from multicloud.infra.offline import Plan, plan
from tests.conftest import ROOT, one, write_stack
from tests.helpers import bundle, compose, env_of
from tests.hostile_strings import field_values
from tests.test_internet_links import containers, variables

EXAMPLE = ROOT / "examples" / "fargate-hetzner-data.yaml"
FIREWALL, SERVER, FLOATING = types.HCLOUD_FIREWALL, types.HCLOUD_SERVER, types.HCLOUD_FLOATING_IP


@pytest.fixture(scope="module")
def example() -> Plan:
    return plan(EXAMPLE, "prod", project_dir=ROOT)


def nat_address(result: Plan) -> str:
    (eip,) = [r for r in result.registrations if r.type == types.AWS_EC2_EIP]
    return eip.raw_outputs["publicIp"]


def host_addresses(result: Plan, host: str) -> tuple[str, str]:
    """The server's own IPv4 and its floating IP."""
    server = one(result, SERVER, f"{host}-server").raw_outputs["ipv4Address"]
    floating = one(result, FLOATING, f"{host}-floating-ip").raw_outputs["ipAddress"]
    return server, floating


def test_the_host_firewall_opens_each_exposed_port_to_the_nat_address_alone(example):
    rules = one(example, FIREWALL, "data-firewall").inputs["rules"]
    exposed = {r.get("port"): r["sourceIps"] for r in rules if r.get("port") in ("5432", "6380")}
    assert exposed == {"5432": [f"{nat_address(example)}/32"], "6380": [f"{nat_address(example)}/32"]}
    # The rest of the policy is the one every host has: web, SSH from the admins, ping.
    others = {(r["protocol"], r.get("port")) for r in rules if r.get("port") not in ("5432", "6380")}
    assert others == {("tcp", "80"), ("tcp", "443"), ("tcp", "22"), ("icmp", None)}


def test_pg_hba_admits_the_host_and_the_nat_address_and_rejects_the_rest(example):
    text = bundle(example, "data")["config/db/pg_hba.conf"].text
    rules = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert rules == [
        ["local", "all", "all", "scram-sha-256"],
        ["hostssl", "all", "all", "samenet", "scram-sha-256"],
        ["hostssl", "all", "all", f"{nat_address(example)}/32", "scram-sha-256"],
        ["host", "all", "all", "0.0.0.0/0", "reject"],
        ["host", "all", "all", "::/0", "reject"],
    ]


def test_the_servers_publish_the_exposed_ports_with_the_ca_signed_pair(example):
    services = compose(example, "data")["services"]
    # IPv4 only: what the firewall admits (docker-proxy would relay IPv6 from the bridge's gateway).
    assert services["db"]["ports"] == ["0.0.0.0:5432:5432"]
    assert services["cache"]["ports"] == ["0.0.0.0:6380:6380"]
    command = services["db"]["command"]
    assert "ssl_cert_file=/etc/postgresql/ca-signed-tls/server.crt" in command
    assert "ssl_key_file=/etc/postgresql/ca-signed-tls/server.key" in command
    files = bundle(example, "data")
    key = files["secrets/db/server.key"]
    # Postgres starts only with a key its own user owns and nobody else may read.
    assert (key.mode, key.uid, key.text) == (0o400, 999, offline_pem("RSA PRIVATE KEY", "db-tls-key"))
    assert files["config/db/server.crt"].text == offline_pem("CERTIFICATE", "db-tls-certificate")
    conf = files["secrets/cache/redis.conf"].text.splitlines()
    assert "tls-port 6380" in conf and "port 6379" in conf and "tls-auth-clients no" in conf


@pytest.mark.parametrize("name", ["db", "cache"])
def test_the_certificate_names_every_public_address_of_the_host(example, name):
    request = one(example, types.TLS_CERT_REQUEST, f"{name}-tls-request").inputs
    assert sorted(request["ipAddresses"]) == sorted(host_addresses(example, "data"))
    assert request["dnsNames"] == [name]
    signed = one(example, types.TLS_LOCALLY_SIGNED_CERT, f"{name}-tls-certificate").inputs
    assert signed["allowedUses"] == list(private_ca.SERVER_USES)
    ca = one(example, types.TLS_SELF_SIGNED_CERT, f"{name}-ca").inputs
    assert ca["isCaCertificate"] is True and ca["allowedUses"] == list(private_ca.CA_USES)


@pytest.mark.parametrize("service", ["api", "worker"])
def test_tasks_connect_to_the_floating_ip_and_verify_against_the_dependencys_ca(example, service):
    found = containers(example, service)
    app = variables(found[service])
    _, floating = host_addresses(example, "data")
    assert (app["PGHOST"], app["PGPORT"], app["PGSSLMODE"]) == (floating, "5432", "verify-full")
    assert found[service]["dependsOn"] == [{"containerName": "tls-ca", "condition": "SUCCESS"}]
    writer = found["tls-ca"]
    cas = variables(writer)
    script = writer["command"][2]
    (db_ca,) = [n for n in cas if f'"${n}" > {app["PGSSLROOTCERT"]}' in script]
    assert cas[db_ca] == offline_pem("CERTIFICATE", "db-ca")
    (cache_ca,) = [n for n in cas if f'"${n}" > {app["REDIS_CA_FILE"]}' in script]
    assert cas[cache_ca] == offline_pem("CERTIFICATE", "cache-ca")


def test_the_secret_urls_point_at_the_published_ports_with_tls(example):
    _, floating = host_addresses(example, "data")
    db = urlsplit(one(example, types.AWS_SSM_PARAMETER, "api-database-url").raw_inputs["value"])
    assert (db.hostname, db.port) == (floating, 5432)
    assert parse_qs(db.query)["sslmode"] == ["verify-full"]
    cache = urlsplit(one(example, types.AWS_SSM_PARAMETER, "api-redis-url").raw_inputs["value"])
    assert (cache.scheme, cache.hostname, cache.port) == ("rediss", floating, 6380)


def test_no_setup_job_runs_for_a_database_its_own_user_owns(example):
    # POSTGRES_USER owns the database on a host: there is nothing to grant.
    assert set(containers(example, "api")) == {"api", "tls-ca"}


def _two_databases(tmp_path) -> Plan:
    """Two Postgres on one host of two, both linked from Fargate; one on the other host is not."""
    config = json.loads(json.dumps(_base()))
    config["hosts"]["spare"] = {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": "fsn1"}
    backup = config["services"]["db"]["backup"]
    config["services"]["db2"] = {"kind": "postgres", "target": "hetzner", "host": "data", "backup": backup}
    config["services"]["quiet"] = {"kind": "postgres", "target": "hetzner", "host": "spare", "backup": backup}
    config["services"]["worker"] = {
        "kind": "worker", "target": "aws", "image": "ghcr.io/acme/api:1.4.2", "links": ["db2"],
    }  # fmt: skip
    config["services"]["local"] = {
        "kind": "worker", "target": "hetzner", "host": "spare", "image": "ghcr.io/acme/api:1.4.2",
        "links": ["quiet"],
    }  # fmt: skip
    config["services"]["reader"] = {
        "kind": "worker", "target": "hetzner", "host": "spare", "image": "ghcr.io/acme/api:1.4.2",
        "links": ["db"],
    }  # fmt: skip
    return plan(write_stack(tmp_path / "Pulumi.prod.yaml", config), "prod", project_dir=ROOT)


def _base() -> dict:
    import yaml

    raw = yaml.safe_load(EXAMPLE.read_text())["config"]
    config = {key.removeprefix("multicloud:"): value for key, value in raw.items()}
    config["services"] = {k: v for k, v in config["services"].items() if k in ("api", "db", "backups")}
    config["services"]["api"]["links"] = ["db"]
    return config


def test_two_exposed_databases_on_a_host_get_ports_of_their_own(tmp_path):
    result = _two_databases(tmp_path)
    services = compose(result, "data")["services"]
    server, _ = host_addresses(result, "data")
    # Each publishes its exposed port alone, which the private network reaches as well; the
    # database nobody exposes on the other host keeps its private port.
    assert services["db"]["ports"] == ["0.0.0.0:5432:5432"]
    assert services["db2"]["ports"] == ["0.0.0.0:5433:5432"]
    (quiet,) = compose(result, "spare")["services"]["quiet"]["ports"]
    spare_ip = quiet.split(":")[0]
    reader = env_of(result, "spare", "reader")
    assert ipaddress.ip_address(reader["PGHOST"]) in ipaddress.ip_network("10.0.1.0/24")
    assert reader["PGHOST"] != spare_ip and reader["PGPORT"] == "5432" and quiet.endswith(":5432:5432")
    rules = one(result, FIREWALL, "data-firewall").inputs["rules"]
    assert {r.get("port") for r in rules} >= {"5432", "5433"}
    # A database nobody reaches from elsewhere opens nothing and gets no CA.
    spare_rules = one(result, FIREWALL, "spare-firewall").inputs["rules"]
    assert {r.get("port") for r in spare_rules} == {"80", "443", "22", None}
    assert not [
        r for r in result.registrations if r.type == types.TLS_CERT_REQUEST and r.name.startswith("quiet")
    ]
    # The private network still reaches the exposed database: pg_hba admits its subnet too.
    hba = bundle(result, "data")["config/db/pg_hba.conf"].text
    assert "10.0.1.0/24" in hba and f"{server}/32" not in hba


def test_a_stack_without_remote_consumers_is_unchanged():
    result = plan(ROOT / "examples" / "hetzner-single-box.yaml", "prod", project_dir=ROOT)
    assert not [r for r in result.registrations if r.type.startswith("tls:")]
    rules = one(result, FIREWALL, "box-firewall").inputs["rules"]
    assert {r.get("port") for r in rules} == {"80", "443", "22", None}
    assert "samenet" not in bundle(result, "box")["config/db/pg_hba.conf"].text


def test_without_a_nat_gateway_validate_refuses_the_links(tmp_path, capsys):
    config = _base()
    config["aws"]["nat"] = "none"
    assert main(["validate", "--config", str(write_stack(tmp_path / "Pulumi.prod.yaml", config))]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [line for line in lines if "services.api.links[0]" in line]
    assert lines and all("set aws.nat: managed" in line for line in lines)


def test_an_exposure_admits_some_addresses():
    with pytest.raises(ValueError, match="never none or all"):
        Exposure("db", 5432, [])


@pytest.mark.parametrize("port", [0, 80, 1023, 65536])
def test_an_exposure_is_an_unprivileged_port(port):
    with pytest.raises(ValueError, match="unprivileged"):
        Exposure("db", port, ["192.0.2.1"])


# --- pg_hba.conf: an admitted address is one field of one line -------------------------------

NETWORKS = st.builds(
    lambda a, b, n: f"{ipaddress.ip_network(f'{a}.{b}.0.0/{n}', strict=False)}",
    st.integers(1, 223),
    st.integers(0, 255),
    st.sampled_from([16, 24, 32]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(field_values(NETWORKS), min_size=1, max_size=3))
def test_pg_hba_takes_networks_only_each_as_one_field(values):
    try:
        text = pg_hba(values)
    except ValueError as err:
        assert "pg_hba:" in str(err) and "\n" not in str(err)
        assert not all(_canonical(v) for v in values)
        return
    rules = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    # local, samenet, one per admitted network, the two rejects: nothing added, nothing split.
    assert [r[3] for r in rules[2:-2]] == values
    assert all(len(r) == 5 for r in rules[1:]) and len(rules) == len(values) + 4


def _canonical(value: str) -> bool:
    try:
        return str(ipaddress.ip_network(value, strict=True)) == value
    except ValueError:
        return False


# --- what the TLS provider accepts -------------------------------------------------------------


def test_the_private_ca_sends_what_the_tls_provider_accepts(example):
    sent = [r for r in example.registrations if r.type.startswith("tls:")]
    assert len(sent) == 10  # five for each of db and cache
    assert all(breaks(r.type, r.name, r.raw_inputs) == [] for r in sent)

"""Hetzner hosts and DigitalOcean droplets linking Postgres on AWS RDS: planned end to end.

What a real deployment needs, read from the plan (the mocks' addresses stand in for the
providers'): the instance is publicly accessible in a subnet group of the VPC's public subnets,
and its security group admits each consuming host's IPv4 as a /32 on 5432 and nothing wider;
the containers connect to the instance's endpoint with `verify-full` against the region's RDS CA
bundle, downloaded at deploy time and shipped in the release. A private RDS (every stack whose
consumers are on AWS) is unchanged. tests/integration/test_rds_tls.py uses the shipped variables
against a real Postgres with a bundle of CAs.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from multicloud.components._lib import types
from multicloud.components.contracts.aws import RDS_TRUSTSTORE
from multicloud.components.postgres.aws import bundle_url, host_cidr
from multicloud.costs.estimate import estimate_plan
from multicloud.infra.cli import main
from multicloud.infra.mocks import offline_pem
from multicloud.infra.offline import Plan, plan
from multicloud.stacks.placements import placement_problems, placements
from multicloud.stacks.spec import StackSpec
from tests.aws_plans import example_config
from tests.conftest import ROOT, of_type, one, write_stack
from tests.helpers import bundle, compose, env_of, mount_target
from tests.hostile_strings import hostile

EXAMPLE = ROOT / "examples" / "hetzner-compute-rds.yaml"
RDS, SUBNETS, RULE = (
    types.AWS_RDS_INSTANCE,
    types.AWS_RDS_SUBNET_GROUP,
    types.AWS_VPC_SECURITY_GROUP_INGRESS_RULE,
)


@pytest.fixture(scope="module")
def example() -> Plan:
    return plan(EXAMPLE, "prod", project_dir=ROOT)


def box_addresses(result: Plan) -> set[str]:
    """The box's own IPv4 (its connections leave from it) and its floating IP."""
    server = one(result, types.HCLOUD_SERVER, "box-server").raw_outputs["ipv4Address"]
    floating = one(result, types.HCLOUD_FLOATING_IP, "box-floating-ip").raw_outputs["ipAddress"]
    return {server, floating}


def rules_of(result: Plan, group: str) -> list[dict]:
    """The ingress rules attached to security group `group` (by the id the mocks gave it)."""
    group_id = one(result, types.AWS_EC2_SECURITY_GROUP, group).id
    return [r.raw_inputs for r in of_type(result, RULE) if r.raw_inputs.get("securityGroupId") == group_id]


def test_the_security_group_admits_the_hosts_addresses_alone(example):
    rules = rules_of(example, "db-sg")
    assert {r["cidrIpv4"] for r in rules} == {f"{a}/32" for a in box_addresses(example)}
    assert {(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in rules} == {("tcp", 5432, 5432)}
    assert all(ipaddress.ip_network(r["cidrIpv4"]).num_addresses == 1 for r in rules)
    assert not [r for r in rules if r.get("cidrIpv6") or r.get("prefixListId")]


def test_a_host_that_comes_or_goes_moves_no_other_hosts_rule(example, tmp_path):
    """Each rule is named after whose address it holds: a second host whose name sorts first
    adds its own rule and leaves the box's alone (EC2 refuses two rules for one address, so
    rules that shifted their addresses in place would fail the update)."""
    config = yaml.safe_load(EXAMPLE.read_text())["config"]
    config["multicloud:hosts"]["app"] = {
        "target": "hetzner",
        "size": {"cpu": 2, "memory_gb": 4},
        "location": "fsn1",
    }
    config["multicloud:services"]["worker"]["host"] = "app"
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    grown = plan(path, "prod", project_dir=ROOT)

    def rules(result: Plan) -> dict[str, str]:
        return {
            r.name: r.raw_inputs["cidrIpv4"] for r in of_type(result, RULE) if r.name.startswith("db-from-")
        }

    before, after = rules(example), rules(grown)
    assert set(before) == {"db-from-box-server", "db-from-box-static"}
    assert {name: after[name] for name in before} == before
    app = one(grown, types.HCLOUD_SERVER, "app-server").raw_outputs["ipv4Address"]
    assert set(after) - set(before) == {"db-from-app-server"} and after["db-from-app-server"] == f"{app}/32"


def test_the_instance_is_public_in_the_public_subnets(example):
    instance = one(example, RDS, "db-db")
    group = one(example, SUBNETS, "db-public-subnets")
    assert instance.raw_inputs["publiclyAccessible"] is True
    assert instance.raw_inputs["dbSubnetGroupName"] == group.raw_outputs["name"]
    public = {
        r.id for r in of_type(example, types.AWS_EC2_SUBNET) if r.name.endswith(("-public-0", "-public-1"))
    }
    assert len(public) == 2 and set(group.raw_inputs["subnetIds"]) == public
    # The public subnets are the ones routed to the internet gateway.
    (table,) = [r for r in of_type(example, types.AWS_EC2_ROUTE_TABLE) if r.name.endswith("-public")]
    igw = one(example, types.AWS_EC2_INTERNET_GATEWAY).id
    assert table.raw_inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": igw}]
    # RDS cannot move it between subnet groups in place: a change of group is a new instance.
    assert "dbSubnetGroupName" in instance.replace_on_changes
    assert not of_type(example, SUBNETS)[1:], "one subnet group only"


@pytest.mark.parametrize("service", ["api", "worker"])
def test_the_containers_verify_the_endpoint_against_the_shipped_bundle(example, service):
    endpoint = one(example, RDS, "db-db").raw_outputs["address"]
    env = env_of(example, "box", service)
    url = urlsplit(env["DATABASE_URL"])
    query = parse_qs(url.query)
    assert (url.hostname, url.port) == (endpoint, 5432)
    assert (env["PGHOST"], env["PGPORT"], env["PGSSLMODE"]) == (endpoint, "5432", "verify-full")
    assert query == {"sslmode": ["verify-full"], "sslrootcert": [env["PGSSLROOTCERT"]]}
    (source,) = [
        v.split(":")[0]
        for v in compose(example, "box")["services"][service]["volumes"]
        if v.split(":")[1] == env["PGSSLROOTCERT"]
    ]
    assert mount_target(compose(example, "box")["services"][service], source) == env["PGSSLROOTCERT"]
    shipped = bundle(example, "box")[source.removeprefix("./")]
    downloaded = one(example, types.LOCAL_COMMAND, "db-rds-ca").raw_outputs["stdout"]
    assert (
        shipped.text
        == downloaded
        == offline_pem("CERTIFICATE", "db-rds-ca 1") + offline_pem("CERTIFICATE", "db-rds-ca 2")
    )
    assert shipped.mode & 0o777 == 0o644


def test_the_bundle_is_the_regions_downloaded_over_https_only(example):
    download = one(example, types.LOCAL_COMMAND, "db-rds-ca").raw_inputs
    url = "https://truststore.pki.rds.amazonaws.com/eu-central-1/eu-central-1-bundle.pem"
    assert download["create"].endswith(f" {url}")
    assert "--proto =https" in download["create"] and "--fail" in download["create"]
    assert download["triggers"] == [url]
    shellcheck = shutil.which("shellcheck")
    if shellcheck:  # installed by .ci/run; the command runs under /bin/sh on the deploying machine
        done = subprocess.run([shellcheck, "-s", "sh", "-"], input=download["create"], capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stdout


def test_the_path_costs_a_public_address_and_the_transfer(example):
    names = {line.name: line for line in estimate_plan(example).components["db"].lines}
    assert (names["RDS public IPv4"].monthly, names["RDS public IPv4"].currency) == (
        pytest.approx(3.65),
        "USD",
    )
    transfer = names["transfer to 2 addresses outside AWS (10 GB)"]
    assert transfer.usage_based and transfer.monthly == pytest.approx(0.90)


def test_an_rds_only_aws_services_link_stays_private(aws_plan):
    result = aws_plan(example_config(), "prod")
    assert not [
        n for c in estimate_plan(result).components.values() for n in c.lines if "outside AWS" in n.name
    ]
    instance = one(result, RDS)
    assert instance.raw_inputs["publiclyAccessible"] is False
    assert [g.name for g in of_type(result, SUBNETS)] == ["db-subnets"]
    assert not of_type(result, types.LOCAL_COMMAND)
    assert not [r for r in of_type(result, RULE) if r.raw_inputs.get("cidrIpv4") and r.name.startswith("db-")]


def droplet_config() -> dict:
    return {
        "environment": "dev",
        "domain": "example.com",
        "aws": {"region": "us-east-1"},
        "dns": {"provider": "cloudflare", "zone_id": "0" * 32},
        "admin": {
            "ssh_public_keys": [
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example.com"
            ],
            "cidrs": ["203.0.113.0/24"],
        },
        "hosts": {"web": {"target": "digitalocean", "location": "fra1", "size": {"cpu": 1, "memory_gb": 2}}},
        "services": {
            "api": {"kind": "api", "target": "digitalocean", "host": "web", "image": "ghcr.io/acme/api:1.4.2",
                    "port": 8080, "links": ["db"]},
            "db": {"kind": "postgres", "target": "aws"},
        },
    }  # fmt: skip


def test_a_droplet_is_admitted_by_its_own_address(tmp_path):
    result = plan(write_stack(tmp_path / "Pulumi.dev.yaml", droplet_config()), "dev", project_dir=ROOT)
    droplet = one(result, types.DO_DROPLET).raw_outputs["ipv4Address"]
    assert [r["cidrIpv4"] for r in rules_of(result, "db-sg")] == [f"{droplet}/32"]
    assert env_of(result, "web", "api")["PGSSLMODE"] == "verify-full"
    assert "us-east-1/us-east-1-bundle.pem" in one(result, types.LOCAL_COMMAND).raw_inputs["create"]


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_outside_the_commercial_partition_validate_refuses_the_link(region, tmp_path, capsys):
    config = droplet_config() | {"aws": {"region": region}}
    assert main(["validate", "--config", str(write_stack(tmp_path / "Pulumi.dev.yaml", config))]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"multicloud:services.api.links[0]: db is a postgres on aws in {region}, which publishes its RDS CA "
        "bundle outside the commercial partition; api on digitalocean can reach RDS only in a commercial "
        "region (us-east-1, eu-central-1 …), or put db on digitalocean\n"
    )


def test_validate_accepts_the_example_and_the_droplet_stack(tmp_path, capsys):
    assert main(["validate", "--config", str(EXAMPLE)]) == 0
    assert (
        main(["validate", "--config", str(write_stack(tmp_path / "Pulumi.dev.yaml", droplet_config()))]) == 0
    )


# --- a switch is a new instance, refused like a move ------------------------------------------


def _spec(linked_from_hetzner: bool) -> StackSpec:
    config = droplet_config()
    config["hosts"]["web"] = {"target": "hetzner", "location": "fsn1", "size": {"cpu": 2, "memory_gb": 4}}
    if linked_from_hetzner:
        config["services"]["api"]["target"] = "hetzner"
    else:  # the api on Fargate instead: the same instance, private
        config["services"]["api"] = {"kind": "api", "target": "aws", "image": "ghcr.io/acme/api:1.4.2",
                                     "port": 8080, "links": ["db"]}  # fmt: skip
    return StackSpec.model_validate(config)


def test_linking_a_private_instance_from_another_provider_is_refused_as_a_move():
    assert placements(_spec(False))["db"] == "aws"
    assert placements(_spec(True))["db"] == "aws/public"
    ((path, message),) = placement_problems(_spec(True), {"db": "aws"})
    assert path == "services.db"
    assert message.startswith("moves from aws to aws/public, which starts it empty")
    ((_, back),) = placement_problems(_spec(False), {"db": "aws/public"})
    assert back.startswith("moves from aws/public to aws")
    allowed = _spec(True).model_copy(update={"allow_data_replacement": ["db"]})
    assert placement_problems(allowed, {"db": "aws"}) == []


# --- what reaches the rule and the URL --------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.one_of(hostile(), st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str)))
def test_only_a_single_ipv4_address_becomes_a_rule(value):
    try:
        cidr = host_cidr(value)
    except ValueError as refused:
        assert "is not an IPv4 address" in str(refused)
        with pytest.raises(ValueError):
            ipaddress.IPv4Address(value)
        return
    assert cidr == f"{ipaddress.IPv4Address(value)}/32"


@settings(max_examples=150, deadline=None)
@given(st.one_of(hostile(), st.from_regex(r"[a-z]{2}-[a-z]+-\d", fullmatch=True)))
def test_only_a_region_code_reaches_the_download(value):
    try:
        url = bundle_url(value)
    except ValueError as refused:
        assert "is not a commercial AWS region code" in str(refused)
        return
    assert url == RDS_TRUSTSTORE.format(region=value)
    assert urlsplit(url).hostname == "truststore.pki.rds.amazonaws.com"
    assert urlsplit(url).path == f"/{value}/{value}-bundle.pem"

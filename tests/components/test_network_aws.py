"""Network on AWS: VPC, internet gateway, public/private subnets in two zones, NAT by choice."""

from __future__ import annotations

import pytest

from multicloud.components.network.aws import subnet_cidrs
from tests.aws_plans import ECS_SERVICE, SUBNET, VPC, aws_config, depends_on, ids, subnets
from tests.conftest import one
from tests.helpers import child_set

NETWORK = "multicloud:index:Network"
IGW = "aws:ec2/internetGateway:InternetGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
TAGS = {"managed-by": "pulumi", "project": "multicloud", "stack": "prod", "component": "network"}


@pytest.fixture(scope="module")
def prod(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


def with_nat(environment: str, nat: str | None) -> dict:
    config = aws_config(environment)
    if nat is not None:
        config["aws"]["nat"] = nat
    return config


def test_component_owns_the_vpc_its_routing_and_one_nat_gateway(prod):
    network = one(prod, NETWORK, "network")
    assert child_set(prod, network) == {
        (VPC, "network-vpc"),
        (IGW, "network-igw"),
        (ROUTE_TABLE, "network-public"),
        (ROUTE_TABLE, "network-private"),
        (SUBNET, "network-public-0"),
        (SUBNET, "network-public-1"),
        (SUBNET, "network-private-0"),
        (SUBNET, "network-private-1"),
        (ASSOCIATION, "network-public-0"),
        (ASSOCIATION, "network-public-1"),
        (ASSOCIATION, "network-private-0"),
        (ASSOCIATION, "network-private-1"),
        (EIP, "network-nat"),
        (NAT, "network-nat"),
    }
    # The network holds no data: nothing in it is protected.
    assert not any(r.protect for r in prod.registrations if r.parent == network.urn)


def test_vpc_has_dns_and_the_default_range(prod):
    assert one(prod, VPC).inputs == {
        "cidrBlock": "10.20.0.0/16",
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "tags": TAGS | {"Name": "network-vpc"},
    }
    assert one(prod, IGW).inputs["vpcId"] == one(prod, VPC).id


def test_two_public_and_two_private_subnets_spread_over_two_zones(prod):
    vpc = one(prod, VPC)
    public, private = subnets(prod, "public"), subnets(prod, "private")
    assert [s.inputs["cidrBlock"] for s in public] == ["10.20.0.0/20", "10.20.16.0/20"]
    assert [s.inputs["cidrBlock"] for s in private] == ["10.20.32.0/20", "10.20.48.0/20"]
    for tier in (public, private):
        zones = [s.inputs["availabilityZone"] for s in tier]
        assert zones == ["us-east-1a", "us-east-1b"]  # two different zones, in order
    assert all(s.inputs["vpcId"] == vpc.id for s in public + private)
    # No subnet hands out public addresses by itself; only the service decides (assignPublicIp).
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public + private)


def test_subnet_cidrs_are_carved_public_first():
    assert subnet_cidrs("10.0.0.0/16") == (["10.0.0.0/20", "10.0.16.0/20"], ["10.0.32.0/20", "10.0.48.0/20"])


def test_public_subnets_route_to_the_internet_gateway(prod):
    table = one(prod, ROUTE_TABLE, "network-public")
    assert table.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": one(prod, IGW).id}]
    assert table.inputs["vpcId"] == one(prod, VPC).id
    for i, subnet in enumerate(subnets(prod, "public")):
        assert one(prod, ASSOCIATION, f"network-public-{i}").inputs == {
            "subnetId": subnet.id,
            "routeTableId": table.id,
        }


def test_private_subnets_route_through_the_nat_gateway(prod):
    nat = one(prod, NAT)
    table = one(prod, ROUTE_TABLE, "network-private")
    assert table.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": nat.id}]
    for i, subnet in enumerate(subnets(prod, "private")):
        assert one(prod, ASSOCIATION, f"network-private-{i}").inputs == {
            "subnetId": subnet.id,
            "routeTableId": table.id,
        }
    # Nothing private routes to the internet gateway directly.
    assert "gatewayId" not in str(table.inputs["routes"])


def test_one_nat_gateway_in_the_first_public_subnet_with_its_own_address(prod):
    eip, nat = one(prod, EIP), one(prod, NAT)
    assert eip.inputs == {"domain": "vpc", "tags": TAGS | {"Name": "network-nat"}}
    assert nat.inputs["allocationId"] == eip.id
    assert nat.inputs["subnetId"] == subnets(prod, "public")[0].id
    # Created after the internet gateway, or AWS refuses it.
    assert (IGW, "network-igw") in depends_on(prod, nat)


@pytest.mark.parametrize(
    ("environment", "nat", "expected"),
    [
        ("prod", None, "managed"),
        ("staging", None, "none"),
        ("dev", None, "none"),
        ("prod", "none", "none"),
        ("dev", "managed", "managed"),
    ],
    ids=["prod-default", "staging-default", "dev-default", "prod-explicit-none", "dev-explicit-managed"],
)
def test_nat_gateway_exists_only_when_managed(aws_plan, environment, nat, expected):
    result = aws_plan(with_nat(environment, nat), environment)
    gateways = [(r.type, r.name) for r in result.registrations if r.type in (EIP, NAT)]
    private_routes = one(result, ROUTE_TABLE, "network-private").inputs.get("routes", [])
    if expected == "managed":
        assert sorted(gateways) == [(EIP, "network-nat"), (NAT, "network-nat")]
        assert private_routes == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": one(result, NAT).id}]
    else:
        assert gateways == []
        assert private_routes == []
    # Subnets and the internet gateway exist either way (the load balancer needs them).
    assert len(subnets(result, "public")) == len(subnets(result, "private")) == 2
    assert one(result, IGW).inputs["vpcId"] == one(result, VPC).id


@pytest.mark.parametrize(
    ("environment", "nat", "tier", "public_ip"),
    [("prod", None, "private", False), ("dev", None, "public", True), ("prod", "none", "public", True)],
    ids=["managed-private", "none-public-dev", "none-public-prod"],
)
def test_tasks_run_in_private_subnets_behind_nat_else_public_with_an_address(
    aws_plan, environment, nat, tier, public_ip
):
    result = aws_plan(with_nat(environment, nat), environment)
    network = one(result, ECS_SERVICE, "api-service").inputs["networkConfiguration"]
    assert network["subnets"] == ids(subnets(result, tier))
    assert network["assignPublicIp"] is public_ip


def test_one_network_is_shared_by_every_service(prod):
    vpc = one(prod, VPC)
    groups = [r for r in prod.registrations if r.type == "aws:ec2/securityGroup:SecurityGroup"]
    assert {g.name for g in groups} == {"api-tasks", "api-lb", "db-sg", "cache-sg"}
    assert all(g.inputs["vpcId"] == vpc.id for g in groups)


def test_a_stack_without_networked_aws_services_has_no_vpc(aws_plan):
    config = aws_config("prod")
    config["services"] = {k: v for k, v in config["services"].items() if k in ("uploads", "web")}
    result = aws_plan(config, "prod")
    assert not any(
        r.type in (VPC, SUBNET, NAT, EIP, "multicloud:index:Network") for r in result.registrations
    )

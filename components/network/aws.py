"""Network on AWS: VPC, internet gateway, 2 public + 2 private subnets, optional NAT gateway."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from multicloud.components.network import Network, NetworkArgs, NetworkOutputs

ZONES = 2


def subnet_cidrs(cidr: str) -> tuple[list[str], list[str]]:
    """Public and private /20s carved from the VPC range: public first, then private."""
    subnets = [str(s) for s in ipaddress.ip_network(cidr).subnets(new_prefix=20)]
    return subnets[:ZONES], subnets[ZONES : 2 * ZONES]


@dataclass(frozen=True)
class _Vpc:
    """What every step of the build shares: the component, its name, its inputs and the VPC."""

    parent: Network
    name: str
    args: NetworkArgs
    vpc: aws.ec2.Vpc

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)

    def tags(self, suffix: str, **extra: str) -> dict[str, str]:
        """The stack's tags, with a Name the console shows (`<name>-<suffix>`)."""
        return {**self.args.tags, "Name": f"{self.name}-{suffix}", **extra}


def build(parent: Network, name: str, args: NetworkArgs) -> NetworkOutputs:
    """Create the VPC and its routing."""
    zones = aws.get_availability_zones_output(
        state="available", opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    net = _Vpc(parent, name, args, _vpc(parent, name, args))
    # Free, so created unconditionally: the public subnets (load balancer) always need it.
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=net.vpc.id, tags=net.tags("igw"), opts=net.child)
    public_rt = _route_table(
        net, "public", [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)]
    )
    resources: dict[str, pulumi.Resource] = {"vpc": net.vpc, "igw": igw, "public_route_table": public_rt}
    public, private = _subnets(net, zones, public_rt)
    for i in range(ZONES):
        resources |= {f"public_subnet_{i}": public[i], f"private_subnet_{i}": private[i]}
    routes = []
    egress: list[pulumi.Output[str]] = []
    if args.nat == "managed":
        eip, nat = _nat_gateway(net, public[0], igw)
        routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)]
        resources |= {"nat_eip": eip, "nat_gateway": nat}
        egress.append(eip.public_ip)
    private_rt = _route_table(net, "private", routes)
    resources["private_route_table"] = private_rt
    for i, priv in enumerate(private):
        _associate(net, f"private-{i}", priv, private_rt)
    return NetworkOutputs(
        vpc_id=net.vpc.id,
        public_subnet_ids=[s.id for s in public],
        private_subnet_ids=[s.id for s in private],
        resources=resources,
        egress_ipv4=egress,
    )


def _vpc(parent: Network, name: str, args: NetworkArgs) -> aws.ec2.Vpc:
    return aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=args.cidr,
        enable_dns_hostnames=True,
        enable_dns_support=True,
        tags={**args.tags, "Name": f"{name}-vpc"},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _route_table(net: _Vpc, tier: str, routes: list[aws.ec2.RouteTableRouteArgs]) -> aws.ec2.RouteTable:
    return aws.ec2.RouteTable(
        f"{net.name}-{tier}", vpc_id=net.vpc.id, routes=routes, tags=net.tags(tier), opts=net.child
    )


def _associate(net: _Vpc, suffix: str, subnet: aws.ec2.Subnet, table: aws.ec2.RouteTable) -> None:
    aws.ec2.RouteTableAssociation(
        f"{net.name}-{suffix}", subnet_id=subnet.id, route_table_id=table.id, opts=net.child
    )


def _subnets(
    net: _Vpc, zones: pulumi.Output[aws.GetAvailabilityZonesResult], public_rt: aws.ec2.RouteTable
) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.Subnet]]:
    """A public and a private subnet in each of the first ZONES zones; the public ones routed
    through the internet gateway."""
    public_cidrs, private_cidrs = subnet_cidrs(net.args.cidr)
    public, private = [], []
    for i in range(ZONES):
        zone = zones.names[i]
        public.append(_subnet(net, f"public-{i}", public_cidrs[i], zone, tier="public"))
        _associate(net, f"public-{i}", public[i], public_rt)
        private.append(_subnet(net, f"private-{i}", private_cidrs[i], zone, tier="private"))
    return public, private


def _subnet(net: _Vpc, suffix: str, cidr: str, zone: pulumi.Output[str], tier: str) -> aws.ec2.Subnet:
    return aws.ec2.Subnet(
        f"{net.name}-{suffix}",
        vpc_id=net.vpc.id,
        cidr_block=cidr,
        availability_zone=zone,
        # Not in public subnets either: tasks there (nat: none) get their IPv4 from the service,
        # not from the subnet.
        map_public_ip_on_launch=False,
        tags=net.tags(suffix, tier=tier),
        opts=net.child,
    )


def _nat_gateway(
    net: _Vpc, subnet: aws.ec2.Subnet, igw: aws.ec2.InternetGateway
) -> tuple[aws.ec2.Eip, aws.ec2.NatGateway]:
    eip = aws.ec2.Eip(f"{net.name}-nat", domain="vpc", tags=net.tags("nat"), opts=net.child)
    # One gateway, not one per zone: zone-redundant NAT doubles a $33/month line.
    nat = aws.ec2.NatGateway(
        f"{net.name}-nat",
        allocation_id=eip.id,
        subnet_id=subnet.id,
        tags=net.tags("nat"),
        opts=pulumi.ResourceOptions(parent=net.parent, depends_on=[igw]),
    )
    return eip, nat

"""Network on AWS: VPC, internet gateway, 2 public + 2 private subnets, optional NAT gateway."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from components.network import Network, NetworkArgs, NetworkOutputs

ZONES = 2


def subnet_cidrs(cidr: str) -> tuple[list[str], list[str]]:
    """Public and private /20s carved from the VPC range: public first, then private."""
    subnets = [str(s) for s in ipaddress.ip_network(cidr).subnets(new_prefix=20)]
    return subnets[:ZONES], subnets[ZONES : 2 * ZONES]


def build(parent: Network, name: str, args: NetworkArgs) -> NetworkOutputs:
    """Create the VPC and its routing."""
    child = pulumi.ResourceOptions(parent=parent)
    zones = aws.get_availability_zones_output(
        state="available", opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=args.cidr,
        enable_dns_hostnames=True,
        enable_dns_support=True,
        tags={**args.tags, "Name": f"{name}-vpc"},
        opts=child,
    )
    # Free, so created unconditionally: the public subnets (load balancer) always need it.
    igw = aws.ec2.InternetGateway(
        f"{name}-igw", vpc_id=vpc.id, tags={**args.tags, "Name": f"{name}-igw"}, opts=child
    )
    public_cidrs, private_cidrs = subnet_cidrs(args.cidr)
    public_rt = aws.ec2.RouteTable(
        f"{name}-public",
        vpc_id=vpc.id,
        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
        tags={**args.tags, "Name": f"{name}-public"},
        opts=child,
    )
    resources: dict[str, pulumi.Resource] = {"vpc": vpc, "igw": igw, "public_route_table": public_rt}
    public, private = [], []
    for i in range(ZONES):
        zone = zones.names[i]
        pub = aws.ec2.Subnet(
            f"{name}-public-{i}",
            vpc_id=vpc.id,
            cidr_block=public_cidrs[i],
            availability_zone=zone,
            # Tasks there (nat: none) get their IPv4 from the service, not from the subnet.
            map_public_ip_on_launch=False,
            tags={**args.tags, "Name": f"{name}-public-{i}", "tier": "public"},
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-public-{i}", subnet_id=pub.id, route_table_id=public_rt.id, opts=child
        )
        priv = aws.ec2.Subnet(
            f"{name}-private-{i}",
            vpc_id=vpc.id,
            cidr_block=private_cidrs[i],
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags={**args.tags, "Name": f"{name}-private-{i}", "tier": "private"},
            opts=child,
        )
        public.append(pub)
        private.append(priv)
        resources |= {f"public_subnet_{i}": pub, f"private_subnet_{i}": priv}

    routes = []
    if args.nat == "managed":
        eip = aws.ec2.Eip(f"{name}-nat", domain="vpc", tags={**args.tags, "Name": f"{name}-nat"}, opts=child)
        # One gateway, not one per zone: zone-redundant NAT doubles a $33/month line.
        nat = aws.ec2.NatGateway(
            f"{name}-nat",
            allocation_id=eip.id,
            subnet_id=public[0].id,
            tags={**args.tags, "Name": f"{name}-nat"},
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[igw]),
        )
        routes = [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)]
        resources |= {"nat_eip": eip, "nat_gateway": nat}
    private_rt = aws.ec2.RouteTable(
        f"{name}-private",
        vpc_id=vpc.id,
        routes=routes,
        tags={**args.tags, "Name": f"{name}-private"},
        opts=child,
    )
    resources["private_route_table"] = private_rt
    for i, priv in enumerate(private):
        aws.ec2.RouteTableAssociation(
            f"{name}-private-{i}", subnet_id=priv.id, route_table_id=private_rt.id, opts=child
        )

    return NetworkOutputs(
        vpc_id=vpc.id,
        public_subnet_ids=[s.id for s in public],
        private_subnet_ids=[s.id for s in private],
        resources=resources,
    )

"""Network: the private network a cloud stack's services share (an AWS VPC today).

Usage::

    network = Network("network", NetworkArgs(target="aws", nat="managed"))
    ManagedPostgres("db", PostgresArgs(target="aws", network=network, ...))

Two availability zones, a public and a private subnet in each. Databases and caches always
sit in the private subnets. Where the containers run depends on `nat`:

- `none` — tasks run in the public subnets with a public IPv4 each, reachable only from the
  load balancer's security group. Cheapest: no NAT gateway (default outside prod).
- `managed` — tasks run in the private subnets and reach the internet through one NAT
  gateway (default in prod).

Cost (us-east-1): `managed` adds a NAT gateway, $0.045/h ≈ $32.85/month plus $0.045 per GB
processed, and its Elastic IP, $3.65/month. `none` instead pays $3.65/month per running task
for its public IPv4. The VPC, subnets, route tables and internet gateway are free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of a Network."""

    target: str
    nat: str = "none"
    """`none` or `managed` (see the class docstring for the cost difference)."""
    cidr: str = "10.20.0.0/16"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkOutputs:
    """The contract every backend returns."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    resources: dict[str, pulumi.Resource]
    egress_ipv4: list[pulumi.Output[str]] = field(default_factory=list)
    """The fixed addresses tasks' outbound connections leave from: the NAT gateway's Elastic IP
    with `nat: managed`; none with `nat: none` (each task then has an address of its own that
    changes when it is replaced)."""


class NetworkBackend(Protocol):
    """What `components/network/<provider>.py` provides."""

    def build(self, parent: Network, name: str, args: NetworkArgs) -> NetworkOutputs: ...


def backend_for(target: str) -> NetworkBackend:
    """The network backend for `target`, checked by mypy against NetworkBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "aws":
        from multicloud.components.network import aws

        return aws
    raise unsupported("network", target)


class Network(pulumi.ComponentResource):
    """A VPC over two zones with public and private subnets, NAT by choice."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    nat: str

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:Network", name, None, opts)
        if args.nat not in ("none", "managed"):
            raise ValueError(f"{name}: nat must be none or managed")
        backend = backend_for(args.target)
        out = backend.build(self, name, args)
        self.vpc_id = out.vpc_id
        self.public_subnet_ids = out.public_subnet_ids
        self.private_subnet_ids = out.private_subnet_ids
        self.nat = args.nat
        self.egress_ipv4 = out.egress_ipv4
        self.resources = out.resources
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    @property
    def task_subnet_ids(self) -> list[pulumi.Output[str]]:
        """Where containers run: private behind NAT, else public with their own IPv4."""
        return self.private_subnet_ids if self.nat == "managed" else self.public_subnet_ids

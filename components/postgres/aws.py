"""ManagedPostgres on AWS: RDS PostgreSQL, private, encrypted, TLS-only, backed up.

Settings follow the Checkov and Trivy checks for RDS (their IDs in brackets):
storage_encrypted (CKV_AWS_16), not publicly accessible (CKV_AWS_17) unless services on other
providers link it (below), rds.force_ssl (CKV2_AWS_69), backup retention ≥ 7 days in prod
(CKV_AWS_133 / AWS-0077), deletion protection (CKV_AWS_293), final snapshot and automated
backups kept on deletion (terraform-provider-aws#13257), auto minor version upgrade
(CKV_AWS_226), Multi-AZ by flag (CKV_AWS_157), log exports in prod (CKV_AWS_129).

Reached from other providers (`admit_addresses`: the IPv4 addresses of Hetzner hosts or
droplets that link it). RDS rules, read 2026-12-01:
- A publicly accessible instance needs a subnet group of public subnets, routed to an internet
  gateway in a VPC with DNS hostnames and resolution on (CreateDBInstance `PubliclyAccessible`;
  *Working with a DB instance in a VPC*). Its name then resolves to the public address outside
  the VPC and to the private one inside, so the stack's Fargate tasks still connect privately.
- A subnet group cannot mix public and private subnets, and RDS does not move an instance to
  another subnet group of the same VPC (ModifyDBInstance `DBSubnetGroupName` moves between VPCs
  only; InvalidVPCNetworkStateFault, hashicorp/terraform-provider-aws#512, where terraform plans
  it as an in-place update). So the instance's subnet group is fixed at creation: a change of it
  replaces the instance (`replace_on_changes`), and stacks.placements refuses that as a move.
- Clients verify the server with `sslmode=verify-full` against the region's CA bundle
  (https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem, *Using SSL/TLS to
  encrypt a connection to a DB instance*); the instance's certificate names its endpoint.
- The security group admits each address as a /32 on 5432, and nothing wider.
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from multicloud.components._lib.naming import physical_name
from multicloud.components._lib.passwords import generated_password
from multicloud.components.contracts.aws import RDS_TRUSTSTORE, RDS_TRUSTSTORE_REGION
from multicloud.components.network import Network
from multicloud.components.postgres import ManagedPostgres, PostgresArgs, PostgresOutputs

PORT = 5432


@dataclass(frozen=True)
class _Rds:
    """What every step of the build shares: the component, its name, its inputs and its VPC."""

    parent: ManagedPostgres
    name: str
    args: PostgresArgs
    network: Network

    @property
    def public(self) -> bool:
        """Whether consumers on other providers link it (so it is publicly accessible)."""
        return bool(self.args.admit_addresses)

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)


def build(parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs:
    """Create the subnet group, security group, parameter group and instance; when consumers
    on other providers link it, the rules admitting them and the CA bundle they verify with."""
    if args.network is None:
        raise ValueError(f"{name}: postgres on aws needs network=")
    rds = _Rds(parent, name, args, args.network)
    password = generated_password(parent, name, protect=args.protect)
    subnets = _subnet_group(rds)
    security_group = _security_group(rds)
    parameters = _parameter_group(rds)
    instance = _instance(rds, password.result, subnets, security_group, parameters)
    resources: dict[str, pulumi.Resource] = {
        "password": password,
        "subnet_group": subnets,
        "security_group": security_group,
        "parameter_group": parameters,
        "instance": instance,
    }
    ca_bundle = None
    if rds.public:
        resources |= _admit_outside(rds, security_group)
        resources["ca_bundle"], ca_bundle = _ca_bundle(rds)
    return PostgresOutputs(
        host=instance.address,
        port=pulumi.Output.from_input(PORT),
        database=pulumi.Output.from_input(args.database),
        username=pulumi.Output.from_input(args.username),
        password=password.result,
        # Inside the VPC: encrypted; verify-full would also need the CA bundle inside the image.
        sslmode="require",
        resources=resources,
        security_group_id=security_group.id,
        # The same name resolves to the public address outside the VPC.
        public_host=instance.address if rds.public else None,
        ca_certificate=ca_bundle,
    )


def _subnet_group(rds: _Rds) -> aws.rds.SubnetGroup:
    """The private subnets; the public ones (a group of its own) when it is reached from outside."""
    if rds.public:
        return aws.rds.SubnetGroup(
            f"{rds.name}-public-subnets",
            subnet_ids=rds.network.public_subnet_ids,
            tags=rds.args.tags,
            opts=rds.child,
        )
    return aws.rds.SubnetGroup(
        f"{rds.name}-subnets", subnet_ids=rds.network.private_subnet_ids, tags=rds.args.tags, opts=rds.child
    )


def _admit_outside(rds: _Rds, security_group: aws.ec2.SecurityGroup) -> dict[str, pulumi.Resource]:
    """One ingress rule per consumer address on another provider (by its label, e.g.
    `box-server`): that address alone, on 5432."""
    return {
        f"from_{label}": aws.vpc.SecurityGroupIngressRule(
            # Named after whose address it admits: a host that comes or goes adds or removes its
            # own rules and moves no other (two rules may not hold one address at once).
            f"{rds.name}-from-{label}",
            security_group_id=security_group.id,
            cidr_ipv4=pulumi.Output.from_input(address).apply(host_cidr),
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="PostgreSQL from a linked service on another provider",
            tags=rds.args.tags,
            opts=rds.child,
        )
        for label, address in rds.args.admit_addresses.items()
    }


def host_cidr(address: str) -> str:
    """`address` as the /32 that admits it alone; anything but one IPv4 address is refused."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError(f"{address!r} is not an IPv4 address: RDS admits consumers by their IPv4") from None
    return f"{ip}/32"


def bundle_url(region: str | None) -> str:
    """The region's RDS CA bundle (every CA that signs an instance certificate there)."""
    if region is None or not RDS_TRUSTSTORE_REGION.fullmatch(region):
        raise ValueError(f"{region!r} is not a commercial AWS region code (us-east-1, eu-central-1 …)")
    return RDS_TRUSTSTORE.format(region=region)


def _ca_bundle(rds: _Rds) -> tuple[pulumi.CustomResource, pulumi.Output[str]]:
    """Fetches the CA bundle when the stack deploys, on the machine that runs `pulumi up`, over
    HTTPS only; kept in state (fetched again when the region changes, or with `--replace`)."""
    import pulumi_command as command  # only stacks with such links load the SDK

    url = bundle_url(rds.args.region)
    download = command.local.Command(
        f"{rds.name}-rds-ca",
        create=f"curl --fail --silent --show-error --location --proto =https --tlsv1.2 --retry 3 {shlex.quote(url)}",
        triggers=[url],
        logging=command.local.Logging.STDERR,
        opts=rds.child,
    )
    return download, download.stdout.apply(_checked_bundle)


def _checked_bundle(text: str) -> str:
    """The fetched bundle, refused unless it is PEM certificates (not an error page)."""
    if "-----BEGIN CERTIFICATE-----" not in text or "-----END CERTIFICATE-----" not in text:
        raise ValueError("the RDS CA bundle download returned no PEM certificate")
    return text


def _security_group(rds: _Rds) -> aws.ec2.SecurityGroup:
    # No inline rules: each linked service adds one ingress rule from its own group.
    return aws.ec2.SecurityGroup(
        f"{rds.name}-sg",
        vpc_id=rds.network.vpc_id,
        description=f"{rds.name}: PostgreSQL, reachable from linked services only",
        tags=rds.args.tags,
        opts=rds.child,
    )


def _parameter_group(rds: _Rds) -> aws.rds.ParameterGroup:
    return aws.rds.ParameterGroup(
        f"{rds.name}-params",
        family=f"postgres{_major(rds.args)}",
        description=f"{rds.name}: TLS required",
        parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
        tags=rds.args.tags,
        opts=rds.child,
    )


def _major(args: PostgresArgs) -> str:
    return args.version.split(".")[0]


def _instance(
    rds: _Rds,
    password: pulumi.Output[str],
    subnets: aws.rds.SubnetGroup,
    security_group: aws.ec2.SecurityGroup,
    parameters: aws.rds.ParameterGroup,
) -> aws.rds.Instance:
    args, prod = rds.args, rds.args.protect
    return aws.rds.Instance(
        f"{rds.name}-db",
        engine="postgres",
        engine_version=_major(args),
        instance_class=args.instance_class,
        allocated_storage=args.storage_gb,
        storage_type="gp3",
        storage_encrypted=True,
        db_name=args.database,
        username=args.username,
        password=password,
        port=PORT,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[security_group.id],
        parameter_group_name=parameters.name,
        publicly_accessible=rds.public,
        multi_az=args.multi_az,
        backup_retention_period=args.backup_days,
        copy_tags_to_snapshot=True,
        delete_automated_backups=False,
        deletion_protection=prod,
        skip_final_snapshot=not prod,
        final_snapshot_identifier=physical_name(
            pulumi.get_project(), pulumi.get_stack(), rds.name, "final", max_len=63
        )
        if prod
        else None,
        auto_minor_version_upgrade=True,
        allow_major_version_upgrade=False,
        enabled_cloudwatch_logs_exports=["postgresql", "upgrade"] if prod else None,
        tags=args.tags,
        # RDS cannot change it in place (module docstring): a new subnet group is a new instance.
        opts=pulumi.ResourceOptions(
            parent=rds.parent, protect=prod, replace_on_changes=["dbSubnetGroupName"]
        ),
    )

"""VpsHost on DigitalOcean: droplet, firewall (by tag, so it protects the droplet from its
first boot), block-storage volume for state, optional reserved IP, all in the fleet's VPC.

Everything that runs on the droplet — cloud-init, compose, Caddy, releases, backups — is the
shared machinery of components/_vps; only these resources differ from Hetzner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.naming import physical_name, ssh_key_id
from multicloud.components._vps.render import Bootstrap, cloud_init
from multicloud.components.contracts.digitalocean import IMAGES

from . import FleetResources, StaticIp, host_resources, inbound_rules, keys_elsewhere, per_key

if TYPE_CHECKING:  # annotations only
    from . import FleetArgs, HostArgs, HostFleet, HostResources, VpsHost


def firewall_inbound(admin_cidrs: list[str]) -> list[do.FirewallInboundRuleArgs]:
    """The shared inbound policy as DigitalOcean firewall rules."""
    return [
        do.FirewallInboundRuleArgs(protocol=r.protocol, port_range=r.port, source_addresses=r.sources)
        for r in inbound_rules(admin_cidrs)
    ]


# Outbound is open (package mirrors, image registries, object storage); inbound is the policy.
OUTBOUND = [
    do.FirewallOutboundRuleArgs(
        protocol=p, port_range="1-65535" if p != "icmp" else None, destination_addresses=["0.0.0.0/0", "::/0"]
    )
    for p in ("tcp", "udp", "icmp")
]


def key_name(kid: str) -> str:
    """The name of this stack's record of an SSH key (DigitalOcean keys have no labels, so the
    name says whose it is)."""
    return physical_name(pulumi.get_project(), pulumi.get_stack(), kid)


def _created(key: do.SshKey) -> tuple[pulumi.Resource, pulumi.Output[str]]:
    # Droplets take keys by fingerprint.
    return key, key.fingerprint


def _elsewhere(parent: HostFleet, args: FleetArgs) -> dict[str, str]:
    """The account's SSH keys this stack did not upload: fingerprint → fingerprint (droplets
    name keys by it). A key named by key_name is its own too, and, until the stack has its
    record, one named `<stack>-<id>` (the name before 2026-12, which had no project in it)."""
    found = do.get_ssh_keys(opts=pulumi.InvokeOptions(parent=parent)).ssh_keys or []

    def own(i: int) -> bool:
        key = found[i]
        kid = ssh_key_id(key.public_key) if len(key.public_key.split()) > 1 else ""
        legacy = f"{pulumi.get_stack()}-{kid}" if args.own_keys is None else None
        return key.name in (key_name(kid), legacy)

    return keys_elsewhere([(key.fingerprint, key.fingerprint) for key in found], args.own_keys, own)


def build_fleet(parent: HostFleet, name: str, args: FleetArgs) -> FleetResources:
    """Project-wide SSH keys, the VPC and the tag every droplet of the stack carries."""
    child = pulumi.ResourceOptions(parent=parent)
    keys, key_ids, uploaded = per_key(
        args.ssh_public_keys,
        lambda kid, key: _created(
            do.SshKey(f"{name}-ssh-key-{kid}", name=key_name(kid), public_key=key, opts=child)
        ),
        _elsewhere(parent, args),
    )
    vpc = do.Vpc(
        f"{name}-vpc",
        name=physical_name(pulumi.get_project(), pulumi.get_stack(), max_len=64),
        region=args.location,
        description="multicloud: droplets and managed databases of this stack",
        opts=child,
    )
    tag = do.Tag(f"{name}-tag", name=physical_name(pulumi.get_project(), pulumi.get_stack()), opts=child)
    resources: dict[str, pulumi.Resource] = {**keys, "vpc": vpc, "tag": tag}
    return FleetResources(
        ssh_key_ids=key_ids,
        uploaded_keys=uploaded,
        network_id=vpc.id,
        resources=resources,
        tag=physical_name(pulumi.get_project(), pulumi.get_stack()),
        ip_range=vpc.ip_range,
    )


def volume_name(host: str) -> str:
    """A data volume's name: lowercase letters, digits and -, at most 64, starting with a
    letter (the project name starts the name), unique per region in the account."""
    return physical_name(pulumi.get_project(), pulumi.get_stack(), host, "data", max_len=64)


@dataclass(frozen=True)
class _Droplet:
    """What every step of the build shares: the component, its name, its inputs, its fleet
    and the fleet's tag (checked by build)."""

    parent: VpsHost
    name: str
    args: HostArgs
    fleet: HostFleet
    fleet_tag: str

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)

    @property
    def physical_name(self) -> str:
        return physical_name(pulumi.get_project(), pulumi.get_stack(), self.name)


def build(parent: VpsHost, name: str, args: HostArgs) -> HostResources:
    """Create the DigitalOcean resources of a host."""
    fleet = args.fleet
    assert fleet is not None and fleet.tag is not None  # checked by VpsHost / build_fleet
    if args.exposed:  # components.capabilities.HOST_PLACED: DigitalOcean's data is managed
        raise ValueError(f"host {name}: droplets run no database or cache to expose")
    host = _Droplet(parent, name, args, fleet, fleet.tag)
    host_tag, firewall = _tagged_firewall(host)
    reserved = _reserved_ip(host) if args.floating_ip else None
    droplet = _droplet(host, host_tag, firewall)
    volume, attachment = _volume(host, droplet)
    static_ip = _reserved_ip_assignment(host, reserved, droplet) if reserved is not None else None
    return host_resources(
        droplet,
        attachment,
        (droplet.ipv4_address, droplet.ipv6_address),
        # DigitalOcean exposes block storage under the volume's name (the one it has, which
        # for an older volume is not the one we would give it today).
        volume.name.apply(lambda volume: f"/dev/disk/by-id/scsi-0DO_Volume_{volume}"),
        {
            "tag": host_tag,
            "firewall": firewall,
            "droplet": droplet,
            "volume": volume,
            "volume_attachment": attachment,
        },
        static_ip,
    )


def _tagged_firewall(host: _Droplet) -> tuple[do.Tag, do.Firewall]:
    # Tags must exist before a firewall or droplet can name them.
    host_tag = do.Tag(f"{host.name}-tag", name=physical_name(host.fleet_tag, host.name), opts=host.child)
    firewall = do.Firewall(
        f"{host.name}-firewall",
        name=host.physical_name,
        tags=[host_tag.name],
        inbound_rules=firewall_inbound(host.args.admin_cidrs),
        outbound_rules=OUTBOUND,
        opts=host.child,
    )
    return host_tag, firewall


def _reserved_ip(host: _Droplet) -> do.ReservedIp:
    return do.ReservedIp(
        f"{host.name}-reserved-ip",
        region=host.args.location,
        opts=pulumi.ResourceOptions(parent=host.parent, protect=host.args.protect),
    )


def _droplet(host: _Droplet, host_tag: do.Tag, firewall: do.Firewall) -> do.Droplet:
    args, fleet = host.args, host.fleet
    # A reserved IP reaches the droplet through its anchor address: nothing to configure inside.
    user_data = cloud_init(Bootstrap(args.ssh_public_keys))
    return do.Droplet(
        f"{host.name}-droplet",
        name=host.physical_name,
        size=args.server_type,
        image=IMAGES[args.image],
        region=args.location,
        ssh_keys=fleet.ssh_key_ids,
        user_data=user_data,
        vpc_uuid=fleet.network_id,
        ipv6=True,
        monitoring=True,
        backups=args.backups,
        # The firewall selects droplets by this tag, so it applies from the first boot.
        tags=[host.fleet_tag, host_tag.name],
        opts=pulumi.ResourceOptions(
            parent=host.parent,
            protect=args.protect and args.holds_data,
            ignore_changes=["userData", "sshKeys", "image"],
            depends_on=[firewall, fleet],
        ),
    )


def _volume(host: _Droplet, droplet: do.Droplet) -> tuple[do.Volume, do.VolumeAttachment]:
    volume = do.Volume(
        f"{host.name}-volume",
        # Unique per region in the account, so project and stack are in it. Volumes created
        # before the project was added (`<stack>-<host>-data`) keep their name: a new name
        # would replace the volume and lose its data (components.contracts.digitalocean).
        name=volume_name(host.name),
        region=host.args.location,
        size=host.args.volume_gb,
        initial_filesystem_type="ext4",
        description=f"{host.name}: state of the services on this host",
        opts=pulumi.ResourceOptions(parent=host.parent, protect=host.args.protect, ignore_changes=["name"]),
    )
    attachment = do.VolumeAttachment(
        f"{host.name}-volume-attachment",
        droplet_id=droplet.id.apply(int),
        volume_id=volume.id,
        opts=pulumi.ResourceOptions(parent=host.parent, delete_before_replace=True),
    )
    return volume, attachment


def _reserved_ip_assignment(host: _Droplet, reserved: do.ReservedIp, droplet: do.Droplet) -> StaticIp:
    assignment = do.ReservedIpAssignment(
        f"{host.name}-reserved-ip-assignment",
        ip_address=reserved.ip_address,
        droplet_id=droplet.id.apply(int),
        opts=host.child,
    )
    return StaticIp(reserved.ip_address, reserved, assignment)

"""VpsHost on Hetzner Cloud: server, SSH key, firewall, data volume, optional floating IP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_hcloud as hcloud

from multicloud.components._vps.render import Bootstrap, cloud_init
from multicloud.components.contracts.hetzner import IMAGES, NETWORK_ZONES

from . import FleetResources, StaticIp, host_resources, inbound_rules, keys_elsewhere, per_key

if TYPE_CHECKING:  # annotations only
    from . import Exposure, FleetArgs, HostArgs, HostFleet, HostResources, VpsHost


def firewall_rules(admin_cidrs: list[str]) -> list[hcloud.FirewallRuleArgs]:
    """The shared inbound policy (components.host.inbound_rules) as Hetzner firewall rules."""
    return [
        hcloud.FirewallRuleArgs(
            direction="in", protocol=r.protocol, port=r.port, source_ips=r.sources, description=r.description
        )
        for r in inbound_rules(admin_cidrs)
    ]


def build(parent: VpsHost, name: str, args: HostArgs) -> HostResources:
    """Create the Hetzner resources of a host."""
    firewall = _firewall(parent, name, args)
    floating = _floating_ip(parent, name, args) if args.floating_ip else None
    server = _server(parent, name, args, firewall, floating)
    volume, attachment = _volume(parent, name, args, server)
    static_ip = _floating_ip_assignment(parent, name, floating, server) if floating is not None else None
    return host_resources(
        server,
        attachment,
        (server.ipv4_address, server.ipv6_address),
        volume.linux_device,
        {"firewall": firewall, "server": server, "volume": volume, "volume_attachment": attachment},
        static_ip,
    )


def exposure_rules(exposed: list[Exposure]) -> list[hcloud.FirewallRuleArgs]:
    """A database's or cache's port, open to its consumers on other providers only."""
    return [
        hcloud.FirewallRuleArgs(
            direction="in", protocol="tcp", port=str(e.port), source_ips=e.cidrs(), description=e.description
        )
        for e in exposed
    ]


def _firewall(parent: VpsHost, name: str, args: HostArgs) -> hcloud.Firewall:
    # Attached at creation through firewall_ids, so the server never boots unprotected.
    return hcloud.Firewall(
        f"{name}-firewall",
        rules=firewall_rules(args.admin_cidrs) + exposure_rules(args.exposed),
        labels=args.labels,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _floating_ip(parent: VpsHost, name: str, args: HostArgs) -> hcloud.FloatingIp:
    return hcloud.FloatingIp(
        f"{name}-floating-ip",
        type="ipv4",
        home_location=args.location,
        delete_protection=args.protect,
        labels=args.labels,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
    )


def _server(
    parent: VpsHost, name: str, args: HostArgs, firewall: hcloud.Firewall, floating: hcloud.FloatingIp | None
) -> hcloud.Server:
    fleet = args.fleet
    assert fleet is not None  # checked by VpsHost
    keep = args.protect and args.holds_data  # the server itself holds data only through its services
    user_data = (
        floating.ip_address.apply(lambda ip: cloud_init(Bootstrap(args.ssh_public_keys, floating_ipv4=ip)))
        if floating is not None
        else cloud_init(Bootstrap(args.ssh_public_keys))
    )
    networks = None
    if fleet.network_id is not None:
        networks = [hcloud.ServerNetworkArgs(network_id=fleet.network_id.apply(int), ip=args.private_ip)]
    return hcloud.Server(
        f"{name}-server",
        server_type=args.server_type,
        image=IMAGES[args.image],
        location=args.location,
        ssh_keys=fleet.ssh_key_ids,
        firewall_ids=[firewall.id.apply(int)],
        user_data=user_data,
        backups=args.backups,
        # Hetzner's protections go with Pulumi's (components.contracts.Protected): a prod host
        # without data has neither, so moving it (a replacement) can delete the old server.
        # Hetzner requires both protections to be set together.
        delete_protection=keep,
        rebuild_protection=keep,
        public_nets=[hcloud.ServerPublicNetArgs(ipv4_enabled=True, ipv6_enabled=True)],
        networks=networks,
        # A type change then never grows the disk, so the server can be scaled back down;
        # all state lives on the volume anyway.
        keep_disk=True,
        labels=args.labels,
        opts=pulumi.ResourceOptions(
            parent=parent,
            protect=keep,
            # A user_data change would replace the server; releases carry config instead.
            ignore_changes=["userData", "sshKeys", "image"],
            depends_on=[fleet],
        ),
    )


def _volume(
    parent: VpsHost, name: str, args: HostArgs, server: hcloud.Server
) -> tuple[hcloud.Volume, hcloud.VolumeAttachment]:
    volume = hcloud.Volume(
        f"{name}-volume",
        size=args.volume_gb,
        location=args.location,
        format="ext4",
        delete_protection=args.protect,
        labels=args.labels,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
    )
    attachment = hcloud.VolumeAttachment(
        f"{name}-volume-attachment",
        server_id=server.id.apply(int),
        volume_id=volume.id.apply(int),
        # Releases mount it at /srv/data by UUID; Hetzner's automount would pick its own path.
        automount=False,
        # A volume attaches to one server at a time: when the server is replaced, detach
        # from the old one before attaching to the new one.
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )
    return volume, attachment


def _floating_ip_assignment(
    parent: VpsHost, name: str, floating: hcloud.FloatingIp, server: hcloud.Server
) -> StaticIp:
    assignment = hcloud.FloatingIpAssignment(
        f"{name}-floating-ip-assignment",
        floating_ip_id=floating.id.apply(int),
        server_id=server.id.apply(int),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return StaticIp(floating.ip_address, floating, assignment)


def _created(key: hcloud.SshKey) -> tuple[pulumi.Resource, pulumi.Output[str]]:
    return key, key.id


def _elsewhere(parent: HostFleet, args: FleetArgs) -> dict[str, str]:
    """The project's SSH keys this stack did not upload, fingerprint → ID (servers name keys by
    ID). A key labelled with this project and stack is its own too."""
    found = hcloud.get_ssh_keys(opts=pulumi.InvokeOptions(parent=parent)).ssh_keys or []
    ours = {k: args.labels.get(k) for k in ("project", "stack")}
    return keys_elsewhere(
        [(key.fingerprint, str(key.id)) for key in found],
        args.own_keys,
        lambda i: {k: (found[i].labels or {}).get(k) for k in ours} == ours,
    )


def build_fleet(parent: HostFleet, name: str, args: FleetArgs) -> FleetResources:
    """The project-wide SSH keys and, for several hosts, a network with one cloud subnet."""
    child = pulumi.ResourceOptions(parent=parent)
    # With a key on the server Hetzner sets no root password (and mails none); cloud-init
    # then disables root login altogether and gives the keys to the `deploy` user.
    keys, key_ids, uploaded = per_key(
        args.ssh_public_keys,
        lambda kid, key: _created(
            hcloud.SshKey(f"{name}-ssh-key-{kid}", public_key=key, labels=args.labels, opts=child)
        ),
        _elsewhere(parent, args),
    )
    resources: dict[str, pulumi.Resource] = dict(keys)
    network_id = None
    if args.private_network:
        network = hcloud.Network(
            f"{name}-network",
            ip_range=args.ip_range,
            delete_protection=args.protect,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
        )
        subnet = hcloud.NetworkSubnet(
            f"{name}-subnet",
            network_id=network.id.apply(int),
            type="cloud",
            network_zone=NETWORK_ZONES[args.location],
            ip_range=args.subnet,
            opts=child,
        )
        resources |= {"network": network, "subnet": subnet}
        # Servers join after the subnet exists: hand out the ID only once both are created.
        network_id = pulumi.Output.all(network.id, subnet.id).apply(lambda ids: ids[0])
    return FleetResources(
        ssh_key_ids=key_ids,
        uploaded_keys=uploaded,
        network_id=network_id,
        resources=resources,
    )

"""VpsHost: a virtual machine that services are placed on, and the private network between hosts.

Usage::

    host = VpsHost("main", HostArgs(target="hetzner", server_type="cx33", location="fsn1", ...))
    db = ManagedPostgres("db", PostgresArgs(target="hetzner", host=host, ...))
    HostRelease("main-release", ReleaseArgs(host=host, ...))   # ships what was placed on it

The backend (`components/host/<provider>.py`) creates the machine, its firewall, its data
volume and optional floating IP. What runs on the machine is provider-neutral and lives in
`components/_vps`.

Cost: the server type's monthly price, plus the data volume (per GB), the primary IPv4, and
20 % of the server price when provider backups are on (Hetzner, see costs/catalog).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from multicloud.components._lib.backends import unsupported
from multicloud.components._lib.naming import ssh_key_id
from multicloud.components._vps.model import HostWorkloads

WORLD = ["0.0.0.0/0", "::/0"]
# The stack output that records which SSH keys a stack uploaded, per provider.
SSH_KEYS_OUTPUT = "multicloud_ssh_keys"


@dataclass(frozen=True)
class InboundRule:
    """One allowed inbound flow at a host's provider firewall (everything else is dropped)."""

    protocol: str
    port: str | None
    sources: list[str]
    description: str


@dataclass(frozen=True)
class Exposure:
    """A port a database or cache on this host opens to consumers on another provider (Fargate
    tasks behind their NAT gateway): the provider firewall admits it from `sources` alone, each
    a single IPv4 address (`/32`), never a network or the world. The container publishes it on
    every IPv4 interface (the private network reaches it there too); Postgres's pg_hba.conf
    admits the same addresses again."""

    name: str
    """The dependency (a service of the stack) that listens on `port`."""
    port: int
    sources: Sequence[pulumi.Input[str]]
    """The consumers' egress IPv4 addresses (Network.egress_ipv4, VpsHost.egress_ipv4)."""

    def __post_init__(self) -> None:
        if not 1024 <= self.port <= 65535:
            raise ValueError(f"{self.name}: exposed port {self.port} is not an unprivileged port")
        if not self.sources:
            raise ValueError(f"{self.name}: an exposed port admits some addresses, never none or all")

    def cidrs(self) -> list[pulumi.Output[str]]:
        """The sources as the single-address networks a firewall rule takes."""
        return [pulumi.Output.from_input(a).apply(lambda a: f"{a}/32") for a in self.sources]

    @property
    def description(self) -> str:
        return f"{self.name} for consumers on other providers (TLS)"


def inbound_rules(admin_cidrs: list[str]) -> list[InboundRule]:
    """The one firewall policy of every VPS host: web from anywhere, SSH from admins, ping."""
    return [
        InboundRule("tcp", "80", WORLD, "HTTP (redirects to HTTPS)"),
        InboundRule("tcp", "443", WORLD, "HTTPS"),
        InboundRule("tcp", "22", list(admin_cidrs), "SSH from admin networks"),
        InboundRule("icmp", None, WORLD, "ping and path MTU discovery"),
    ]


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key, as Hetzner and DigitalOcean report it
    (colon-separated hex of the key blob; the comment is not part of it)."""
    digest = hashlib.md5(base64.b64decode(public_key.split()[1]), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def per_key(
    public_keys: list[str],
    create: Callable[[str, str], tuple[pulumi.Resource, pulumi.Output[str]]],
    elsewhere: Mapping[str, str],
) -> tuple[dict[str, pulumi.Resource], list[pulumi.Output[str]], list[str]]:
    """The provider key records of the stack's admin keys, the references servers take, and
    the fingerprints this stack uploads.

    Hetzner projects and DigitalOcean accounts refuse a second record of the same key
    ("uniqueness_error"; "422 SSH Key is already in use on your account"), and dev, staging
    and prod share the admins' keys — many users have uploaded theirs in the console already.
    So a key the provider already has under another owner (`elsewhere`: fingerprint → its ID,
    another stack's record or the console's) is referenced as it is; only the others get a
    record of this stack, one per key and named by it (removing one key leaves the others).
    `create(key_id, public_key)` makes one and returns it with its reference. A referenced
    key belongs to its owner: when that stack is destroyed, the key goes, the servers keep it
    (keys are fixed at creation), and the next `up` here uploads it again."""
    resources: dict[str, pulumi.Resource] = {}
    references: list[pulumi.Output[str]] = []
    uploaded: list[str] = []
    for key in public_keys:
        found = elsewhere.get(fingerprint(key))
        if found is not None:
            references.append(pulumi.Output.from_input(found))
            continue
        resource, reference = create(ssh_key_id(key), key)
        resources[f"ssh_key_{ssh_key_id(key)}"] = resource
        references.append(reference)
        uploaded.append(fingerprint(key))
    return resources, references, sorted(uploaded)


def keys_elsewhere(
    found: list[tuple[str, str]], own_keys: frozenset[str] | None, own: Callable[[int], bool]
) -> dict[str, str]:
    """Keys the provider holds that this stack did not upload: fingerprint → reference, from
    `found` (fingerprint, reference). This stack's own are those its record lists
    (`own_keys`, which survives a stack rename) and those `own(i)` recognises by the name or
    labels of the i-th record (which survive an `up` that failed before the record was
    written) — so a key this stack created is never dropped from its program."""
    recorded = own_keys or frozenset()
    return {fp: reference for i, (fp, reference) in enumerate(found) if fp not in recorded and not own(i)}


@dataclass(frozen=True)
class StaticIp:
    """A provider address that survives server replacement (floating / reserved IP)."""

    address: pulumi.Output[str]
    ip: pulumi.Resource
    assignment: pulumi.Resource


def host_resources(
    server: pulumi.CustomResource,
    attachment: pulumi.CustomResource,
    addresses: tuple[pulumi.Output[str], pulumi.Output[str]],
    data_device: pulumi.Output[str],
    resources: dict[str, pulumi.Resource],
    static_ip: StaticIp | None,
) -> HostResources:
    """The contract outputs every host backend returns, from the resources it created.

    A release waits for the server, the volume attachment and the static IP, and runs again
    when the server or the attachment is replaced (a new server starts empty)."""
    public_ipv4, public_ipv6 = addresses
    egress_ipv4 = [public_ipv4]
    ready: list[pulumi.Resource] = [server, attachment]
    if static_ip is not None:
        # Connections leave from the server's own address (the static one is added to the
        # interface for inbound traffic); both are fixed for the server's life, so both count.
        egress_ipv4.append(static_ip.address)
        resources = resources | {"static_ip": static_ip.ip, "static_ip_assignment": static_ip.assignment}
        ready.append(static_ip.assignment)
        public_ipv4 = static_ip.address
    return HostResources(
        server_id=server.id,
        public_ipv4=public_ipv4,
        public_ipv6=public_ipv6,
        egress_ipv4=egress_ipv4,
        data_device=data_device,
        ready=ready,
        release_triggers=[server.id, attachment.id],
        resources=resources,
    )


@dataclass(frozen=True)
class HostArgs:
    """Inputs of a VpsHost."""

    target: str
    """Provider: `hetzner` (droplets come with DigitalOcean)."""
    server_type: str
    """Concrete SKU, already resolved from the neutral size (stacks.sizing)."""
    location: str
    """Provider location, e.g. `fsn1`."""
    image: str
    """Provider-neutral OS image (`ubuntu-24.04`), resolved by each backend to its provider's
    name (components.contracts.<provider>.IMAGES); cloud-init assumes Ubuntu 24.04
    (`docker.io` and `docker-compose-v2`)."""
    volume_gb: int
    """Size of the separate data volume that holds every stateful directory."""
    ssh_public_keys: list[str]
    """Keys of the non-root `deploy` user; no password login exists."""
    admin_cidrs: list[str]
    """Networks allowed to reach port 22 at the provider firewall."""
    backups: bool = False
    """Provider server backups (not a substitute for off-host database backups)."""
    floating_ip: bool = False
    """Reserve a floating IPv4 that survives server replacement; DNS points at it."""
    protect: bool = False
    """Protect the server, volume and floating IP (prod) and enable provider deletion protection."""
    holds_data: bool = True
    """Whether stateful services run here (then the server itself is protected in prod too)."""
    labels: dict[str, str] = field(default_factory=dict)
    fleet: HostFleet | None = None
    """Shared resources of the stack's hosts on this provider (SSH keys, network, firewall tag)."""
    private_ip: str | None = None
    """The host's fixed address on the fleet's private network, when it has one."""
    exposed: list[Exposure] = field(default_factory=list)
    """Ports its databases and caches open to consumers on other providers (Hetzner hosts:
    the only VPS target that runs them)."""


@dataclass(frozen=True)
class HostResources:
    """What a host backend returns: the outputs of the contract, plus its raw resources."""

    server_id: pulumi.Output[str]
    """The provider's ID of the machine (load balancers and firewalls name it)."""
    public_ipv4: pulumi.Output[str]
    public_ipv6: pulumi.Output[str]
    egress_ipv4: list[pulumi.Output[str]]
    """The IPv4 addresses the host's outbound connections may come from: its own, and its
    static IP (a dependency on another provider admits exactly these)."""
    data_device: pulumi.Output[str]
    ready: list[pulumi.Resource]
    """Resources a release must wait for (server, volume attachment …)."""
    release_triggers: list[pulumi.Output[str]]
    """Values whose change must re-run the release (a replaced server starts empty)."""
    resources: dict[str, pulumi.Resource]


class HostBackend(Protocol):
    """The contract every `components/host/<provider>.py` meets."""

    def build(self, parent: VpsHost, name: str, args: HostArgs) -> HostResources: ...

    def build_fleet(self, parent: HostFleet, name: str, args: FleetArgs) -> FleetResources: ...


def backend_for(target: str) -> HostBackend:
    """The host backend for `target`, checked by mypy against HostBackend; its provider
    SDK is imported only now. The targets are the capability matrix's (components.capabilities)."""
    if target == "digitalocean":
        from multicloud.components.host import digitalocean

        return digitalocean
    if target == "hetzner":
        from multicloud.components.host import hetzner

        return hetzner
    raise unsupported("host", target)


class VpsHost(pulumi.ComponentResource):
    """A VPS host: server + provider firewall (80/443 open, 22 from admin CIDRs) + data volume."""

    public_ipv4: pulumi.Output[str]
    """Address the host's public DNS records point to (the floating IP when there is one)."""
    public_ipv6: pulumi.Output[str]
    egress_ipv4: list[pulumi.Output[str]]
    """Where the host's outbound IPv4 connections come from (its own address and its static IP)."""
    private_ip: str | None
    data_device: pulumi.Output[str]
    """Stable device path of the data volume, mounted at /srv/data by releases."""

    def __init__(self, name: str, args: HostArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:VpsHost", name, None, opts)
        if args.fleet is None:
            raise ValueError(
                f"host {name}: fleet is required (it holds the SSH key the server is created with)"
            )
        if args.fleet.network_id is not None and args.fleet.args.private_network and args.private_ip is None:
            raise ValueError(f"host {name}: private_ip is required when the fleet has a private network")
        if not args.admin_cidrs:
            raise ValueError(f"host {name}: admin_cidrs must not be empty (releases reach the host over SSH)")
        self.args = args
        # An exposed port is the dependency's; no other service is published on it.
        self.workloads = HostWorkloads(published_ports={e.port for e in args.exposed})
        backend = backend_for(args.target)
        built = backend.build(self, name, args)
        self.server_id = built.server_id
        self.public_ipv4 = built.public_ipv4
        self.public_ipv6 = built.public_ipv6
        self.egress_ipv4 = built.egress_ipv4
        self.private_ip = args.private_ip
        self.data_device = built.data_device
        self.ready = built.ready
        self.release_triggers = built.release_triggers
        self.resources = built.resources
        self.register_outputs(
            {
                "public_ipv4": self.public_ipv4,
                "public_ipv6": self.public_ipv6,
                "data_device": self.data_device,
            }
        )

    def exposure(self, name: str) -> Exposure | None:
        """The port `name` (a database or cache placed here) opens to other providers, if any."""
        return next((e for e in self.args.exposed if e.name == name), None)


@dataclass(frozen=True)
class FleetArgs:
    """Inputs of a HostFleet."""

    target: str
    ssh_public_keys: list[str]
    location: str
    """Location of the hosts; decides the private network's zone."""
    private_network: bool = False
    """Join the hosts with a private network with fixed addresses (several Hetzner hosts)."""
    ip_range: str = "10.0.0.0/16"
    subnet: str = "10.0.1.0/24"
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    own_keys: frozenset[str] | None = None
    """Fingerprints of the SSH keys this stack uploaded before (its stack output
    SSH_KEYS_OUTPUT); None without that record."""


@dataclass(frozen=True)
class FleetResources:
    """What a backend's build_fleet returns."""

    ssh_key_ids: list[pulumi.Output[str]]
    network_id: pulumi.Output[str] | None
    resources: dict[str, pulumi.Resource]
    tag: str | None = None
    """A provider tag every host of the fleet carries (DigitalOcean database firewalls trust it)."""
    ip_range: pulumi.Output[str] | None = None
    """The private network's address range (DigitalOcean: the VPC's, which App Platform apps
    in it connect from)."""
    uploaded_keys: list[str] = field(default_factory=list)
    """Fingerprints of the SSH keys this stack uploads (the others are referenced)."""


class HostFleet(pulumi.ComponentResource):
    """What the stack's hosts on one provider share: the SSH key record and a private network.

    Providers refuse a second copy of the same SSH key, so it exists once per stack, not per host.
    """

    network_id: pulumi.Output[str] | None
    ssh_key_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:HostFleet", name, None, opts)
        self.args = args
        backend = backend_for(args.target)
        built = backend.build_fleet(self, name, args)
        self.ssh_key_ids = built.ssh_key_ids
        self.network_id = built.network_id
        self.tag = built.tag
        self.ip_range = built.ip_range
        self.uploaded_keys = built.uploaded_keys
        self.resources = built.resources
        self.register_outputs({"ssh_key_ids": self.ssh_key_ids, "network_id": self.network_id})

    def addresses(self, hosts: list[str]) -> dict[str, str]:
        """A fixed private address per host name, stable when hosts are added or removed.

        Derived from the name (so adding a host never re-addresses the others); a collision
        moves the later name (in sorted order) to the next free address.
        """
        import ipaddress
        import zlib

        subnet = ipaddress.ip_network(self.args.subnet)
        first, count = 10, min(200, subnet.num_addresses - 12)
        taken: dict[str, str] = {}
        used: set[int] = set()
        for name in sorted(hosts):
            slot = zlib.crc32(name.encode()) % count
            while slot in used:
                slot = (slot + 1) % count
            used.add(slot)
            taken[name] = str(subnet.network_address + first + slot)
        return taken

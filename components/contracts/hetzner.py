"""What the Hetzner Cloud API accepts for the inputs `components/*/hetzner.py` send.

Read 2026-12-01 from the Hetzner Cloud API reference (docs.hetzner.cloud), the client-side
validators the provider runs (hetznercloud/hcloud-go hcloud/labels.go @ b8cfa39) and
hetznercloud/terraform-provider-hcloud @ f81c9af (v1.68.0). pulumi-hcloud auto-names every
resource with a `name` input (`SetAutonaming(255, "-")`: logical name, "-", 7 random hex).
Plain data: importing this never loads `pulumi_hcloud`.
"""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.components.contracts import (
    AutoName,
    Contract,
    Protected,
    Replaces,
    Rule,
    Source,
    StoredAs,
    Unique,
    one_of,
    text,
)

READ = "2026-12-01"
API = "https://docs.hetzner.cloud/reference/cloud"
TF = "hetznercloud/terraform-provider-hcloud@f81c9af"

SERVER = types.HCLOUD_SERVER
VOLUME = types.HCLOUD_VOLUME
FIREWALL = types.HCLOUD_FIREWALL
NETWORK = types.HCLOUD_NETWORK
SUBNET = types.HCLOUD_NETWORK_SUBNET
FLOATING_IP = types.HCLOUD_FLOATING_IP
SSH_KEY = types.HCLOUD_SSH_KEY
LABELLED = (SERVER, VOLUME, FIREWALL, NETWORK, FLOATING_IP, SSH_KEY)

# Provider-neutral OS image names (HostSpec.image) → Hetzner image names.
IMAGES = {"ubuntu-24.04": "ubuntu-24.04"}
LOCATIONS = ("fsn1", "nbg1", "hel1", "ash", "hil", "sin")
# Object Storage is offered in three of them, each with its S3 endpoint
# `<location>.your-objectstorage.com` (components/object_store/hetzner.py). Source: the
# endpoint list in MotherDuck's Hetzner Object Storage integration docs
# (motherduck.com/docs/integrations/cloud-storage/hetzner-object-storage), read 2026-12-01;
# Hetzner's own page was out of reach from here.
OBJECT_STORAGE_LOCATIONS = ("fsn1", "hel1", "nbg1")
# Private networks are per network zone; every location of a network is in the subnet's zone.
NETWORK_ZONES = {
    "fsn1": "eu-central",
    "nbg1": "eu-central",
    "hel1": "eu-central",
    "ash": "us-east",
    "hil": "us-west",
    "sin": "ap-southeast",
}
LOCATIONS_SOURCE = Source(
    f"{TF} internal/location/data_source_test.go; https://docs.hetzner.com/cloud/networks/faq", READ
)

LABEL_SOURCE = Source(f"{API}#labels; hetznercloud/hcloud-go hcloud/labels.go", READ)
_LABEL_NAME = r"[a-z0-9A-Z](?:[a-z0-9A-Z\-_.]{0,61}[a-z0-9A-Z])?"

# "Server names must be unique per Project and valid hostnames as per RFC 1123": one DNS label.
SERVER_NAME = Rule(
    (SERVER,),
    "name",
    "a hostname (RFC 1123): letters, digits, - and ., labels of at most 63 characters",
    Source(f"{API}#servers-create-a-server", READ),
    text(r"(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9-]{1,63}(?<!-)", 253),
)
VOLUME_NAME = Rule(
    (VOLUME,),
    "name",
    "1-64 letters, digits, -, _ and ., starting and ending with a letter or digit",
    Source(f"{API}#volumes-create-a-volume", READ),
    text(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", 64),
)
FIREWALL_NAME = Rule(
    (FIREWALL,),
    "name",
    "at most 128 characters",
    Source(f"{API}#firewalls-create-a-firewall", READ),
    text(r"(?s).+", 128),
)

RULES = (
    SERVER_NAME,
    VOLUME_NAME,
    FIREWALL_NAME,
    Rule(
        (SERVER,),
        "image",
        f"an image name: {', '.join(IMAGES.values())}",
        Source(f"{TF} docs/resources/server.md", READ),
        one_of(IMAGES.values()),
    ),
    Rule(
        (SERVER, VOLUME),
        "location",
        f"a location: {', '.join(LOCATIONS)}",
        LOCATIONS_SOURCE,
        one_of(LOCATIONS),
    ),
    Rule(
        (FLOATING_IP,),
        "homeLocation",
        f"a location: {', '.join(LOCATIONS)}",
        LOCATIONS_SOURCE,
        one_of(LOCATIONS),
    ),
    Rule(
        (SUBNET,),
        "networkZone",
        f"a network zone: {', '.join(sorted(set(NETWORK_ZONES.values())))}",
        LOCATIONS_SOURCE,
        one_of(NETWORK_ZONES.values()),
    ),
    Rule(
        (SERVER,),
        "userData",
        "at most 32 KiB",
        Source(f"{API}#servers-create-a-server", READ),
        lambda v: isinstance(v, str) and len(v.encode()) <= 32 * 1024,
    ),
    Rule(
        (VOLUME,),
        "size",
        "10-10240 GB",
        Source(f"{API}#volumes-create-a-volume", READ),
        lambda v: isinstance(v, int | float) and 10 <= v <= 10240,
    ),
    Rule(
        (VOLUME,),
        "format",
        "xfs or ext4",
        Source(f"{API}#volumes-create-a-volume", READ),
        one_of(("xfs", "ext4")),
    ),
    Rule(
        (FIREWALL,),
        "rules",
        "at most 50 rules, each with at most 100 source CIDRs",
        Source(f"{API}#firewalls-create-a-firewall", READ),
        lambda rules: (
            isinstance(rules, list)
            and len(rules) <= 50
            and all(len(r.get("sourceIps") or []) <= 100 for r in rules)
        ),
    ),
    Rule(
        LABELLED,
        "labels.<key>",
        "label keys: an optional DNS-subdomain prefix and /, then 1-63 letters, digits, -, _ and ., "
        "starting and ending with a letter or digit; not hetzner.cloud/",
        LABEL_SOURCE,
        lambda key: (
            text(rf"(?:[a-z0-9A-Z](?:[\-_.a-z0-9A-Z]{{0,251}}[a-z0-9A-Z])?/)?{_LABEL_NAME}", 317)(key)
            and not key.startswith("hetzner.cloud/")
        ),
    ),
    Rule(
        LABELLED,
        "labels.*",
        "label values: empty, or 1-63 letters, digits, -, _ and ., starting and ending with a letter or digit",
        LABEL_SOURCE,
        lambda value: value == "" or text(_LABEL_NAME, 63)(value),
    ),
)

AUTO_NAMES = (
    AutoName((SERVER,), "name", SERVER_NAME),
    AutoName((VOLUME,), "name", VOLUME_NAME),
    AutoName((FIREWALL,), "name", FIREWALL_NAME),
)

UNIQUE = (
    Unique((SERVER,), "name", "project", Source(f"{API}#servers-create-a-server", READ)),
    Unique((VOLUME,), "name", "project", Source(f"{API}#volumes-create-a-volume", READ)),
    Unique((FIREWALL,), "name", "project", Source(f"{API}#firewalls-create-a-firewall", READ)),
    Unique((NETWORK,), "name", "project", Source(f"{TF} docs/resources/network.md", READ)),
    Unique((FLOATING_IP,), "name", "project", Source(f"{API}#floating-ips-create-a-floating-ip", READ)),
    Unique(
        (SSH_KEY,), "name", "project", Source("hetznercloud/hcloud-python hcloud/ssh_keys/domain.py", READ)
    ),
    # The key material too: "SSH key with the same fingerprint already exists (uniqueness_error)".
    Unique((SSH_KEY,), "publicKey", "project", Source("hetznercloud/terraform-provider-hcloud#12", READ)),
)

PROTECTIONS = (
    Protected(
        (SERVER, VOLUME, FLOATING_IP, NETWORK),
        "deleteProtection",
        Source(f"{API}#servers-change-server-protection; {TF} docs/resources/server.md", READ),
    ),
    Protected((SERVER,), "rebuildProtection", Source(f"{TF} docs/resources/server.md", READ)),
)

REPLACES = (
    Replaces(
        SERVER,
        ("image", "location", "userData", "sshKeys"),
        Source(f"{TF} internal/server/resource.go (ForceNew)", READ),
    ),
    Replaces(VOLUME, ("location",), Source(f"{TF} internal/volume/resource.go (ForceNew)", READ)),
    Replaces(
        FLOATING_IP,
        ("type", "homeLocation"),
        Source(f"{TF} internal/floatingip/resource.go (ForceNew)", READ),
    ),
)

STORED_AS = (
    StoredAs(
        SERVER,
        "userData",
        "kept as sent, but a change replaces the server",
        "ignore_changes: releases carry configuration, not user_data",
        Source(f"{TF} internal/server/resource.go (ForceNew)", READ),
        ignored=True,
    ),
    StoredAs(
        SERVER,
        "sshKeys",
        'key IDs, fixed at creation ("you can not update the list of SSH Keys")',
        "ignore_changes: keys are delivered by cloud-init and releases",
        Source(f"{TF} docs/resources/server.md", READ),
        ignored=True,
    ),
    StoredAs(
        VOLUME,
        "format",
        "sent at creation only, never read back",
        "set once; the provider does not diff it",
        Source(f"{TF} internal/volume/resource.go", READ),
    ),
)

CONTRACT = Contract(
    provider="hcloud",
    rules=RULES,
    auto_names=AUTO_NAMES,
    unique=UNIQUE,
    protections=PROTECTIONS,
    replaces=REPLACES,
    stored_as=STORED_AS,
)

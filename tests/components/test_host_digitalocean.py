"""VpsHost and HostFleet on DigitalOcean: exact children, tag firewall, sizing, VPC, volume, user data.

The security properties (world ports, firewall from the first boot) are each checked by a
small detector that is also shown to fire on a broken copy of the plan, so a pass is not
vacuous.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from multicloud.components._lib.naming import ssh_key_id as key_id
from multicloud.infra.offline import PLACEHOLDER
from tests.aws_plans import RecordedPlan, broken, out, set_input
from tests.conftest import KEY, of_type, one
from tests.do_plans import (
    ADMIN_CIDR,
    ATTACHMENT,
    DROPLET,
    FIREWALL,
    FLEET,
    FLEET_TAG,
    HOST_FLEET,
    RELEASE,
    RESERVED_ASSIGNMENT,
    RESERVED_IP,
    SSH_KEY,
    TAG,
    VOLUME,
    VPC,
    VPS_HOST,
    dependency_names,
    do_config,
    fleet_tag,
    index_of,
)
from tests.helpers import WORLD, bundle, child_set, release_command

SECOND_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0bGVzdGtleWZvcnRoZXNlY29uZGFkbWluMDAx ci@example.com"
GUARDED = (22, 5432, 6379)


def host_config(environment: str = "prod", **host: object) -> dict:
    config = do_config(environment)
    config["hosts"]["edge"].update(host)
    return config


def two_hosts(environment: str = "prod") -> dict:
    """do_config() plus a second droplet `jobs` running a worker."""
    config = do_config(environment)
    config["hosts"]["jobs"] = {
        "target": "digitalocean",
        "size": {"cpu": 1, "memory_gb": 2},
        "location": "fra1",
    }
    config["services"]["jobs-worker"] = {
        "kind": "worker",
        "target": "digitalocean",
        "host": "jobs",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["db"],
    }
    return config


@pytest.fixture(scope="module")
def prod(aws_plan) -> RecordedPlan:
    return aws_plan(do_config("prod"), "prod")


@pytest.fixture(scope="module")
def floating(aws_plan) -> RecordedPlan:
    return aws_plan(host_config(floating_ip=True), "prod")


# --- detectors (each shown to fire below) ---------------------------------------------------


def _ports(port_range: str | None) -> range | None:
    """The TCP/UDP ports a DigitalOcean portRange covers; None = every port."""
    if port_range in (None, "", "all", "0"):
        return None
    low, _, high = port_range.partition("-")
    return range(int(low), int(high or low) + 1)


def opens_to_world(rules: list[dict], port: int) -> bool:
    """Whether an inbound rule lets the whole internet reach TCP/UDP `port`."""
    for rule in rules:
        if rule["protocol"] not in ("tcp", "udp") or not WORLD & set(rule.get("sourceAddresses", [])):
            continue
        ports = _ports(rule.get("portRange"))
        if ports is None or port in ports:
            return True
    return False


def guarded_from_first_boot(result: RecordedPlan, host: str) -> bool:
    """The host's firewall selects its droplet by a tag the droplet carries at creation, and
    the droplet waits for the firewall (so it never runs without it)."""
    droplet = one(result, DROPLET, f"{host}-droplet")
    firewall = one(result, FIREWALL, f"{host}-firewall")
    selected = set(firewall.inputs["tags"])
    return (
        bool(selected)
        and selected <= set(droplet.inputs["tags"])
        and (FIREWALL, firewall.name) in dependency_names(result, droplet)
        and index_of(result, firewall) < index_of(result, droplet)
    )


def test_world_port_detector_covers_ranges_and_all():
    assert opens_to_world([{"protocol": "tcp", "portRange": "1-65535", "sourceAddresses": ["::/0"]}], 6379)
    assert opens_to_world([{"protocol": "udp", "portRange": "all", "sourceAddresses": ["0.0.0.0/0"]}], 22)
    assert opens_to_world([{"protocol": "tcp", "sourceAddresses": ["0.0.0.0/0"]}], 5432)
    assert not opens_to_world(
        [{"protocol": "tcp", "portRange": "5000-6000", "sourceAddresses": ["::/0"]}], 6379
    )
    assert not opens_to_world([{"protocol": "icmp", "sourceAddresses": ["0.0.0.0/0"]}], 22)
    assert not opens_to_world([{"protocol": "tcp", "portRange": "22", "sourceAddresses": [ADMIN_CIDR]}], 22)


# --- children -------------------------------------------------------------------------------


def test_host_has_exactly_tag_firewall_droplet_volume_attachment_and_release(prod):
    host = one(prod, VPS_HOST, "edge")
    assert child_set(prod, host) == {
        (TAG, "edge-tag"),
        (FIREWALL, "edge-firewall"),
        (DROPLET, "edge-droplet"),
        (VOLUME, "edge-volume"),
        (ATTACHMENT, "edge-volume-attachment"),
        (RELEASE, "edge-release"),
    }
    assert f"{VPS_HOST}${DROPLET}" in one(prod, DROPLET).urn
    # One of each in the whole stack; no reserved IP unless asked for.
    for type_token in (FIREWALL, DROPLET, VOLUME, ATTACHMENT):
        assert len(of_type(prod, type_token)) == 1
    assert of_type(prod, RESERVED_IP) == [] and of_type(prod, RESERVED_ASSIGNMENT) == []
    # No Hetzner resource sneaks in.
    assert not [r for r in prod.registrations if r.type.startswith("hcloud:")]


def test_fleet_holds_one_ssh_key_per_admin_key_the_vpc_and_the_fleet_tag(aws_plan):
    config = do_config()
    config["admin"]["ssh_public_keys"] = [KEY, SECOND_KEY]
    result = aws_plan(config, "prod")
    fleet = one(result, HOST_FLEET, FLEET)
    assert child_set(result, fleet) == {
        (SSH_KEY, f"{FLEET}-ssh-key-{key_id(KEY)}"),
        (SSH_KEY, f"{FLEET}-ssh-key-{key_id(SECOND_KEY)}"),
        (VPC, f"{FLEET}-vpc"),
        (TAG, f"{FLEET}-tag"),
    }
    assert len(of_type(result, HOST_FLEET)) == 1
    keys = {k.name: k.inputs for k in of_type(result, SSH_KEY)}
    assert keys == {
        f"{FLEET}-ssh-key-{key_id(KEY)}": {"name": f"multicloud-prod-{key_id(KEY)}", "publicKey": KEY},
        f"{FLEET}-ssh-key-{key_id(SECOND_KEY)}": {
            "name": f"multicloud-prod-{key_id(SECOND_KEY)}",
            "publicKey": SECOND_KEY,
        },
    }
    # The droplet is created with both keys, by their fingerprints.
    fingerprints = sorted(out(result, k, "fingerprint") for k in of_type(result, SSH_KEY))
    assert sorted(one(result, DROPLET).inputs["sshKeys"]) == fingerprints
    assert one(result, VPC).inputs == {
        "name": "multicloud-prod",
        "region": "fra1",
        "description": "multicloud: droplets and managed databases of this stack",
    }
    assert one(result, TAG, f"{FLEET}-tag").inputs == {"name": FLEET_TAG}


def test_removing_a_key_keeps_the_other_keys_resource_names(aws_plan):
    both, only = do_config(), do_config()
    both["admin"]["ssh_public_keys"] = [SECOND_KEY, KEY]
    only["admin"]["ssh_public_keys"] = [KEY]
    names = lambda config: {r.name for r in of_type(aws_plan(config, "prod"), SSH_KEY)}
    assert names(only) < names(both)


def test_reserved_ip_adds_the_ip_and_its_assignment_only(floating):
    host = one(floating, VPS_HOST, "edge")
    assert child_set(floating, host) == {
        (TAG, "edge-tag"),
        (FIREWALL, "edge-firewall"),
        (DROPLET, "edge-droplet"),
        (VOLUME, "edge-volume"),
        (ATTACHMENT, "edge-volume-attachment"),
        (RESERVED_IP, "edge-reserved-ip"),
        (RESERVED_ASSIGNMENT, "edge-reserved-ip-assignment"),
        (RELEASE, "edge-release"),
    }
    ip = one(floating, RESERVED_IP)
    assert ip.inputs == {"region": "fra1"}
    assert ip.protect is True
    assignment = one(floating, RESERVED_ASSIGNMENT)
    # The assignment and the volume attachment target the same droplet.
    assert assignment.inputs["dropletId"] == one(floating, ATTACHMENT).inputs["dropletId"]
    assert assignment.inputs["dropletId"] == int(one(floating, DROPLET).id)
    address = out(floating, ip, "ipAddress")
    assert assignment.inputs["ipAddress"] == address
    # The API's A record points at the reserved address, not at the droplet's own.
    a_record = one(floating, "cloudflare:index/dnsRecord:DnsRecord", "api-dns-a")
    assert a_record.inputs["content"] == address
    assert address != out(floating, one(floating, DROPLET), "ipv4Address")


def test_reserved_ip_protection_follows_environment(aws_plan):
    assert one(aws_plan(host_config("dev", floating_ip=True), "dev"), RESERVED_IP).protect is False


def test_two_hosts_share_the_fleet_and_vpc_but_each_has_its_own_tag_and_firewall(aws_plan):
    result = aws_plan(two_hosts(), "prod")
    assert len(of_type(result, HOST_FLEET)) == 1 and len(of_type(result, VPC)) == 1
    vpc = one(result, VPC)
    droplets = {d.name: d.inputs for d in of_type(result, DROPLET)}
    assert {name: d["vpcUuid"] for name, d in droplets.items()} == {
        "edge-droplet": vpc.id,
        "jobs-droplet": vpc.id,
    }
    assert {name: d["tags"] for name, d in droplets.items()} == {
        "edge-droplet": [FLEET_TAG, "multicloud-prod-edge"],
        "jobs-droplet": [FLEET_TAG, "multicloud-prod-jobs"],
    }
    assert {f.name: f.inputs["tags"] for f in of_type(result, FIREWALL)} == {
        "edge-firewall": ["multicloud-prod-edge"],
        "jobs-firewall": ["multicloud-prod-jobs"],
    }
    assert droplets["jobs-droplet"]["size"] == "s-1vcpu-2gb"
    for host in ("edge", "jobs"):
        assert guarded_from_first_boot(result, host)


# --- firewall -------------------------------------------------------------------------------


def test_firewall_inbound_is_exactly_web_from_anywhere_ssh_from_admins_and_icmp(prod):
    firewall = one(prod, FIREWALL)
    rules = firewall.inputs["inboundRules"]
    assert len(rules) == 4
    assert {(r["protocol"], r.get("portRange"), tuple(r["sourceAddresses"])) for r in rules} == {
        ("tcp", "80", ("0.0.0.0/0", "::/0")),
        ("tcp", "443", ("0.0.0.0/0", "::/0")),
        ("tcp", "22", (ADMIN_CIDR,)),
        ("icmp", None, ("0.0.0.0/0", "::/0")),
    }
    # Only addresses: no rule admits by droplet, tag or load balancer.
    assert all(set(r) <= {"protocol", "portRange", "sourceAddresses"} for r in rules)
    assert firewall.inputs["name"] == "multicloud-prod-edge"


def test_firewall_outbound_is_open(prod):
    assert one(prod, FIREWALL).inputs["outboundRules"] == [
        {"protocol": "tcp", "portRange": "1-65535", "destinationAddresses": ["0.0.0.0/0", "::/0"]},
        {"protocol": "udp", "portRange": "1-65535", "destinationAddresses": ["0.0.0.0/0", "::/0"]},
        {"protocol": "icmp", "destinationAddresses": ["0.0.0.0/0", "::/0"]},
    ]


@pytest.mark.parametrize("port", GUARDED)
def test_no_rule_opens_ssh_or_data_ports_to_the_world(prod, port):
    assert not opens_to_world(one(prod, FIREWALL).inputs["inboundRules"], port)


def test_world_detector_fires_when_world_ssh_is_opted_into(aws_plan):
    # Counterpart: the property above is a real check, not vacuous.
    config = do_config()
    config["admin"].update(cidrs=["0.0.0.0/0", "::/0"], allow_world_ssh=True)
    rules = one(aws_plan(config, "prod"), FIREWALL).inputs["inboundRules"]
    assert opens_to_world(rules, 22)
    assert not opens_to_world(rules, 5432) and not opens_to_world(rules, 6379)


def test_world_detector_fires_on_a_broken_copy(prod):
    rules = one(prod, FIREWALL).inputs["inboundRules"]
    wide = broken(
        prod,
        FIREWALL,
        "edge-firewall",
        set_input(
            "inboundRules", [*rules, {"protocol": "tcp", "portRange": "1-65535", "sourceAddresses": ["::/0"]}]
        ),
    )
    assert all(opens_to_world(one(wide, FIREWALL).inputs["inboundRules"], p) for p in GUARDED)


def test_ssh_source_follows_admin_cidrs(aws_plan):
    config = do_config()
    config["admin"]["cidrs"] = ["198.51.100.7/32", "2001:db8::/48"]
    rules = one(aws_plan(config, "prod"), FIREWALL).inputs["inboundRules"]
    (ssh,) = [r for r in rules if r.get("portRange") == "22"]
    assert ssh == {
        "protocol": "tcp",
        "portRange": "22",
        "sourceAddresses": ["198.51.100.7/32", "2001:db8::/48"],
    }


# --- the firewall applies from the first boot ----------------------------------------------


def test_firewall_selects_the_droplet_by_the_host_tag_it_carries(prod):
    host_tag = one(prod, TAG, "edge-tag")
    assert host_tag.inputs == {"name": "multicloud-prod-edge"}
    firewall, droplet = one(prod, FIREWALL), one(prod, DROPLET)
    assert firewall.inputs["tags"] == [out(prod, host_tag, "name")] == ["multicloud-prod-edge"]
    assert droplet.inputs["tags"] == [fleet_tag(prod), "multicloud-prod-edge"]
    # The droplet has no droplet_ids-based firewall (that would only apply after creation).
    assert "dropletIds" not in firewall.inputs
    # Both take the tag from the Tag resource, so the tag exists before either names it.
    assert prod.property_dependencies[firewall.urn]["tags"] == [host_tag.urn]
    assert prod.property_dependencies[droplet.urn]["tags"] == [host_tag.urn]


def test_droplet_waits_for_its_firewall_and_the_fleet(prod):
    droplet = one(prod, DROPLET)
    waits_for = dependency_names(prod, droplet)
    assert (FIREWALL, "edge-firewall") in waits_for
    # depends_on the fleet component: its tag, VPC and keys exist first.
    assert {
        (TAG, f"{FLEET}-tag"),
        (VPC, f"{FLEET}-vpc"),
        (SSH_KEY, f"{FLEET}-ssh-key-{key_id(KEY)}"),
    } <= waits_for
    assert index_of(prod, one(prod, FIREWALL)) < index_of(prod, droplet)
    assert guarded_from_first_boot(prod, "edge")


def test_first_boot_detector_fires_without_the_tag_or_without_the_dependency(prod):
    droplet = one(prod, DROPLET)
    untagged = broken(prod, DROPLET, "edge-droplet", set_input("tags", [fleet_tag(prod)]))
    assert not guarded_from_first_boot(untagged, "edge")
    firewall_urn = one(prod, FIREWALL).urn
    racing = dataclasses.replace(
        prod,
        dependencies={
            **prod.dependencies,
            droplet.urn: [u for u in prod.dependencies[droplet.urn] if u != firewall_urn],
        },
        property_dependencies={
            **prod.property_dependencies,
            droplet.urn: {
                k: [u for u in v if u != firewall_urn]
                for k, v in prod.property_dependencies[droplet.urn].items()
            },
        },
    )
    assert not guarded_from_first_boot(racing, "edge")


# --- droplet --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ({"size": {"cpu": 2, "memory_gb": 4}}, "s-2vcpu-4gb"),
        ({"size": {"cpu": 1, "memory_gb": 1}}, "s-1vcpu-1gb"),
        ({"size": {"cpu": 1, "memory_gb": 2}}, "s-1vcpu-2gb"),
        ({"size": {"cpu": 2, "memory_gb": 3}}, "s-2vcpu-4gb"),
        ({"size": {"cpu": 3, "memory_gb": 5}}, "s-4vcpu-8gb"),
        ({"server_type": "s-8vcpu-16gb"}, "s-8vcpu-16gb"),
    ],
)
def test_droplet_size_is_the_cheapest_catalog_slug_that_fits(aws_plan, host, expected):
    config = do_config()
    config["hosts"]["edge"] = {"target": "digitalocean", "location": "fra1", **host}
    droplet = one(aws_plan(config, "prod"), DROPLET)
    assert droplet.inputs["size"] == expected


def test_droplet_inputs(prod):
    droplet = one(prod, DROPLET)
    inputs = {k: v for k, v in droplet.inputs.items() if k != "userData"}
    assert inputs == {
        "name": "multicloud-prod-edge",
        "size": "s-2vcpu-4gb",
        "image": "ubuntu-24-04-x64",
        "region": "fra1",
        "sshKeys": [out(prod, one(prod, SSH_KEY), "fingerprint")],
        "vpcUuid": one(prod, VPC).id,
        "ipv6": True,
        "monitoring": True,
        "backups": True,
        "tags": [FLEET_TAG, "multicloud-prod-edge"],
    }


def test_droplet_is_in_the_fleet_vpc(prod):
    droplet, vpc = one(prod, DROPLET), one(prod, VPC)
    assert droplet.inputs["vpcUuid"] == vpc.id
    assert prod.property_dependencies[droplet.urn]["vpcUuid"] == [vpc.urn]


def test_location_reaches_droplet_volume_vpc_and_databases(aws_plan):
    result = aws_plan(host_config(location="ams3"), "prod")
    assert one(result, DROPLET).inputs["region"] == "ams3"
    assert one(result, VOLUME).inputs["region"] == "ams3"
    assert one(result, VPC).inputs["region"] == "ams3"
    assert {
        c.inputs["region"] for c in of_type(result, "digitalocean:index/databaseCluster:DatabaseCluster")
    } == {"ams3"}


@pytest.mark.parametrize(
    ("environment", "override", "expected"),
    [("prod", None, True), ("dev", None, False), ("prod", False, False), ("dev", True, True)],
)
def test_backups_default_on_in_prod_only(aws_plan, environment, override, expected):
    config = host_config(environment) if override is None else host_config(environment, backups=override)
    assert one(aws_plan(config, environment), DROPLET).inputs["backups"] is expected


def test_user_data_changes_are_ignored(prod):
    droplet = one(prod, DROPLET)
    assert "userData" in droplet.ignore_changes
    assert set(droplet.ignore_changes) == {"userData", "sshKeys", "image"}


def test_user_data_holds_no_secret(floating):
    user_data = one(floating, DROPLET).raw_inputs["userData"]
    assert floating.secret_values  # database passwords, Spaces keys, the placeholder deploy key
    assert not [s for s in floating.secret_values if s in user_data]
    assert "PRIVATE KEY" not in user_data
    assert not re.search(r"requirepass|PGPASSWORD|secret_access_key", user_data, re.IGNORECASE)
    # Counterpart: the secrets do reach the release command, where they belong.
    command = release_command(floating, "edge")
    assert PLACEHOLDER in str(command.raw_inputs["connection"])
    assert (command.inputs["stdin"], command.inputs["connection"]) == ("[secret]", "[secret]")


def test_user_data_hardens_ssh_and_authorises_only_the_admin_keys(prod):
    text = one(prod, DROPLET).raw_inputs["userData"]
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)
    (user,) = doc["users"]
    assert user["name"] == "deploy" and user["lock_passwd"] is True
    assert user["ssh_authorized_keys"] == [KEY]
    assert doc["disable_root"] is True and doc["ssh_pwauth"] is False
    sshd = next(f for f in doc["write_files"] if f["path"].startswith("/etc/ssh/sshd_config.d/"))
    assert re.search(r"^PermitRootLogin no$", sshd["content"], re.MULTILINE)
    assert re.search(r"^PasswordAuthentication no$", sshd["content"], re.MULTILINE)


# --- protection -----------------------------------------------------------------------------


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False), ("staging", False)])
def test_volume_is_protected_in_prod_only(aws_plan, environment, protected):
    result = aws_plan(do_config(environment), environment)
    assert one(result, VOLUME).protect is protected
    # Stateless children are never protected: they can be replaced freely.
    for type_token in (DROPLET, FIREWALL, TAG, ATTACHMENT, VPC, SSH_KEY):
        assert all(r.protect is False for r in of_type(result, type_token)), type_token


def test_droplet_holds_no_data_so_it_is_replaceable_even_in_prod(prod):
    # Postgres and Valkey are managed on DigitalOcean: nothing stateful runs on the droplet.
    assert one(prod, DROPLET).protect is False


# --- volume ---------------------------------------------------------------------------------


def test_volume_inputs(prod):
    assert one(prod, VOLUME).inputs == {
        "name": "multicloud-prod-edge-data",
        "region": "fra1",
        "size": 10,
        "initialFilesystemType": "ext4",
        "description": "edge: state of the services on this host",
    }


def test_explicit_volume_gb_wins(aws_plan):
    assert one(aws_plan(host_config(volume_gb=50), "prod"), VOLUME).inputs["size"] == 50


def test_attachment_joins_this_droplet_and_this_volume_detaching_first(prod):
    attachment, droplet, volume = one(prod, ATTACHMENT), one(prod, DROPLET), one(prod, VOLUME)
    assert attachment.inputs == {"dropletId": int(droplet.id), "volumeId": volume.id}
    assert attachment.delete_before_replace is True and attachment.protect is False
    assert volume.delete_before_replace is False


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_release_mounts_the_volume_by_its_digitalocean_device_path(aws_plan, stack):
    result = aws_plan(do_config(stack), stack)
    name = one(result, VOLUME).inputs["name"]
    assert name == f"multicloud-{stack}-edge-data"
    host_env = bundle(result, "edge")["host.env"]
    assert host_env.text == f"DATA_DEVICE=/dev/disk/by-id/scsi-0DO_Volume_{name}\n"
    assert host_env.mode == 0o600

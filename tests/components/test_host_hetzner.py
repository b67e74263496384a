"""VpsHost and HostFleet on Hetzner: exact children, firewall, sizing, protection, user data."""

from __future__ import annotations

import re

import pytest
import yaml

from multicloud.components._lib.naming import ssh_key_id as key_id
from multicloud.infra.offline import PLACEHOLDER
from tests.conftest import KEY, base_config, of_type, one
from tests.helpers import WORLD, child_set, release_command, with_data_host

SERVER = "hcloud:index/server:Server"
FIREWALL = "hcloud:index/firewall:Firewall"
VOLUME = "hcloud:index/volume:Volume"
ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment"
FLOATING_IP = "hcloud:index/floatingIp:FloatingIp"
FLOATING_ASSIGNMENT = "hcloud:index/floatingIpAssignment:FloatingIpAssignment"
SSH_KEY = "hcloud:index/sshKey:SshKey"
NETWORK = "hcloud:index/network:Network"
SUBNET = "hcloud:index/networkSubnet:NetworkSubnet"

SECOND_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0bGVzdGtleWZvcnRoZXNlY29uZGFkbWluMDAx ci@example.com"


def host_config(environment: str = "prod", **host: object) -> dict:
    config = base_config(environment)
    config["hosts"]["main"].update(host)
    return config


def _ports(rule: dict) -> range | None:
    """The ports a rule covers (None = every port, as for ICMP or a rule without port)."""
    port = rule.get("port")
    if port in (None, "any"):
        return None
    low, _, high = str(port).partition("-")
    return range(int(low), int(high or low) + 1)


def opens_to_world(rules: list[dict], port: int) -> bool:
    """Whether an inbound rule lets the whole internet reach TCP `port`."""
    for rule in rules:
        ports = _ports(rule)
        covers = ports is None or port in ports
        if (
            rule["direction"] == "in"
            and rule["protocol"] == "tcp"
            and covers
            and WORLD & set(rule["sourceIps"])
        ):
            return True
    return False


# --- children -------------------------------------------------------------------------


def test_host_has_exactly_firewall_server_volume_and_attachment(run_plan):
    result = run_plan(base_config(), stack="prod")
    host = one(result, "multicloud:index:VpsHost", "main")
    assert child_set(result, host) == {
        (FIREWALL, "main-firewall"),
        (SERVER, "main-server"),
        (VOLUME, "main-volume"),
        (ATTACHMENT, "main-volume-attachment"),
        ("multicloud:index:HostRelease", "main-release"),
    }
    server = one(result, SERVER)
    assert "multicloud:index:VpsHost$hcloud:index/server:Server" in server.urn
    assert of_type(result, FLOATING_IP) == [] and of_type(result, FLOATING_ASSIGNMENT) == []


def test_floating_ip_adds_the_ip_and_its_assignment_only(run_plan):
    result = run_plan(host_config(floating_ip=True), stack="prod")
    host = one(result, "multicloud:index:VpsHost", "main")
    assert child_set(result, host) == {
        (FIREWALL, "main-firewall"),
        (SERVER, "main-server"),
        (VOLUME, "main-volume"),
        (ATTACHMENT, "main-volume-attachment"),
        (FLOATING_IP, "main-floating-ip"),
        (FLOATING_ASSIGNMENT, "main-floating-ip-assignment"),
        ("multicloud:index:HostRelease", "main-release"),
    }
    ip = one(result, FLOATING_IP)
    assert ip.inputs["type"] == "ipv4"
    assert ip.inputs["homeLocation"] == "fsn1"
    assert ip.inputs["deleteProtection"] is True and ip.protect is True
    # The assignment and the volume attachment target the same server.
    assert one(result, FLOATING_ASSIGNMENT).inputs["serverId"] == one(result, ATTACHMENT).inputs["serverId"]
    # cloud-init configures the floating address, and the API's A record points at it.
    user_data = yaml.safe_load(one(result, SERVER).raw_inputs["userData"])
    netplan = next(f for f in user_data["write_files"] if f["path"] == "/etc/netplan/60-floating-ip.yaml")
    (address,) = yaml.safe_load(netplan["content"])["network"]["ethernets"]["eth0"]["addresses"]
    a_record = one(result, "cloudflare:index/dnsRecord:DnsRecord", "api-dns-a")
    assert a_record.inputs["content"] == address.removesuffix("/32")


def test_floating_ip_follows_environment_protection(run_plan):
    ip = one(run_plan(host_config("dev", floating_ip=True)), FLOATING_IP)
    assert ip.inputs["deleteProtection"] is False and ip.protect is False


def test_fleet_holds_one_ssh_key_per_admin_key_and_no_network_for_one_host(run_plan):
    config = base_config()
    config["admin"]["ssh_public_keys"] = [KEY, SECOND_KEY]
    result = run_plan(config)
    fleet = one(result, "multicloud:index:HostFleet", "hetzner-fleet")
    assert child_set(result, fleet) == {
        (SSH_KEY, f"hetzner-fleet-ssh-key-{key_id(KEY)}"),
        (SSH_KEY, f"hetzner-fleet-ssh-key-{key_id(SECOND_KEY)}"),
    }
    assert {k.name: k.inputs["publicKey"] for k in of_type(result, SSH_KEY)} == {
        f"hetzner-fleet-ssh-key-{key_id(KEY)}": KEY,
        f"hetzner-fleet-ssh-key-{key_id(SECOND_KEY)}": SECOND_KEY,
    }
    assert len(one(result, SERVER).inputs["sshKeys"]) == 2
    assert "networks" not in one(result, SERVER).inputs


def test_removing_a_key_keeps_the_other_keys_resource_names(run_plan):
    both = base_config()
    both["admin"]["ssh_public_keys"] = [SECOND_KEY, KEY]
    only = base_config()
    only["admin"]["ssh_public_keys"] = [KEY]
    names = lambda config: {r.name for r in of_type(run_plan(config), SSH_KEY)}
    assert names(only) < names(both)


def test_fleet_has_network_and_subnet_with_two_hosts(run_plan):
    result = run_plan(with_data_host(base_config()))
    fleet = one(result, "multicloud:index:HostFleet", "hetzner-fleet")
    assert child_set(result, fleet) == {
        (SSH_KEY, f"hetzner-fleet-ssh-key-{key_id(KEY)}"),
        (NETWORK, "hetzner-fleet-network"),
        (SUBNET, "hetzner-fleet-subnet"),
    }
    network, subnet = one(result, NETWORK), one(result, SUBNET)
    assert network.inputs["ipRange"] == "10.0.0.0/16"
    assert network.inputs["deleteProtection"] is True
    assert subnet.inputs["type"] == "cloud"
    assert subnet.inputs["networkZone"] == "eu-central"
    assert subnet.inputs["ipRange"] == "10.0.1.0/24"
    assert len(of_type(result, "multicloud:index:HostFleet")) == 1


def test_two_hosts_get_fixed_private_ips_on_the_fleet_network(run_plan):
    result = run_plan(with_data_host(base_config()))
    subnet = one(result, SUBNET)
    networks = {name: one(result, SERVER, f"{name}-server").inputs["networks"] for name in ("data", "main")}
    # Hosts are numbered in name order from .10.
    assert networks == {
        "data": [{"ip": "10.0.1.133", "networkId": subnet.inputs["networkId"]}],
        "main": [{"ip": "10.0.1.86", "networkId": subnet.inputs["networkId"]}],
    }


# --- firewall -------------------------------------------------------------------------


def test_firewall_rules_are_exactly_web_ssh_from_admins_and_icmp(run_plan):
    rules = one(run_plan(base_config()), FIREWALL).inputs["rules"]
    assert len(rules) == 4
    assert {(r["direction"], r["protocol"], r.get("port"), tuple(r["sourceIps"])) for r in rules} == {
        ("in", "tcp", "80", ("0.0.0.0/0", "::/0")),
        ("in", "tcp", "443", ("0.0.0.0/0", "::/0")),
        ("in", "tcp", "22", ("203.0.113.0/24",)),
        ("in", "icmp", None, ("0.0.0.0/0", "::/0")),
    }


@pytest.mark.parametrize("port", [22, 5432, 6379])
def test_no_rule_opens_ssh_or_data_ports_to_the_world(run_plan, port):
    rules = one(run_plan(base_config()), FIREWALL).inputs["rules"]
    assert not opens_to_world(rules, port)


def test_world_ssh_detector_fires_when_world_ssh_is_opted_into(run_plan):
    # Counterpart: the property above is a real check, not vacuous.
    config = base_config()
    config["admin"].update(cidrs=["0.0.0.0/0", "::/0"], allow_world_ssh=True)
    rules = one(run_plan(config), FIREWALL).inputs["rules"]
    assert opens_to_world(rules, 22)
    assert not opens_to_world(rules, 5432)


def test_ssh_source_follows_admin_cidrs(run_plan):
    config = base_config()
    config["admin"]["cidrs"] = ["198.51.100.7/32", "2001:db8::/48"]
    rules = one(run_plan(config), FIREWALL).inputs["rules"]
    (ssh,) = [r for r in rules if r.get("port") == "22"]
    assert ssh["sourceIps"] == ["198.51.100.7/32", "2001:db8::/48"]
    assert ssh["protocol"] == "tcp"


def test_firewall_is_attached_at_creation_and_user_data_changes_are_ignored(run_plan):
    server = one(run_plan(base_config()), SERVER)
    assert len(server.inputs["firewallIds"]) == 1
    assert "userData" in server.ignore_changes
    assert server.inputs["publicNets"] == [{"ipv4Enabled": True, "ipv6Enabled": True}]


# --- server type, backups, protection -------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ({"size": {"cpu": 2, "memory_gb": 4}}, "cx23"),
        ({"size": {"cpu": 4, "memory_gb": 8}}, "cx33"),
        ({"size": {"cpu": 3, "memory_gb": 5}}, "cx33"),
        ({"server_type": "cx43"}, "cx43"),
        ({"size": {"cpu": 2, "memory_gb": 4}, "arch": "arm64"}, "cax11"),
        ({"size": {"cpu": 2, "memory_gb": 4}, "cpu_kind": "dedicated"}, "ccx13"),
    ],
)
def test_server_type_is_the_cheapest_that_fits(run_plan, host, expected):
    config = base_config()
    config["hosts"]["main"] = {"target": "hetzner", "location": "fsn1", **host}
    server = one(run_plan(config), SERVER)
    assert server.inputs["serverType"] == expected
    assert server.inputs["location"] == "fsn1"
    assert server.inputs["image"] == "ubuntu-24.04"


def test_location_is_passed_to_server_and_volume(run_plan):
    result = run_plan(host_config(location="hel1"))
    assert one(result, SERVER).inputs["location"] == "hel1"
    assert one(result, VOLUME).inputs["location"] == "hel1"


@pytest.mark.parametrize(
    ("environment", "override", "expected"),
    [("prod", None, True), ("dev", None, False), ("prod", False, False), ("dev", True, True)],
)
def test_backups_default_on_in_prod_only(run_plan, environment, override, expected):
    config = host_config(environment) if override is None else host_config(environment, backups=override)
    assert one(run_plan(config), SERVER).inputs["backups"] is expected


@pytest.mark.parametrize(("environment", "protected"), [("prod", True), ("dev", False), ("staging", False)])
def test_protection_follows_environment(run_plan, environment, protected):
    result = run_plan(base_config(environment))
    server, volume = one(result, SERVER), one(result, VOLUME)
    assert server.inputs["deleteProtection"] is protected
    assert server.inputs["rebuildProtection"] is protected
    assert server.protect is protected
    assert volume.inputs["deleteProtection"] is protected
    assert volume.protect is protected
    # Stateless children are never protected: they can be replaced freely.
    assert one(result, FIREWALL).protect is False
    assert one(result, ATTACHMENT).protect is False


def test_prod_host_without_data_has_neither_protection_so_it_can_be_replaced(run_plan):
    # With Hetzner's protection alone, a replacement (a location change) would create the new
    # server and then fail to delete the old one: protections go together (contracts.Protected).
    result = run_plan(with_data_host(base_config("prod")))
    stateless, stateful = one(result, SERVER, "main-server"), one(result, SERVER, "data-server")
    assert (
        stateless.protect,
        stateless.inputs["deleteProtection"],
        stateless.inputs["rebuildProtection"],
    ) == (
        False,
        False,
        False,
    )
    assert (stateful.protect, stateful.inputs["deleteProtection"], stateful.inputs["rebuildProtection"]) == (
        True,
        True,
        True,
    )


# --- volume ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("storage_gb", "memory_mb", "expected"),
    [
        (20, 256, 22),  # 1 + 20 + 0.5 → 21.5 → 22
        (40, 1024, 43),  # 1 + 40 + 2
        (5, 256, 10),  # 6.5 → Hetzner's 10 GB minimum
        (100, 4096, 109),  # 1 + 100 + 8
    ],
)
def test_volume_is_sized_for_the_data_services(run_plan, storage_gb, memory_mb, expected):
    config = base_config()
    config["services"]["db"]["storage_gb"] = storage_gb
    config["services"]["cache"]["memory_mb"] = memory_mb
    result = run_plan(config)
    volume = one(result, VOLUME)
    assert volume.inputs["size"] == expected
    assert volume.inputs["format"] == "ext4"
    assert one(result, ATTACHMENT).inputs["automount"] is False


def test_explicit_volume_gb_wins(run_plan):
    assert one(run_plan(host_config(volume_gb=100)), VOLUME).inputs["size"] == 100


def test_host_without_data_services_gets_the_minimum_volume(run_plan):
    result = run_plan(with_data_host(base_config()))
    assert one(result, VOLUME, "main-volume").inputs["size"] == 10
    assert one(result, VOLUME, "data-volume").inputs["size"] == 22


# --- user data ------------------------------------------------------------------------


def test_user_data_holds_no_secret(run_plan):
    result = run_plan(host_config(floating_ip=True))
    user_data = one(result, SERVER).raw_inputs["userData"]
    assert result.secret_values  # passwords, token values and the placeholder deploy key
    assert not [s for s in result.secret_values if s in user_data]
    assert "PRIVATE KEY" not in user_data
    # Counterpart: the deploy key does reach the release command, where it belongs.
    assert PLACEHOLDER in str(release_command(result, "main").raw_inputs["connection"])


def test_user_data_hardens_ssh_and_authorises_only_the_admin_keys(run_plan):
    text = one(run_plan(base_config()), SERVER).raw_inputs["userData"]
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)
    (user,) = doc["users"]
    assert user["name"] == "deploy" and user["lock_passwd"] is True
    assert user["ssh_authorized_keys"] == [KEY]
    assert doc["disable_root"] is True and doc["ssh_pwauth"] is False
    sshd = next(f for f in doc["write_files"] if f["path"].startswith("/etc/ssh/sshd_config.d/"))
    assert re.search(r"^PermitRootLogin no$", sshd["content"], re.MULTILINE)
    assert re.search(r"^PasswordAuthentication no$", sshd["content"], re.MULTILINE)

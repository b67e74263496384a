"""What the DigitalOcean backends share: App Platform regions and database firewalls.

Imported only by `components/*/digitalocean.py`, so other stacks never load the SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.naming import physical_name
from multicloud.components.host import HostFleet


def app_name(component: str) -> str:
    """An App Platform app name: unique in the account (so project and stack are in it), at
    most 32 characters, starting with the component's name (a letter)."""
    return physical_name(component, pulumi.get_stack(), pulumi.get_project(), max_len=32)


def app_region(region: str) -> str:
    """App Platform names regions without the datacenter number: fra1 → fra."""
    return region.rstrip("0123456789")


def ingress_host(url: str) -> str:
    """The hostname of an app's default ingress URL (https://name-abc12.ondigitalocean.app)."""
    return urlparse(url).hostname or url


def database_firewall(
    parent: pulumi.Resource,
    name: str,
    cluster: do.DatabaseCluster,
    fleet: HostFleet,
    admit_vpc: bool,
    admit_addresses: Sequence[pulumi.Input[str]] = (),
) -> do.DatabaseFirewall:
    """The one firewall of a managed database cluster: the stack's droplets (by the fleet's
    tag), when App Platform apps link it the stack's VPC they connect from, and each IPv4
    address of `admit_addresses` (consumers on another provider) — nothing else, not the world.

    Apps are admitted by the VPC's range rather than by app ID: an `app` rule could only be
    written once the app exists, and App Platform creates an app only when its first
    deployment succeeds, which needs the database reachable first."""
    assert fleet.tag is not None and fleet.ip_range is not None
    rules = [do.DatabaseFirewallRuleArgs(type="tag", value=fleet.tag)]
    if admit_vpc:
        rules.append(do.DatabaseFirewallRuleArgs(type="ip_addr", value=fleet.ip_range))
    # One address each, as the API takes them ("192.0.2.1"); IPv6 is not accepted, which the
    # provider contract checks (components.contracts.digitalocean).
    rules += [do.DatabaseFirewallRuleArgs(type="ip_addr", value=address) for address in admit_addresses]
    return do.DatabaseFirewall(
        f"{name}-firewall",
        cluster_id=cluster.id,
        rules=rules,
        # The tag rule names the fleet's tag: it must exist first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[fleet]),
    )


def database_ca(parent: pulumi.Resource, cluster: do.DatabaseCluster) -> pulumi.Output[str]:
    """The PEM of the CA that signs the cluster's server certificate (GET /v2/databases/{id}/ca;
    the same for every engine): what a client outside the VPC verifies the server against."""
    result = do.get_database_ca_output(cluster_id=cluster.id, opts=pulumi.InvokeOutputOptions(parent=parent))
    return result.certificate

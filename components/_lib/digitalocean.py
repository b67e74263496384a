"""What the DigitalOcean backends share: App Platform regions and database firewalls.

Imported only by `components/*/digitalocean.py`, so other stacks never load the SDK.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pulumi
import pulumi_digitalocean as do

from components.host import HostFleet


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
    app_ids: list[pulumi.Output[str]],
) -> do.DatabaseFirewall:
    """The one firewall of a managed database cluster: the stack's droplets (by the fleet's
    tag) and the App Platform apps that link it — nothing else, not the world.

    DigitalOcean keeps every trusted source of a cluster in this one resource (a second one
    would overwrite it), so it is created once every consumer exists."""
    assert fleet.tag is not None
    rules = [do.DatabaseFirewallRuleArgs(type="tag", value=fleet.tag)]
    rules += [do.DatabaseFirewallRuleArgs(type="app", value=app_id) for app_id in app_ids]
    return do.DatabaseFirewall(
        f"{name}-firewall",
        cluster_id=cluster.id,
        rules=rules,
        # The tag rule names the fleet's tag: it must exist first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[fleet]),
    )

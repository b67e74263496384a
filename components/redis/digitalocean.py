"""Redis on DigitalOcean: a managed Valkey cluster inside the stack's VPC, TLS only.

DigitalOcean retired managed Redis for new clusters in favour of Valkey, so `engine: redis`
is a config error here. Eviction is off (`noeviction`), as on the other backends. The firewall
trusts the stack's droplets, the VPC when App Platform apps link the cache, and the fixed IPv4
addresses of consumers on other providers (`admit_addresses`), which connect to its public name
over TLS they verify against the cluster's CA.
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.digitalocean import database_ca, database_firewall
from multicloud.components._lib.naming import physical_name
from multicloud.components.redis import Redis, RedisArgs, RedisOutputs


def build(parent: Redis, name: str, args: RedisArgs) -> RedisOutputs:
    """Create the Valkey cluster and its firewall."""
    fleet = args.fleet
    if fleet is None or fleet.network_id is None or fleet.tag is None:
        raise ValueError(f"{name}: redis on digitalocean needs the stack's droplet fleet (fleet=)")
    cluster = do.DatabaseCluster(
        f"{name}-cluster",
        name=physical_name(pulumi.get_project(), pulumi.get_stack(), name),
        engine="valkey",
        version=args.version.split(".")[0],
        size=args.node_type,
        region=args.region,
        node_count=args.nodes,
        private_network_uuid=fleet.network_id,
        eviction_policy="noeviction",
        tags=[fleet.tag],
        opts=pulumi.ResourceOptions(
            parent=parent, protect=args.protect, additional_secret_outputs=["password"]
        ),
    )
    outside = bool(args.admit_addresses)
    return RedisOutputs(
        host=cluster.private_host,
        port=cluster.port,
        password=cluster.password,
        tls=True,
        resources={
            "cluster": cluster,
            "firewall": database_firewall(
                parent, name, cluster, fleet, args.admit_vpc, list(args.admit_addresses.values())
            ),
        },
        public_host=cluster.host if outside else None,
        ca_certificate=database_ca(parent, cluster) if outside else None,
    )

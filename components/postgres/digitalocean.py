"""ManagedPostgres on DigitalOcean: a managed PostgreSQL cluster inside the stack's VPC.

The database firewall trusts only the stack's droplets (by the fleet tag), when App Platform
apps link the database the VPC they join, and the fixed IPv4 addresses of consumers on other
providers (`admit_addresses`: Hetzner hosts). Clients in the VPC connect to its private name
with `sslmode=require`; those outside connect to its public name with `sslmode=verify-full`
against the cluster's CA (`getDatabaseCa`), delivered to them as a file. DigitalOcean takes daily backups with 7 days of point-in-time recovery by
itself. The database belongs to the cluster's admin, and since PostgreSQL 15 nobody else may
create tables in its schema public: a setup job each consumer runs as the admin before it
starts grants the application's user that, and creates `extensions` (TimescaleDB, PostGIS,
pgvector …). DigitalOcean offers a standby node
(`multi_az: true`) only from 2 GB of memory, so with one the neutral size resolves to the
cheapest size that can have it (a 1 GB request becomes db-s-1vcpu-2gb, priced as such in
`infra cost`).
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.digitalocean import database_ca, database_firewall
from multicloud.components._lib.naming import physical_name
from multicloud.components.host import HostFleet
from multicloud.components.postgres import ManagedPostgres, PostgresArgs, PostgresOutputs


def build(parent: ManagedPostgres, name: str, args: PostgresArgs) -> PostgresOutputs:
    """Create the cluster, its database, its user and its firewall."""
    fleet = args.fleet
    if fleet is None or fleet.network_id is None or fleet.tag is None:
        raise ValueError(f"{name}: postgres on digitalocean needs the stack's droplet fleet (fleet=)")
    cluster = _cluster(parent, name, args, fleet)
    database, user = _database_and_user(parent, name, args, cluster)
    outside = bool(args.admit_addresses)
    return PostgresOutputs(
        host=cluster.private_host,
        port=cluster.port,
        database=database.name,
        username=user.name,
        password=user.password,
        sslmode="require",
        resources={
            "cluster": cluster,
            "database": database,
            "user": user,
            "firewall": database_firewall(
                parent, name, cluster, fleet, args.admit_vpc, list(args.admit_addresses.values())
            ),
        },
        admin_env=_admin_env(cluster, database),
        public_host=cluster.host if outside else None,
        ca_certificate=database_ca(parent, cluster) if outside else None,
    )


def _cluster(parent: ManagedPostgres, name: str, args: PostgresArgs, fleet: HostFleet) -> do.DatabaseCluster:
    assert fleet.tag is not None  # checked by build
    return do.DatabaseCluster(
        f"{name}-cluster",
        name=physical_name(pulumi.get_project(), pulumi.get_stack(), name),
        engine="pg",
        version=args.version,
        size=args.instance_class,
        region=args.region,
        node_count=2 if args.multi_az else 1,
        private_network_uuid=fleet.network_id,
        # No storage_size_mib: it is the cluster's total storage, defaulted per size, and can
        # only grow; the ranges each size allows are not published in a form we can check.
        tags=[fleet.tag],
        opts=pulumi.ResourceOptions(
            parent=parent, protect=args.protect, additional_secret_outputs=["password", "uri", "privateUri"]
        ),
    )


def _database_and_user(
    parent: ManagedPostgres, name: str, args: PostgresArgs, cluster: do.DatabaseCluster
) -> tuple[do.DatabaseDb, do.DatabaseUser]:
    # The app's database holds its tables, and its user owns them: both are protected with
    # the cluster (components._lib.stateful), so a renamed `database` cannot drop them.
    database = do.DatabaseDb(
        f"{name}-database",
        cluster_id=cluster.id,
        name=args.database,
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
    )
    user = do.DatabaseUser(
        f"{name}-user",
        cluster_id=cluster.id,
        name=args.username,
        opts=pulumi.ResourceOptions(
            parent=parent, protect=args.protect, additional_secret_outputs=["password"]
        ),
    )
    return database, user


def _admin_env(cluster: do.DatabaseCluster, database: do.DatabaseDb) -> dict[str, pulumi.Output[str]]:
    """The database belongs to the cluster's admin (doadmin); only the setup job gets these."""
    return {
        "PGHOST": cluster.private_host,
        "PGPORT": cluster.port.apply(str),
        "PGDATABASE": database.name,
        "PGUSER": cluster.user,
        "PGPASSWORD": pulumi.Output.secret(cluster.password),
        "PGSSLMODE": pulumi.Output.from_input("require"),
        # An unreachable database fails an attempt in 10 s, not the OS's minutes.
        "PGCONNECT_TIMEOUT": pulumi.Output.from_input("10"),
    }

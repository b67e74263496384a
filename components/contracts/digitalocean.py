"""What the DigitalOcean API accepts for the inputs `components/*/digitalocean.py` send.

Read 2026-12-01 from DigitalOcean's OpenAPI description (digitalocean/openapi @ 7c1300c4,
the source of the public API reference), digitalocean/terraform-provider-digitalocean
v2.99.1 (the closest stored release to what pulumi-digitalocean 4.84.1 bridges) and the
product documentation. Plain data: importing this never loads `pulumi_digitalocean`.
"""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.components.contracts import Contract, Replaces, Rule, Source, StoredAs, Unique, one_of, text
from multicloud.components.contracts.app_platform import app_spec_problems

READ = "2026-12-01"
OAPI = "digitalocean/openapi@7c1300c4 specification/resources"
TF = "digitalocean/terraform-provider-digitalocean@v2.99.1"

DROPLET = types.DO_DROPLET
VOLUME = types.DO_VOLUME
TAG = types.DO_TAG
FIREWALL = types.DO_FIREWALL
VPC = types.DO_VPC
LOAD_BALANCER = types.DO_LOAD_BALANCER
CERTIFICATE = types.DO_CERTIFICATE
CLUSTER = types.DO_DATABASE_CLUSTER
DATABASE = types.DO_DATABASE_DB
DB_USER = types.DO_DATABASE_USER
DB_FIREWALL = types.DO_DATABASE_FIREWALL
SPACES_BUCKET = types.DO_SPACES_BUCKET
SPACES_KEY = types.DO_SPACES_KEY
SSH_KEY = types.DO_SSH_KEY
APP = types.DO_APP
RESERVED_IP = types.DO_RESERVED_IP
UPTIME_CHECK = types.DO_UPTIME_CHECK
UPTIME_ALERT = types.DO_UPTIME_ALERT

# --- enumerations we depend on ----------------------------------------------------------------

# Provider-neutral OS image names (HostSpec.image) → DigitalOcean's distribution slugs.
# Slugs name the latest point release of a major version ("ubuntu-24-04-x64"); Hetzner's
# names ("ubuntu-24.04") are not DigitalOcean slugs.
IMAGES = {"ubuntu-24.04": "ubuntu-24-04-x64"}
IMAGE_SOURCE = Source(
    "https://docs.digitalocean.com/products/droplets/details/image-deprecation/; "
    f"{TF} docs/resources/droplet_autoscale.md",
    READ,
)
DROPLET_REGIONS = (
    "ams2", "ams3", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "sgp1", "syd1", "tor1",
)  # fmt: skip
# Where managed PostgreSQL and Valkey run (/v2/databases/options, regions per engine).
DATABASE_REGIONS = (
    "ams3",
    "atl1",
    "blr1",
    "fra1",
    "lon1",
    "nyc1",
    "nyc3",
    "ric1",
    "sfo2",
    "sfo3",
    "sgp1",
    "syd1",
    "tor1",
)
SPACES_REGIONS = ("ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1")
# Versions new clusters can be created with. PostgreSQL 13 and 14 passed their end of
# availability (2025-05-13, 2026-05-12) in /v2/databases/options; Valkey is offered as 8.
POSTGRES_VERSIONS = ("15", "16", "17")
VALKEY_VERSIONS = ("8",)
VERSIONS_SOURCE = Source(f"{OAPI}/databases/responses/options.yml (version_availability)", READ)
# Extensions DigitalOcean's managed PostgreSQL offers; `SELECT name FROM
# pg_available_extensions` on a cluster is authoritative.
POSTGRES_EXTENSIONS = sorted(
    {
        "address_standardizer", "address_standardizer_data_us", "amcheck", "bloom", "btree_gin",
        "btree_gist", "citext", "cube", "dblink", "dict_int", "dict_xsyn", "earthdistance",
        "fuzzystrmatch", "hstore", "intagg", "intarray", "isn", "lo", "ltree", "pg_buffercache",
        "pg_partman", "pg_stat_statements", "pg_trgm", "pgcrypto", "pgrouting", "pgrowlocks",
        "pgstattuple", "postgis", "postgis_raster", "postgis_sfcgal", "postgis_tiger_geocoder",
        "postgis_topology", "postgres_fdw", "seg", "tablefunc", "tcn", "timescaledb",
        "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp", "vector",
    }
)  # fmt: skip
EXTENSIONS_SOURCE = Source(
    "https://docs.digitalocean.com/products/databases/postgresql/details/supported-extensions/", READ
)

# --- rules --------------------------------------------------------------------------------------

TAG_RULE = "1-255 letters, digits, colons, dashes and underscores"
TAG_SOURCE = Source(f"{OAPI}/tags/models/tags.yml", READ)
_tag = text(r"[a-zA-Z0-9_\-:]+", 255)

# Uptime checks and alerts (components/alerts/digitalocean.py): openapi
# specification/resources/uptime/models/{check,alert}.yml and the provider's
# digitalocean/uptime/resource_uptime_{check,alert}.go validations.
UPTIME_SOURCE = Source(f"{OAPI}/uptime/models/check.yml, alert.yml; {TF} digitalocean/uptime", READ)
UPTIME_REGIONS = ("us_east", "us_west", "eu_west", "se_asia")
UPTIME_RULES = (
    Rule((UPTIME_CHECK,), "type", "ping, http or https", UPTIME_SOURCE, one_of(("ping", "http", "https"))),
    Rule((UPTIME_CHECK,), "regions[*]", f"one of {', '.join(UPTIME_REGIONS)}", UPTIME_SOURCE, one_of(UPTIME_REGIONS)),
    Rule((UPTIME_CHECK,), "target", "an http(s) URL", UPTIME_SOURCE, text(r"https?://[^\s]+", 2048)),
    Rule(
        (UPTIME_ALERT,), "type", "latency, down, down_global or ssl_expiry", UPTIME_SOURCE,
        one_of(("latency", "down", "down_global", "ssl_expiry")),
    ),
    Rule(
        (UPTIME_ALERT,), "period", "2m, 3m, 5m, 10m, 15m, 30m or 1h", UPTIME_SOURCE,
        one_of(("2m", "3m", "5m", "10m", "15m", "30m", "1h")),
    ),
    Rule((UPTIME_ALERT,), "comparison", "greater_than or less_than", UPTIME_SOURCE, one_of(("greater_than", "less_than"))),
)  # fmt: skip

RULES = (
    Rule(
        (DROPLET,),
        "name",
        "1-255 letters, digits, . and -, ending with a letter or digit (it becomes the hostname)",
        Source(f"{OAPI}/droplets/models/droplet_single_create.yml", READ),
        text(r"[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]", 255),
    ),
    Rule(
        (DROPLET,),
        "image",
        f"a distribution slug: {', '.join(IMAGES.values())}",
        IMAGE_SOURCE,
        one_of(IMAGES.values()),
    ),
    Rule(
        (CLUSTER,),
        "region",
        f"a region with managed databases: {', '.join(DATABASE_REGIONS)}",
        VERSIONS_SOURCE,
        one_of(DATABASE_REGIONS),
    ),
    Rule(
        (DROPLET, VOLUME, VPC, RESERVED_IP, LOAD_BALANCER),
        "region",
        f"a region slug: {', '.join(sorted({*DROPLET_REGIONS, *SPACES_REGIONS}))}",
        Source("pulumi_digitalocean Region enum; " + f"{OAPI}/droplets/models/droplet_create.yml", READ),
        one_of((*DROPLET_REGIONS, "atl1")),
    ),
    Rule(
        (DROPLET,),
        "userData",
        "plain text of at most 64 KiB",
        Source(f"{OAPI}/droplets/models/droplet_create.yml", READ),
        lambda v: isinstance(v, str) and len(v.encode()) <= 64 * 1024,
    ),
    Rule((DROPLET, CLUSTER), "tags[*]", TAG_RULE, TAG_SOURCE, _tag),
    Rule((TAG,), "name", TAG_RULE, TAG_SOURCE, _tag),
    Rule(
        (VOLUME,),
        "name",
        "1-64 lowercase letters, digits and -, starting with a letter",
        Source(f"{OAPI}/volumes/models/volume_base.yml", READ),
        text(r"[a-z][a-z0-9-]*", 64),
    ),
    Rule(
        (VOLUME,),
        "description",
        "at most 1024 bytes",
        Source(f"{TF} docs/resources/volume.md", READ),
        lambda v: isinstance(v, str) and len(v.encode()) <= 1024,
    ),
    Rule(
        (FIREWALL,),
        "name",
        "letters, digits, . and -, starting with a letter or digit, at least 2 characters",
        Source(f"{OAPI}/firewalls/models/firewall.yml", READ),
        text(r"[a-zA-Z0-9][a-zA-Z0-9.-]+", 255, min_len=2),
    ),
    Rule(
        (VPC,),
        "name",
        "letters, digits, - and . (unique in the account)",
        Source(f"{OAPI}/vpcs/models/vpc.yml", READ),
        text(r"[a-zA-Z0-9\-.]+", 255),
    ),
    Rule(
        (VPC,),
        "description",
        "at most 255 characters",
        Source(f"{OAPI}/vpcs/models/vpc.yml", READ),
        text(r"(?s).*", 255, min_len=0),
    ),
    Rule(
        (CLUSTER,),
        "version",
        f"pg {', '.join(POSTGRES_VERSIONS)} or valkey {', '.join(VALKEY_VERSIONS)} (what new clusters are created with)",
        VERSIONS_SOURCE,
        one_of((*POSTGRES_VERSIONS, *VALKEY_VERSIONS)),
    ),
    Rule(
        (CLUSTER,),
        "evictionPolicy",
        "noeviction, allkeys_lru, allkeys_random, volatile_lru, volatile_random or volatile_ttl",
        Source(f"{TF} docs/resources/database_cluster.md", READ),
        one_of(
            ("noeviction", "allkeys_lru", "allkeys_random", "volatile_lru", "volatile_random", "volatile_ttl")
        ),
    ),
    Rule(
        (DB_FIREWALL,),
        "rules[*].type",
        "ip_addr, droplet, k8s, tag or app",
        Source(f"{TF} digitalocean/database/resource_database_firewall.go", READ),
        one_of(("ip_addr", "droplet", "k8s", "tag", "app")),
    ),
    Rule(
        (DB_FIREWALL,),
        "rules",
        "at most 100 trusted sources, no IPv6 address",
        Source("https://docs.digitalocean.com/products/databases/postgresql/details/limits/", READ),
        lambda rules: (
            isinstance(rules, list)
            and len(rules) <= 100
            and not any(r.get("type") == "ip_addr" and ":" in str(r.get("value", "")) for r in rules)
        ),
    ),
    Rule(
        (SPACES_BUCKET,),
        "region",
        f"a Spaces region: {', '.join(SPACES_REGIONS)}",
        Source(f"{TF} digitalocean/spaces/spaces_entities.go", READ),
        one_of(SPACES_REGIONS),
    ),
    Rule(
        (SPACES_BUCKET,),
        "name",
        "3-63 lowercase letters, digits and -, starting and ending with a letter or digit (an S3 bucket name)",
        # DigitalOcean's pages give no pattern of their own (none found); Spaces speaks S3.
        Source("https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html", READ),
        text(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", 63, min_len=3),
    ),
    Rule(
        (SPACES_KEY,),
        "grants[*].permission",
        "read, readwrite or fullaccess",
        Source(f"{OAPI}/spaces/models/grant.yml", READ),
        one_of(("read", "readwrite", "fullaccess")),
    ),
    # The whole app spec, as the provider sends it, against DigitalOcean's published schema.
    Rule(
        (APP,),
        "spec",
        "the App Platform app spec schema (digitalocean_app_spec.schema.json)",
        Source(f"{OAPI}/apps/models/app_spec.yml and the models it refers to", READ),
        lambda spec: not app_spec_problems(spec),
        explain=app_spec_problems,
    ),
)

UNIQUE = (
    Unique((VOLUME,), "name", "region", Source(f"{OAPI}/volumes/volumes_list.yml", READ), region_path="region"),
    Unique((TAG,), "name", "account", TAG_SOURCE),
    Unique((VPC,), "name", "account", Source(f"{OAPI}/vpcs/models/vpc.yml", READ)),
    Unique((CLUSTER,), "name", "account", Source(f"{OAPI}/databases/models/database_cluster.yml", READ)),
    Unique((CERTIFICATE,), "name", "account", Source(f"{OAPI}/certificates/models/certificate_create.yml", READ)),
    Unique((APP,), "spec.name", "account", Source(f"{OAPI}/apps/models/app_spec.yml", READ)),
    Unique((SPACES_BUCKET,), "name", "global", Source("https://docs.digitalocean.com/products/spaces/details/limits/", READ)),
    # The key material, not the name: "SSH Key is already in use on your account" (422).
    Unique((SSH_KEY,), "publicKey", "account", Source("digitalocean/ansible-collection#102; puphpet#934", READ)),
)  # fmt: skip

REPLACES = (
    Replaces(
        DROPLET,
        ("image", "region", "sshKeys", "userData", "monitoring", "vpcUuid"),
        Source(f"{TF} digitalocean/droplet/resource_droplet.go (ForceNew)", READ),
    ),
    Replaces(
        VOLUME,
        ("region", "name", "description", "initialFilesystemType", "snapshotId"),
        Source(f"{TF} digitalocean/volume/resource_volume.go (ForceNew)", READ),
    ),
    Replaces(
        CLUSTER,
        ("name", "engine", "privateNetworkUuid", "projectId"),
        Source(f"{TF} digitalocean/database/resource_database_cluster.go (ForceNew)", READ),
    ),
    Replaces(SPACES_BUCKET, ("region",), Source(f"{TF} digitalocean/spaces/resource_spaces_bucket.go", READ)),
    Replaces(RESERVED_IP, ("region",), Source(f"{TF} digitalocean/reservedip/resource_reserved_ip.go", READ)),
    Replaces(VPC, ("region", "ipRange"), Source(f"{TF} digitalocean/vpc/resource_vpc.go (ForceNew)", READ)),
)

SECRET_SOURCE = Source(
    f"{OAPI}/apps/models/app_variable_definition.yml; digitalocean/terraform-provider-digitalocean#1603, "
    "#869, #782, PR #1137",
    READ,
)
STORED_AS = (
    StoredAs(
        APP,
        "spec.*[*].envs[*].value",
        "SECRET values come back encrypted (EV[1:…]) and never equal the plaintext sent",
        "the backend sends the stored EV[…] form it read back last time, unless the plaintext changed "
        "(components._lib.stored_secrets): a second up sends what DigitalOcean stores, a rotated "
        "secret is sent in clear and encrypted again",
        SECRET_SOURCE,
    ),
    StoredAs(
        APP,
        "spec.*[*].image.registryCredentials",
        "encrypted like SECRET values",
        "the same as SECRET values (StoredSecrets)",
        SECRET_SOURCE,
    ),
    StoredAs(
        DROPLET,
        "userData",
        "kept as sent, but a change replaces the droplet",
        "ignore_changes: releases carry configuration, not user_data",
        Source(f"{TF} digitalocean/droplet/resource_droplet.go (ForceNew)", READ),
        ignored=True,
    ),
    StoredAs(
        DROPLET,
        "sshKeys",
        "fingerprints or IDs; a change replaces the droplet",
        "ignore_changes: keys are delivered by cloud-init and releases",
        Source(f"{TF} digitalocean/droplet/resource_droplet.go (ForceNew)", READ),
        ignored=True,
    ),
    StoredAs(
        CLUSTER,
        "storageSizeMib",
        "the total storage of the cluster, defaulted per size; it can only grow",
        "never sent: sizes include their storage (components/postgres/digitalocean.py)",
        Source(f"{TF} digitalocean/database/resource_database_cluster_test.go; doctl databases resize", READ),
        absent=True,
    ),
)

CONTRACT = Contract(
    provider="digitalocean", rules=RULES + UPTIME_RULES, unique=UNIQUE, replaces=REPLACES, stored_as=STORED_AS
)

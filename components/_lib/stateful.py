"""Which resource types hold data: losing one (replace or delete) loses data, or the access to it.

The one list behind every check of it: the replacement guard (`infra guard`), the policy
pack's `prod-protect-stateful` and `no-delete-before-replace-on-data-stores`, and the tests
that assert prod protects what holds data. Every type the backends register is decided here,
listed or not, with the reason (`NOT_DATA` holds the types that are not, so a new type shows
up in `tests/test_stateful_types.py` until someone decides it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from multicloud.components._lib import types

# Hetzner Object Storage buckets are our only dynamic resources, told apart by their endpoint.
DYNAMIC = types.DYNAMIC_RESOURCE
HETZNER_OBJECT_STORAGE = ".your-objectstorage.com"

DATA_BEARING: Mapping[str, str] = {
    # Databases and caches.
    types.AWS_RDS_INSTANCE: "the PostgreSQL database itself",
    types.AWS_ELASTICACHE_REPLICATION_GROUP: "Redis/Valkey data (with persistence: queues, sessions)",
    types.DO_DATABASE_CLUSTER: "a managed PostgreSQL or Valkey cluster with every database in it",
    types.DO_DATABASE_DB: (
        "the app's database inside a cluster: renaming `database` deletes it with every table, "
        "while the cluster (and so nothing else) notices"
    ),
    types.DO_DATABASE_USER: (
        "the role that owns the app's tables (the setup job grants it the schema); a new one has a "
        "new password and owns none of them, so the app loses access to its own data"
    ),
    # Object storage: uploads, and the off-host backups of host databases.
    types.AWS_S3_BUCKET: "objects (uploads, backups)",
    types.CLOUDFLARE_R2_BUCKET: "objects (uploads, backups)",
    types.DO_SPACES_BUCKET: "objects (uploads, backups)",
    # Hosts: the data directories of Postgres/Redis containers live on the volume.
    types.HCLOUD_VOLUME: "the data directories of the host's services",
    types.DO_VOLUME: "the data directories of the host's services",
    types.HCLOUD_SERVER: (
        "a host running Postgres/Redis: replacing it stops them and detaches their volume "
        "(the policy pack exempts hosts listed in stateless_hosts)"
    ),
    # Addresses: what DNS, clients and allow-lists know; a released one cannot be had back.
    types.HCLOUD_FLOATING_IP: "the host's public address, kept across server replacements",
    types.DO_RESERVED_IP: "the host's public address, kept across droplet replacements",
    # Keys to data.
    types.RANDOM_PASSWORD: (
        "a database/Redis password or a backup repository key: the database keeps the password it "
        "was created with, and restic backups open only with their key"
    ),
}

NOT_DATA: Mapping[str, str] = {
    # Derived from other resources or from config: recreated with the same meaning.
    types.AWS_SSM_PARAMETER: "holds a connection secret derived from the database and config; recreated from them",
    types.AWS_SECRETSMANAGER_SECRET: "holds the registry login from config; recreated from it",
    types.AWS_SECRETSMANAGER_SECRET_VERSION: "the value of the registry login secret",
    types.AWS_IAM_ACCESS_KEY: "a bucket key the app receives on its next release; a new one works as well",
    types.DO_SPACES_KEY: "a bucket key the app receives on its next release",
    types.CLOUDFLARE_API_TOKEN: "an R2 key the app receives on its next release",
    types.RANDOM_STRING: (
        "a bucket name suffix: replacing it changes the bucket's name, and that bucket "
        "replacement is what the guard reports"
    ),
    types.AWS_CLOUDWATCH_LOG_GROUP: "diagnostics with a 14/90-day retention, not application data",
    # A private CA and the server certificate it signs: a new pair works once the same
    # release has shipped it to the server and its CA to every consumer.
    types.TLS_PRIVATE_KEY: "a CA's or a server's key; a new one is shipped with its certificate",
    types.TLS_SELF_SIGNED_CERT: "a private CA's certificate, shipped to its consumers by the same up",
    types.TLS_CERT_REQUEST: "derived from a key and the host's addresses",
    types.TLS_LOCALLY_SIGNED_CERT: "a server certificate, renewed by up and shipped by the release",
    # Compute and releases: stateless by design.
    types.DO_DROPLET: (
        "runs only api/worker containers (components.capabilities.HOST_PLACED); its data volume is listed"
    ),
    types.DO_APP: "App Platform containers, rebuilt from the image",
    types.REMOTE_COMMAND: "a release: the compose/env files it writes are rendered again",
    types.LOCAL_COMMAND: "the RDS CA bundle, downloaded again by the same up",
    types.AWS_ECS_CLUSTER: "compute",
    types.AWS_ECS_SERVICE: "compute",
    types.AWS_ECS_TASK_DEFINITION: "compute",
    types.AWS_SCHEDULER_SCHEDULE: "when a job runs",
    types.AWS_SQS_QUEUE: "a job's missed runs (a dead-letter queue): a record, not the application's data",
    # Alerts: recreated from config; their history is the monitoring service's, not ours.
    types.AWS_ROUTE53_HEALTH_CHECK: "an uptime check of an api",
    types.AWS_CLOUDWATCH_METRIC_ALARM: "an alarm on a health check or a certificate",
    types.AWS_SNS_TOPIC: "where alarms are sent (its subscriptions are confirmed again when replaced)",
    types.AWS_SNS_TOPIC_SUBSCRIPTION: "an alert address",
    types.DO_UPTIME_CHECK: "an uptime check of an api",
    types.DO_UPTIME_ALERT: "an alert on an uptime check",
    types.CHECKLY_ALERT_CHANNEL: "an alert address",
    types.CHECKLY_URL_MONITOR: "an uptime check of an api",
    types.CHECKLY_SSL_MONITOR: "a certificate-expiry check of an api",
    types.HEALTHCHECKS_CHECK: (
        "a backup's heartbeat: a new one has a new ping URL, which the host's next release receives"
    ),
    types.AWS_APPAUTOSCALING_POLICY: "compute",
    types.AWS_APPAUTOSCALING_TARGET: "compute",
    # Storage settings: an update, never the objects themselves.
    types.AWS_S3_BUCKET_LIFECYCLE_CONFIGURATION: "bucket settings",
    types.AWS_S3_BUCKET_OWNERSHIP_CONTROLS: "bucket settings",
    types.AWS_S3_BUCKET_POLICY: "bucket settings",
    types.AWS_S3_BUCKET_PUBLIC_ACCESS_BLOCK: "bucket settings",
    types.AWS_S3_BUCKET_SERVER_SIDE_ENCRYPTION_CONFIGURATION: "bucket settings",
    types.AWS_S3_BUCKET_VERSIONING: "bucket settings",
    types.CLOUDFLARE_R2_BUCKET_LIFECYCLE: "bucket settings",
    types.AWS_RDS_PARAMETER_GROUP: "database settings",
    types.AWS_RDS_SUBNET_GROUP: "database placement",
    types.AWS_ELASTICACHE_PARAMETER_GROUP: "cache settings",
    types.AWS_ELASTICACHE_SUBNET_GROUP: "cache placement",
    types.HCLOUD_VOLUME_ATTACHMENT: "attaches the volume; the data stays on the volume",
    types.DO_VOLUME_ATTACHMENT: "attaches the volume; the data stays on the volume",
    types.HCLOUD_FLOATING_IP_ASSIGNMENT: "points the address at a server; the address stays",
    types.DO_RESERVED_IP_ASSIGNMENT: "points the address at a droplet; the address stays",
    # Networks, firewalls, names and certificates: recreated from config.
    types.AWS_EC2_VPC: "network",
    types.AWS_EC2_SUBNET: "network",
    types.AWS_EC2_INTERNET_GATEWAY: "network",
    types.AWS_EC2_NAT_GATEWAY: "network",
    types.AWS_EC2_EIP: "the NAT gateway's egress address; nothing in the stack publishes it",
    types.AWS_EC2_ROUTE_TABLE: "network",
    types.AWS_EC2_ROUTE_TABLE_ASSOCIATION: "network",
    types.AWS_EC2_SECURITY_GROUP: "firewall",
    types.AWS_VPC_SECURITY_GROUP_INGRESS_RULE: "firewall",
    types.AWS_VPC_SECURITY_GROUP_EGRESS_RULE: "firewall",
    types.AWS_LB_LOAD_BALANCER: "routing; DNS follows its new name",
    types.AWS_LB_LISTENER: "routing",
    types.AWS_LB_TARGET_GROUP: "routing",
    types.AWS_ACM_CERTIFICATE: "a certificate, issued again",
    types.AWS_ACM_CERTIFICATE_VALIDATION: "a certificate, issued again",
    types.AWS_CLOUDFRONT_DISTRIBUTION: "a CDN in front of the bucket; DNS follows it",
    types.AWS_CLOUDFRONT_ORIGIN_ACCESS_CONTROL: "CDN settings",
    types.AWS_IAM_ROLE: "permissions",
    types.AWS_IAM_ROLE_POLICY: "permissions",
    types.AWS_IAM_ROLE_POLICY_ATTACHMENT: "permissions",
    types.AWS_IAM_USER: "permissions",
    types.AWS_IAM_USER_POLICY: "permissions",
    types.AWS_ROUTE53_RECORD: "DNS, from config",
    types.CLOUDFLARE_DNS_RECORD: "DNS, from config",
    types.DO_DNS_RECORD: "DNS, from config",
    types.CLOUDFLARE_PAGES_PROJECT: "a static site built again from its repository",
    types.CLOUDFLARE_PAGES_DOMAIN: "a static site's domain",
    types.DO_CERTIFICATE: "a Let's Encrypt certificate, issued again",
    types.DO_DATABASE_FIREWALL: "firewall",
    types.DO_FIREWALL: "firewall",
    types.DO_LOAD_BALANCER: "routing; DNS follows its address",
    types.DO_SSH_KEY: "an admin key, uploaded again",
    types.DO_TAG: "a label firewalls select by",
    types.DO_VPC: "network",
    types.HCLOUD_FIREWALL: "firewall",
    types.HCLOUD_NETWORK: "network (protected in prod so servers keep their private addresses)",
    types.HCLOUD_NETWORK_SUBNET: "network",
    types.HCLOUD_SSH_KEY: "an admin key, uploaded again",
}

STATEFUL_TYPES = frozenset(DATA_BEARING)


def is_hetzner_bucket(inputs: Mapping[str, Any] | None) -> bool:
    """Whether a dynamic resource with these inputs is a Hetzner Object Storage bucket."""
    endpoint = (inputs or {}).get("endpoint")
    if not isinstance(endpoint, str):
        return False
    try:
        host = urlsplit(endpoint).hostname or ""
    except ValueError:
        return False
    return host.endswith(HETZNER_OBJECT_STORAGE)


def is_stateful(type_token: str, inputs: Mapping[str, Any] | None = None) -> bool:
    """Whether a resource of this type (with these inputs) holds data."""
    if type_token == types.DYNAMIC_RESOURCE:
        return is_hetzner_bucket(inputs)
    return type_token in STATEFUL_TYPES

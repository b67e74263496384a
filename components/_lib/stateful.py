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

# The dynamic resource type of our Python providers: Hetzner Object Storage buckets
# (components/object_store/hetzner_s3.py) are the only ones, told apart by their endpoint.
DYNAMIC = "pulumi-python:dynamic:Resource"
HETZNER_OBJECT_STORAGE = ".your-objectstorage.com"

DATA_BEARING: Mapping[str, str] = {
    # Databases and caches.
    "aws:rds/instance:Instance": "the PostgreSQL database itself",
    "aws:elasticache/replicationGroup:ReplicationGroup": "Redis/Valkey data (with persistence: queues, sessions)",
    "digitalocean:index/databaseCluster:DatabaseCluster": "a managed PostgreSQL or Valkey cluster with every database in it",
    "digitalocean:index/databaseDb:DatabaseDb": (
        "the app's database inside a cluster: renaming `database` deletes it with every table, "
        "while the cluster (and so nothing else) notices"
    ),
    "digitalocean:index/databaseUser:DatabaseUser": (
        "the role that owns the app's tables (the setup job grants it the schema); a new one has a "
        "new password and owns none of them, so the app loses access to its own data"
    ),
    # Object storage: uploads, and the off-host backups of host databases.
    "aws:s3/bucket:Bucket": "objects (uploads, backups)",
    "cloudflare:index/r2Bucket:R2Bucket": "objects (uploads, backups)",
    "digitalocean:index/spacesBucket:SpacesBucket": "objects (uploads, backups)",
    # Hosts: the data directories of Postgres/Redis containers live on the volume.
    "hcloud:index/volume:Volume": "the data directories of the host's services",
    "digitalocean:index/volume:Volume": "the data directories of the host's services",
    "hcloud:index/server:Server": (
        "a host running Postgres/Redis: replacing it stops them and detaches their volume "
        "(the policy pack exempts hosts listed in stateless_hosts)"
    ),
    # Addresses: what DNS, clients and allow-lists know; a released one cannot be had back.
    "hcloud:index/floatingIp:FloatingIp": "the host's public address, kept across server replacements",
    "digitalocean:index/reservedIp:ReservedIp": "the host's public address, kept across droplet replacements",
    # Keys to data.
    "random:index/randomPassword:RandomPassword": (
        "a database/Redis password or a backup repository key: the database keeps the password it "
        "was created with, and restic backups open only with their key"
    ),
}

NOT_DATA: Mapping[str, str] = {
    # Derived from other resources or from config: recreated with the same meaning.
    "aws:ssm/parameter:Parameter": "holds a connection secret derived from the database and config; recreated from them",
    "aws:secretsmanager/secret:Secret": "holds the registry login from config; recreated from it",
    "aws:secretsmanager/secretVersion:SecretVersion": "the value of the registry login secret",
    "aws:iam/accessKey:AccessKey": "a bucket key the app receives on its next release; a new one works as well",
    "digitalocean:index/spacesKey:SpacesKey": "a bucket key the app receives on its next release",
    "cloudflare:index/apiToken:ApiToken": "an R2 key the app receives on its next release",
    "random:index/randomString:RandomString": (
        "a bucket name suffix: replacing it changes the bucket's name, and that bucket "
        "replacement is what the guard reports"
    ),
    "aws:cloudwatch/logGroup:LogGroup": "diagnostics with a 14/90-day retention, not application data",
    # Compute and releases: stateless by design.
    "digitalocean:index/droplet:Droplet": (
        "runs only api/worker containers (components.capabilities.HOST_PLACED); its data volume is listed"
    ),
    "digitalocean:index/app:App": "App Platform containers, rebuilt from the image",
    "command:remote:Command": "a release: the compose/env files it writes are rendered again",
    "aws:ecs/cluster:Cluster": "compute",
    "aws:ecs/service:Service": "compute",
    "aws:ecs/taskDefinition:TaskDefinition": "compute",
    "aws:appautoscaling/policy:Policy": "compute",
    "aws:appautoscaling/target:Target": "compute",
    # Storage settings: an update, never the objects themselves.
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket settings",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket settings",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket settings",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket settings",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket settings",
    "aws:s3/bucketVersioning:BucketVersioning": "bucket settings",
    "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle": "bucket settings",
    "aws:rds/parameterGroup:ParameterGroup": "database settings",
    "aws:rds/subnetGroup:SubnetGroup": "database placement",
    "aws:elasticache/parameterGroup:ParameterGroup": "cache settings",
    "aws:elasticache/subnetGroup:SubnetGroup": "cache placement",
    "hcloud:index/volumeAttachment:VolumeAttachment": "attaches the volume; the data stays on the volume",
    "digitalocean:index/volumeAttachment:VolumeAttachment": "attaches the volume; the data stays on the volume",
    "hcloud:index/floatingIpAssignment:FloatingIpAssignment": "points the address at a server; the address stays",
    "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": "points the address at a droplet; the address stays",
    # Networks, firewalls, names and certificates: recreated from config.
    "aws:ec2/vpc:Vpc": "network",
    "aws:ec2/subnet:Subnet": "network",
    "aws:ec2/internetGateway:InternetGateway": "network",
    "aws:ec2/natGateway:NatGateway": "network",
    "aws:ec2/eip:Eip": "the NAT gateway's egress address; nothing in the stack publishes it",
    "aws:ec2/routeTable:RouteTable": "network",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "network",
    "aws:ec2/securityGroup:SecurityGroup": "firewall",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "firewall",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "firewall",
    "aws:lb/loadBalancer:LoadBalancer": "routing; DNS follows its new name",
    "aws:lb/listener:Listener": "routing",
    "aws:lb/targetGroup:TargetGroup": "routing",
    "aws:acm/certificate:Certificate": "a certificate, issued again",
    "aws:acm/certificateValidation:CertificateValidation": "a certificate, issued again",
    "aws:cloudfront/distribution:Distribution": "a CDN in front of the bucket; DNS follows it",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "CDN settings",
    "aws:iam/role:Role": "permissions",
    "aws:iam/rolePolicy:RolePolicy": "permissions",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "permissions",
    "aws:iam/user:User": "permissions",
    "aws:iam/userPolicy:UserPolicy": "permissions",
    "aws:route53/record:Record": "DNS, from config",
    "cloudflare:index/dnsRecord:DnsRecord": "DNS, from config",
    "digitalocean:index/dnsRecord:DnsRecord": "DNS, from config",
    "cloudflare:index/pagesProject:PagesProject": "a static site built again from its repository",
    "cloudflare:index/pagesDomain:PagesDomain": "a static site's domain",
    "digitalocean:index/certificate:Certificate": "a Let's Encrypt certificate, issued again",
    "digitalocean:index/databaseFirewall:DatabaseFirewall": "firewall",
    "digitalocean:index/firewall:Firewall": "firewall",
    "digitalocean:index/loadBalancer:LoadBalancer": "routing; DNS follows its address",
    "digitalocean:index/sshKey:SshKey": "an admin key, uploaded again",
    "digitalocean:index/tag:Tag": "a label firewalls select by",
    "digitalocean:index/vpc:Vpc": "network",
    "hcloud:index/firewall:Firewall": "firewall",
    "hcloud:index/network:Network": "network (protected in prod so servers keep their private addresses)",
    "hcloud:index/networkSubnet:NetworkSubnet": "network",
    "hcloud:index/sshKey:SshKey": "an admin key, uploaded again",
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
    if type_token == DYNAMIC:
        return is_hetzner_bucket(inputs)
    return type_token in STATEFUL_TYPES

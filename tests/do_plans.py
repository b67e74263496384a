"""DigitalOcean stacks for the mock tests, and readers for their plans.

`do_config()` is `base_config()` moved to DigitalOcean the way examples/digitalocean.yaml
is built: the api on a droplet host, managed PostgreSQL and Valkey in the droplets' VPC,
a Spaces bucket; DNS and the static site stay on Cloudflare. Plans come from the session
`aws_plan` fixture (tests/conftest.py), which records dependencies and the mocks' outputs
for any provider, not only AWS.
"""

from __future__ import annotations

from typing import Any

from multicloud.infra.mocks import Registration
from multicloud.infra.offline import Plan
from tests.aws_plans import RecordedPlan, by_urn
from tests.conftest import base_config, one

DROPLET = "digitalocean:index/droplet:Droplet"
FIREWALL = "digitalocean:index/firewall:Firewall"
TAG = "digitalocean:index/tag:Tag"
VOLUME = "digitalocean:index/volume:Volume"
ATTACHMENT = "digitalocean:index/volumeAttachment:VolumeAttachment"
RESERVED_IP = "digitalocean:index/reservedIp:ReservedIp"
RESERVED_ASSIGNMENT = "digitalocean:index/reservedIpAssignment:ReservedIpAssignment"
SSH_KEY = "digitalocean:index/sshKey:SshKey"
VPC = "digitalocean:index/vpc:Vpc"
CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DATABASE = "digitalocean:index/databaseDb:DatabaseDb"
USER = "digitalocean:index/databaseUser:DatabaseUser"
DB_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"
SPACES = "digitalocean:index/spacesBucket:SpacesBucket"
SPACES_KEY = "digitalocean:index/spacesKey:SpacesKey"
RANDOM_STRING = "random:index/randomString:RandomString"
RELEASE = "multicloud:index:HostRelease"
VPS_HOST = "multicloud:index:VpsHost"
HOST_FLEET = "multicloud:index:HostFleet"
LOAD_BALANCER = "digitalocean:index/loadBalancer:LoadBalancer"
CERTIFICATE = "digitalocean:index/certificate:Certificate"
APP = "digitalocean:index/app:App"
DNS_RECORD = "digitalocean:index/dnsRecord:DnsRecord"
CF_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
API_SERVICE = "multicloud:index:ApiService"
WORKER = "multicloud:index:Worker"
STATIC_FRONTEND = "multicloud:index:StaticFrontend"

FLEET = "digitalocean-fleet"
FLEET_TAG = "multicloud-prod"
ADMIN_CIDR = "203.0.113.0/24"  # base_config()'s admin network


def do_config(environment: str = "prod") -> dict[str, Any]:
    """`base_config()` with the api on a droplet host `edge` and db, cache and uploads managed
    by DigitalOcean (PostgreSQL, Valkey, Spaces) in fra1."""
    config = base_config(environment)
    config["hosts"] = {
        "edge": {"target": "digitalocean", "size": {"cpu": 2, "memory_gb": 4}, "location": "fra1"}
    }
    services = config["services"]
    services["api"].update(target="digitalocean", host="edge")
    services["db"] = {"kind": "postgres", "target": "digitalocean"}  # the size's own storage
    services["cache"] = {"kind": "redis", "target": "digitalocean", "memory_mb": 1024}
    services["uploads"] = {
        "kind": "bucket",
        "target": "digitalocean",
        "location": "fra1",
        "lifecycle": {"expire_after_days": 90},
    }
    return config


def do_dns(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with its records in DigitalOcean DNS (the zone is the stack's domain), and so
    the static site `web` on App Platform (Cloudflare Pages needs the zone on Cloudflare)."""
    config["dns"] = {"provider": "digitalocean"}
    config["services"]["web"]["target"] = "digitalocean"
    config.pop("cloudflare", None)
    return config


def balanced_config(environment: str = "prod") -> dict[str, Any]:
    """`do_config()` with the api on two droplets `edge` and `edge-b` (so behind a load
    balancer), DigitalOcean DNS, and a third droplet `jobs` running a worker: the shape of
    examples/digitalocean.yaml on the shared base."""
    config = do_dns(do_config(environment))
    droplet = {"target": "digitalocean", "size": {"cpu": 2, "memory_gb": 4}, "location": "fra1"}
    config["hosts"] |= {"edge-b": dict(droplet), "jobs": dict(droplet)}
    api = config["services"]["api"]
    del api["host"]
    api["hosts"] = ["edge", "edge-b"]
    config["services"]["worker"] = do_worker(api["image"], host="jobs")
    return config


def do_worker(image: str, **placement: str) -> dict[str, Any]:
    """A DigitalOcean worker linking db and cache, placed by `placement` (host= or runtime=)."""
    return {
        "kind": "worker",
        "target": "digitalocean",
        **placement,
        "image": image,
        "command": ["python", "-m", "app.worker"],
        "links": ["db", "cache"],
    }


def app_platform_config(environment: str = "prod") -> dict[str, Any]:
    """`do_config()` without droplets: the api and a worker (linking db and cache) on App
    Platform, the region from `digitalocean: {region: fra1}` — the shape of
    examples/digitalocean-app-platform.yaml on the shared base. DNS stays on Cloudflare."""
    config = do_config(environment)
    del config["hosts"], config["admin"]
    config["digitalocean"] = {"region": "fra1"}
    api = config["services"]["api"]
    del api["host"]
    api["runtime"] = "app_platform"
    config["services"]["worker"] = do_worker(api["image"], runtime="app_platform")
    return config


def service(config: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    """`config` with services.<name> updated by `fields` (returned for chaining)."""
    config["services"][name].update(fields)
    return config


def fleet_tag(result: Plan) -> str:
    """The name of the tag every droplet of the stack carries (the fleet's Tag resource)."""
    return one(result, TAG, f"{FLEET}-tag").inputs["name"]


def index_of(result: Plan, reg: Registration) -> int:
    """Position of `reg` in registration order (the engine creates in dependency order; the
    program registers a resource only after what it was given)."""
    return [r.urn for r in result.registrations].index(reg.urn)


def dependency_names(result: RecordedPlan, reg: Registration) -> set[tuple[str, str]]:
    """(type, name) of everything `reg` waits for: its inputs' resources and depends_on."""
    index = by_urn(result)
    urns = set(result.dependencies[reg.urn])
    for prop_urns in result.property_dependencies[reg.urn].values():
        urns |= set(prop_urns)
    return {(index[u].type, index[u].name) for u in urns if u in index}

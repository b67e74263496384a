"""Config validation for DigitalOcean targets: a valid DigitalOcean stack plus one mutation must
give exactly the listed problems (path and message), parsed by `stacks.loader.parse` directly."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from multicloud.components.contracts import digitalocean as do

DO_POSTGRES_EXTENSIONS = do.POSTGRES_EXTENSIONS
from multicloud.stacks.loader import ConfigError, RawConfig, parse
from tests.aws_plans import example_config
from tests.conftest import base_config
from tests.do_plans import do_config

Values = dict[str, Any]
Mutation = Callable[[Values], None]
DEPLOY_KEY = "deploy-key-secret-value"
SPACES_REGIONS = ", ".join(do.SPACES_REGIONS)


def valid() -> Values:
    """do_config() plus the deploy key (a secret), as a real stack passes it."""
    return do_config() | {"ssh_private_key": DEPLOY_KEY}


def parsed(values: Values) -> Any:
    return parse(RawConfig(values, frozenset({"ssh_private_key"})))


def problems_of(mutation: Mutation, base: Values | None = None) -> list[tuple[str, str]]:
    values = copy.deepcopy(base if base is not None else valid())
    mutation(values)
    with pytest.raises(ConfigError) as err:
        parsed(values)
    return err.value.problems


def update(service: str, **fields: Any) -> Mutation:
    def mutate(values: Values) -> None:
        values["services"][service].update(fields)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(values: Values) -> None:
        for m in mutations:
            m(values)

    return mutate


def without_do_host(values: Values) -> None:
    """The api moves to a Hetzner host; postgres and redis stay on DigitalOcean, so the api
    keeps only its bucket link (nothing connects a Hetzner host to a DigitalOcean cluster:
    tests/test_link_reach.py)."""
    values["hosts"] = {"main": {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": "fsn1"}}
    api = values["services"]["api"]
    api.update(
        target="hetzner", host="main", links=[n for n in api.get("links", []) if n not in ("db", "cache")]
    )


def second_host_in(location: str) -> Mutation:
    def mutate(values: Values) -> None:
        values["hosts"]["jobs"] = {
            "target": "digitalocean",
            "size": {"cpu": 1, "memory_gb": 2},
            "location": location,
        }
        values["services"]["jobs-worker"] = {
            "kind": "worker",
            "target": "digitalocean",
            "host": "jobs",
            "image": "ghcr.io/acme/api:1.4.2",
        }

    return mutate


def host_named(name: str) -> Mutation:
    """Rename the droplet host `edge` to `name` (and the api's host with it)."""

    def mutate(values: Values) -> None:
        values["hosts"][name] = values["hosts"].pop("edge")
        values["services"]["api"]["host"] = name

    return mutate


def on_hosts(*names: str) -> Mutation:
    """The api runs on each of `names` (`hosts:` instead of `host:`)."""

    def mutate(values: Values) -> None:
        values["services"]["api"].pop("host")
        values["services"]["api"]["hosts"] = list(names)

    return mutate


def second_droplet(values: Values) -> None:
    """A second droplet host `edge-b` in the VPC's region (nothing placed on it yet)."""
    values["hosts"]["edge-b"] = {
        "target": "digitalocean",
        "size": {"cpu": 2, "memory_gb": 4},
        "location": "fra1",
    }


def do_dns(values: Values) -> None:
    """The zone moves to DigitalOcean DNS; the static site moves to App Platform with it
    (Cloudflare Pages needs the zone in Cloudflare)."""
    values["dns"] = {"provider": "digitalocean"}
    values["services"]["web"]["target"] = "digitalocean"


def on_app_platform(values: Values) -> None:
    """The api moves to App Platform; without droplets, the region comes from `digitalocean:`."""
    values["hosts"] = {}
    values["digitalocean"] = {"region": "fra1"}
    values["services"]["api"].pop("host")
    values["services"]["api"]["runtime"] = "app_platform"


def region(name: str) -> Mutation:
    def mutate(values: Values) -> None:
        values["digitalocean"] = {"region": name}

    return mutate


def rename(service: str, new: str) -> Mutation:
    def mutate(values: Values) -> None:
        values["services"][new] = values["services"].pop(service)

    return mutate


def without(*keys: str) -> Mutation:
    """Drop top-level config keys (dns, digitalocean …)."""

    def mutate(values: Values) -> None:
        for key in keys:
            values.pop(key)

    return mutate


def without_services(*names: str) -> Mutation:
    """Drop services, and the api's links to them."""

    def mutate(values: Values) -> None:
        for name in names:
            values["services"].pop(name)
        api = values["services"]["api"]
        api["links"] = [link for link in api["links"] if link not in names]

    return mutate


def worker(name: str, **fields: Any) -> Mutation:
    """Add a worker `name` on DigitalOcean with `fields` (App Platform unless told otherwise)."""

    def mutate(values: Values) -> None:
        values["services"][name] = {
            "kind": "worker",
            "target": "digitalocean",
            "runtime": "app_platform",
            "image": "ghcr.io/acme/api:1.4.2",
        } | fields

    return mutate


def balanced_api(name: str, *hosts: str, **fields: Any) -> Mutation:
    """Add a second api `name` behind its own load balancer, on `hosts` (default: `edge`)."""

    def mutate(values: Values) -> None:
        values["services"][name] = {
            "kind": "api",
            "target": "digitalocean",
            **({"hosts": list(hosts)} if hosts else {"host": "edge"}),
            "image": "ghcr.io/acme/admin:2.0.0",
            "port": 8080,
            "subdomain": name,
            "load_balancer": True,
        } | fields

    return mutate


LB_NEEDS_DO_DNS = (
    "a DigitalOcean load balancer gets its certificate from DigitalOcean, which issues them only for "
    "domains in DigitalOcean DNS; set dns: {provider: digitalocean}, or run the api on one host "
    "(Caddy then serves HTTPS itself)"
)
APP_SIZES = (
    "apps-s-1vcpu-0.5gb, apps-s-1vcpu-1gb-fixed, apps-s-1vcpu-1gb, apps-s-1vcpu-2gb, apps-s-2vcpu-4gb, "
    "apps-d-1vcpu-0.5gb, apps-d-1vcpu-1gb, apps-d-1vcpu-2gb, apps-d-1vcpu-4gb, apps-d-2vcpu-4gb, "
    "apps-d-2vcpu-8gb, apps-d-4vcpu-8gb, apps-d-4vcpu-16gb, apps-d-8vcpu-32gb"
)
NO_APEX_CNAME = "DigitalOcean DNS cannot point the apex at a CNAME target; use a subdomain such as www"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"


def needs_region(service: str) -> tuple[str, str]:
    return (
        "digitalocean",
        (
            f"services.{service} needs a DigitalOcean region; set digitalocean: {{region: fra1}} "
            "(or add a digitalocean host)"
        ),
    )


CORPUS = [
    pytest.param(
        without_do_host,
        [needs_region("db")],
        id="managed-databases-without-a-droplet-host",
    ),
    pytest.param(
        both(without_do_host, lambda v: v["services"].pop("cache"), update("api", links=["uploads"])),
        [needs_region("db")],
        id="postgres-without-a-droplet-host",
    ),
    pytest.param(
        both(without_do_host, lambda v: v["services"].pop("db"), update("api", links=["uploads"])),
        [needs_region("cache")],
        id="redis-without-a-droplet-host",
    ),
    pytest.param(
        update("db", extensions=["timescaledb", "pg_cron"]),
        [
            (
                "services.db.extensions[1]",
                "DigitalOcean does not offer pg_cron; available: " + ", ".join(DO_POSTGRES_EXTENSIONS),
            )
        ],
        id="extension-digitalocean-does-not-offer",
    ),
    pytest.param(
        update("db", extensions=["vector", "vector"]),
        [("services.db.extensions[1]", "vector is listed twice")],
        id="extension-listed-twice",
    ),
    pytest.param(
        update("db", extensions=["Robert'); DROP TABLE students;--"]),
        [
            (
                "services.db.extensions[0]",
                (
                    "invalid value; expected extension names such as timescaledb or vector (lowercase), "
                    "created in the database before its consumers start (digitalocean)"
                ),
            )
        ],
        id="extension-name-that-is-sql",
    ),
    pytest.param(
        update("cache", engine="redis"),
        [("services.cache.engine", "DigitalOcean offers managed valkey only; set engine: valkey")],
        id="engine-redis",
    ),
    pytest.param(
        update("db", version="18"),
        [("services.db.version", "DigitalOcean runs PostgreSQL 15, 16, 17")],
        id="postgres-18",
    ),
    pytest.param(
        second_host_in("ams3"),
        [("hosts", "DigitalOcean hosts share one VPC, so one region; found ams3, fra1")],
        id="hosts-in-two-regions",
    ),
    pytest.param(
        update("uploads", location="fsn1"),
        [("services.uploads.location", f"unknown Spaces region; allowed: {SPACES_REGIONS}")],
        id="hetzner-location-for-spaces",
    ),
    pytest.param(
        update("uploads", location="nyc1"),
        [("services.uploads.location", f"unknown Spaces region; allowed: {SPACES_REGIONS}")],
        id="droplet-region-without-spaces",
    ),
    pytest.param(
        host_named("api"),
        [("services.api", "a host is also called 'api'; give the host or the service another name")],
        id="host-named-like-its-service",
    ),
    pytest.param(
        host_named("db"),
        [("services.db", "a host is also called 'db'; give the host or the service another name")],
        id="host-named-like-the-database",
    ),
    pytest.param(
        update("db", size={"cpu": 8, "memory_gb": 32}),
        [
            (
                "services.db.size",
                "no catalogued DigitalOcean pg size has 8 vCPU and 32 GB; the largest is db-s-4vcpu-8gb",
            )
        ],
        id="postgres-larger-than-the-catalog",
    ),
    pytest.param(
        update("cache", memory_mb=4096),
        [
            (
                "services.cache.memory_mb",
                "no catalogued DigitalOcean valkey size has 0 vCPU and 4 GB; the largest is db-s-1vcpu-2gb",
            )
        ],
        id="valkey-larger-than-the-catalog",
    ),
    pytest.param(
        update("uploads", lifecycle={"archive_after_days": 30}),
        [
            (
                "services.uploads.lifecycle.archive_after_days",
                "not supported on digitalocean; only on: aws, cloudflare",
            )
        ],
        id="spaces-archive",
    ),
    pytest.param(
        update("db", backup_days=14),
        [("services.db.backup_days", "not supported on digitalocean; only on: aws")],
        id="backup-days",
    ),
    # --- DNS ------------------------------------------------------------------------------
    pytest.param(
        lambda v: v.update(dns={"provider": "digitalocean", "zone_id": ZONE}),
        [("dns.zone_id", "DigitalOcean names a zone by the stack's domain; remove zone_id")],
        id="digitalocean-dns-with-a-zone-id",
    ),
    pytest.param(
        lambda v: v.update(dns={"provider": "cloudflare"}),
        [("dns", "cloudflare needs zone_id")],
        id="cloudflare-dns-without-a-zone-id",
    ),
    pytest.param(
        lambda v: v.update(dns={"provider": "route53"}),
        [("dns", "route53 needs zone_id")],
        id="route53-without-a-zone-id",
    ),
    pytest.param(
        lambda v: v.update(dns={"provider": "digitalocean"}),
        [("dns", "services.web on Cloudflare Pages needs dns: {provider: cloudflare, zone_id: ...}")],
        id="cloudflare-pages-with-digitalocean-dns",
    ),
    # --- placement ------------------------------------------------------------------------
    pytest.param(
        update("api", hosts=["edge"]),
        [("services.api", "give host or hosts, not both")],
        id="host-and-hosts",
    ),
    pytest.param(
        both(do_dns, on_hosts("edge", "edge-c")),
        [("services.api.hosts", "unknown host 'edge-c'; defined hosts: edge")],
        id="hosts-names-an-unknown-host",
    ),
    pytest.param(
        both(do_dns, on_hosts("edge", "edge")),
        [("services.api.hosts", "names a host twice")],
        id="hosts-names-a-host-twice",
    ),
    pytest.param(
        update("api", runtime="app_platform"),
        [("services.api.host", "app_platform runs the containers itself; remove host")],
        id="app-platform-with-host",
    ),
    pytest.param(
        both(on_app_platform, update("api", hosts=["edge"])),
        [("services.api.hosts", "app_platform runs the containers itself; remove hosts")],
        id="app-platform-with-hosts",
    ),
    pytest.param(
        worker("jobs", hosts=["edge"]),
        [("services.jobs.hosts", "app_platform runs the containers itself; remove hosts")],
        id="app-platform-worker-with-hosts",
    ),
    pytest.param(
        worker("jobs", runtime="droplet"),
        [("services.jobs.host", "a worker on digitalocean runs on a host; set host to one of: edge")],
        id="droplet-worker-without-a-host",
    ),
    # --- region ---------------------------------------------------------------------------
    pytest.param(
        both(on_app_platform, without("digitalocean")),
        [needs_region("api")],
        id="app-platform-without-a-region",
    ),
    pytest.param(
        both(on_app_platform, without("digitalocean"), worker("jobs")),
        [needs_region("api")],
        id="one-region-problem-for-every-service-that-needs-it",
    ),
    pytest.param(
        both(
            without_do_host,
            without_services("db", "cache"),
            update("web", target="digitalocean"),
        ),
        [needs_region("web")],
        id="app-platform-static-site-without-a-region",
    ),
    pytest.param(
        region("xyz1"),
        [
            (
                "digitalocean.region",
                "unknown region; allowed: ams3, blr1, fra1, lon1, nyc1, nyc3, sfo3, sgp1, syd1, tor1",
            )
        ],
        id="unknown-region",
    ),
    pytest.param(
        region("ams3"),
        [
            (
                "digitalocean.region",
                "the droplets are in fra1, and the VPC has one region; remove it or set fra1",
            )
        ],
        id="region-other-than-the-droplets",
    ),
    pytest.param(
        region("frankfurt"),
        [
            (
                "digitalocean.region",
                (
                    "invalid value; expected region of the VPC, databases and App Platform apps, e.g. fra1; "
                    "with droplets it is their location"
                ),
            )
        ],
        id="region-not-a-slug",
    ),
    # --- load balancer ----------------------------------------------------------------------
    pytest.param(
        both(second_droplet, on_hosts("edge", "edge-b")),
        [("services.api.hosts", LB_NEEDS_DO_DNS)],
        id="api-on-two-droplets-with-cloudflare-dns",
    ),
    pytest.param(
        update("api", load_balancer=True),
        [("services.api.load_balancer", LB_NEEDS_DO_DNS)],
        id="load-balancer-with-cloudflare-dns",
    ),
    *[
        pytest.param(
            both(do_dns, update("api", load_balancer=True, port=port)),
            [
                (
                    "services.api.port",
                    (
                        f"the load balancer reaches the api on its port, and {port} is the host's own; "
                        "use another port (not 22, 80, 443, 2019)"
                    ),
                )
            ],
            id=f"load-balanced-api-on-port-{port}",
        )
        for port in (22, 80, 443)
    ],
    pytest.param(
        both(do_dns, update("api", load_balancer=True), balanced_api("admin")),
        [("services.admin.port", "services.api already takes port 8080 on host edge for its load balancer")],
        id="two-balanced-apis-on-one-port",
    ),
    pytest.param(
        both(
            do_dns,
            second_droplet,
            on_hosts("edge", "edge-b"),
            balanced_api("admin", "edge", "edge-b"),
        ),
        [("services.admin.port", "services.api already takes port 8080 on host edge for its load balancer")],
        id="two-balanced-apis-on-one-port-of-two-hosts",
    ),
    # --- droplets do not take App Platform fields -----------------------------------------
    pytest.param(
        update("api", max_replicas=3),
        [("services.api.max_replicas", "droplets do not autoscale; set runtime: app_platform or remove it")],
        id="droplet-max-replicas",
    ),
    pytest.param(
        worker("jobs", runtime="droplet", host="edge", max_replicas=3),
        [("services.jobs.max_replicas", "droplets do not autoscale; set runtime: app_platform or remove it")],
        id="droplet-worker-max-replicas",
    ),
    pytest.param(
        update("api", instance_size="apps-s-1vcpu-1gb"),
        [("services.api.instance_size", "is an App Platform size; set runtime: app_platform")],
        id="droplet-instance-size",
    ),
    pytest.param(
        update("api", replicas=3, max_replicas=2),
        [("services.api.max_replicas", "droplets do not autoscale; set runtime: app_platform or remove it")],
        id="droplet-max-replicas-below-replicas",
    ),
    # --- App Platform ---------------------------------------------------------------------
    pytest.param(
        both(on_app_platform, update("api", replicas=3, max_replicas=2)),
        [
            (
                "services.api.max_replicas",
                "must be more than replicas (3): App Platform autoscales between them",
            )
        ],
        id="app-platform-max-replicas-below-replicas",
    ),
    pytest.param(
        both(on_app_platform, update("api", replicas=2, max_replicas=2)),
        [
            (
                "services.api.max_replicas",
                "must be more than replicas (2): App Platform autoscales between them",
            )
        ],
        id="app-platform-max-replicas-equal-to-replicas",
    ),
    pytest.param(
        both(on_app_platform, rename("api", "a")),
        [("services.a", "App Platform component names have 2 to 32 characters; rename the service")],
        id="app-platform-one-letter-name",
    ),
    pytest.param(
        both(on_app_platform, update("api", instance_size="apps-s-3vcpu-6gb")),
        [("services.api.instance_size", f"unknown size; allowed: {APP_SIZES}")],
        id="app-platform-unknown-instance-size",
    ),
    pytest.param(
        both(on_app_platform, update("api", instance_size="s-1vcpu-1gb")),
        [
            (
                "services.api.instance_size",
                "invalid value; expected explicit App Platform instance size, overrides `size`",
            )
        ],
        id="droplet-slug-as-instance-size",
    ),
    pytest.param(
        both(on_app_platform, update("api", instance_size="apps-s-1vcpu-1gb", max_replicas=4)),
        [
            (
                "services.api.max_replicas",
                (
                    "App Platform autoscales dedicated sizes only; apps-s-1vcpu-1gb is shared (pick an "
                    "apps-d-… instance_size, or remove it to get the cheapest dedicated one)"
                ),
            )
        ],
        id="app-platform-autoscaling-a-shared-size",
    ),
    pytest.param(
        worker("jobs", instance_size="apps-s-1vcpu-0.5gb", max_replicas=4),
        [
            (
                "services.jobs.max_replicas",
                (
                    "App Platform autoscales dedicated sizes only; apps-s-1vcpu-0.5gb is shared (pick an "
                    "apps-d-… instance_size, or remove it to get the cheapest dedicated one)"
                ),
            )
        ],
        id="app-platform-worker-autoscaling-a-shared-size",
    ),
    pytest.param(
        both(
            on_app_platform,
            update("api", instance_size="apps-s-1vcpu-1gb", size={"cpu": 1, "memory_gb": 1}),
        ),
        [("services.api", "give size or instance_size, not both")],
        id="app-platform-size-and-instance-size",
    ),
    pytest.param(
        both(on_app_platform, update("api", size={"cpu": 16, "memory_gb": 64})),
        [
            (
                "services.api.size",
                "no App Platform size has 16 vCPU and 64 GB; the largest is apps-d-8vcpu-32gb",
            )
        ],
        id="app-platform-size-larger-than-the-catalog",
    ),
    pytest.param(
        worker("jobs", size={"cpu": 8, "memory_gb": 64}, max_replicas=2),
        [
            (
                "services.jobs.size",
                "no App Platform size has 8 vCPU and 64 GB; the largest is apps-d-8vcpu-32gb",
            )
        ],
        id="app-platform-worker-size-larger-than-the-catalog",
    ),
    pytest.param(
        both(on_app_platform, update("api", read_only=True)),
        [("services.api.read_only", "App Platform has no read-only root filesystem; remove it")],
        id="app-platform-read-only-api",
    ),
    pytest.param(
        worker("jobs", read_only=True),
        [("services.jobs.read_only", "App Platform has no read-only root filesystem; remove it")],
        id="app-platform-read-only-worker",
    ),
    pytest.param(
        both(on_app_platform, update("api", instance_size="apps-s-1vcpu-1gb-fixed", replicas=2)),
        [
            (
                "services.api.replicas",
                "apps-s-1vcpu-1gb-fixed runs one instance; set replicas: 1 or pick another instance_size",
            )
        ],
        id="app-platform-fixed-size-with-two-replicas",
    ),
    pytest.param(
        both(on_app_platform, without("dns"), without_services("web")),
        [("dns", "services.api on App Platform needs dns: {...} for its domain's CNAME record")],
        id="app-platform-api-without-dns",
    ),
    pytest.param(
        both(without("dns"), update("web", target="digitalocean")),
        [("dns", "services.web on App Platform needs dns: {...} for its domain's CNAME record")],
        id="app-platform-static-site-without-dns",
    ),
    pytest.param(
        both(on_app_platform, update("api", image="quay.io/acme/api:1.4.2")),
        [
            (
                "services.api.image",
                "App Platform pulls from Docker Hub, ghcr.io or registry.digitalocean.com, not quay.io",
            )
        ],
        id="app-platform-image-from-another-registry",
    ),
    # --- fields by target -----------------------------------------------------------------
    pytest.param(
        both(without_do_host, region("fra1"), on_hosts("main")),
        [("services.api.hosts", "not supported on hetzner; only on: digitalocean")],
        id="api-hosts-on-hetzner",
    ),
    pytest.param(
        both(without_do_host, region("fra1"), update("api", load_balancer=True)),
        [("services.api.load_balancer", "not supported on hetzner; only on: digitalocean")],
        id="load-balancer-on-hetzner",
    ),
    pytest.param(
        both(without_do_host, region("fra1"), update("api", instance_size="apps-s-1vcpu-1gb")),
        [("services.api.instance_size", "not supported on hetzner; only on: digitalocean")],
        id="instance-size-on-hetzner",
    ),
    pytest.param(
        both(without_do_host, region("fra1"), update("api", runtime="app_platform")),
        [("services.api.runtime", "not supported on hetzner; only on: digitalocean")],
        id="app-platform-runtime-on-hetzner",
    ),
    # --- apex names -----------------------------------------------------------------------
    pytest.param(
        both(on_app_platform, do_dns, update("api", subdomain="@")),
        [("services.api.subdomain", NO_APEX_CNAME)],
        id="app-platform-api-at-the-apex-in-digitalocean-dns",
    ),
    pytest.param(
        both(do_dns, update("web", subdomain="@")),
        [("services.web.subdomain", NO_APEX_CNAME)],
        id="app-platform-static-site-at-the-apex-in-digitalocean-dns",
    ),
    pytest.param(
        both(
            do_dns,
            update("web", target="aws", subdomain="@"),
            lambda v: v.update(aws={"region": "us-east-1"}),
        ),
        [("services.web.subdomain", NO_APEX_CNAME)],
        id="cloudfront-site-at-the-apex-in-digitalocean-dns",
    ),
]


@pytest.mark.parametrize(("mutation", "expected"), CORPUS)
def test_corpus(mutation, expected):
    assert problems_of(mutation) == expected


def test_the_base_is_valid():
    spec = parsed(valid())
    assert {n: h.target for n, h in spec.hosts.items()} == {"edge": "digitalocean"}
    assert {n: s.target for n, s in spec.services.items() if n != "web"} == {
        "api": "digitalocean",
        "db": "digitalocean",
        "cache": "digitalocean",
        "uploads": "digitalocean",
    }


def test_the_example_is_valid():
    spec = parsed(example_config("digitalocean.yaml") | {"ssh_private_key": DEPLOY_KEY})
    assert spec.services["db"].multi_az is True


@pytest.mark.parametrize("version", ["15", "17"])
def test_supported_postgres_versions_pass(version):
    values = valid()
    update("db", version=version)(values)
    assert parsed(values).services["db"].version == version


def test_the_digitalocean_version_message_lists_only_settable_versions():
    (problem,) = problems_of(update("db", version="18"))
    for version in problem[1].removeprefix("DigitalOcean runs PostgreSQL ").split(", "):
        values = valid()
        update("db", version=version)(values)
        parsed(values)


def test_hosts_in_one_region_pass():
    values = valid()
    second_host_in("fra1")(values)
    assert set(parsed(values).hosts) == {"edge", "jobs"}


def test_a_standby_with_a_2_gb_size_passes():
    values = valid()
    update("db", size={"cpu": 1, "memory_gb": 2}, multi_az=True)(values)
    assert parsed(values).services["db"].multi_az is True


def passes(*mutations: Mutation, base: Values | None = None) -> Any:
    """The spec of the valid stack after `mutations` (which must leave it valid)."""
    values = copy.deepcopy(base if base is not None else valid())
    both(*mutations)(values)
    return parsed(values)


def test_digitalocean_dns_takes_no_zone_id():
    spec = passes(do_dns)
    assert (spec.dns.provider, spec.dns.zone_id) == ("digitalocean", None)


def test_an_api_on_two_droplets_is_balanced():
    spec = passes(do_dns, second_droplet, on_hosts("edge", "edge-b"))
    api = spec.services["api"]
    assert (api.placement, api.balanced) == (["edge", "edge-b"], True)


def test_load_balancer_fronts_one_droplet_on_request():
    spec = passes(do_dns, update("api", load_balancer=True))
    assert (spec.services["api"].placement, spec.services["api"].balanced) == (["edge"], True)


def test_an_api_on_one_droplet_is_not_balanced():
    assert passes().services["api"].balanced is False


@pytest.mark.parametrize(
    "second",
    [balanced_api("admin", port=9090), both(second_droplet, balanced_api("admin", "edge-b"))],
    ids=["same-host-other-port", "other-host-same-port"],
)
def test_balanced_apis_that_share_no_port_of_a_host_pass(second):
    spec = passes(do_dns, update("api", load_balancer=True), second)
    assert spec.services["api"].balanced and spec.services["admin"].balanced


def test_the_region_of_the_droplets_may_be_repeated():
    spec = passes(region("fra1"))
    assert spec.do_region == "fra1"


def test_an_app_platform_stack_takes_its_region_from_digitalocean():
    spec = passes(on_app_platform, region("ams3"), update("uploads", location="ams3"))
    api = spec.services["api"]
    assert (spec.do_region, api.on_app_platform, api.placement, api.balanced) == ("ams3", True, [], False)


@pytest.mark.parametrize(
    "fields",
    [
        {"replicas": 2, "max_replicas": 3},
        {"instance_size": "apps-d-1vcpu-1gb", "max_replicas": 4},
        {"size": {"cpu": 2, "memory_gb": 4}, "max_replicas": 4},
        {"instance_size": "apps-s-1vcpu-1gb-fixed"},
        {"size": {"cpu": 8, "memory_gb": 32}},
    ],
    ids=["max-above-replicas", "dedicated-size-autoscales", "size-fits-dedicated", "fixed", "largest"],
)
def test_app_platform_sizes_and_scaling_that_fit_pass(fields):
    spec = passes(on_app_platform, update("api", **fields))
    assert spec.services["api"].on_app_platform


@pytest.mark.parametrize(
    "mutation",
    [
        both(do_dns, update("api", subdomain="@")),
        both(do_dns, update("api", subdomain="@", load_balancer=True)),
        both(on_app_platform, update("api", subdomain="@")),
    ],
    ids=[
        "droplet-in-digitalocean-dns",
        "load-balancer-in-digitalocean-dns",
        "app-platform-in-cloudflare-dns",
    ],
)
def test_the_apex_passes_where_it_needs_no_cname(mutation):
    spec = passes(mutation)
    assert spec.fqdn(spec.services["api"].subdomain, "api") == "example.com"


def test_droplets_pull_from_any_registry():
    spec = passes(update("api", image="quay.io/acme/api:1.4.2"))
    assert spec.services["api"].image == "quay.io/acme/api:1.4.2"


@pytest.mark.parametrize(
    "image",
    ["nginx:1.27", "acme/api:1.4.2", "ghcr.io/acme/api:1.4.2", "registry.digitalocean.com/acme/api:1.4.2"],
)
def test_app_platform_takes_images_from_its_registries(image):
    # The counterpart of app-platform-image-from-another-registry: the check it asks for
    # must not refuse what App Platform can pull.
    spec = passes(on_app_platform, update("api", image=image))
    assert spec.services["api"].image == image


def test_a_worker_may_run_on_several_hetzner_hosts():
    def second_hetzner_worker(values: Values) -> None:
        values["hosts"]["jobs"] = {
            "target": "hetzner",
            "size": {"cpu": 2, "memory_gb": 4},
            "location": "fsn1",
        }
        values["services"]["jobs-worker"] = {
            "kind": "worker",
            "target": "hetzner",
            "hosts": ["main", "jobs"],
            "image": "ghcr.io/acme/api:1.4.2",
        }

    spec = passes(second_hetzner_worker, base=base_config() | {"ssh_private_key": DEPLOY_KEY})
    assert spec.services["jobs-worker"].placement == ["main", "jobs"]


def test_a_host_named_twice_is_one_host_not_a_load_balancer():
    """`hosts: [edge, edge]` is reported as a duplicate, and not also as needing a load balancer."""
    assert problems_of(on_hosts("edge", "edge")) == [("services.api.hosts", "names a host twice")]


@pytest.mark.parametrize("target", ["hetzner", "aws"])
def test_extensions_elsewhere_are_a_clear_error(target):
    config = example_config("aws.yaml") if target == "aws" else None
    values = copy.deepcopy(config) if config else valid()
    if target == "hetzner":
        values["hosts"]["edge"] = {
            "target": "hetzner",
            "size": {"cpu": 2, "memory_gb": 4},
            "location": "fsn1",
        }
        values["services"]["db"] = {
            "kind": "postgres",
            "target": "hetzner",
            "host": "edge",
            "backup": {"bucket": "uploads"},
        }
        values["services"]["api"]["target"] = "hetzner"
    db = next(n for n, s in values["services"].items() if s["kind"] == "postgres")
    values["services"][db]["extensions"] = ["timescaledb"]
    problems = problems_of(lambda v: None, values)
    assert (f"services.{db}.extensions", f"not supported on {target}; only on: digitalocean") in problems


def test_a_service_may_not_take_the_name_of_a_setup_job():
    def mutate(values: Values) -> None:
        # Every DigitalOcean Postgres has one, extensions or not (its grants).
        values["services"]["db-setup"] = values["services"].pop("api")

    assert (
        "services.db-setup",
        "the name 'db-setup' is taken by the setup job of services.db; rename the service",
    ) in problems_of(mutate)

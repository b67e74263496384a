"""The contract matrix: every (kind, target) pair the capability matrix allows, dev and prod,
with awkward but legal values — the longest legal service and host names, stack names with
uppercase, `_` and `.`, every location and region the config accepts — planned and run through
the provider contracts (the plan itself refuses a break: infra.offline raises ContractBreach).

And the shipped stacks side by side: no two stacks that can share an account or project claim
the same unique name, deployed one after another into one account, the way dev, staging and
prod of one project are.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import pytest
import yaml

from multicloud import infra
from multicloud.components.capabilities import BACKENDS
from multicloud.components.contracts import contracts, select
from multicloud.infra.mocks import ProviderMocks
from multicloud.infra.offline import Plan, plan
from multicloud.stacks.sizing import locations
from tests.conftest import ACCOUNT, KEY, ROOT, ZONE, write_stack

# The longest names the spec allows (32 characters, a letter first).
LONG = "a2345678901234567890123456789012"
HOST = "h2345678901234567890123456789012"
ROUTE53_ZONE = "Z0123456789ABCDEFGHIJ"
SECOND_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0bGVzdGtleWZvcnRoZXNlY29uZGFkbWluMDAx ci@example.com"


# The longest addresses and the Slack channel name end up in alert routes and check names.
ALERTS = {
    "emails": ["ops@example.com", "a" * 64 + "@" + "b" * 60 + ".example.com"],
    "slack_channel": "#" + "c" * 80,
}


def _name(stem: str) -> str:
    """`stem` padded to the longest legal name."""
    return (stem + "-" + LONG)[:32].rstrip("-")


API, WORKER, JOB, DB, CACHE, FILES, WEB = (
    _name(s) for s in ("api", "worker", "job", "db", "cache", "files", "web")
)


def _admin() -> dict[str, Any]:
    return {
        "ssh_public_keys": [KEY, SECOND_KEY],
        "cidrs": ["203.0.113.0/24"],
        "acme_email": "ops@example.com",
    }


def _containers(target: str, **placement: Any) -> dict[str, Any]:
    return {
        API: {"kind": "api", "target": target, "image": "ghcr.io/acme/api:1.4.2", "port": 8080, "subdomain": "api",
              "links": [DB, CACHE, FILES], **placement.get("api", {})},
        WORKER: {"kind": "worker", "target": target, "image": "ghcr.io/acme/api:1.4.2", "command": ["worker"],
                 "links": [DB, CACHE], **placement.get("worker", {})},
    }  # fmt: skip


def aws_stack(environment: str, region: str) -> dict[str, Any]:
    """Every kind on AWS, Route 53 DNS."""
    return {
        "environment": environment,
        "alerts": ALERTS,
        "domain": "example.com",
        "dns": {"provider": "route53", "zone_id": ROUTE53_ZONE},
        "aws": {"region": region},
        "services": {
            **_containers("aws", api={"max_replicas": 3}),
            JOB: {"kind": "job", "target": "aws", "image": "ghcr.io/acme/api:1.4.2", "schedule": "0 4 * * sun",
                  "concurrency": "allow", "links": [DB, FILES]},
            DB: {"kind": "postgres", "target": "aws", "storage_gb": 20},
            CACHE: {"kind": "redis", "target": "aws"},
            FILES: {"kind": "bucket", "target": "aws", "versioning": True,
                    "lifecycle": {"expire_after_days": 30, "archive_after_days": 10}},
            WEB: {"kind": "static_site", "target": "aws", "repo": "acme/web", "subdomain": "www", "spa": True},
        },
    }  # fmt: skip


def hetzner_stack(environment: str, location: str) -> dict[str, Any]:
    """Every kind on Hetzner hosts (two, so the private network too), Cloudflare around them."""
    return {
        "environment": environment,
        "alerts": ALERTS,
        "domain": "example.com",
        "dns": {"provider": "cloudflare", "zone_id": ZONE},
        "cloudflare": {"account_id": ACCOUNT},
        "admin": _admin(),
        "hosts": {
            HOST: {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": location,
                   "floating_ip": True},
            "d": {"target": "hetzner", "size": {"cpu": 2, "memory_gb": 4}, "location": location},
        },
        "services": {
            **_containers("hetzner", api={"host": HOST}, worker={"hosts": [HOST, "d"]}),
            JOB: {"kind": "job", "target": "hetzner", "host": "d", "image": "ghcr.io/acme/api:1.4.2",
                  "schedule": "15 3 * * *", "timeout": "2h", "links": [DB, CACHE, FILES]},
            DB: {"kind": "postgres", "target": "hetzner", "host": "d", "backup": {"bucket": FILES}},
            CACHE: {"kind": "redis", "target": "hetzner", "host": "d"},
            FILES: {"kind": "bucket", "target": "hetzner", "location": location, "versioning": True},
            "r2": {"kind": "bucket", "target": "cloudflare", "location": "weur",
                   "lifecycle": {"expire_after_days": 7, "archive_after_days": 3}},
            WEB: {"kind": "static_site", "target": "cloudflare", "repo": "acme/web", "subdomain": "www"},
        },
    }  # fmt: skip


def droplet_stack(environment: str, region: str) -> dict[str, Any]:
    """DigitalOcean: an api on two droplets behind a load balancer, a worker, managed Postgres
    (a standby, an extension) and Valkey, Spaces, an App Platform static site, DO DNS."""
    spaces = {"location": region} if region in ("ams3", "blr1", "fra1", "lon1", "nyc3", "sfo3", "sgp1", "syd1", "tor1") else {"location": "fra1"}  # fmt: skip
    return {
        "environment": environment,
        "alerts": ALERTS,
        "domain": "example.com",
        "dns": {"provider": "digitalocean"},
        "admin": _admin(),
        "hosts": {
            HOST: {"target": "digitalocean", "size": {"cpu": 2, "memory_gb": 4}, "location": region,
                   "floating_ip": True},
            "b": {"target": "digitalocean", "size": {"cpu": 2, "memory_gb": 4}, "location": region},
        },
        "services": {
            **_containers("digitalocean", api={"hosts": [HOST, "b"]}, worker={"host": "b"}),
            JOB: {"kind": "job", "target": "digitalocean", "host": HOST, "image": "ghcr.io/acme/api:1.4.2",
                  "schedule": "*/30 * * * mon-fri", "links": [DB, CACHE]},
            DB: {"kind": "postgres", "target": "digitalocean", "multi_az": True, "storage_gb": 30,
                 "extensions": ["timescaledb"]},
            CACHE: {"kind": "redis", "target": "digitalocean"},
            FILES: {"kind": "bucket", "target": "digitalocean", "versioning": True, **spaces,
                    "lifecycle": {"expire_after_days": 30}},
            WEB: {"kind": "static_site", "target": "digitalocean", "repo": "acme/web", "subdomain": "www"},
        },
    }  # fmt: skip


def app_platform_stack(environment: str, region: str) -> dict[str, Any]:
    """DigitalOcean without droplets: api and worker on App Platform (the api autoscaling)."""
    config = droplet_stack(environment, region)
    del config["hosts"], config["admin"], config["services"][JOB]  # App Platform runs no jobs
    config["digitalocean"] = {"region": region}
    for name, scaling in ((API, {"replicas": 2, "max_replicas": 4}), (WORKER, {})):
        svc = config["services"][name]
        svc.pop("host", None), svc.pop("hosts", None)
        svc.update(runtime="app_platform", **scaling)
    return config


DO_REGIONS = locations("digitalocean")
HETZNER_LOCATIONS = locations("hetzner")

CASES = [
    pytest.param(aws_stack("prod", "eu-central-1"), "Prod_EU.2", id="aws-prod-eu-central-1"),
    pytest.param(aws_stack("dev", "us-east-1"), "dev.Feature_X", id="aws-dev-us-east-1"),
    *[
        pytest.param(hetzner_stack(env, loc), f"{env.title()}_{loc}.1", id=f"hetzner-{env}-{loc}")
        for loc, env in zip(HETZNER_LOCATIONS, ["prod", "dev", "prod", "dev"], strict=False)
    ],
    *[
        pytest.param(droplet_stack(env, region), f"Stack_{region}.{env}", id=f"droplets-{env}-{region}")
        for region, env in zip(DO_REGIONS, ["prod", "dev"] * len(DO_REGIONS), strict=False)
    ],
    pytest.param(app_platform_stack("prod", "nyc3"), "Prod.App_1", id="app-platform-prod-nyc3"),
    pytest.param(app_platform_stack("dev", "sgp1"), "dev_app.2", id="app-platform-dev-sgp1"),
]


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Plan]:
    """Every case planned once (the plan raises ContractBreach on any break)."""
    found: dict[str, Plan] = {}
    for case in CASES:
        config, stack = case.values
        assert isinstance(config, dict) and isinstance(stack, str)
        path = write_stack(tmp_path_factory.mktemp("matrix") / f"Pulumi.{stack}.yaml", copy.deepcopy(config))
        found[str(case.id)] = plan(path, stack, project_dir=ROOT)
    return found


def test_every_kind_target_pair_is_planned_in_dev_and_prod(planned):
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for result in planned.values():
        for svc in result.spec.services.values():
            seen[(svc.kind, svc.target)].add(result.spec.environment)
        for host in result.spec.hosts.values():
            seen[("host", host.target)].add(result.spec.environment)
        if result.spec.dns:
            seen[("dns", result.spec.dns.provider)].add(result.spec.environment)
        if result.spec.alerts:
            for name in result.spec.public_apis():
                seen[("uptime", result.spec.services[name].target)].add(result.spec.environment)
    allowed = {
        (kind, target) for kind, targets in BACKENDS.items() if kind != "network" for target in targets
    }
    assert {pair for pair, envs in seen.items() if envs == {"dev", "prod"}} >= allowed
    # And both App Platform and droplet runtimes of a DigitalOcean api.
    runtimes = {
        svc.runtime for r in planned.values() for svc in r.spec.services.values() if svc.kind == "api"
    }
    assert {None, "app_platform"} <= runtimes


def test_every_location_and_region_the_config_accepts_is_planned(planned):
    hetzner = {h.location for r in planned.values() for h in r.spec.hosts.values() if h.target == "hetzner"}
    droplets = {
        h.location for r in planned.values() for h in r.spec.hosts.values() if h.target == "digitalocean"
    }
    assert hetzner == set(HETZNER_LOCATIONS) and droplets == set(DO_REGIONS)


def test_the_matrix_registers_every_resource_type_the_contracts_speak_of(planned):
    """The zero breaks are not vacuous: the plans hold every type a contract rule names, but
    for types only other features emit."""
    registered = {r.type for result in planned.values() for r in result.registrations}
    named = {t for contract in contracts() for rule in contract.rules for t in rule.types}
    # A private image's login: tests/test_provider_contracts.py plans it. A database on a host
    # that Fargate reaches (its private CA): tests/test_internet_links_hetzner.py plans it.
    private_ca = {t for t in named if t.startswith("tls:")}
    assert named - registered <= {"aws:secretsmanager/secret:Secret", *private_ca}


# --- several stacks, one account -----------------------------------------------------------------

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
SCOPES = ("account", "project", "region", "global")


def _uploaded_keys(result: Plan) -> list[dict[str, Any]]:
    """The SSH keys a deployed plan leaves in the account, as getSshKeys reports them."""
    from multicloud.components.host import fingerprint

    keys: list[dict[str, Any]] = []
    for reg in result.registrations:
        if reg.type in ("hcloud:index/sshKey:SshKey", "digitalocean:index/sshKey:SshKey"):
            public_key = reg.raw_inputs["publicKey"]
            keys.append(
                {
                    "id": len(keys) + 1,
                    "name": reg.raw_inputs.get("name", reg.name),
                    "fingerprint": fingerprint(public_key),
                    "publicKey": public_key,
                    "labels": reg.raw_inputs.get("labels", {}),
                    "provider": reg.type.split(":")[0],
                }
            )
    return keys


def test_the_shipped_stacks_deploy_one_after_another_into_one_account(tmp_path):
    """dev, staging, prod and every example, deployed in turn into the same Hetzner project,
    DigitalOcean account, AWS account and Cloudflare account: each sees the SSH keys the
    earlier ones uploaded (and references them), and no two claim a name the provider holds
    unique in a scope they share."""
    account: list[dict[str, Any]] = []
    claims: dict[tuple[str, str, str, str], str] = {}
    clashes = []
    for path in STACK_FILES:
        stack = path.name.split(".")[1] if path.name.startswith("Pulumi.") else path.stem

        class Account(ProviderMocks):
            uploaded: ClassVar[list[dict[str, Any]]] = [dict(k) for k in account]

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.existing_ssh_keys = self.uploaded

        doc = yaml.safe_load(path.read_text())
        config = {k.removeprefix("multicloud:"): v for k, v in doc["config"].items()}
        with mock.patch.object(infra.offline, "ProviderMocks", Account):
            result = plan(write_stack(tmp_path / f"Pulumi.{stack}.yaml", config), stack, project_dir=ROOT)
        account += _uploaded_keys(result)
        region = result.spec.aws.region if result.spec.aws else "us-east-1"
        for reg in result.registrations:
            for contract in contracts():
                for unique in contract.unique:
                    if reg.type not in unique.types:
                        continue
                    where = region if unique.scope == "region" and contract.provider == "aws" else ""
                    if unique.region_path:
                        where = str(next((v for _, v in select(reg.raw_inputs, unique.region_path)), ""))
                    for _, value in select(reg.raw_inputs, unique.path):
                        claim = (reg.type, unique.path, where, str(value))
                        owner = claims.setdefault(claim, f"{stack}:{reg.name}")
                        if owner != f"{stack}:{reg.name}":
                            clashes.append(f"{owner} and {stack}:{reg.name} both claim {claim}")
    assert clashes == []
    # The admin key all of them share was uploaded once per provider, not once per stack.
    per_provider: dict[str, list[str]] = defaultdict(list)
    for key in account:
        per_provider[key["provider"]].append(key["fingerprint"])
    assert all(len(fps) == len(set(fps)) for fps in per_provider.values()), per_provider


def test_without_the_lookup_two_stacks_would_upload_the_same_key(tmp_path):
    """The failing counterpart: with an account that forgets what was uploaded, dev and prod
    both upload the admins' key — the duplicate Hetzner and DigitalOcean refuse."""
    uploads = []
    for stack in ("dev", "prod"):
        doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        config = {k.removeprefix("multicloud:"): v for k, v in doc["config"].items()}
        result = plan(write_stack(Path(tmp_path) / f"Pulumi.{stack}.yaml", config), stack, project_dir=ROOT)
        uploads += [k["fingerprint"] for k in _uploaded_keys(result)]
    assert len(uploads) > len(set(uploads))

"""Every shipped stack (Pulumi.*.yaml and examples/*.yaml) validates and plans, and the
environments keep their safety promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from multicloud.infra.offline import plan
from multicloud.stacks.loader import ConfigError
from tests.conftest import ROOT

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))

# Types that hold data: losing one loses data (components._lib.stateful).
STATEFUL = {
    "hcloud:index/volume:Volume",
    "hcloud:index/floatingIp:FloatingIp",
    "cloudflare:index/r2Bucket:R2Bucket",
    "aws:s3/bucket:Bucket",
}


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def test_stack_files_exist() -> None:
    names = {p.name for p in STACK_FILES}
    assert {"Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"} <= names
    assert len(STACK_FILES) >= 6


# What each component must produce, by (kind, target): the stack's plan is checked
# against its own spec, so a new example is covered without editing this test.
EXPECTED = {
    ("host", "hetzner"): {
        "hcloud:index/server:Server",
        "hcloud:index/firewall:Firewall",
        "hcloud:index/volume:Volume",
        "command:remote:Command",
    },
    ("api", "hetzner"): {"cloudflare:index/dnsRecord:DnsRecord"},
    ("api", "aws"): {
        "aws:ecs/service:Service",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:acm/certificate:Certificate",
    },
    ("worker", "aws"): {"aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"},
    ("postgres", "aws"): {"aws:rds/instance:Instance"},
    ("redis", "aws"): {"aws:elasticache/replicationGroup:ReplicationGroup"},
    ("bucket", "aws"): {"aws:s3/bucket:Bucket", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"},
    ("bucket", "cloudflare"): {"cloudflare:index/r2Bucket:R2Bucket"},
    ("bucket", "hetzner"): {"pulumi-python:dynamic:Resource"},
    ("static_site", "cloudflare"): {"cloudflare:index/pagesProject:PagesProject"},
    ("static_site", "aws"): {"aws:cloudfront/distribution:Distribution"},
}


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_stack_validates_and_plans(path: Path) -> None:
    try:
        result = plan(path, stack_name(path), project_dir=ROOT)
    except ConfigError as err:  # pragma: no cover - the failure message is the point
        pytest.fail("\n".join(err.lines()))
    types = {r.type for r in result.registrations}
    wanted = [("host", h.target) for h in result.spec.hosts.values()]
    wanted += [(s.kind, s.target) for s in result.spec.services.values()]
    for key in wanted:
        missing = EXPECTED.get(key, set()) - types
        assert not missing, f"{key}: {missing}"


def test_prod_protects_every_stateful_resource_and_dev_none() -> None:
    prod = plan(ROOT / "Pulumi.prod.yaml", "prod", project_dir=ROOT)
    dev = plan(ROOT / "Pulumi.dev.yaml", "dev", project_dir=ROOT)
    prod_stateful = [r for r in prod.registrations if r.type in STATEFUL]
    assert {r.type for r in prod_stateful} >= {
        "hcloud:index/volume:Volume",
        "cloudflare:index/r2Bucket:R2Bucket",
    }
    assert all(r.protect for r in prod_stateful), [r.name for r in prod_stateful if not r.protect]
    # The server of a host that runs Postgres is stateful too.
    assert all(r.protect for r in prod.registrations if r.type == "hcloud:index/server:Server")
    assert not [r.name for r in dev.registrations if r.protect]


def test_prod_plan_imports_only_the_sdks_it_needs() -> None:
    # A fresh interpreter: the test process itself may have imported other SDKs.
    code = (
        "import io, contextlib, sys\n"
        "from infra.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['plan', '--stack', 'prod']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi_'))\n"
        "print(sorted({m.split('.')[0] for m in loaded}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert (
        out.stdout.strip()
        == "['pulumi_checkly', 'pulumi_cloudflare', 'pulumi_command', 'pulumi_hcloud', 'pulumi_random']"
    )

"""multicloud: one application on AWS, DigitalOcean, Hetzner Cloud or Cloudflare with Pulumi,
the monthly cost shown before anything is built.

Describe the application with the typed, provider-neutral models below (each field
documented, per-target options where a provider has its own) and build it in any Pulumi
program with `deploy`:

    import pulumi
    import multicloud as mc

    mc.deploy(
        mc.Stack(
            environment="staging",
            domain="example.com",
            admin=mc.Admin(ssh_public_keys=[pulumi.Config().require("sshPublicKey")], cidrs=["203.0.113.0/24"]),
            hosts={"main": mc.Host(target="hetzner", size=mc.Size(cpu=4, memory_gb=8))},
            services={
                "db": mc.Postgres(target="hetzner", host="main"),
                "api": mc.Api(target="hetzner", host="main", image="ghcr.io/acme/api:1.0", port=8080, links=["db"]),
            },
        ),
        mc.Credentials(ssh_private_key=pulumi.Config().require_secret("sshPrivateKey")),
    )

The stack-config program (`__main__.py`: the `multicloud:` config is the `Stack`) is one
caller of `deploy`; docs/library.md has whole programs and `multicloud.testing` the helpers to
test them under Pulumi mocks. The packages behind it: `multicloud.components` (the Pulumi
components), `multicloud.stacks` (the models → components), `multicloud.costs` (the cost
engine), `multicloud.infra` (the `infra` command), `multicloud.policies` (the policy pack).

Names resolve on first use, so `import multicloud` (and the `infra` command) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name → (module, attribute).
_EXPORTS: dict[str, tuple[str, str]] = {
    "deploy": ("multicloud.stacks.program", "deploy"),
    "Application": ("multicloud.stacks.application", "Application"),
    "Credentials": ("multicloud.stacks.args", "Credentials"),
    "Stack": ("multicloud.stacks.spec", "StackSpec"),
    "Size": ("multicloud.stacks.spec", "Size"),
    "Host": ("multicloud.stacks.spec", "HostSpec"),
    "Admin": ("multicloud.stacks.spec", "AdminSpec"),
    "Dns": ("multicloud.stacks.spec", "DnsSpec"),
    "Aws": ("multicloud.stacks.spec", "AwsSpec"),
    "DigitalOcean": ("multicloud.stacks.spec", "DigitalOceanSpec"),
    "Cloudflare": ("multicloud.stacks.spec", "CloudflareSpec"),
    "Budget": ("multicloud.stacks.spec", "BudgetSpec"),
    "Alerts": ("multicloud.stacks.spec", "AlertsSpec"),
    "Api": ("multicloud.stacks.spec", "ApiSpec"),
    "Worker": ("multicloud.stacks.spec", "WorkerSpec"),
    "Job": ("multicloud.stacks.spec", "JobSpec"),
    "Postgres": ("multicloud.stacks.spec", "PostgresSpec"),
    "Backup": ("multicloud.stacks.spec", "BackupSpec"),
    "Redis": ("multicloud.stacks.spec", "RedisSpec"),
    "Bucket": ("multicloud.stacks.spec", "BucketSpec"),
    "Lifecycle": ("multicloud.stacks.spec", "LifecycleSpec"),
    "StaticSite": ("multicloud.stacks.spec", "StaticSiteSpec"),
    "Usage": ("multicloud.costs.usage", "UsageSpec"),
}

__all__ = [
    "Admin",
    "Alerts",
    "Api",
    "Application",
    "Aws",
    "Backup",
    "Bucket",
    "Budget",
    "Cloudflare",
    "Credentials",
    "DigitalOcean",
    "Dns",
    "Host",
    "Job",
    "Lifecycle",
    "Postgres",
    "Redis",
    "Size",
    "Stack",
    "StaticSite",
    "Usage",
    "Worker",
    "deploy",
]

if TYPE_CHECKING:
    from multicloud.costs.usage import UsageSpec as Usage
    from multicloud.stacks.application import Application
    from multicloud.stacks.args import Credentials
    from multicloud.stacks.program import deploy
    from multicloud.stacks.spec import AdminSpec as Admin
    from multicloud.stacks.spec import AlertsSpec as Alerts
    from multicloud.stacks.spec import ApiSpec as Api
    from multicloud.stacks.spec import AwsSpec as Aws
    from multicloud.stacks.spec import BackupSpec as Backup
    from multicloud.stacks.spec import BucketSpec as Bucket
    from multicloud.stacks.spec import BudgetSpec as Budget
    from multicloud.stacks.spec import CloudflareSpec as Cloudflare
    from multicloud.stacks.spec import DigitalOceanSpec as DigitalOcean
    from multicloud.stacks.spec import DnsSpec as Dns
    from multicloud.stacks.spec import HostSpec as Host
    from multicloud.stacks.spec import JobSpec as Job
    from multicloud.stacks.spec import LifecycleSpec as Lifecycle
    from multicloud.stacks.spec import PostgresSpec as Postgres
    from multicloud.stacks.spec import RedisSpec as Redis
    from multicloud.stacks.spec import Size
    from multicloud.stacks.spec import StackSpec as Stack
    from multicloud.stacks.spec import StaticSiteSpec as StaticSite
    from multicloud.stacks.spec import WorkerSpec as Worker


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'multicloud' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

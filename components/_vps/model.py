"""The plain description of what runs on a VPS host.

Backends of placed services (api, worker, postgres, redis on a VPS target) each add a
`Container` to their host. Values that are secrets (passwords, URLs with passwords) may be
`pulumi.Output`s here; `HostRelease` resolves them right before rendering the bundle, so the
render functions only ever see plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

APP_DIR = "/srv/app"  # release bundle: compose, Caddyfile, env and secret files
DATA_DIR = "/srv/data"  # mount point of the data volume: everything stateful

# uid/gid of the `postgres` and `redis` users in the official Debian-based images.
POSTGRES_UID = 999
REDIS_UID = 999


@dataclass(frozen=True)
class File:
    """A file shipped in the release bundle, relative to APP_DIR."""

    path: str
    content: Any  # str, or an Output[str] until resolved
    mode: int = 0o600
    uid: int = 0
    gid: int = 0
    mount: str | None = None
    """Where a mounted file (config/…, secrets/…) appears in its container, when that path is
    fixed by a contract (a CA file: components.connection.ca_file); else /run/multicloud/<path>."""


@dataclass(frozen=True)
class DataDir:
    """A directory on the data volume, relative to DATA_DIR, created before start."""

    path: str
    uid: int = 0
    gid: int = 0
    mode: int = 0o700


@dataclass(frozen=True)
class Scheduled:
    """When a scheduled job's container runs: a systemd timer on the host (render.job_units)."""

    cron: str
    """The schedule as the user wrote it (five cron fields, UTC), for the units' descriptions."""
    on_calendar: str
    """The same schedule as a systemd calendar event (components._lib.schedule)."""
    timeout_seconds: int | None = None
    """Stop a run after this long; None: let it run."""


@dataclass(frozen=True)
class Container:
    """One compose service.

    `env` goes to a 0600 env file, never into compose.yaml; `files` are config and secret
    files mounted read-only. Nothing publishes a port except the reverse proxy, or a data
    service bound to the host's private-network address (`ports`).

    Every string is the literal text the container or the host should see: the renderers
    write it in each file's grammar (`$` doubled in compose.yaml, single quotes in env
    files, shell words) and refuse what a grammar cannot hold. A backend never escapes a
    value itself (a `$$` it wrote would reach the container as `$$`).
    """

    name: str
    image: str
    command: list[str] | None = None
    env: dict[str, Any] = field(default_factory=dict)
    files: list[File] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)  # "source:target[:ro]"
    data_dirs: list[DataDir] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)
    healthcheck: list[str] | None = None
    replicas: int = 1
    cpus: float | None = None
    """CPU limit per replica (compose `cpus`)."""
    memory_mb: int | None = None
    """Memory limit per replica (compose `mem_limit`)."""
    read_only: bool = False
    drop_capabilities: bool = True
    user: str | None = None
    tmpfs: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    prepare_script: str | None = None
    """Run as root on the host before start: a shipped script's name (components/_vps/
    scripts) and its arguments, plain words separated by single spaces, never shell text."""
    host_files: list[File] = field(default_factory=list)
    """Files for the host itself (backup settings, systemd units): shipped, never mounted, and
    not part of the container's config hash."""
    stop_grace_period: str = "30s"
    job: bool = False
    """A one-shot container (database setup) the release runs to completion before it
    starts the services; never started by `compose up`."""
    schedule: Scheduled | None = None
    """A scheduled job: never started by `compose up` or the release; its timer runs it."""


@dataclass(frozen=True)
class Site:
    """A site Caddy serves in front of a container: HTTPS for `fqdn` with Caddy's own
    certificate, or — behind a provider load balancer that terminates HTTPS — plain HTTP on
    `lb_port`, which the provider firewall opens to that load balancer only."""

    fqdn: str
    upstream: str
    port: int
    health_path: str
    replicas: int = 1
    lb_port: int | None = None


@dataclass
class HostWorkloads:
    """Everything placed on one host, collected while the components are built."""

    containers: list[Container] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    published_ports: set[int] = field(default_factory=set)

    def claim_port(self, preferred: int) -> int:
        """A free host port for a service published on the private network: `preferred`,
        or the next free one (a second Postgres on the host gets 5433)."""
        port = preferred
        while port in self.published_ports:
            port += 1
        self.published_ports.add(port)
        return port

    def add(self, container: Container, site: Site | None = None) -> None:
        """Place a container (and optionally its public site) on the host. A job placed again
        (a second consumer of the same database on this host) is kept once."""
        if container.job and any(c.name == container.name and c.job for c in self.containers):
            return
        if any(c.name == container.name for c in self.containers):
            raise ValueError(f"a container named {container.name!r} is already on this host")
        self.containers.append(container)
        if site is not None:
            self.sites.append(site)

"""Pure renderers: host description in, file text out. No Pulumi here.

Every artifact produced here is checked by the real tool in `tests/integration`
(`cloud-init schema`, `caddy validate`, `shellcheck`, real `postgres` and `redis-server`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2
import yaml

from components._lib.images import registry_host
from components._vps.model import APP_DIR, DATA_DIR, File, HostWorkloads, Site

ADMIN_USER = "deploy"
CADDY_IMAGE = "caddy:2.10"

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("components._vps", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # configuration files, not HTML
)


def script(name: str) -> str:
    """The text of a shipped host script (`components/_vps/scripts/<name>`)."""
    return resources.files("components._vps").joinpath("scripts", name).read_text()


# --- cloud-init ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bootstrap:
    """What a host needs at first boot. Never a secret: user_data is readable on the box."""

    ssh_public_keys: list[str]
    floating_ipv4: str | None = None
    extra_packages: list[str] = field(default_factory=list)


def cloud_init(boot: Bootstrap) -> str:
    """`#cloud-config` user data: hardened SSH, Docker from the distro, automatic updates."""
    files = [
        {
            # sshd keeps the first value it reads; cloud-init writes 50-cloud-init.conf, so
            # ours sorts first.
            "path": "/etc/ssh/sshd_config.d/10-multicloud.conf",
            "permissions": "0644",
            "content": (
                "PermitRootLogin no\n"
                "PasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\n"
                f"AllowUsers {ADMIN_USER}\n"
                "MaxAuthTries 3\n"
            ),
        },
        {
            "path": "/etc/docker/daemon.json",
            "permissions": "0644",
            "content": '{\n  "log-driver": "json-file",\n  "log-opts": {"max-size": "10m", "max-file": "5"},\n'
            '  "live-restore": true\n}\n',
        },
        {
            "path": "/etc/fail2ban/jail.d/sshd.local",
            "permissions": "0644",
            "content": "[sshd]\nenabled = true\nbackend = systemd\nmaxretry = 5\nbantime = 1h\n",
        },
        {
            "path": "/etc/apt/apt.conf.d/20auto-upgrades",
            "permissions": "0644",
            "content": 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
        },
        {
            # Data services on a private network publish on the host's private address; after
            # a reboot Docker may start before that interface is up, so allow binding early.
            "path": "/etc/sysctl.d/60-multicloud.conf",
            "permissions": "0644",
            "content": "net.ipv4.ip_nonlocal_bind = 1\n",
        },
        {
            "path": "/etc/systemd/journald.conf.d/10-multicloud.conf",
            "permissions": "0644",
            "content": "[Journal]\nSystemMaxUse=500M\n",
        },
    ]
    runcmd: list[list[str]] = [
        ["sysctl", "--system"],
        ["systemctl", "enable", "--now", "docker"],
        ["usermod", "-aG", "docker", ADMIN_USER],
        ["systemctl", "enable", "--now", "fail2ban"],
        ["systemctl", "enable", "--now", "unattended-upgrades"],
        ["systemctl", "restart", "ssh"],
        ["install", "-d", "-m", "0755", DATA_DIR, APP_DIR],
    ]
    if boot.floating_ipv4:
        files.append(
            {
                "path": "/etc/netplan/60-floating-ip.yaml",
                "permissions": "0600",
                "content": yaml.safe_dump(
                    {
                        "network": {
                            "version": 2,
                            "ethernets": {"eth0": {"addresses": [f"{boot.floating_ipv4}/32"]}},
                        }
                    }
                ),
            }
        )
        runcmd.append(["netplan", "apply"])
    doc = {
        "users": [
            {
                "name": ADMIN_USER,
                "groups": ["sudo"],
                "shell": "/bin/bash",
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "lock_passwd": True,
                "ssh_authorized_keys": list(boot.ssh_public_keys),
            }
        ],
        "disable_root": True,
        "ssh_pwauth": False,
        "package_update": True,
        "package_upgrade": True,
        # No automatic reboot at first boot: the first release may be running by then.
        "packages": [
            "docker.io",
            "docker-compose-v2",
            "fail2ban",
            "unattended-upgrades",
            "openssl",
            "curl",
            "restic",
            *boot.extra_packages,
        ],
        "write_files": files,
        "runcmd": runcmd,
    }
    return "#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False, width=1000)


# --- service configuration -------------------------------------------------------------


def caddyfile(sites: list[Site], email: str | None) -> str:
    """The Caddyfile for a host's public sites (automatic HTTPS per site)."""
    return _templates.get_template("Caddyfile.j2").render(sites=sites, email=email)


def redis_conf(password: str, memory_mb: int, private: bool = False) -> str:
    """redis.conf with a password and AOF persistence."""
    if not re.fullmatch(r"[A-Za-z0-9]+", password):
        raise ValueError("the Redis password must be alphanumeric (it is written to redis.conf unquoted)")
    return _templates.get_template("redis.conf.j2").render(
        password=password, memory_mb=memory_mb, private=private
    )


def pg_hba() -> str:
    """pg_hba.conf: SCRAM everywhere, TLS on every TCP connection."""
    return _templates.get_template("pg_hba.conf.j2").render()


PG_HBA_PATH = "/etc/postgresql/pg_hba.conf"
PG_TLS_DIR = "/etc/postgresql/tls"


def postgres_settings(tls_dir: str = PG_TLS_DIR, hba_file: str = PG_HBA_PATH) -> dict[str, str]:
    """Server settings passed as `-c name=value`; the integration test starts a real server with them."""
    return {
        "listen_addresses": "*",
        "hba_file": hba_file,
        "password_encryption": "scram-sha-256",
        "ssl": "on",
        "ssl_cert_file": f"{tls_dir}/server.crt",
        "ssl_key_file": f"{tls_dir}/server.key",
        "ssl_min_protocol_version": "TLSv1.2",
    }


# --- compose ---------------------------------------------------------------------------


def env_file(env: dict[str, str]) -> str:
    """A compose env file. Values are single-quoted, so `$` and spaces stay literal."""
    lines = []
    for key in sorted(env):
        value = env[key]
        if "'" in value or "\n" in value:
            raise ValueError(
                f"environment value of {key} contains a quote or newline, which env files cannot hold"
            )
        lines.append(f"{key}='{value}'")
    return "\n".join(lines) + "\n"


def compose(workloads: HostWorkloads, email: str | None = None) -> str:
    """compose.yaml for a host. Secrets are referenced by file, never inlined."""
    services: dict[str, dict] = {}
    for c in workloads.containers:
        svc: dict = {"image": c.image, "restart": "no" if c.job else "unless-stopped"}
        if c.job:
            # Outside the default profile: `compose up` leaves it alone, the release runs it.
            svc["profiles"] = ["jobs"]
        if c.command:
            svc["command"] = list(c.command)
        if c.env:
            svc["env_file"] = [f"env/{c.name}.env"]
        volumes = [m for m in c.mounts]
        volumes += [f"./{f.path}:{container_path(f)}:ro" for f in c.files if _mounted(f)]
        if volumes:
            svc["volumes"] = volumes
        if c.ports:
            svc["ports"] = list(c.ports)
        if c.healthcheck:
            svc["healthcheck"] = {
                "test": list(c.healthcheck),
                "interval": "10s",
                "timeout": "5s",
                "retries": 6,
                "start_period": "30s",
            }
        if c.replicas > 1:
            svc["deploy"] = {"replicas": c.replicas}
        if c.cpus is not None:
            svc["cpus"] = c.cpus
        if c.memory_mb is not None:
            svc["mem_limit"] = f"{c.memory_mb}m"
        if c.read_only:
            svc["read_only"] = True
        if c.tmpfs:
            svc["tmpfs"] = list(c.tmpfs)
        if c.user:
            svc["user"] = c.user
        svc["security_opt"] = ["no-new-privileges:true"]
        if c.drop_capabilities:
            svc["cap_drop"] = ["ALL"]
        if c.depends_on:
            svc["depends_on"] = {d: {"condition": "service_healthy"} for d in c.depends_on}
        svc["stop_grace_period"] = c.stop_grace_period
        svc["networks"] = ["app"]
        # Compose recreates a container only when its definition changes, not when a mounted
        # file does; the hash of those files makes a changed config a changed definition.
        if c.files:
            svc["labels"] = {"multicloud.config-hash": _hash(str(f.content) for f in c.files)}
        services[c.name] = svc
    if workloads.sites:
        services["caddy"] = {
            "image": CADDY_IMAGE,
            "restart": "unless-stopped",
            # The only published ports on a host (a load balancer's port: to it alone, by the
            # provider firewall).
            "ports": [
                "80:80",
                "443:443",
                *(f"{s.lb_port}:{s.lb_port}" for s in workloads.sites if s.lb_port),
            ],
            "volumes": [
                "./Caddyfile:/etc/caddy/Caddyfile:ro",
                f"{DATA_DIR}/caddy/data:/data",
                f"{DATA_DIR}/caddy/config:/config",
            ],
            "security_opt": ["no-new-privileges:true"],
            "cap_drop": ["ALL"],
            "cap_add": ["NET_BIND_SERVICE"],
            "labels": {"multicloud.config-hash": _hash([caddyfile(workloads.sites, email)])},
            "networks": ["app"],
        }
    doc = {"name": "multicloud", "services": services, "networks": {"app": {"driver": "bridge"}}}
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


def _hash(contents: Any) -> str:
    digest = hashlib.sha256()
    for text in contents:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _mounted(f: File) -> bool:
    # config/<svc>/<file> and secrets/<svc>/<file> are mounted into the container;
    # env files are read by compose itself.
    return f.path.startswith(("config/", "secrets/"))


def container_path(f: File) -> str:
    """Where a shipped config/secret file appears inside its container."""
    return f"/run/multicloud/{f.path}"


# --- bundle ----------------------------------------------------------------------------


DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"  # the key `docker login` writes for Docker Hub


def docker_config(logins: dict[str, str], images: list[str]) -> str | None:
    """A Docker client config (`config.json`) with the logins of the registries `images` are
    pulled from — only those, so a host holds no token it does not use. None without any."""
    used = {registry_host(image) for image in images}
    auths = {
        DOCKER_HUB_AUTH_KEY if registry == "docker.io" else registry: {
            "auth": base64.b64encode(login.encode()).decode()
        }
        for registry, login in sorted(logins.items())
        if registry in used
    }
    return json.dumps({"auths": auths}, indent=2) + "\n" if auths else None


def bundle_files(
    workloads: HostWorkloads,
    data_device: str,
    email: str | None,
    authorized_keys: list[str],
    registry_logins: dict[str, str] | None = None,
) -> list[File]:
    """Every file of a host release, secrets included (the caller resolved all Outputs)."""
    if not authorized_keys:
        raise ValueError("a release needs at least one admin SSH key, or it would lock everyone out")
    files = []
    # Logins for private images; release.sh points DOCKER_CONFIG here when it exists.
    logins = docker_config(registry_logins or {}, [c.image for c in workloads.containers])
    if logins is not None:
        files.append(File("docker/config.json", logins, 0o600))
    files += [
        File("compose.yaml", compose(workloads, email), 0o644),
        File("authorized_keys", "".join(f"{key}\n" for key in authorized_keys), 0o600),
        File("host.env", f"DATA_DEVICE={data_device}\n", 0o600),
        File("bin/mount-data.sh", script("mount-data.sh"), 0o755),
        File("bin/prepare-postgres.sh", script("prepare-postgres.sh"), 0o755),
        *[
            File(f"bin/{name}", script(name), 0o755)
            for name in (
                "rollout.sh",
                "run-jobs.sh",
                "backup-postgres.sh",
                "restore-postgres.sh",
                "verify-backup.sh",
                "backup-status.sh",
            )
            if resources.files("components._vps").joinpath("scripts", name).is_file()
        ],
    ]
    dirs = [("caddy/data", 0, 0, "700"), ("caddy/config", 0, 0, "700")] if workloads.sites else []
    prepare = []
    for c in workloads.containers:
        if c.env:
            files.append(File(f"env/{c.name}.env", env_file(c.env), 0o600))
        files.extend(c.files)
        files.extend(c.host_files)
        dirs += [(d.path, d.uid, d.gid, f"{d.mode:o}") for d in c.data_dirs]
        if c.prepare_script:
            prepare.append(c.prepare_script)
    if workloads.sites:
        files.append(File("Caddyfile", caddyfile(workloads.sites, email), 0o644))
    # Health-gated rollouts: one line per public service (name, port, health path).
    files.append(
        File(
            "rollout.txt", "".join(f"{s.upstream} {s.port} {s.health_path}\n" for s in workloads.sites), 0o644
        )
    )
    # One-shot jobs (database setup), run to completion before anything starts.
    files.append(File("jobs.txt", "".join(f"{c.name}\n" for c in workloads.containers if c.job), 0o644))
    files.append(File("data-dirs.txt", "".join(f"{p} {u} {g} {m}\n" for p, u, g, m in dirs), 0o644))

    files.append(File("prepare.txt", "".join(f"{line}\n" for line in prepare), 0o644))
    return files


def bundle(files: list[File]) -> str:
    """A deterministic base64 tar.gz of the files (same input, same bytes: no spurious diffs)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=9, format=tarfile.PAX_FORMAT) as tar:
        seen_dirs: set[str] = set()
        for f in sorted(files, key=lambda f: f.path):
            parts = f.path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in seen_dirs:
                    seen_dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    info.mtime = 0
                    tar.addfile(info)
            data = str(f.content).encode()
            info = tarfile.TarInfo(f.path)
            info.size = len(data)
            info.mode = f.mode
            info.uid, info.gid = f.uid, f.gid
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    # gzip stores a timestamp in its header; tarfile writes 0 only when mtime is unset, so
    # normalise bytes 4-8 to keep the bundle reproducible.
    payload = bytearray(raw.getvalue())
    payload[4:8] = b"\x00\x00\x00\x00"
    return base64.b64encode(bytes(payload)).decode()


def backup_units(service: str, on_calendar: str) -> list[File]:
    """systemd units that back up `service` on its schedule and verify the backups weekly."""
    values = {"service": service, "on_calendar": on_calendar, "app_dir": APP_DIR}
    return [
        File(
            f"systemd/multicloud-backup-{service}.service",
            _templates.get_template("backup.service.j2").render(values),
            0o644,
        ),
        File(
            f"systemd/multicloud-backup-{service}.timer",
            _templates.get_template("backup.timer.j2").render(values),
            0o644,
        ),
        File(
            f"systemd/multicloud-verify-{service}.service",
            _templates.get_template("verify.service.j2").render(values),
            0o644,
        ),
        File(
            f"systemd/multicloud-verify-{service}.timer",
            _templates.get_template("verify.timer.j2").render(values),
            0o644,
        ),
    ]


def backup_env(values: dict[str, str]) -> str:
    """The backup scripts' settings file (0600; holds the repository password and S3 keys)."""
    for key, value in values.items():
        if "'" in value or "\n" in value:
            raise ValueError(f"backup setting {key} contains a quote or newline")
    return "".join(f"{key}='{value}'\n" for key, value in values.items())

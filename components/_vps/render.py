"""Pure renderers: host description in, file text out. No Pulumi here.

Every artifact produced here is checked by the real tool in `tests/integration`
(`cloud-init schema`, `caddy validate`, `shellcheck`, real `postgres` and `redis-server`).

Every value is written in the grammar of the file it lands in, never pasted in by hope:
YAML (cloud-init, compose) comes from a YAML emitter and compose strings have `$` doubled,
a Caddyfile value is one token (quoted unless plain), env files are single-quoted, shell
words `shlex.quote`d, and line-based files (`authorized_keys`, `rollout.txt` …) hold no
value with a line break. What a grammar cannot carry is refused with a ValueError that names
the field and never the value (it may be a secret pasted in the wrong place). The stack spec
refuses most of these values earlier; the renderers do not rely on it.
`tests/integration/test_artifact_grammar.py` throws generated hostile strings at every field
and checks each artifact's structure with the real tools.
"""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import json
import math
import re
import shlex
import tarfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2
import yaml

from multicloud.components._lib.grammars import env_name_problem, url_path_problem
from multicloud.components._lib.images import registry_host
from multicloud.components._lib.schedule import MAX_ON_CALENDAR
from multicloud.components._vps.model import (
    APP_DIR,
    DATA_DIR,
    Container,
    File,
    HostWorkloads,
    Scheduled,
    Site,
)

ADMIN_USER = "deploy"
CADDY_IMAGE = "caddy:2.10"

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("multicloud.components._vps", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # configuration files, not HTML
)


def script(name: str) -> str:
    """The text of a shipped host script (`components/_vps/scripts/<name>`)."""
    return resources.files("multicloud.components._vps").joinpath("scripts", name).read_text()


# --- what a value may be, by where it lands -------------------------------------------------
#
# Each check raises ValueError naming the field, never echoing the value.


def _string(field: str, value: Any) -> str:
    if not isinstance(value, str):
        # ValueError, like every other refusal here: callers catch one type.
        raise ValueError(f"{field} must be a string, not {type(value).__name__}")  # noqa: TRY004
    return value


def _line_breaking(ch: str) -> bool:
    # Control characters (NUL, CR, LF, ESC, NEL …), line and paragraph separators, and lone
    # surrogates (no UTF-8 encoding, so no file can hold them).
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")


def single_line(field: str, value: Any) -> str:
    """`value` if it is a string with no control character or line separator in it."""
    if any(_line_breaking(ch) for ch in _string(field, value)):
        raise ValueError(f"{field} contains a line break or control character (newline, CR, NUL …)")
    return value


def _integer(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{field} must be a whole number from {low} to {high}")
    return value


# Compose service names (compose-spec: `^[a-zA-Z0-9._-]+$`), and what rollout.sh and
# run-jobs.sh accept; they also name files (env/<name>.env) and systemd units.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def service_name(field: str, value: Any) -> str:
    """A compose service (container) name."""
    if not _NAME.fullmatch(_string(field, value)):
        raise ValueError(f"{field} must be letters, digits and _.- (starting with a letter or digit)")
    return value


# A DNS name of at least two labels whose last starts with a letter (so no IP address and no
# Caddyfile keyword such as `import`); no wildcard (HTTP-01 cannot certify one), no port, no
# scheme: Caddy parses a site address as an address, quoted or not.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?")


def hostname(field: str, value: Any) -> str:
    if len(_string(field, value)) > 253 or not _HOSTNAME.fullmatch(value):
        raise ValueError(f"{field} must be a DNS name such as api.example.com")
    return value


def url_path(field: str, value: Any) -> str:
    """What an HTTP health check requests (the spec's rule: components._lib.grammars)."""
    if url_path_problem(_string(field, value)):
        raise ValueError(f"{field} must be a URL path such as /health (RFC 3986 characters, %XX escapes)")
    return value


# --- cloud-init ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bootstrap:
    """What a host needs at first boot. Never a secret: user_data is readable on the box."""

    ssh_public_keys: list[str]
    floating_ipv4: str | None = None
    extra_packages: list[str] = field(default_factory=list)


# `<type> <base64 key> [comment]`, the form cloud-init and sshd read one per line. Leading
# options (`command=…`, `from=…`) are not a key: an entry is exactly one key.
_SSH_KEY = re.compile(r"[a-z][a-z0-9-]*(?:@[a-z0-9.-]+)? [A-Za-z0-9+/]+={0,3}(?: [^\n]*)?")


def ssh_public_keys(keys: Any) -> list[str]:
    """The admin keys, one line each in authorized_keys. A key with a line break in it would
    become two lines (the second one any entry at all), so it is refused, by its index."""
    if isinstance(keys, str) or not isinstance(keys, (list, tuple)):
        raise ValueError("ssh_public_keys must be a list of keys")  # noqa: TRY004
    for i, key in enumerate(keys):
        field_name = f"ssh_public_keys[{i}]"
        single_line(field_name, key)
        if not _SSH_KEY.fullmatch(key):
            raise ValueError(
                f"{field_name} is not one OpenSSH public key (type, base64 key, optional comment)"
            )
    return list(keys)


def authorized_keys_file(keys: Any) -> str:
    """An authorized_keys file: one key per line."""
    return "".join(f"{key}\n" for key in ssh_public_keys(keys))


# Debian policy §5.6.1: package names.
_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")


def cloud_init(boot: Bootstrap) -> str:
    """`#cloud-config` user data: hardened SSH, Docker from the distro, automatic updates.
    Written by a YAML emitter, so no value can add a key or an entry."""
    keys = _checked_bootstrap(boot)
    files = _system_files()
    runcmd = _first_boot_commands()
    if boot.floating_ipv4:
        files.append(_floating_ip_file(boot.floating_ipv4))
        runcmd.append(["netplan", "apply"])
    doc = _cloud_config(keys, boot.extra_packages, files, runcmd)
    return "#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False, width=1000)


def _checked_bootstrap(boot: Bootstrap) -> list[str]:
    """Refuse a Bootstrap any of whose values does not fit; return the admin keys."""
    keys = ssh_public_keys(boot.ssh_public_keys)
    for i, package in enumerate(boot.extra_packages):
        # apt would take a name starting with `-` as an option.
        if not _PACKAGE.fullmatch(_string(f"extra_packages[{i}]", package)):
            raise ValueError(f"extra_packages[{i}] is not a Debian package name")
    if boot.floating_ipv4 is not None:
        try:
            ipaddress.IPv4Address(_string("floating_ipv4", boot.floating_ipv4))
        except ipaddress.AddressValueError:
            raise ValueError("floating_ipv4 must be an IPv4 address") from None
    return keys


def _system_files() -> list[dict[str, str]]:
    """The host's own configuration (cloud-init `write_files`): sshd, Docker's logs, fail2ban,
    automatic updates, early binding, the journal's size."""
    return [
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


def _first_boot_commands() -> list[list[str]]:
    """cloud-init `runcmd`: apply the files above, start the services, create the data and
    release directories."""
    return [
        ["sysctl", "--system"],
        ["systemctl", "enable", "--now", "docker"],
        ["usermod", "-aG", "docker", ADMIN_USER],
        ["systemctl", "enable", "--now", "fail2ban"],
        ["systemctl", "enable", "--now", "unattended-upgrades"],
        ["systemctl", "restart", "ssh"],
        ["install", "-d", "-m", "0755", DATA_DIR, APP_DIR],
    ]


def _floating_ip_file(floating_ipv4: str) -> dict[str, str]:
    """A netplan file that adds the floating IP to eth0, the public interface."""
    return {
        "path": "/etc/netplan/60-floating-ip.yaml",
        "permissions": "0600",
        "content": yaml.safe_dump(
            {
                "network": {
                    "version": 2,
                    "ethernets": {"eth0": {"addresses": [f"{floating_ipv4}/32"]}},
                }
            }
        ),
    }


def _cloud_config(
    keys: list[str], extra_packages: list[str], files: list[dict[str, str]], runcmd: list[list[str]]
) -> dict[str, Any]:
    """The `#cloud-config` document: the admin user (key login only), no root or password
    login, updated packages, the files and the first-boot commands."""
    return {
        "users": [
            {
                "name": ADMIN_USER,
                "groups": ["sudo"],
                "shell": "/bin/bash",
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "lock_passwd": True,
                "ssh_authorized_keys": keys,
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
            *extra_packages,
        ],
        "write_files": files,
        "runcmd": runcmd,
    }


# --- service configuration -------------------------------------------------------------


class CaddyToken(str):
    """Text that is exactly one Caddyfile token (see `caddy_token`)."""


# Characters the Caddyfile lexer treats as plain anywhere in an unquoted token (no space,
# quote, backtick, backslash, `#`, `<`, brace or `$`), starting with one that no directive
# reads as a matcher (`@name`, `*`; `/path` only where a matcher cannot stand).
_CADDY_PLAIN = re.compile(r"[A-Za-z0-9/][A-Za-z0-9._:/@%+=,~-]*")


def caddy_token(field: str, value: Any) -> CaddyToken:
    r"""`value` as exactly one Caddyfile token, so no character of it can end the token, open
    or close a block, start a comment or a new directive, site or snippet. Like
    `shlex.quote`, plain text stays bare (`api.example.com`: the files of existing hosts do
    not change) and anything else is quoted.

    Caddy's lexer (caddyconfig/caddyfile/lexer.go, `next`, the same in 2.6 and 2.10): inside
    "…" a backslash escapes only `"` (`\x` stays `\x`, so `\\` is not an escape, and a
    backslash just before a `"` of the value or before the closing quote cannot be written);
    inside `…` nothing is special up to the next backtick. So: double quotes, or backticks
    when the value has a backslash the double-quoted form cannot hold.

    Braces are refused outright, quoted or not: the parser replaces `{$VAR}` in the raw file
    before lexing (parse.go `replaceEnvVars`, so a `{$` in a value can swallow the text up to
    any later `}`), Caddy up to 2.11 takes a quoted "{" or "}" for a block brace (parse.go
    `directive`; literal only since caddyserver/caddy#7875), the adapter rewrites `{host}`
    shorthands, and runtime placeholders (`{env.X}`, `{file./path}`) are expanded in the very
    fields we fill: the ACME e-mail (modules/caddytls/acmeissuer.go `Provision`:
    `repl.ReplaceOrErr(iss.Email, …)`), upstream dial addresses and dynamic upstream names.
    Line breaks and control characters are refused too: no field takes them. What a token
    means where it stands (a site address is parsed as an address; a first argument starting
    with `/` or `@` is a matcher, quoted or not: httpcaddyfile/httptype.go
    `matcherSetFromMatcherToken`) is kept by each field's own grammar (`hostname`,
    `service_name`, `url_path`).
    """
    text = single_line(field, value)
    if "{" in text or "}" in text:
        raise ValueError(f"{field} contains a brace, which Caddy reads as a placeholder or a block")
    if not text:
        raise ValueError(f"{field} is empty")
    if _CADDY_PLAIN.fullmatch(text):
        return CaddyToken(text)
    if not (text.endswith("\\") or '\\"' in text):
        return CaddyToken('"' + text.replace('"', '\\"') + '"')
    if "`" not in text:
        return CaddyToken(f"`{text}`")
    raise ValueError(
        f"{field} has both a backslash before a quote and a backtick; no Caddyfile token holds that"
    )


def acme_email(value: Any) -> str:
    """The ACME account e-mail: one line, no spaces (it is a single token in ACME's JSON)."""
    text = single_line("acme_email", value)
    if not text or any(ch.isspace() for ch in text) or "@" not in text or len(text) > 254:
        raise ValueError("acme_email must be an e-mail address such as ops@example.com")
    caddy_token("acme_email", text)  # its braces
    return text


@dataclass(frozen=True)
class _CaddySite:
    """A Site with every value checked and turned into a Caddyfile token."""

    address: CaddyToken
    fqdn: CaddyToken
    upstream: CaddyToken
    port: CaddyToken
    dial: CaddyToken
    health_uri: CaddyToken
    replicas: int
    behind_lb: bool


def check_site(site: Site, prefix: str = "site") -> _CaddySite:
    """Refuse a Site any of whose values does not fit where it lands (Caddyfile, rollout.txt,
    curl's URL), naming the field (`<prefix>.health_path`); return its tokens."""
    fqdn = hostname(f"{prefix}.fqdn", site.fqdn)
    upstream = service_name(f"{prefix}.upstream", site.upstream)
    port = _integer(f"{prefix}.port", site.port, 1, 65535)
    health = url_path(f"{prefix}.health_path", site.health_path)
    replicas = _integer(f"{prefix}.replicas", site.replicas, 1, 1000)
    if site.lb_port is not None:
        address = f"http://:{_integer(f'{prefix}.lb_port', site.lb_port, 1, 65535)}"
    else:
        address = fqdn
    return _CaddySite(
        address=caddy_token(f"{prefix}.fqdn", address),
        fqdn=caddy_token(f"{prefix}.fqdn", fqdn),
        upstream=caddy_token(f"{prefix}.upstream", upstream),
        port=caddy_token(f"{prefix}.port", str(port)),
        dial=caddy_token(f"{prefix}.upstream", f"{upstream}:{port}"),
        health_uri=caddy_token(f"{prefix}.health_path", health),
        replicas=replicas,
        behind_lb=site.lb_port is not None,
    )


def _only_tokens(value: Any) -> Any:
    # The Caddyfile template's `finalize`: it can print nothing that is not a checked token.
    if not isinstance(value, CaddyToken):
        raise TypeError(f"the Caddyfile template printed a {type(value).__name__}, not a CaddyToken")
    return value


_caddy_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("multicloud.components._vps", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
    finalize=_only_tokens,
)


def caddyfile(sites: list[Site], email: str | None) -> str:
    """The Caddyfile for a host's public sites (automatic HTTPS per site). Every value in it
    is one token (`caddy_token`), checked by its field's grammar (`check_site`)."""
    checked = [check_site(site, f"sites[{i}]") for i, site in enumerate(sites)]
    token = caddy_token("acme_email", acme_email(email)) if email is not None else None
    return _caddy_templates.get_template("Caddyfile.j2").render(sites=checked, email=token)


def redis_conf(
    password: str, memory_mb: int, private: bool = False, tls_port: int | None = None, tls_dir: str = ""
) -> str:
    """redis.conf with a password and AOF persistence; with `tls_port`, also TLS there, with
    the key pair and CA certificate in `tls_dir` (clients are not asked for certificates)."""
    if not re.fullmatch(r"[A-Za-z0-9]+", password):
        raise ValueError("the Redis password must be alphanumeric (it is written to redis.conf unquoted)")
    if tls_port is not None:
        _integer("redis tls_port", tls_port, 1024, 65535)
        if not tls_dir.startswith("/") or not _RELATIVE_PATH.fullmatch(tls_dir[1:]):
            raise ValueError("the Redis TLS directory must be an absolute path of plain segments")
    return _templates.get_template("redis.conf.j2").render(
        password=password, memory_mb=memory_mb, private=private, tls_port=tls_port, tls_dir=tls_dir
    )


def pg_hba(admitted: Sequence[str] | None = None) -> str:
    """pg_hba.conf: SCRAM everywhere, TLS on every TCP connection.

    With `admitted` (a Postgres published to other providers), TCP is accepted only from the
    host's own container network (`samenet`) and those networks — the private network's
    subnet, each remote consumer's address as a /32 — like the firewall in front of it. Each
    must be an IP network in canonical form: a line of pg_hba.conf is whitespace-separated
    fields, so anything else could add a field or a rule."""
    networks = None
    if admitted is not None:
        networks = []
        for value in admitted:
            try:
                network = ipaddress.ip_network(value, strict=True)
            except (TypeError, ValueError):
                raise ValueError(f"pg_hba: {ascii(value)[:64]} is not an IP network (a.b.c.d/n)") from None
            if str(network) != value:
                raise ValueError(f"pg_hba: {ascii(value)[:64]} is not written as {network}")
            networks.append(value)
    return _templates.get_template("pg_hba.conf.j2").render(admitted=networks)


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


def _env_name(field: str, key: Any) -> str:
    if not isinstance(key, str) or env_name_problem(key):
        shown = ascii(key)[:64]  # escaped: a name with a newline cannot forge a line
        raise ValueError(f"{field} name {shown} is not a variable name (letters, digits and _)")
    return key


def env_file(env: dict[str, str]) -> str:
    r"""A compose env file: `KEY='value'` lines.

    Compose reads it with compose-go's dotenv parser (dotenv/parser.go `extractVarValue`):
    in single quotes nothing is interpolated and a backslash is literal, except before a
    quote: `'` does not end the value (and whether its backslash stays in the value changed
    in compose-go 2023-12). So a value holding `'`, or ending in a backslash, has no portable
    form; a newline or CR would make the file's lines differ from its variables for any
    line-based reader (`docker run --env-file`), and NUL cannot be in an environment at all.
    All are refused, naming the variable, never showing the value (compose's `format: raw`
    would need Compose 2.30, newer than Debian's and Ubuntu's packages).
    """
    lines = []
    for key in sorted(env):
        _env_name("environment variable", key)
        value = _string(f"environment variable {key}", env[key])
        if "'" in value or value.endswith("\\") or any(ch in value for ch in "\n\r\0"):
            raise ValueError(
                f"environment variable {key}: its value holds a single quote, a line break, NUL or a "
                "trailing backslash, which a compose env file cannot carry; pass it as a file instead"
            )
        lines.append(f"{key}='{value}'")
    return "\n".join(lines) + "\n"


class _ComposeText(str):
    """A compose string value with `$` already doubled."""


def _represent_compose_text(dumper: yaml.SafeDumper, value: _ComposeText) -> yaml.Node:
    # Always double-quoted: compose reads YAML 1.2 (yaml.v3), where a plain `1e3`, `0o17` or
    # `0x_1` that PyYAML (1.1) would leave unquoted is a number, not the string we wrote.
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


class _ComposeDumper(yaml.SafeDumper):
    pass


_ComposeDumper.add_representer(_ComposeText, _represent_compose_text)


def compose_literal(value: Any, field: str) -> Any:
    """`value` (a string, or lists and mappings of them) as compose text that compose's
    interpolation (https://docs.docker.com/reference/compose-file/interpolation/) turns back
    into exactly `value`: every `$` doubled, so `${TAG:-latest}` or `${X:?}` is text, not a
    variable read on the host at release time. NUL cannot be in an argument, a label or an
    image name, so it is refused."""
    if isinstance(value, str):
        if "\0" in value:
            raise ValueError(f"{field} contains NUL, which compose cannot pass on")
        return _ComposeText(value.replace("$", "$$"))
    if isinstance(value, dict):
        return {key: compose_literal(item, f"{field}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [compose_literal(item, f"{field}[{i}]") for i, item in enumerate(value)]
    return value


def compose(workloads: HostWorkloads, email: str | None = None) -> str:
    """compose.yaml for a host. Secrets are referenced by file, never inlined. Written by a
    YAML emitter; every string in it is taken literally by compose (`compose_literal`)."""
    services: dict[str, dict] = {}
    for c in workloads.containers:
        name = service_name("container name", c.name)
        services[name] = compose_literal(_compose_service(c, name), f"services.{name}")
    if workloads.sites:
        if "caddy" in services:
            raise ValueError("a container may not be named caddy: the host's reverse proxy has that name")
        services["caddy"] = compose_literal(_caddy_service(workloads.sites, email), "services.caddy")
    doc = {"name": "multicloud", "services": services, "networks": {"app": {"driver": "bridge"}}}
    return yaml.dump(doc, Dumper=_ComposeDumper, sort_keys=False, width=2**30)


def _compose_service(c: Container, name: str) -> dict:
    """The compose service of container `c` (named `name`), before `compose_literal`."""
    if not _string(f"services.{name}.image", c.image):
        raise ValueError(f"services.{name}.image is empty")
    one_shot = c.job or c.schedule is not None
    svc: dict = {"image": c.image, "restart": "no" if one_shot else "unless-stopped"}
    if c.job:
        # Outside the default profile: `compose up` leaves it alone, the release runs it.
        svc["profiles"] = ["jobs"]
    elif c.schedule is not None:
        # Likewise; its timer runs it (bin/run-job.sh).
        svc["profiles"] = ["scheduled"]
    if c.command:
        svc["command"] = list(c.command)
    if c.env:
        svc["env_file"] = [f"env/{name}.env"]
    for i, f in enumerate(c.files):
        relative_path(f"{name}.files[{i}].path", f.path)  # no `:` to shift a mount's fields
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
    svc |= _compose_limits(c, name)
    if c.depends_on:
        svc["depends_on"] = {
            service_name(f"{name}.depends_on", d): {"condition": "service_healthy"} for d in c.depends_on
        }
    svc["stop_grace_period"] = c.stop_grace_period
    svc["networks"] = ["app"]
    # Compose recreates a container only when its definition changes, not when a mounted
    # file does; the hash of those files makes a changed config a changed definition.
    if c.files:
        svc["labels"] = {"multicloud.config-hash": _hash(str(f.content) for f in c.files)}
    return svc


def _compose_limits(c: Container, name: str) -> dict:
    """Replicas, resource limits and hardening (no new privileges, capabilities dropped)."""
    svc: dict = {}
    if _integer(f"{name}.replicas", c.replicas, 1, 1000) > 1:
        svc["deploy"] = {"replicas": c.replicas}
    if c.cpus is not None:
        if isinstance(c.cpus, bool) or not isinstance(c.cpus, (int, float)) or not math.isfinite(c.cpus):
            raise ValueError(f"{name}.cpus must be a finite number")
        svc["cpus"] = c.cpus
    if c.memory_mb is not None:
        svc["mem_limit"] = f"{_integer(f'{name}.memory_mb', c.memory_mb, 1, 2**31)}m"
    if c.read_only:
        svc["read_only"] = True
    if c.tmpfs:
        svc["tmpfs"] = list(c.tmpfs)
    if c.user:
        svc["user"] = c.user
    svc["security_opt"] = ["no-new-privileges:true"]
    if c.drop_capabilities:
        svc["cap_drop"] = ["ALL"]
    return svc


def _caddy_service(sites: list[Site], email: str | None) -> dict:
    """The host's reverse proxy, before `compose_literal`."""
    return {
        "image": CADDY_IMAGE,
        "restart": "unless-stopped",
        # The only published ports on a host (a load balancer's port: to it alone, by
        # the provider firewall).
        "ports": [
            "80:80",
            "443:443",
            *(f"{s.lb_port}:{s.lb_port}" for s in sites if s.lb_port),
        ],
        "volumes": [
            "./Caddyfile:/etc/caddy/Caddyfile:ro",
            f"{DATA_DIR}/caddy/data:/data",
            f"{DATA_DIR}/caddy/config:/config",
        ],
        "security_opt": ["no-new-privileges:true"],
        "cap_drop": ["ALL"],
        "cap_add": ["NET_BIND_SERVICE"],
        "labels": {"multicloud.config-hash": _hash([caddyfile(sites, email)])},
        "networks": ["app"],
    }


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
    """Where a shipped config/secret file appears inside its container: its `mount`, or
    /run/multicloud/<path>. Either is a mount's second field, so neither may hold a `:`."""
    if f.mount is None:
        return f"/run/multicloud/{f.path}"
    mount = _string(f"{f.path}.mount", f.mount)
    if len(mount) > 1024 or not mount.startswith("/") or not _RELATIVE_PATH.fullmatch(mount[1:]):
        raise ValueError(f"{f.path}.mount must be an absolute path of letters, digits and _.@+- segments")
    return f.mount


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
    """Every file of a host release, secrets included (the caller resolved all Outputs).

    The line-based files release.sh reads (`rollout.txt`, `jobs.txt`, `scheduled.txt`,
    `data-dirs.txt`, `prepare.txt`, `authorized_keys`) get only checked words: a name, a number, a path with
    no space or line break in it, so a value can neither add a line nor shift a column."""
    if not authorized_keys:
        raise ValueError("a release needs at least one admin SSH key, or it would lock everyone out")
    files = _host_files(workloads, data_device, email, authorized_keys, registry_logins or {})
    dirs = [("caddy/data", 0, 0, "700"), ("caddy/config", 0, 0, "700")] if workloads.sites else []
    prepare = []
    for c in workloads.containers:
        name = service_name("container name", c.name)
        if c.env:
            files.append(File(f"env/{name}.env", env_file(c.env), 0o600))
        files.extend(c.files)
        files.extend(c.host_files)
        dirs.extend(_data_dirs(c, name))
        if c.prepare_script:
            prepare.append(prepare_line(f"{name}.prepare_script", c.prepare_script))
    if workloads.sites:
        files.append(File("Caddyfile", caddyfile(workloads.sites, email), 0o644))
    return files + _release_lists(workloads, dirs, prepare)


def _host_files(
    workloads: HostWorkloads,
    data_device: str,
    email: str | None,
    authorized_keys: list[str],
    registry_logins: dict[str, str],
) -> list[File]:
    """The files of the host rather than of one container: registry logins, compose.yaml,
    the admin keys, the data device and the shipped scripts."""
    files = []
    # Logins for private images; release.sh points DOCKER_CONFIG here when it exists.
    logins = docker_config(registry_logins, [c.image for c in workloads.containers])
    if logins is not None:
        files.append(File("docker/config.json", logins, 0o600))
    return files + [
        File("compose.yaml", compose(workloads, email), 0o644),
        File("authorized_keys", authorized_keys_file(authorized_keys), 0o600),
        # Sourced by release.sh: a shell word.
        File("host.env", f"DATA_DEVICE={shlex.quote(single_line('data_device', data_device))}\n", 0o600),
        File("bin/mount-data.sh", script("mount-data.sh"), 0o755),
        File("bin/prepare-postgres.sh", script("prepare-postgres.sh"), 0o755),
        *[File(f"bin/{name}", script(name), 0o755) for name in SHIPPED_SCRIPTS],
    ]


# The scripts every release ships to bin/ (besides mount-data.sh and prepare-postgres.sh):
# the units and release.sh run them, and they source each other from there.
SHIPPED_SCRIPTS = (
    "rollout.sh",
    "run-jobs.sh",
    "run-job.sh",
    "backup-postgres.sh",
    "backup-settings.sh",
    "heartbeat.sh",
    "restore-postgres.sh",
    "verify-backup.sh",
    "backup-status.sh",
)


def _data_dirs(c: Container, name: str) -> list[tuple[str, int, int, str]]:
    """data-dirs.txt entries of container `c`: path, uid, gid and octal mode, each checked."""
    dirs = []
    for i, d in enumerate(c.data_dirs):
        field_name = f"{name}.data_dirs[{i}]"
        dirs.append(
            (
                relative_path(f"{field_name}.path", d.path),
                _integer(f"{field_name}.uid", d.uid, 0, 2**31 - 1),
                _integer(f"{field_name}.gid", d.gid, 0, 2**31 - 1),
                f"{_integer(f'{field_name}.mode', d.mode, 0, 0o7777):o}",
            )
        )
    return dirs


def _release_lists(
    workloads: HostWorkloads, dirs: list[tuple[str, int, int, str]], prepare: list[str]
) -> list[File]:
    """The line-based files release.sh works through, one checked entry a line."""
    return [
        # Health-gated rollouts: one line per public service (name, port, health path), each
        # checked by `check_site` (in `caddyfile`, written before these).
        File(
            "rollout.txt", "".join(f"{s.upstream} {s.port} {s.health_path}\n" for s in workloads.sites), 0o644
        ),
        # One-shot jobs (database setup), run to completion before anything starts.
        File("jobs.txt", "".join(f"{c.name}\n" for c in workloads.containers if c.job), 0o644),
        # Scheduled jobs: never started by the release (naming one to `compose up` would run
        # it); their timers do.
        File("scheduled.txt", "".join(f"{c.name}\n" for c in workloads.containers if c.schedule), 0o644),
        File("data-dirs.txt", "".join(f"{p} {u} {g} {m}\n" for p, u, g, m in dirs), 0o644),
        File("prepare.txt", "".join(f"{line}\n" for line in prepare), 0o644),
    ]


# A path inside the release or the data volume: plain segments, none `.`, `..` or hidden.
_RELATIVE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.@+-]*)*")


def relative_path(field: str, value: Any) -> str:
    if len(_string(field, value)) > 1024 or not _RELATIVE_PATH.fullmatch(value):
        raise ValueError(f"{field} must be a relative path of letters, digits and _.@+- segments")
    return value


# A word release.sh passes to a prepare script: no space, quote, glob or `$`.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+@%,=-]*")


def prepare_line(field: str, line: Any) -> str:
    """`script arg …` for prepare.txt: a shipped script's name and plain words (release.sh
    reads the line into an array, unglobbed)."""
    words = _string(field, line).split(" ")
    if not all(_WORD.fullmatch(word) for word in words):
        raise ValueError(f"{field} must be single-space separated plain words (letters, digits, _.:+@%,=-)")
    if not resources.files("multicloud.components._vps").joinpath("scripts", words[0]).is_file():
        raise ValueError(f"{field} must start with the name of a shipped script (components/_vps/scripts)")
    return line


def bundle(files: list[File]) -> str:
    """A deterministic base64 tar.gz of the files (same input, same bytes: no spurious diffs)."""
    paths = [relative_path("bundle file", f.path) for f in files]
    if len(set(paths)) != len(paths):
        raise ValueError("two files of the release have the same path")
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


# systemd.time(7) calendar events: weekdays, `*-*-* 02:00:00`, ranges (..), lists (,),
# repetitions (/), `~` for days from the month's end, time zone names. No `%` (a specifier
# in unit files), no backslash (an escape or a line continuation), no line break.
_CALENDAR = re.compile(r"[A-Za-z0-9*:,./~_+-]+(?: [A-Za-z0-9*:,./~_+-]+)*")


def backup_units(service: str, on_calendar: str) -> list[File]:
    """systemd units that back up `service` on its schedule and verify the backups weekly."""
    service_name("backup service", service)
    if len(_string("backup on_calendar", on_calendar)) > 200 or not _CALENDAR.fullmatch(on_calendar):
        raise ValueError("backup on_calendar must be a systemd calendar event such as '*-*-* 03:00:00'")
    values = {"service": service, "on_calendar": on_calendar, "app_dir": APP_DIR}
    return _unit_files(
        values,
        (f"multicloud-backup-{service}.service", "backup.service.j2"),
        (f"multicloud-backup-{service}.timer", "backup.timer.j2"),
        (f"multicloud-verify-{service}.service", "verify.service.j2"),
        (f"multicloud-verify-{service}.timer", "verify.timer.j2"),
    )


def _unit_files(values: dict[str, str], *units: tuple[str, str]) -> list[File]:
    """Each (unit file name, template) rendered with `values`, shipped under systemd/."""
    return [
        File(f"systemd/{unit}", _templates.get_template(template).render(values), 0o644)
        for unit, template in units
    ]


def job_units(name: str, scheduled: Scheduled) -> list[File]:
    """The systemd service that runs job `name` once (bin/run-job.sh) and the timer that
    starts it on schedule. The schedule reaches the timer as an event of plain lists
    (components._lib.schedule), and the descriptions quote the cron text, which a unit file
    would read `%` in as a specifier: both are checked."""
    service_name("job", name)
    for what, value in (("cron", scheduled.cron), ("on_calendar", scheduled.on_calendar)):
        if len(_string(f"job {what}", value)) > MAX_ON_CALENDAR or not _CALENDAR.fullmatch(value):
            raise ValueError(f"job {name}: {what} {value!r} cannot be written in a unit file")
    timeout = scheduled.timeout_seconds
    if timeout is not None and not (isinstance(timeout, int) and 0 < timeout <= 7 * 86400):
        raise ValueError(f"job {name}: timeout must be 1 second to 7 days")
    values = {
        "name": name,
        "cron": scheduled.cron,
        "on_calendar": scheduled.on_calendar,
        "timeout": f"{timeout}s" if timeout else "infinity",
        "app_dir": APP_DIR,
    }
    return _unit_files(
        values,
        (f"multicloud-job-{name}.service", "job.service.j2"),
        (f"multicloud-job-{name}.timer", "job.timer.j2"),
    )


def sh_single_quoted(value: str) -> str:
    """`value` as one POSIX shell word in single quotes (a `'` in it written `'"'"'`, as
    `shlex.quote` does, but always quoted: existing settings files keep their bytes)."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def backup_env(values: dict[str, str]) -> str:
    """The backup scripts' settings file (0600; holds the repository password and S3 keys).
    backup-settings.sh sources it with bash, so each value is one shell word; NUL, which no
    shell variable can hold, is refused."""
    lines = []
    for key, value in values.items():
        _env_name("backup setting", key)
        if "\0" in _string(f"backup setting {key}", value):
            raise ValueError(f"backup setting {key} contains NUL, which a shell variable cannot hold")
        lines.append(f"{key}={sh_single_quoted(value)}\n")
    return "".join(lines)

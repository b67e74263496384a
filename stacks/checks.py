"""Rules that span several entries of the spec. Each returns problems; none raises.

The rules of one provider (its regions, versions, sizes, what its services need) live with
that provider in `stacks/targets/<provider>.py`; `check` runs those of every target the
stack uses after the rules here, which hold for every target.

A problem is `(path, message)` where path is the config path under `multicloud:`
(`services.db.host`). Messages name the allowed values and never include a secret.
"""

from __future__ import annotations

from typing import Any

from multicloud.components._lib.grammars import credential_reason
from multicloud.components._lib.networks import reaches_everyone
from multicloud.components.capabilities import (
    HOST_PLACED,
    INTERNET,
    INTERNET_LINKS,
    LINK_ENV,
    LINK_TLS_ENV,
    LISTENS,
    OFF_HOST_RUNTIMES,
    UNWIRED,
    link_path,
    placed_on_host,
    supported_targets,
)
from multicloud.components.contracts.aws import RDS_TRUSTSTORE_REGION
from multicloud.components.postgres import setup_job_name
from multicloud.costs.catalog import price_list
from multicloud.stacks.sizing import SizingError, locations, required_volume_gb, resolve_server_type
from multicloud.stacks.spec import (
    ApiSpec,
    BucketSpec,
    ContainerService,
    JobSpec,
    PostgresSpec,
    Problem,
    StackSpec,
    StaticSiteSpec,
)
from multicloud.stacks.targets import check as target_checks


def check(spec: StackSpec) -> list[Problem]:
    """All cross-entry problems of a structurally valid spec."""
    return [
        *_targets(spec),
        *_target_fields(spec),
        *_placement(spec),
        *_links(spec),
        *_reach(spec),
        *_jobs(spec),
        *_hosts(spec),
        *_admin(spec),
        *_backups(spec),
        *_names(spec),
        *target_checks(spec),
    ]


def _targets(spec: StackSpec) -> list[Problem]:
    problems = []
    for name, host in spec.hosts.items():
        allowed = supported_targets("host")
        if host.target not in allowed:
            problems.append(
                (
                    f"hosts.{name}.target",
                    f"hosts cannot run on {host.target}; supported targets: {', '.join(allowed)}",
                )
            )
    for name, svc in spec.services.items():
        allowed = supported_targets(svc.kind)
        if svc.target not in allowed:
            problems.append(
                (
                    f"services.{name}.target",
                    f"{svc.kind} cannot run on {svc.target}; supported targets: {', '.join(allowed)}",
                )
            )
    return problems


# Fields that only some targets can honour, by (kind, field). Setting one elsewhere is an
# error rather than silently ignored.
TARGET_FIELDS: dict[tuple[str, str], set[str]] = {
    ("api", "max_replicas"): {"aws", "digitalocean"},
    ("api", "proxied"): {"hetzner"},
    ("worker", "max_replicas"): {"aws", "digitalocean"},
    ("api", "runtime"): {"digitalocean"},
    ("worker", "runtime"): {"digitalocean"},
    ("api", "instance_size"): {"digitalocean"},
    ("worker", "instance_size"): {"digitalocean"},
    ("api", "load_balancer"): {"digitalocean"},
    ("api", "hosts"): {"digitalocean"},
    ("worker", "hosts"): {"digitalocean", "hetzner"},
    ("api", "arch"): {"aws"},
    ("worker", "arch"): {"aws"},
    ("job", "arch"): {"aws"},
    # Fargate has no limit on a task's run time (a host's systemd stops the run).
    ("job", "timeout"): {"digitalocean", "hetzner"},
    ("postgres", "size"): {"aws", "digitalocean"},
    ("postgres", "instance_class"): {"aws"},
    ("postgres", "multi_az"): {"aws", "digitalocean"},
    ("postgres", "backup_days"): {"aws"},
    ("postgres", "backup"): {"hetzner"},
    ("postgres", "extensions"): {"digitalocean"},
    ("redis", "node_type"): {"aws"},
    ("redis", "nodes"): {"aws", "digitalocean"},
    ("bucket", "lifecycle.archive_after_days"): {"aws", "cloudflare"},
}


def _target_fields(spec: StackSpec) -> list[Problem]:
    problems = []
    for name, svc in spec.services.items():
        for (kind, field), targets in TARGET_FIELDS.items():
            if svc.kind != kind or svc.target in targets:
                continue
            owner: Any = svc
            *parents, leaf = field.split(".")
            for part in parents:
                owner = getattr(owner, part, None)
            if owner is not None and leaf in owner.model_fields_set:
                problems.append(
                    (
                        f"services.{name}.{field}",
                        f"not supported on {svc.target}; only on: {', '.join(sorted(targets))}",
                    )
                )
    return problems


def _placement(spec: StackSpec) -> list[Problem]:
    problems = []
    for name, svc in spec.services.items():
        placement = getattr(svc, "placement", [])
        path = f"services.{name}.hosts" if getattr(svc, "hosts", None) else f"services.{name}.host"
        if getattr(svc, "hosts", None) and getattr(svc, "host", None):
            problems.append((f"services.{name}", "give host or hosts, not both"))
            continue
        runtime = getattr(svc, "runtime", None)
        if placed_on_host(svc.kind, svc.target, runtime):
            if not placement:
                hosts = (
                    ", ".join(h for h, spec_h in spec.hosts.items() if spec_h.target == svc.target)
                    or "none defined"
                )
                problems.append(
                    (
                        f"services.{name}.host",
                        f"a {svc.kind} on {svc.target} runs on a host; set host to one of: {hosts}",
                    )
                )
            if len(set(placement)) < len(placement):
                problems.append((path, "names a host twice"))
            for host_name in dict.fromkeys(placement):
                if host_name not in spec.hosts:
                    problems.append(
                        (
                            path,
                            f"unknown host {host_name!r}; defined hosts: {', '.join(spec.hosts) or 'none'}",
                        )
                    )
                elif spec.hosts[host_name].target != svc.target:
                    problems.append(
                        (
                            path,
                            f"host {host_name!r} is on {spec.hosts[host_name].target}, but the service targets {svc.target}",
                        )
                    )
        elif placement and runtime in OFF_HOST_RUNTIMES.get(svc.target, frozenset()):
            problems.append((path, f"{runtime} runs the containers itself; remove {path.rsplit('.', 1)[1]}"))
        elif placement:
            problems.append(
                (
                    path,
                    "only "
                    + "; ".join(
                        f"{', '.join(sorted(kinds))} on {t}" for t, kinds in sorted(HOST_PLACED.items())
                    )
                    + " run on a host; remove host",
                )
            )
    return problems


def _links(spec: StackSpec) -> list[Problem]:
    problems = []
    linkable = sorted(LINK_ENV)
    for name, svc in spec.services.items():
        if not isinstance(svc, ContainerService):
            continue
        seen = set()
        for i, link in enumerate(svc.links):
            path = f"services.{name}.links[{i}]"
            if link in seen:
                problems.append((path, f"{link!r} is linked twice"))
            seen.add(link)
            target = spec.services.get(link)
            if target is None:
                problems.append(
                    (path, f"links to {link!r}, which is not a service; services: {', '.join(spec.services)}")
                )
            elif target.kind not in LINK_ENV:
                problems.append(
                    (path, f"{link!r} is a {target.kind}; links can point to: {', '.join(linkable)}")
                )
        # Two links of one kind would set the same variables twice (DATABASE_URL …).
        kinds = [spec.services[link].kind for link in dict.fromkeys(svc.links) if link in spec.services]
        for kind in sorted({k for k in kinds if kinds.count(k) > 1 and k in LINK_ENV}):
            problems.append(
                (
                    f"services.{name}.links",
                    f"links to more than one {kind}; the connection variables would collide",
                )
            )
        provided: dict[str, str] = {var: kind for kind in kinds if kind in LINK_ENV for var in LINK_ENV[kind]}
        provided |= {var: kind for kind in _internet_kinds(spec, svc) for var in LINK_TLS_ENV[kind]}
        for i, key in enumerate(svc.secrets):
            path = f"services.{name}.secrets[{i}]"
            if key in provided:
                problems.append(
                    (path, f"{key} is set by the link to a {provided[key]}; remove it from secrets")
                )
            elif key in svc.env:
                problems.append((path, f"{key} is also in env; keep a secret in secrets only"))
            elif svc.secrets.index(key) != i:
                problems.append((path, f"{key} is listed twice"))
        for key in svc.env:
            if key in provided:
                problems.append(
                    (
                        f"services.{name}.env.{key}",
                        f"is set by the link to a {provided[key]}; remove it from env",
                    )
                )
    return problems


def _internet_kinds(spec: StackSpec, svc: ContainerService) -> list[str]:
    """The kinds `svc` links across the internet (they add the variables of LINK_TLS_ENV)."""
    deps = [spec.services[link] for link in svc.links if link in spec.services]
    return [d.kind for d in deps if link_path(svc.target, d.kind, d.target) == INTERNET]


def _reach(spec: StackSpec) -> list[Problem]:
    """Every link to a database or cache must have a network path: both on one provider, or a
    pair wired across the internet (components.capabilities.INTERNET_LINKS: admission of the
    consumer's addresses, TLS the client verifies). Any other pair is refused instead of
    validating and failing at runtime."""
    problems: list[Problem] = []
    for name, svc in spec.services.items():
        if not isinstance(svc, ContainerService):
            continue
        for i, link in enumerate(svc.links):
            dep = spec.services.get(link)
            if dep is None or dep.target not in LISTENS or svc.target not in supported_targets(svc.kind):
                continue  # no such service, or a target _targets already refuses
            path = link_path(svc.target, dep.kind, dep.target)
            if path == INTERNET and svc.target == "aws" and spec.aws_nat != "managed":
                problems.append(
                    (
                        f"services.{name}.links[{i}]",
                        (
                            f"{link} is a {dep.kind} on {dep.target}, which admits fixed addresses only: "
                            "Fargate tasks have one behind the NAT gateway alone; set aws.nat: managed "
                            "(its Elastic IP is admitted; infra cost shows the gateway)"
                        ),
                    )
                )
            region = spec.region_for("aws")  # None: refused for want of aws: already
            if (
                path == INTERNET
                and dep.target == "aws"
                and region
                and not RDS_TRUSTSTORE_REGION.fullmatch(region)
            ):
                problems.append(
                    (
                        f"services.{name}.links[{i}]",
                        (
                            f"{link} is a {dep.kind} on aws in {region}, which publishes its RDS CA bundle "
                            f"outside the commercial partition; {name} on {svc.target} can reach RDS only "
                            f"in a commercial region (us-east-1, eu-central-1 …), or put {link} on {svc.target}"
                        ),
                    )
                )
            if path == INTERNET and svc.on_app_platform:
                problems.append(
                    (
                        f"services.{name}.links[{i}]",
                        (
                            f"{link} is a {dep.kind} on {dep.target}, which admits fixed addresses only: "
                            f"App Platform apps leave from shared ones; run {name} on the stack's droplets "
                            f"(runtime: droplet), or put {link} on digitalocean"
                        ),
                    )
                )
            if path != UNWIRED:
                continue
            across = sorted(t for c, k, t in INTERNET_LINKS if (c, k) == (svc.target, dep.kind))
            over = "".join(f", or {link} on {t}, reached over verified TLS" for t in across)
            problems.append(
                (
                    f"services.{name}.links[{i}]",
                    (
                        f"{link} is a {dep.kind} on {dep.target} ({LISTENS[dep.target]}) and {name} runs on "
                        f"{svc.target}: nothing connects them; put both on one provider "
                        f"({name} on {dep.target}, or {link} on {svc.target}){over}"
                    ),
                )
            )
    return problems


def _jobs(spec: StackSpec) -> list[Problem]:
    """A job runs on one host, one container at a time, by a systemd timer: what a host
    cannot honour is refused, and so is App Platform, for which no job backend exists."""
    problems: list[Problem] = []
    for name, svc in spec.services.items():
        if not isinstance(svc, JobSpec):
            continue
        if svc.on_app_platform:
            problems.append(
                (
                    f"services.{name}.runtime",
                    (
                        "App Platform jobs are not supported yet; run it on a droplet (runtime: droplet) "
                        "or on a hetzner host"
                    ),
                )
            )
        if svc.hosts is not None:
            problems.append((f"services.{name}.hosts", "a job runs on one host: set host instead"))
        if svc.target == "aws" and svc.concurrency == "forbid":
            problems.append(
                (
                    f"services.{name}.concurrency",
                    (
                        "on aws EventBridge Scheduler starts every run on time, so a long run can "
                        "overlap the next; set concurrency: allow, or run the job on a host"
                    ),
                )
            )
        for field in ("replicas", "max_replicas", "instance_size"):
            if field in svc.model_fields_set:
                problems.append((f"services.{name}.{field}", "a job runs one container at a time: remove it"))
    return problems


def _hosts(spec: StackSpec) -> list[Problem]:
    problems = []
    for name, host in spec.hosts.items():
        if host.target not in supported_targets("host"):
            continue  # already reported by _targets
        known = locations(host.target)
        if host.location not in known:
            group = price_list(host.target, host.location)
            if group not in (None, "unlisted"):
                message = (
                    f"{host.location} is billed by Hetzner's {group.upper()} price list, which this catalog "
                    f"does not have yet (infra prices refresh --provider hetzner reads it); priced: {', '.join(known)}"
                )
            else:
                message = f"unknown or unpriced location; allowed: {', '.join(known)}"
            problems.append((f"hosts.{name}.location", message))
            continue
        if host.size is not None and host.server_type is not None:
            problems.append((f"hosts.{name}", "give size or server_type, not both"))
            continue
        try:
            chosen = resolve_server_type(host)
        except SizingError as err:
            field = "server_type" if host.server_type else "size"
            problems.append((f"hosts.{name}.{field}", str(err)))
        else:
            for field in ("arch", "cpu_kind"):
                wanted = getattr(host, field)
                if field in host.model_fields_set and getattr(chosen, field) != wanted:
                    problems.append(
                        (
                            f"hosts.{name}.{field}",
                            f"server_type {chosen.name} is {getattr(chosen, field)}, not {wanted}",
                        )
                    )
        if not any(name in getattr(s, "placement", []) for s in spec.services.values()):
            problems.append(
                (f"hosts.{name}", "nothing runs on this host (no service has host: " + name + "); remove it")
            )
        needed = required_volume_gb(spec, name)
        if host.volume_gb is not None and host.volume_gb < needed:
            problems.append(
                (
                    f"hosts.{name}.volume_gb",
                    f"the data services on this host need at least {needed} GB; raise it or leave it unset",
                )
            )
    return problems


def _admin(spec: StackSpec) -> list[Problem]:
    if not spec.hosts:
        return []
    if spec.admin is None:
        return [("admin", "hosts need admin: {ssh_public_keys: [...], cidrs: [...]} for SSH access")]
    problems = []
    # Computed, not pattern-matched: 0.0.0.0/1 with 128.0.0.0/1, or ::ffff:0:0/96, is the
    # whole internet too.
    if reaches_everyone(spec.admin.cidrs) and not spec.admin.allow_world_ssh:
        problems.append(
            (
                "admin.cidrs",
                "opens SSH to the whole internet; use your office/VPN CIDR, or set admin.allow_world_ssh: true",
            )
        )
    if not spec.admin.cidrs and not spec.admin.allow_world_ssh:
        problems.append(
            (
                "admin.cidrs",
                "no network may reach SSH, so releases cannot be deployed; add your CIDR (e.g. 203.0.113.7/32)",
            )
        )
    return problems


# Names the host machinery uses itself: a service may not take them.
RESERVED_NAMES = {"caddy"}


def _backups(spec: StackSpec) -> list[Problem]:
    problems: list[Problem] = []
    for name, svc in spec.services.items():
        if not isinstance(svc, PostgresSpec) or not placed_on_host(svc.kind, svc.target):
            continue
        if svc.backup is None:
            if spec.environment == "prod":
                buckets = [n for n, s in spec.services.items() if isinstance(s, BucketSpec)] or [
                    "<add a bucket>"
                ]
                problems.append(
                    (
                        f"services.{name}.backup",
                        f"a prod database on a host needs off-host backups; set backup: {{bucket: {buckets[0]}}}",
                    )
                )
            continue
        target = spec.services.get(svc.backup.bucket)
        if not isinstance(target, BucketSpec):
            names = (
                ", ".join(n for n, s in spec.services.items() if isinstance(s, BucketSpec)) or "none defined"
            )
            problems.append(
                (f"services.{name}.backup.bucket", f"must name a bucket service; buckets: {names}")
            )
        if spec.environment == "prod" and (svc.backup.keep_daily < 7 or svc.backup.keep_weekly < 4):
            problems.append((f"services.{name}.backup", "prod keeps at least 7 daily and 4 weekly backups"))
    return problems


def _names(spec: StackSpec) -> list[Problem]:
    """Names that collide: with a setup job, a host, the reverse proxy, another domain."""
    return [*_setup_job_names(spec), *_apex(spec), *_taken_names(spec), *_env_quotes(spec), *_domains(spec)]


def _setup_job_names(spec: StackSpec) -> list[Problem]:
    # Every managed database that has an admin runs a setup job (DigitalOcean's, today).
    jobs = {
        setup_job_name(n): n
        for n, s in spec.services.items()
        if isinstance(s, PostgresSpec) and s.target == "digitalocean"
    }
    return [
        (
            f"services.{name}",
            f"the name {name!r} is taken by the setup job of services.{jobs[name]}; rename the service",
        )
        for name in spec.services
        if name in jobs
    ]


def _apex(spec: StackSpec) -> list[Problem]:
    # An AWS load balancer or CloudFront is reached through an alias (Route 53) or a
    # flattened CNAME (Cloudflare); DigitalOcean DNS has neither at the apex.
    if spec.dns is None or spec.dns.provider != "digitalocean":
        return []
    return [
        (
            f"services.{name}.subdomain",
            "DigitalOcean DNS cannot point the apex at a CNAME target; use a subdomain such as www",
        )
        for name, svc in spec.services.items()
        if isinstance(svc, ApiSpec | StaticSiteSpec)
        and svc.target in ("aws", "digitalocean")
        and svc.subdomain == "@"
        and not (isinstance(svc, ApiSpec) and svc.target == "digitalocean" and not svc.on_app_platform)
    ]


def _taken_names(spec: StackSpec) -> list[Problem]:
    problems: list[Problem] = []
    for name in spec.services:
        if name in spec.hosts:
            problems.append(
                (
                    f"services.{name}",
                    f"a host is also called {name!r}; give the host or the service another name",
                )
            )
        if name in RESERVED_NAMES:
            problems.append(
                (
                    f"services.{name}",
                    f"the name {name!r} is reserved for the reverse proxy; rename the service",
                )
            )
    return problems


def _env_quotes(spec: StackSpec) -> list[Problem]:
    # Names are EnvName (components._lib.grammars) and no value has a newline (the spec's rule
    # for every string); the env files hold KEY='value' lines.
    return [
        (f"services.{name}.env.{key}", "values cannot contain a single quote")
        for name, svc in spec.services.items()
        for key, value in getattr(svc, "env", {}).items()
        if "'" in value
    ]


def _domains(spec: StackSpec) -> list[Problem]:
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for name, svc in spec.services.items():
        if isinstance(svc, ApiSpec | StaticSiteSpec):
            fqdn = spec.fqdn(svc.subdomain, name)
            if fqdn in claimed:
                problems.append(
                    (f"services.{name}.subdomain", f"{fqdn} is already used by services.{claimed[fqdn]}")
                )
            claimed[fqdn] = name
    return problems


def warnings(spec: StackSpec) -> list[Problem]:
    """What is valid but probably wrong: plain `env` values that look like credentials (they
    would sit in task definitions, App Platform specs and `render` output). Never echoes one."""
    found: list[Problem] = []
    for name, svc in spec.services.items():
        for key, value in getattr(svc, "env", {}).items():
            reason = credential_reason(key, value)
            if reason:
                found.append(
                    (
                        f"services.{name}.env.{key}",
                        (
                            f"looks like a credential ({reason}); move it to secrets: [{key}] and set it "
                            f"with pulumi config set --path --secret multicloud:secrets.{key} …"
                        ),
                    )
                )
    found.extend(alert_warnings(spec))
    return found


def alert_warnings(spec: StackSpec) -> list[Problem]:
    """A prod stack nobody is told about, and alert routes a target cannot deliver."""
    apis, backups = spec.public_apis(), spec.backed_up_on_hosts()
    if spec.alerts is None:
        if spec.environment != "prod" or not (apis or backups):
            return []
        unwatched = [f"api {name} (uptime, certificate expiry)" for name in apis]
        unwatched += [f"the backups of {name}" for name in backups]
        return [
            (
                "alerts",
                "not set in a prod stack, so nothing tells anyone when these fail: "
                + "; ".join(unwatched)
                + "; set alerts: {emails: [you@example.com]}",
            )
        ]
    found: list[Problem] = []
    aws_apis = [name for name in apis if spec.services[name].target == "aws"]
    if spec.alerts.slack_channel and aws_apis:
        found.append(
            (
                "alerts.slack_channel",
                (
                    f"AWS alarms of {', '.join(aws_apis)} go to the e-mail addresses only "
                    "(SNS cannot post to a Slack incoming webhook)"
                ),
            )
        )
    do_apis = [name for name in apis if spec.services[name].target == "digitalocean"]
    if do_apis and not spec.alerts.digitalocean_emails:
        found.append(
            (
                "alerts.digitalocean_emails",
                (
                    f"not set: the Uptime alerts of {', '.join(do_apis)} go to the DigitalOcean account's own "
                    "address (DigitalOcean refuses addresses outside its team); list team members here"
                ),
            )
        )
    if 2 * len(backups) > HEALTHCHECKS_FREE_CHECKS:
        found.append(
            (
                "alerts",
                (
                    f"{2 * len(backups)} backup heartbeats exceed the {HEALTHCHECKS_FREE_CHECKS} checks of "
                    "Healthchecks.io's free plan; the project needs a paid plan (priced in infra cost)"
                ),
            )
        )
    return found


# Healthchecks.io's free Hobbyist plan (costs/catalog/healthchecks.yaml): its API refuses the 21st check.
HEALTHCHECKS_FREE_CHECKS = 20

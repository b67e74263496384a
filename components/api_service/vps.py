"""ApiService/Worker on VPS hosts (Hetzner servers or DigitalOcean droplets): a container
behind Caddy, DNS at the host. Provider-neutral: `hetzner.py` is this, and `digitalocean.py`
uses it for droplets.

The container gets its whole environment from a 0600 env file shipped by the host's
release, not from compose.yaml, so secrets never sit in a world-readable file. Caddy
terminates HTTPS for `fqdn` with a Let's Encrypt certificate; the DNS records point at the
host (its floating IP when it has one). A worker may run on several hosts; an api on several
hosts needs a provider load balancer in front (DigitalOcean), which `place` prepares for.
"""

from __future__ import annotations

import pulumi

from multicloud.components._vps.model import Container, File, Scheduled, Site
from multicloud.components._vps.render import check_site, job_units, service_name
from multicloud.components.api_service import (
    ApiService,
    ApiServiceArgs,
    ApiServiceOutputs,
    internet_links,
    setup_jobs,
)
from multicloud.components.connection import ca_file
from multicloud.components.dns import Record, create_record
from multicloud.components.host import VpsHost


def place(
    name: str, args: ApiServiceArgs, env: dict[str, pulumi.Output[str]], lb_port: int | None = None
) -> list[VpsHost]:
    """Put the container (and its site) on every host of the service, with the setup jobs of
    its linked databases (run by the release before it starts); returns the hosts.

    With `lb_port`, Caddy serves the site as plain HTTP on that port for a load balancer
    that terminates HTTPS, instead of HTTPS with its own certificate."""
    hosts = args.placement
    if not hosts:
        raise ValueError(f"{name}: a service on {args.target} runs on hosts; pass runtime=OnHosts([host, …])")
    site = (
        Site(
            fqdn=args.fqdn,
            upstream=name,
            port=args.port,
            health_path=args.health_path,
            replicas=args.replicas,
            lb_port=lb_port,
        )
        if args.fqdn and args.port
        else None
    )
    # The host's renderers check every value again; checked here, a bad one stops the program
    # before any resource exists, naming the service.
    service_name("service name", name)
    if site is not None:
        check_site(site, name)
    jobs = setup_jobs(args)
    for host in hosts:
        for link_name, job in jobs.items():
            host.workloads.add(
                Container(
                    name=job.name,
                    image=job.image,
                    command=job.command,
                    env=job.env,
                    files=ca_files(job.name, args, only=link_name),
                    job=True,
                )
            )
        scheduled = (
            Scheduled(args.schedule.text, args.schedule.on_calendar, args.timeout_seconds)
            if args.schedule is not None
            else None
        )
        host.workloads.add(
            Container(
                name=name,
                image=args.image,
                command=args.command,
                env=dict(env),
                files=ca_files(name, args),
                schedule=scheduled,
                host_files=job_units(name, scheduled) if scheduled is not None else [],
                replicas=args.replicas,
                cpus=args.cpu,
                memory_mb=int(args.memory_gb * 1024) if args.memory_gb else None,
                read_only=args.read_only,
                tmpfs=["/tmp"] if args.read_only else [],
            ),
            site,
        )
    return hosts


def ca_files(container: str, args: ApiServiceArgs, only: str | None = None) -> list[File]:
    """The CA certificates of the dependencies the service reaches over the internet (or of
    link `only`), each mounted read-only where its variables say (components.connection.ca_file).
    Public certificates, so readable by the container's user whatever its uid."""
    return [
        File(
            f"config/{container}/{link_name}-ca.pem", internet.ca_certificate, 0o644, mount=ca_file(link_name)
        )
        for link_name, internet in sorted(internet_links(args).items())
        if only is None or link_name == only
    ]


def build(
    parent: ApiService, name: str, args: ApiServiceArgs, env: dict[str, pulumi.Output[str]]
) -> ApiServiceOutputs:
    """Place the container (and its site) on the host, and point DNS at the host."""
    hosts = place(name, args, env)
    if args.fqdn and len(hosts) > 1:
        raise ValueError(f"{name}: an api on several hosts needs a load balancer in front ({args.target})")
    host = hosts[0]
    resources: dict[str, pulumi.Resource] = {}
    if args.fqdn and args.dns is not None:
        resources["dns_a"] = create_record(
            parent, f"{name}-dns-a", args.dns, Record(args.fqdn, "A", host.public_ipv4, proxied=args.proxied)
        )
        resources["dns_aaaa"] = create_record(
            parent,
            f"{name}-dns-aaaa",
            args.dns,
            Record(args.fqdn, "AAAA", host.public_ipv6, proxied=args.proxied),
        )
    url = pulumi.Output.from_input(f"https://{args.fqdn}") if args.fqdn else None
    return ApiServiceOutputs(url=url, resources=resources)

"""ApiService/Worker on DigitalOcean, in one of three shapes:

- **droplet** (default): a container on a droplet VpsHost behind Caddy — the shared VPS
  machinery of `components/api_service/vps.py`, exactly as on Hetzner;
- **droplets behind a load balancer** (an api on several hosts, or `load_balancer=True`):
  the same containers on each droplet, and a DigitalOcean load balancer in the VPC that
  terminates HTTPS with a Let's Encrypt certificate DigitalOcean issues and renews (the zone
  must be in DigitalOcean DNS), redirects HTTP to HTTPS and health-checks every droplet. Caddy
  on each droplet serves the api as plain HTTP on the api's port, which a second cloud
  firewall opens to that load balancer alone;
- **App Platform** (`runtime="app_platform"`): one app with one service or worker component,
  its instance size resolved from the neutral size, a health check, CPU autoscaling where the
  size allows it (dedicated sizes), link variables as `type: SECRET`, inside the stack's VPC so
  the managed databases' private hostnames resolve. DNS gets a CNAME to the app's default
  ingress and App Platform obtains the certificate.

Cost: droplets are priced on the host; a load balancer is $12/month per node; App Platform is
the instance size per instance (the minimum count when autoscaling).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.digitalocean import app_name, app_region, ingress_host
from multicloud.components._lib.images import ImageRef, parse_image, registry_host, registry_logins
from multicloud.components._lib.naming import physical_name
from multicloud.components._lib.stored_secrets import StoredSecrets
from multicloud.components.api_service import (
    ApiService,
    ApiServiceArgs,
    ApiServiceOutputs,
    OnAppPlatform,
    OnHosts,
    secret_names,
    setup_jobs,
    vps,
)
from multicloud.components.connection import SECRET_VARS
from multicloud.components.dns import Record, create_record

# Load balancer health checks: a droplet leaves rotation after 3 failures 10 s apart.
HEALTH = {"check_interval_seconds": 10, "response_timeout_seconds": 5, "unhealthy_threshold": 3}
AUTOSCALE_CPU_PERCENT = 60  # the same target as ECS on AWS
JOB_SIZE = "apps-s-1vcpu-0.5gb"  # setup jobs run psql for seconds; billed per second


def build(
    parent: ApiService, name: str, args: ApiServiceArgs, env: dict[str, pulumi.Output[str]]
) -> ApiServiceOutputs:
    """Dispatch on the runtime: App Platform, droplets behind a load balancer, or one droplet."""
    runtime = args.runtime
    if isinstance(runtime, OnAppPlatform):
        return _app_platform(parent, name, args, runtime, env)
    if not isinstance(runtime, OnHosts):
        raise TypeError(f"{name}: DigitalOcean runs services OnHosts (droplets) or OnAppPlatform")
    if args.fqdn and (runtime.load_balancer or len(runtime.hosts) > 1):
        return _behind_load_balancer(parent, name, args, runtime, env)
    return vps.build(parent, name, args, env)


# --- droplets behind a load balancer -----------------------------------------------------


@dataclass(frozen=True)
class _Balanced:
    """What the steps of `_behind_load_balancer` share."""

    parent: ApiService
    name: str
    fqdn: str
    port: int
    health_path: str
    region: str | None
    vpc_uuid: pulumi.Input[str]
    droplet_ids: list[pulumi.Output[int]]
    physical: str
    """The project- and stack-qualified name the load balancer and its firewall carry."""
    child: pulumi.ResourceOptions


def _behind_load_balancer(
    parent: ApiService, name: str, args: ApiServiceArgs, runtime: OnHosts, env: dict[str, pulumi.Output[str]]
) -> ApiServiceOutputs:
    """The containers on every droplet, and in front of them a certificate, a load balancer,
    the firewall that opens the api's port to it, and the DNS record."""
    assert args.fqdn is not None and args.port is not None  # an ApiService (checked by the facade)
    if args.dns is None or args.dns.provider != "digitalocean":
        raise ValueError(
            f"{name}: a DigitalOcean load balancer's certificate needs the zone in DigitalOcean DNS (dns=)"
        )
    hosts = vps.place(name, args, env, lb_port=args.port)
    fleet = hosts[0].args.fleet
    assert fleet is not None and fleet.network_id is not None  # every droplet host has one
    ctx = _Balanced(
        parent=parent,
        name=name,
        fqdn=args.fqdn,
        port=args.port,
        health_path=args.health_path,
        region=runtime.region,
        vpc_uuid=fleet.network_id,
        droplet_ids=[host.server_id.apply(int) for host in hosts],
        physical=physical_name(pulumi.get_project(), pulumi.get_stack(), name),
        child=pulumi.ResourceOptions(parent=parent),
    )
    certificate = _certificate(ctx)
    lb = _load_balancer(ctx, certificate)
    firewall = _lb_firewall(ctx, lb)
    record = create_record(parent, f"{name}-dns-a", args.dns, Record(args.fqdn, "A", lb.ip))
    return ApiServiceOutputs(
        url=pulumi.Output.from_input(f"https://{args.fqdn}"),
        resources={"certificate": certificate, "load_balancer": lb, "lb_firewall": firewall, "dns_a": record},
    )


def _certificate(ctx: _Balanced) -> do.Certificate:
    # DigitalOcean renews the certificate by replacing it under the same name, so the load
    # balancer refers to it by name. The name carries the domain: a new domain is a new name.
    return do.Certificate(
        f"{ctx.name}-certificate",
        name=physical_name(ctx.physical, ctx.fqdn.replace(".", "-")),
        type="lets_encrypt",
        domains=[ctx.fqdn],
        opts=ctx.child,
    )


def _load_balancer(ctx: _Balanced, certificate: do.Certificate) -> do.LoadBalancer:
    return do.LoadBalancer(
        f"{ctx.name}-lb",
        name=ctx.physical,
        region=ctx.region,
        vpc_uuid=ctx.vpc_uuid,
        size_unit=1,
        droplet_ids=ctx.droplet_ids,
        forwarding_rules=[
            do.LoadBalancerForwardingRuleArgs(
                entry_port=443,
                entry_protocol="https",
                target_port=ctx.port,
                target_protocol="http",
                certificate_name=certificate.name,
            ),
            # Only so that port 80 answers: every request on it is redirected to HTTPS.
            do.LoadBalancerForwardingRuleArgs(
                entry_port=80, entry_protocol="http", target_port=ctx.port, target_protocol="http"
            ),
        ],
        redirect_http_to_https=True,
        tls_cipher_policy="STRONG",
        healthcheck=do.LoadBalancerHealthcheckArgs(
            protocol="http", port=ctx.port, path=ctx.health_path, healthy_threshold=2, **HEALTH
        ),
        enable_backend_keepalive=True,
        http_idle_timeout_seconds=60,
        # The stack writes the DNS records itself (`_behind_load_balancer`), like every other
        # backend.
        disable_lets_encrypt_dns_records=True,
        opts=ctx.child,
    )


def _lb_firewall(ctx: _Balanced, lb: do.LoadBalancer) -> do.Firewall:
    # The droplets' own firewall opens 80/443 to the world for Caddy; the api's port is opened
    # here, to this load balancer only.
    return do.Firewall(
        f"{ctx.name}-lb-firewall",
        name=physical_name(ctx.physical, "lb"),
        droplet_ids=ctx.droplet_ids,
        inbound_rules=[
            do.FirewallInboundRuleArgs(
                protocol="tcp", port_range=str(ctx.port), source_load_balancer_uids=[lb.id]
            )
        ],
        opts=ctx.child,
    )


# --- App Platform --------------------------------------------------------------------------


def app_envs(
    env: dict[str, pulumi.Output[str]],
    env_type: type = do.AppSpecServiceEnvArgs,
    component: str = "",
    secrets: StoredSecrets | None = None,
    secret_keys: frozenset[str] = SECRET_VARS,
) -> list:
    """App Platform variables, read at run time: SECRET when they carry a credential (the
    links' DATABASE_URL, PGPASSWORD … — components.connection.SECRET_VARS — and the app's own
    `secrets`), GENERAL otherwise. A SECRET is sent in the form DigitalOcean stored it last
    time while its plaintext is unchanged (`secrets`)."""
    envs = []
    for key, value in sorted(env.items()):
        secret = key in secret_keys
        if secret and secrets is not None:
            value = secrets.value(f"{component}.env.{key}", value)
        envs.append(env_type(key=key, value=value, scope="RUN_TIME", type="SECRET" if secret else "GENERAL"))
    return envs


def _app_exists(parent: pulumi.Resource, app_id: str) -> bool:
    """Whether DigitalOcean still has the app (getApp fails for one deleted outside Pulumi)."""
    try:
        do.get_app(app_id=app_id, opts=pulumi.InvokeOptions(parent=parent))
    except Exception:  # noqa: BLE001 - any failure means its ciphertexts cannot be trusted
        return False
    return True


def stored_values(spec: Any, paths: list[str]) -> dict[str, str | None]:
    """What DigitalOcean stored at each secret path of an app's spec (the App's `spec` output:
    the SDK's output types, or plain camelCase dicts)."""

    def field(obj: Any, snake: str, camel: str) -> Any:
        if obj is None:
            return None
        value = getattr(obj, snake, None)
        if value is None and isinstance(obj, dict):
            value = obj.get(camel, obj.get(snake))
        return value

    components = {}
    for snake, camel in (("services", "services"), ("workers", "workers"), ("jobs", "jobs")):
        for component in field(spec, snake, camel) or []:
            components[field(component, "name", "name")] = component
    found: dict[str, str | None] = {}
    for path in paths:
        name, kind, *rest = path.split(".")
        component = components.get(name)
        if kind == "image":
            found[path] = field(
                field(component, "image", "image"), "registry_credentials", "registryCredentials"
            )
        else:
            envs = {
                field(e, "key", "key"): field(e, "value", "value")
                for e in field(component, "envs", "envs") or []
            }
            found[path] = envs.get(rest[0])
    return found


def image_args(image: ImageRef) -> dict[str, Any]:
    """App Platform's image fields (the same for services, workers and jobs)."""
    return {
        "registry_type": image.registry_type,
        "registry": image.registry or None,  # DOCR: the account's registry, left empty
        "repository": image.repository,
        # A digest pins the image; App Platform takes a tag or a digest, not both.
        **({"digest": image.digest} if image.digest else {"tag": image.tag or "latest"}),
    }


def scaling(args: ApiServiceArgs, autoscaling: type, metrics: type, cpu: type) -> dict:
    """A fixed instance count, or CPU autoscaling from `replicas` to `max_replicas` (service
    and worker components have the same fields under different SDK classes)."""
    if not args.max_replicas:
        return {"instance_count": args.replicas}
    return {
        "autoscaling": autoscaling(
            min_instance_count=args.replicas,
            max_instance_count=args.max_replicas,
            metrics=metrics(cpu=cpu(percent=AUTOSCALE_CPU_PERCENT)),
        )
    }


@dataclass(frozen=True)
class _App:
    """What the steps of `_app_platform` share."""

    parent: ApiService
    name: str
    args: ApiServiceArgs
    runtime: OnAppPlatform
    env: dict[str, pulumi.Output[str]]
    secrets: StoredSecrets
    """Every SECRET value goes through it: sent as DigitalOcean stored it while unchanged."""


def _app_platform(
    parent: ApiService,
    name: str,
    args: ApiServiceArgs,
    runtime: OnAppPlatform,
    env: dict[str, pulumi.Output[str]],
) -> ApiServiceOutputs:
    """One app (its spec: the component, the setup jobs, the VPC, alerts) and, for an api,
    the CNAME to its default ingress."""
    secrets = StoredSecrets(runtime.stored_secrets, lambda app_id: _app_exists(parent, app_id))
    ctx = _App(parent=parent, name=name, args=args, runtime=runtime, env=env, secrets=secrets)
    app = _app(ctx, _app_spec(ctx))
    resources: dict[str, pulumi.Resource] = {"app": app}
    url = None
    if args.port is not None:
        assert args.fqdn is not None
        url = pulumi.Output.from_input(f"https://{args.fqdn}")
        if args.dns is not None:
            resources["dns_cname"] = _app_dns(ctx, app)
    paths = sorted(secrets.plaintexts)
    return ApiServiceOutputs(
        url=url,
        resources=resources,
        stored_secrets=secrets.record(app.id, app.spec.apply(lambda spec: stored_values(spec, paths)))
        if paths
        else None,
    )


def _app_spec(ctx: _App) -> dict[str, Any]:
    """The app spec's fields: the setup jobs, where it runs, its alerts, and the api's service
    (with ingress and domain) or the worker."""
    args, runtime = ctx.args, ctx.runtime
    image_fields = _image_fields(ctx)
    common: dict[str, Any] = {
        "name": ctx.name,
        "instance_size_slug": runtime.instance_size,
        "run_command": shlex.join(args.command) if args.command else None,
    }
    fleet = runtime.fleet
    spec_fields: dict[str, Any] = {
        "jobs": _setup_jobs(ctx) or None,
        "name": app_name(ctx.name),
        "region": app_region(runtime.region),
        "alerts": [do.AppSpecAlertArgs(rule="DEPLOYMENT_FAILED")],
        # Inside the stack's VPC: the managed databases' private hostnames resolve, and their
        # firewalls admit the VPC's range.
        "vpcs": [do.AppSpecVpcArgs(id=fleet.network_id)] if fleet is not None and fleet.network_id else None,
    }
    if args.port is not None:
        spec_fields |= _service_fields(ctx, image_fields, common)
        spec_fields["alerts"].append(do.AppSpecAlertArgs(rule="DOMAIN_FAILED"))
    else:
        spec_fields["workers"] = [_worker(ctx, image_fields, common)]
    return spec_fields


def _image_fields(ctx: _App) -> dict[str, Any]:
    """The component's image, and for a private one outside DOCR the registry login."""
    args = ctx.args
    image_fields = image_args(parse_image(args.image))
    if args.registry_credentials is not None and image_fields["registry_type"] != "DOCR":
        # Private images: App Platform logs in with the registry's user:token (DOCR needs none).
        registry = registry_host(args.image)
        image_fields["registry_credentials"] = ctx.secrets.value(
            f"{ctx.name}.image",
            pulumi.Output.from_input(args.registry_credentials).apply(
                lambda value: registry_logins(value).get(registry)  # type: ignore[arg-type,return-value]
            ),
        )
    return image_fields


def _setup_jobs(ctx: _App) -> list[do.AppSpecJobArgs]:
    return [
        # Before every deployment, as on a droplet before the release starts the service.
        do.AppSpecJobArgs(
            name=job.name,
            kind="PRE_DEPLOY",
            image=do.AppSpecJobImageArgs(**image_args(parse_image(job.image))),
            run_command=shlex.join(job.command),
            envs=app_envs(job.env, do.AppSpecJobEnvArgs, job.name, ctx.secrets),
            instance_size_slug=JOB_SIZE,
            instance_count=1,
        )
        for job in setup_jobs(ctx.args).values()
    ]


def _service_fields(ctx: _App, image_fields: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """An api: the service with its health check, all paths routed to it, its domain."""
    name, args = ctx.name, ctx.args
    assert args.fqdn is not None
    return {
        "services": [
            do.AppSpecServiceArgs(
                image=do.AppSpecServiceImageArgs(**image_fields),
                http_port=args.port,
                health_check=do.AppSpecServiceHealthCheckArgs(
                    http_path=args.health_path,
                    port=args.port,
                    initial_delay_seconds=10,
                    period_seconds=10,
                    timeout_seconds=5,
                    failure_threshold=3,
                ),
                envs=app_envs(ctx.env, do.AppSpecServiceEnvArgs, name, ctx.secrets, secret_names(args)),
                **scaling(
                    args,
                    do.AppSpecServiceAutoscalingArgs,
                    do.AppSpecServiceAutoscalingMetricsArgs,
                    do.AppSpecServiceAutoscalingMetricsCpuArgs,
                ),
                **common,
            )
        ],
        "ingress": do.AppSpecIngressArgs(
            rules=[
                do.AppSpecIngressRuleArgs(
                    component=do.AppSpecIngressRuleComponentArgs(name=name),
                    match=do.AppSpecIngressRuleMatchArgs(path=do.AppSpecIngressRuleMatchPathArgs(prefix="/")),
                )
            ]
        ),
        "domain_names": [do.AppSpecDomainNameArgs(name=args.fqdn, type="PRIMARY")],
    }


def _worker(ctx: _App, image_fields: dict[str, Any], common: dict[str, Any]) -> do.AppSpecWorkerArgs:
    return do.AppSpecWorkerArgs(
        image=do.AppSpecWorkerImageArgs(**image_fields),
        envs=app_envs(ctx.env, do.AppSpecWorkerEnvArgs, ctx.name, ctx.secrets, secret_names(ctx.args)),
        **scaling(
            ctx.args,
            do.AppSpecWorkerAutoscalingArgs,
            do.AppSpecWorkerAutoscalingMetricsArgs,
            do.AppSpecWorkerAutoscalingMetricsCpuArgs,
        ),
        **common,
    )


def _app(ctx: _App, spec_fields: dict[str, Any]) -> do.App:
    # The first deployment must reach the linked databases: wait for their firewalls too.
    linked = [link for link in ctx.args.links.values() if isinstance(link, pulumi.Resource)]
    return do.App(
        f"{ctx.name}-app",
        spec=do.AppSpecArgs(**spec_fields),
        opts=pulumi.ResourceOptions(parent=ctx.parent, depends_on=linked),
    )


def _app_dns(ctx: _App, app: do.App) -> pulumi.Resource:
    args = ctx.args
    assert args.fqdn is not None and args.dns is not None
    return create_record(
        ctx.parent,
        f"{ctx.name}-dns-cname",
        args.dns,
        Record(args.fqdn, "CNAME", app.default_ingress.apply(ingress_host), proxied=args.proxied),
    )

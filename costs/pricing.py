"""Price a resource graph: one pricer per resource type token, reading that resource's inputs.

The same function prices the offline plan, the steps of a real `pulumi preview --json` and
the resources of a `pulumi stack export` (see `costs.sources`): each becomes a list of
`Resource(urn, type, name, parent, inputs)` first. Every type is one of three things:

- priced by a pricer below (prices from `costs/catalog/*.yaml`, each with its source);
- explicitly free (`FREE`: security groups, DNS records, IAM, Pages …) — shown as 0;
- unpriced — listed as such, never silently counted as 0.

Usage-based lines (stored GB, NAT traffic, load balancer capacity) take their quantity from
the stack's `usage:` config, whose values are printed with every estimate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from costs.catalog import load, server_types
from costs.usage import UsageSpec


@dataclass(frozen=True)
class Resource:
    """A resource to price, whatever it came from."""

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Line:
    """One priced quantity: `quantity` × `unit_price` = `monthly`, in `currency`."""

    resource: str
    """URN of the priced resource."""
    name: str
    quantity: float
    unit: str
    unit_price: float
    currency: str
    usage_based: bool = False
    source: str | None = None
    note: str = ""

    @property
    def monthly(self) -> float:
        """Monthly cost in the line's own currency."""
        return self.quantity * self.unit_price


@dataclass
class Priced:
    """The result of pricing a set of resources."""

    lines: list[Line] = field(default_factory=list)
    free: list[Resource] = field(default_factory=list)
    unpriced: list[Resource] = field(default_factory=list)
    usage: UsageSpec = field(default_factory=UsageSpec)


HOURS = 730  # hours per month, as AWS prices them

# Types that cost nothing by themselves (their cost, if any, is priced on another resource).
FREE = {
    "hcloud:index/firewall:Firewall",
    "hcloud:index/sshKey:SshKey",
    "hcloud:index/network:Network",
    "hcloud:index/networkSubnet:NetworkSubnet",
    "hcloud:index/volumeAttachment:VolumeAttachment",
    "hcloud:index/floatingIpAssignment:FloatingIpAssignment",
    "cloudflare:index/dnsRecord:DnsRecord",
    "cloudflare:index/pagesDomain:PagesDomain",
    "cloudflare:index/apiToken:ApiToken",
    "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomString:RandomString",
    "command:remote:Command",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/user:User",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/accessKey:AccessKey",
    "aws:ssm/parameter:Parameter",  # standard tier
    "aws:secretsmanager/secretVersion:SecretVersion",  # priced on its secret
    "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:route53/record:Record",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/service:Service",  # its tasks are priced on the task definition
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:appautoscaling/target:Target",
    "aws:appautoscaling/policy:Policy",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:elasticache/parameterGroup:ParameterGroup",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:cloudfront/originAccessControl:OriginAccessControl",
    "digitalocean:index/firewall:Firewall",
    "digitalocean:index/vpc:Vpc",
    "digitalocean:index/sshKey:SshKey",
    "digitalocean:index/tag:Tag",
    "digitalocean:index/volumeAttachment:VolumeAttachment",
    "digitalocean:index/reservedIp:ReservedIp",  # free while assigned to a droplet
    "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
    "digitalocean:index/databaseDb:DatabaseDb",
    "digitalocean:index/databaseUser:DatabaseUser",
    "digitalocean:index/databaseFirewall:DatabaseFirewall",
    "digitalocean:index/spacesKey:SpacesKey",
    "digitalocean:index/certificate:Certificate",
    "digitalocean:index/dnsRecord:DnsRecord",
}


class Context:
    """What a pricer may look at besides its own resource."""

    def __init__(self, resources: list[Resource], usage: UsageSpec, today: dt.date):
        self.resources = resources
        self.usage = usage
        self.today = today
        self._once: set[str] = set()

    def siblings(self, res: Resource, type_token: str) -> list[Resource]:
        """Resources of `type_token` with the same parent (the same component)."""
        return [r for r in self.resources if r.parent == res.parent and r.type == type_token]

    def first_time(self, key: str) -> bool:
        """True the first time `key` is asked for: account-wide fees are charged once."""
        if key in self._once:
            return False
        self._once.add(key)
        return True


Pricer = Callable[[Resource, Context], list[Line]]
PRICERS: dict[str, Pricer] = {}


def pricer(type_token: str) -> Callable[[Pricer], Pricer]:
    """Register a pricer for a type token."""

    def register(fn: Pricer) -> Pricer:
        PRICERS[type_token] = fn
        return fn

    return register


def price(resources: list[Resource], usage: UsageSpec | None = None, today: dt.date | None = None) -> Priced:
    """Price every resource; component resources (our own) and providers are skipped."""
    usage = usage or UsageSpec()
    # Sorted, so account-wide allowances (free tiers, a base fee) land on the same resource
    # every run, whatever order the engine registered them in.
    resources = sorted(resources, key=lambda r: r.urn)
    ctx = Context(resources, usage, today or dt.date.today())
    result = Priced(usage=usage)
    for res in resources:
        if res.type.startswith(("multicloud:", "pulumi:providers:", "pulumi:pulumi:")):
            continue
        fn = PRICERS.get(res.type)
        if fn is not None:
            result.lines.extend(fn(res, ctx))
        elif res.type in FREE:
            result.free.append(res)
        else:
            result.unpriced.append(res)
    return result


def _src(entry: dict[str, Any]) -> str | None:
    source = entry.get("source")
    return source.get("url") if isinstance(source, dict) else None


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --- Hetzner -----------------------------------------------------------------------------


@cache
def _hetzner_types(today: dt.date) -> dict[str, Any]:
    return {s.name: s for s in server_types("hetzner", today)}


@pricer("hcloud:index/server:Server")
def _hetzner_server(res: Resource, ctx: Context) -> list[Line]:
    sku = _hetzner_types(ctx.today).get(str(res.inputs.get("serverType")))
    if sku is None:
        return [
            Line(
                res.urn,
                f"server {res.inputs.get('serverType')} (not in catalog)",
                1,
                "month",
                0.0,
                "EUR",
                note="unpriced SKU",
            )
        ]
    extras = load("hetzner")["extras"]
    lines = [
        Line(
            res.urn,
            f"server {sku.name} ({sku.cpu} vCPU, {sku.memory_gb:g} GB)",
            1,
            "month",
            sku.monthly,
            sku.currency,
            source=sku.source_url,
        )
    ]
    nets = res.inputs.get("publicNets") or [{"ipv4Enabled": True}]
    if any(n.get("ipv4Enabled", True) for n in nets):
        ip = extras["primary_ipv4"]
        lines.append(Line(res.urn, "primary IPv4", 1, "month", ip["monthly"], "EUR", source=_src(ip)))
    # Egress is pooled across the project's servers (20 TB each in the EU): price the
    # overage once, against the whole allowance.
    if ctx.first_time("hetzner-traffic"):
        traffic = extras["traffic"]
        servers = sum(1 for r in ctx.resources if r.type == "hcloud:index/server:Server")
        included_tb = traffic["included_tb_per_server"] * servers
        over_tb = max(0.0, ctx.usage.egress_gb / 1000 - included_tb)
        lines.append(
            Line(
                res.urn,
                f"traffic ({ctx.usage.egress_gb:g} GB of {included_tb:g} TB included)",
                over_tb,
                "TB",
                traffic["monthly_per_tb"],
                "EUR",
                usage_based=True,
                source=_src(traffic),
            )
        )
    if res.inputs.get("backups"):
        backups = extras["server_backups"]
        lines.append(
            Line(
                res.urn,
                f"server backups ({backups['percent_of_server']} %)",
                1,
                "month",
                sku.monthly * backups["percent_of_server"] / 100,
                "EUR",
                source=_src(backups),
            )
        )
    return lines


def _volume(provider: str, currency: str) -> Pricer:
    """A block-storage volume: its size in GB at the provider's per-GB price."""

    def priced(res: Resource, ctx: Context) -> list[Line]:
        volume = load(provider)["extras"]["volume"]
        size = _num(res.inputs.get("size"))
        return [
            Line(res.urn, "volume", size, "GB-month", volume["monthly_per_gb"], currency, source=_src(volume))
        ]

    return priced


PRICERS["hcloud:index/volume:Volume"] = _volume("hetzner", "EUR")
PRICERS["digitalocean:index/volume:Volume"] = _volume("digitalocean", "USD")


@pricer("hcloud:index/floatingIp:FloatingIp")
def _hetzner_floating_ip(res: Resource, ctx: Context) -> list[Line]:
    ip = load("hetzner")["extras"]["floating_ipv4"]
    return [
        Line(
            res.urn,
            "floating IPv4",
            1,
            "month",
            ip["monthly"],
            "EUR",
            source=_src(ip),
            note=ip.get("status", ""),
        )
    ]


@pricer("pulumi-python:dynamic:Resource")
def _dynamic(res: Resource, ctx: Context) -> list[Line]:
    endpoint = str(res.inputs.get("endpoint", ""))
    if not endpoint.endswith("your-objectstorage.com"):
        return []
    extras = load("hetzner")["extras"]
    lines = []
    # The base fee is per Hetzner project, once however many buckets it holds.
    if ctx.first_time("hetzner-object-storage"):
        base = extras["object_storage_base"]
        lines.append(
            Line(
                res.urn,
                "Object Storage base (1 TB stored + 1 TB egress included)",
                1,
                "month",
                base["monthly"],
                "EUR",
                source=_src(base),
            )
        )
        extra = extras["object_storage_extra_tb"]
        buckets = sum(
            1
            for r in ctx.resources
            if r.type == res.type and str(r.inputs.get("endpoint", "")).endswith("your-objectstorage.com")
        )
        stored_tb = buckets * ctx.usage.storage_gb / 1000
        lines.append(
            Line(
                res.urn,
                f"Object Storage beyond 1 TB ({stored_tb * 1000:g} GB stored)",
                max(0.0, stored_tb - 1),
                "TB",
                extra["monthly"],
                "EUR",
                usage_based=True,
                source=_src(extra),
            )
        )
    return lines


# --- Cloudflare --------------------------------------------------------------------------


@pricer("cloudflare:index/r2Bucket:R2Bucket")
def _r2(res: Resource, ctx: Context) -> list[Line]:
    r2 = load("cloudflare")["r2_standard"]
    stored = ctx.usage.storage_gb
    # The 10 GB free tier is per account: it is taken off the first bucket only.
    free = r2["free"]["gb_month"] if ctx.first_time("r2-free-tier") else 0
    billable = max(0.0, stored - free)
    return [
        Line(
            res.urn,
            f"R2 storage ({stored:g} GB, {free:g} GB free)",
            billable,
            "GB-month",
            r2["gb_month"],
            "USD",
            usage_based=True,
            source=_src(r2),
        )
    ]


@pricer("cloudflare:index/pagesProject:PagesProject")
def _pages(res: Resource, ctx: Context) -> list[Line]:
    pages = load("cloudflare")["pages_static"]
    return [
        Line(
            res.urn,
            "Pages static site",
            1,
            "month",
            pages["monthly"],
            "USD",
            source=_src(pages),
            note=pages["note"],
        )
    ]


# --- AWS ---------------------------------------------------------------------------------


@pricer("aws:ecs/taskDefinition:TaskDefinition")
def _fargate(res: Resource, ctx: Context) -> list[Line]:
    fargate = load("aws")["fargate"]
    arch = ((res.inputs.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64").upper()
    rates = fargate["arm64" if arch == "ARM64" else "x86"]
    vcpu, gb = _num(res.inputs.get("cpu"), 256) / 1024, _num(res.inputs.get("memory"), 512) / 1024
    services = ctx.siblings(res, "aws:ecs/service:Service")
    tasks = sum(_num(s.inputs.get("desiredCount"), 1) for s in services) if services else 1
    label = f"{tasks:g} × {vcpu:g} vCPU / {gb:g} GB {'ARM' if arch == 'ARM64' else 'x86'}"
    lines = [
        Line(
            res.urn,
            f"Fargate vCPU ({label})",
            tasks * vcpu * HOURS,
            "vCPU-hour",
            rates["vcpu_hour"],
            "USD",
            source=_src(rates),
        ),
        Line(
            res.urn,
            f"Fargate memory ({label})",
            tasks * gb * HOURS,
            "GB-hour",
            rates["gb_hour"],
            "USD",
            source=_src(rates),
        ),
    ]
    public = [s for s in services if (s.inputs.get("networkConfiguration") or {}).get("assignPublicIp")]
    if public:
        ip = load("aws")["public_ipv4"]
        count = sum(_num(s.inputs.get("desiredCount"), 1) for s in public)
        lines.append(
            Line(res.urn, "public IPv4 per task", count * HOURS, "hour", ip["hourly"], "USD", source=_src(ip))
        )
    return lines


@pricer("aws:secretsmanager/secret:Secret")
def _secret(res: Resource, ctx: Context) -> list[Line]:
    secret = load("aws")["secretsmanager_secret"]
    return [
        Line(res.urn, "Secrets Manager secret", 1, "month", secret["monthly"], "USD", source=_src(secret))
    ]


@pricer("aws:lb/loadBalancer:LoadBalancer")
def _alb(res: Resource, ctx: Context) -> list[Line]:
    alb, ip = load("aws")["alb"], load("aws")["public_ipv4"]
    zones = len(res.inputs.get("subnets") or []) or 2
    return [
        Line(res.urn, "Application Load Balancer", HOURS, "hour", alb["hourly"], "USD", source=_src(alb)),
        Line(
            res.urn,
            f"load balancer capacity ({ctx.usage.alb_lcu:g} LCU)",
            ctx.usage.alb_lcu * HOURS,
            "LCU-hour",
            alb["lcu_hour"],
            "USD",
            usage_based=True,
            source=_src(alb),
        ),
        Line(
            res.urn,
            f"public IPv4 ({zones} zones)",
            zones * HOURS,
            "hour",
            ip["hourly"],
            "USD",
            source=_src(ip),
        ),
    ]


@pricer("aws:ec2/natGateway:NatGateway")
def _nat(res: Resource, ctx: Context) -> list[Line]:
    nat = load("aws")["nat_gateway"]
    return [
        Line(res.urn, "NAT gateway", HOURS, "hour", nat["hourly"], "USD", source=_src(nat)),
        Line(
            res.urn,
            f"NAT data processed ({ctx.usage.nat_gb:g} GB)",
            ctx.usage.nat_gb,
            "GB",
            nat["gb_processed"],
            "USD",
            usage_based=True,
            source=_src(nat),
        ),
    ]


@pricer("aws:ec2/eip:Eip")
def _eip(res: Resource, ctx: Context) -> list[Line]:
    ip = load("aws")["public_ipv4"]
    return [Line(res.urn, "Elastic IP (public IPv4)", HOURS, "hour", ip["hourly"], "USD", source=_src(ip))]


@pricer("aws:rds/instance:Instance")
def _rds(res: Resource, ctx: Context) -> list[Line]:
    catalog = load("aws")
    classes = {c["name"]: c for c in catalog["rds_instance_classes"]}
    name = str(res.inputs.get("instanceClass"))
    copies = 2 if res.inputs.get("multiAz") else 1
    suffix = " Multi-AZ" if copies == 2 else ""
    storage = catalog["rds_storage_gp3"]
    lines = [
        Line(
            res.urn,
            f"RDS storage gp3{suffix}",
            copies * _num(res.inputs.get("allocatedStorage"), 20),
            "GB-month",
            storage["gb_month"],
            "USD",
            source=_src(storage),
        )
    ]
    if name in classes:
        entry = classes[name]
        lines.insert(
            0,
            Line(
                res.urn,
                f"RDS {name}{suffix}",
                copies * HOURS,
                "hour",
                entry["hourly"],
                "USD",
                source=_src(entry),
            ),
        )
    else:
        lines.insert(
            0,
            Line(
                res.urn,
                f"RDS {name} (not in catalog)",
                copies * HOURS,
                "hour",
                0.0,
                "USD",
                note="unpriced SKU",
            ),
        )
    return lines


@pricer("aws:elasticache/replicationGroup:ReplicationGroup")
def _elasticache(res: Resource, ctx: Context) -> list[Line]:
    nodes = {n["name"]: n for n in load("aws")["elasticache_node_types"]}
    node_type, engine = str(res.inputs.get("nodeType")), str(res.inputs.get("engine", "valkey"))
    count = _num(res.inputs.get("numCacheClusters"), 1)
    entry = nodes.get(node_type)
    if entry is None:
        return [
            Line(
                res.urn,
                f"ElastiCache {node_type} (not in catalog)",
                count * HOURS,
                "node-hour",
                0.0,
                "USD",
                note="unpriced SKU",
            )
        ]
    hourly = entry["hourly"]["valkey" if engine == "valkey" else "redis"]
    return [
        Line(
            res.urn,
            f"ElastiCache {engine} {node_type} × {count:g}",
            count * HOURS,
            "node-hour",
            hourly,
            "USD",
            source=_src(entry),
            note=entry.get("status", ""),
        )
    ]


@pricer("aws:s3/bucket:Bucket")
def _s3(res: Resource, ctx: Context) -> list[Line]:
    s3 = load("aws")["s3_standard"]
    return [
        Line(
            res.urn,
            f"S3 Standard storage ({ctx.usage.storage_gb:g} GB)",
            ctx.usage.storage_gb,
            "GB-month",
            s3["gb_month"],
            "USD",
            usage_based=True,
            source=_src(s3),
        )
    ]


@pricer("aws:cloudfront/distribution:Distribution")
def _cloudfront(res: Resource, ctx: Context) -> list[Line]:
    cf = load("aws")["cloudfront"]
    free_gb = cf["free_tb_out"] * 1000
    billable = (
        max(0.0, ctx.usage.egress_gb - free_gb)
        if ctx.first_time("cloudfront-free-tier")
        else ctx.usage.egress_gb
    )
    return [
        Line(
            res.urn,
            f"CloudFront egress ({ctx.usage.egress_gb:g} GB, 1 TB always free)",
            billable,
            "GB",
            cf["gb_out_after_free"],
            "USD",
            usage_based=True,
            source=_src(cf),
        )
    ]


@pricer("aws:cloudwatch/logGroup:LogGroup")
def _logs(res: Resource, ctx: Context) -> list[Line]:
    logs = load("aws")["cloudwatch_logs"]
    free = logs["free_gb"] if ctx.first_time("cloudwatch-free-tier") else 0
    billable = max(0.0, ctx.usage.log_gb - free)
    return [
        Line(
            res.urn,
            f"CloudWatch Logs ingestion ({ctx.usage.log_gb:g} GB, {free:g} GB free)",
            billable,
            "GB",
            logs["gb_ingested"],
            "USD",
            usage_based=True,
            source=_src(logs),
        )
    ]


# --- DigitalOcean ------------------------------------------------------------------------


@cache
def _droplet_sizes(today: dt.date) -> dict[str, Any]:
    return {s.name: s for s in server_types("digitalocean", today)}


@pricer("digitalocean:index/droplet:Droplet")
def _droplet(res: Resource, ctx: Context) -> list[Line]:
    size = str(res.inputs.get("size"))
    sku = _droplet_sizes(ctx.today).get(size)
    if sku is None:
        return [
            Line(res.urn, f"droplet {size} (not in catalog)", 1, "month", 0.0, "USD", note="unpriced SKU")
        ]
    lines = [
        Line(
            res.urn,
            f"droplet {sku.name} ({sku.cpu} vCPU, {sku.memory_gb:g} GB)",
            1,
            "month",
            sku.monthly,
            "USD",
            source=sku.source_url,
        )
    ]
    if res.inputs.get("backups"):
        backups = load("digitalocean")["extras"]["droplet_backups"]
        lines.append(
            Line(
                res.urn,
                f"droplet backups ({backups['percent_of_droplet']} %)",
                1,
                "month",
                sku.monthly * backups["percent_of_droplet"] / 100,
                "USD",
                source=_src(backups),
                note=backups.get("status", ""),
            )
        )
    return lines


@pricer("digitalocean:index/databaseCluster:DatabaseCluster")
def _do_database(res: Resource, ctx: Context) -> list[Line]:
    engine = str(res.inputs.get("engine", "pg"))
    sizes = {
        s["name"]: s for s in load("digitalocean")["postgres_sizes" if engine == "pg" else "valkey_sizes"]
    }
    size, nodes = str(res.inputs.get("size")), _num(res.inputs.get("nodeCount"), 1)
    entry = sizes.get(size)
    label = {"pg": "PostgreSQL", "valkey": "Valkey"}.get(engine, engine)
    if entry is None:
        return [
            Line(
                res.urn,
                f"managed {label} {size} (not in catalog)",
                nodes,
                "node-month",
                0.0,
                "USD",
                note="unpriced SKU",
            )
        ]
    return [
        Line(
            res.urn,
            f"managed {label} {size} × {nodes:g} node{'s' if nodes > 1 else ''}",
            nodes,
            "node-month",
            entry["monthly"],
            "USD",
            source=_src(entry),
            note=entry.get("status", ""),
        )
    ]


@pricer("digitalocean:index/spacesBucket:SpacesBucket")
def _spaces(res: Resource, ctx: Context) -> list[Line]:
    extras = load("digitalocean")["extras"]
    if not ctx.first_time("digitalocean-spaces"):
        return []
    # One subscription per team covers every bucket: 250 GiB stored and 1 TiB egress.
    buckets = sum(1 for r in ctx.resources if r.type == res.type)
    stored = buckets * ctx.usage.storage_gb
    base, extra = extras["spaces_base"], extras["spaces_extra_gb"]
    return [
        Line(
            res.urn,
            "Spaces subscription (250 GiB + 1 TiB egress included)",
            1,
            "month",
            base["monthly"],
            "USD",
            source=_src(base),
        ),
        Line(
            res.urn,
            f"Spaces beyond 250 GiB ({stored:g} GB stored)",
            max(0.0, stored - 250),
            "GB-month",
            extra["monthly"],
            "USD",
            usage_based=True,
            source=_src(extra),
        ),
    ]


@pricer("digitalocean:index/loadBalancer:LoadBalancer")
def _do_load_balancer(res: Resource, ctx: Context) -> list[Line]:
    lb = load("digitalocean")["load_balancer"]
    nodes = _num(res.inputs.get("sizeUnit"), 1)
    return [
        Line(
            res.urn,
            f"load balancer × {nodes:g} node{'s' if nodes > 1 else ''}",
            nodes,
            "node-month",
            lb["monthly_per_node"],
            "USD",
            source=_src(lb),
        )
    ]


def _static_only(res: Resource) -> bool:
    spec = res.inputs.get("spec") or {}
    return bool(spec.get("staticSites")) and not spec.get("services") and not spec.get("workers")


@pricer("digitalocean:index/app:App")
def _do_app(res: Resource, ctx: Context) -> list[Line]:
    spec = res.inputs.get("spec") or {}
    sizes = {s["name"]: s for s in load("digitalocean")["app_sizes"]}
    lines = []
    for component in [*(spec.get("services") or []), *(spec.get("workers") or [])]:
        slug = str(component.get("instanceSizeSlug"))
        scaling = component.get("autoscaling") or {}
        count = _num(scaling.get("minInstanceCount") or component.get("instanceCount"), 1)
        entry = sizes.get(slug)
        note = f"autoscales to {scaling.get('maxInstanceCount')}" if scaling else ""
        lines.append(
            Line(
                res.urn,
                f"App Platform {component.get('name')} {slug} × {count:g}",
                count,
                "instance-month",
                entry["monthly"] if entry else 0.0,
                "USD",
                source=_src(entry) if entry else None,
                note=note if entry else "unpriced SKU",
            )
        )
    if _static_only(res):
        static = load("digitalocean")["app_static_site"]
        before = [r for r in ctx.resources if r.type == res.type and _static_only(r)]
        position = next((i for i, r in enumerate(before) if r.urn == res.urn), 0)
        free = position < static["free_per_account"]
        lines.append(
            Line(
                res.urn,
                "App Platform static site" + (" (one of 3 free per account)" if free else ""),
                1,
                "month",
                0.0 if free else static["monthly"],
                "USD",
                source=_src(static),
            )
        )
    return lines

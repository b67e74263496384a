"""Pulumi mocks that record every registration, with realistic provider outputs.

Used by `infra plan` (offline, no credentials, no Pulumi CLI) and by the tests. The mocks
answer what a provider would compute (a server's IPv4, a volume's device path, a random
password) so the program runs exactly as under the engine.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

from multicloud.components._lib import types

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET = "[secret]"
# What an offline plan shows for a provider's CA certificate (getDatabaseCa): PEM-shaped, so
# whatever checks the shape of a certificate sees one, and plainly not real.
OFFLINE_CA = (
    "-----BEGIN CERTIFICATE-----\nb2ZmbGluZSBwbGFuOiB0aGUgY2x1c3RlcidzIENB\n-----END CERTIFICATE-----\n"
)


def offline_pem(label: str, name: str) -> str:
    """What an offline plan shows for a key or certificate pulumi-tls makes at deploy time:
    PEM-shaped, named after its resource, and plainly not real."""
    body = base64.b64encode(f"offline plan: {name}".encode()).decode()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


@dataclass
class Registration:
    """One resource as the engine would see it."""

    urn: str
    id: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    inputs: dict[str, Any]
    """Inputs with every secret replaced by "[secret]"."""
    raw_inputs: dict[str, Any] = field(repr=False)
    """Inputs with secrets unwrapped — for tests that must look inside; never printed."""
    replace_on_changes: list[str] = field(default_factory=list)
    """Inputs whose change replaces the resource instead of updating it (`replace_on_changes`)."""
    aliases: list[str] = field(default_factory=list)
    """The URNs this resource had before (its `aliases` option), as the engine resolves them."""
    raw_outputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """What the mocks computed for it (addresses, hostnames …), secrets unwrapped — never printed."""


def _number(value: Any) -> Any:
    # The wire format has only doubles; show 40 as 40, not 40.0.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def redact(value: Any) -> Any:
    """Replace secret-wrapped values by "[secret]" and unknowns by "[unknown]"."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    return _number(value)


def unwrap(value: Any) -> Any:
    """Remove secret wrappers, keeping the values."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return unwrap(value.get("value"))
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return _number(value)


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps each registration's parent, options and redacted inputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.property_dependencies: dict[str, dict[str, list[str]]] = {}
        """URN → input name → the URNs it was computed from (what stack policies read)."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives a resource: its parent's whole type chain, less the root
        stack (pulumi/pulumi pkg/resource/deploy generateURN). Pulumi's mock monitor keeps only
        the parent's last type and keeps the stack's, so its URNs are not the ones a state
        file holds."""
        from pulumi.runtime.settings import get_project, get_stack

        parent_type = parent.split("::")[2] if parent else ""
        if parent_type and parent_type != ROOT_STACK_TYPE:
            type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{type_}::{name}"

    def RegisterResource(self, request):
        self._run_transforms(request)
        response = super().RegisterResource(request)
        self.property_dependencies[response.urn] = {
            k: list(v.urns) for k, v in request.propertyDependencies.items()
        }
        if request.type != "pulumi:pulumi:Stack":
            wire = json_format.MessageToDict(request.object)
            if "__provider" in wire:
                # A dynamic resource's provider travels as a pickled blob; it is code, not config.
                wire["__provider"] = "[dynamic provider]"
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    id=response.id,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    ignore_changes=list(request.ignoreChanges),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    inputs=redact(wire),
                    raw_inputs=unwrap(wire),
                    replace_on_changes=list(request.replaceOnChanges),
                    aliases=alias_urns(request, response.urn),
                    raw_outputs=unwrap(json_format.MessageToDict(response.object)),
                )
            )
        return response

    def _run_transforms(self, request: Any) -> None:
        """What the engine does before it creates a resource: run the stack transforms with
        its inputs and options (Pulumi's mock monitor only records them). A provider-contract
        breach is collected rather than raised, so `infra validate` lists them all at once."""
        from google.protobuf import struct_pb2
        from pulumi.runtime import rpc
        from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

        from multicloud.components.contracts import ContractBreach

        transforms = getattr(self.mocks, "transforms", [])
        if not transforms or request.type == "pulumi:pulumi:Stack":
            return
        _ensure_event_loop()
        # The engine reads registrations with KeepOutputValues and UpgradeToOutputValues, so a
        # transform receives every secret and every unknown as an output value (a
        # pulumi.Output in Python): the same upgrade here.
        upgraded = struct_pb2.Struct()
        upgraded.update(as_output_values(json_format.MessageToDict(request.object)))
        args = pulumi.ResourceTransformArgs(
            custom=request.custom,
            type_=request.type,
            name=request.name,
            props=rpc.deserialize_properties(upgraded),
            opts=pulumi.ResourceOptions(protect=bool(request.protect)),
        )
        for transform in transforms:
            try:
                result = transform(args)
                if hasattr(result, "__await__"):
                    _sync_await(result)
            except ContractBreach as breach:
                self.mocks.breaks.extend(breach.breaks)  # type: ignore[attr-defined]


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def alias_urns(request: Any, urn: str) -> list[str]:
    """The old URNs a registration's `aliases` name, resolved as the engine resolves them
    (pulumi/pulumi pkg/resource/deploy: an alias spec's empty fields default to the resource's
    own name, type, stack, project and parent; a parent that is the root stack adds no type
    prefix)."""
    _, _, rest = urn.partition("urn:pulumi:")
    stack, project = rest.split("::")[:2]
    found = list(request.aliasURNs)
    for alias in request.aliases:
        if alias.urn:
            found.append(alias.urn)
            continue
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        parent_type = parent.split("::")[2] if parent else ""
        type_ = spec.type or request.type
        if parent_type and parent_type != ROOT_STACK_TYPE:
            type_ = f"{parent_type}${type_}"
        found.append(
            f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{type_}::{spec.name or request.name}"
        )
    return [u for u in dict.fromkeys(found) if u != urn]


OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def as_output_values(value: Any) -> Any:
    """Secrets and unknowns of a wire-format property map as output values, the form the
    engine passes them to transforms in (pulumi/pulumi pkg/resource/deploy/source_eval.go)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return {SIG_KEY: OUTPUT_VALUE_SIG, "value": as_output_values(value.get("value")), "secret": True}
        if SIG_KEY in value:
            return value  # a resource reference or an asset: passed as it is
        return {k: as_output_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_output_values(v) for v in value]
    if value == UNKNOWN:
        return {SIG_KEY: OUTPUT_VALUE_SIG}
    return value


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


class ProviderMocks(pulumi.runtime.Mocks):
    """Outputs shaped like the real providers' (camelCase wire names)."""

    def __init__(self, previous_outputs: dict[str, Any] | None = None) -> None:
        self._taken: set[int] = set()
        self.previous_outputs = previous_outputs or {}
        """Outputs of "the last deployment", returned to a StackReference to this stack."""
        self.secret_values: set[str] = set()
        """Every secret these mocks made up, so renderers can prove none is printed."""
        self.existing_ssh_keys: list[dict[str, Any]] = []
        """SSH keys the project/account already holds (the getSshKeys answer)."""
        self.transforms: list[Any] = []
        self.breaks: list[Any] = []
        """Provider-contract breaks the program's preflight transform found (components.contracts)."""

    def _number(self, typ: str, name: str) -> int:
        """A number for a resource's made-up ID and addresses, 1000-9999, from its type and
        name: the same plan gives the same IDs however its registrations interleave, so two
        plans diff cleanly. A clash takes the next free number."""
        n = 1000 + int(_digest(typ, name)[:8], 16) % 9000
        while n in self._taken:
            n = 1000 + (n - 999) % 9000
        self._taken.add(n)
        return n

    def register_transform(self, transform: Any) -> None:
        # The engine runs stack transforms on every registration; Pulumi's mock monitor only
        # records them, so RecordingMonitor runs them with the inputs the engine would pass.
        self.transforms.append(transform)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        outputs = dict(args.inputs)
        n = self._number(args.typ, args.name)
        rid = f"{args.name}-id"
        typ = args.typ
        if typ.startswith(("hcloud:", "checkly:")):
            rid = str(n)  # Hetzner's and Checkly's IDs are integers
        if typ == "pulumi:pulumi:StackReference":
            return args.inputs.get("name"), {
                "name": args.inputs.get("name"),
                "outputs": dict(self.previous_outputs),
                "secretOutputNames": [],
            }
        if typ == types.HCLOUD_SERVER:
            outputs |= {
                "ipv4Address": f"203.0.113.{n % 250 + 1}",
                "ipv6Address": f"2001:db8:{n:x}::1",
                "status": "running",
            }
        elif typ == types.HEALTHCHECKS_CHECK:  # what Healthchecks.io answers a create
            rid = str(uuid.UUID(_digest("check", args.name)[:32]))
            outputs |= {"uuid": rid, "ping_url": f"https://hc-ping.com/{rid}"}
            self.secret_values.add(outputs["ping_url"])
        elif typ == types.HCLOUD_FLOATING_IP:
            outputs |= {"ipAddress": f"198.51.100.{n % 250 + 1}"}
        elif typ == types.HCLOUD_VOLUME:
            outputs |= {"linuxDevice": f"/dev/disk/by-id/scsi-0HC_Volume_{rid}"}
        elif typ == types.RANDOM_PASSWORD:
            outputs |= {"result": _digest("password", args.name)[: int(args.inputs.get("length", 32))]}
            self.secret_values.add(outputs["result"])
        elif typ == types.RANDOM_STRING:
            outputs |= {"result": _digest("string", args.name)[: int(args.inputs.get("length", 8))]}
        elif typ == types.CLOUDFLARE_API_TOKEN:
            rid = _digest("token-id", args.name)[:32]
            self.secret_values.add(rid)  # it becomes S3_ACCESS_KEY_ID
            outputs |= {"value": _digest("token", args.name)}
            self.secret_values |= {outputs["value"], hashlib.sha256(outputs["value"].encode()).hexdigest()}
        elif typ == types.CLOUDFLARE_PAGES_PROJECT:
            outputs |= {"subdomain": f"{args.inputs.get('name', args.name)}.pages.dev"}
        elif typ == types.REMOTE_COMMAND:
            outputs |= {"stdout": "release applied\n", "stderr": ""}
        elif typ == types.LOCAL_COMMAND:  # the RDS CA bundle's download: a bundle of two
            bundle = offline_pem("CERTIFICATE", f"{args.name} 1") + offline_pem(
                "CERTIFICATE", f"{args.name} 2"
            )
            outputs |= {"stdout": bundle, "stderr": ""}
        elif typ == types.TLS_PRIVATE_KEY:
            outputs |= {"privateKeyPem": offline_pem("RSA PRIVATE KEY", args.name)}
            outputs["privateKeyPemPkcs8"] = outputs["privateKeyPem"]
            self.secret_values.add(outputs["privateKeyPem"])
        elif typ == types.TLS_CERT_REQUEST:
            outputs |= {"certRequestPem": offline_pem("CERTIFICATE REQUEST", args.name)}
        elif typ in (types.TLS_SELF_SIGNED_CERT, types.TLS_LOCALLY_SIGNED_CERT):
            outputs |= {"certPem": offline_pem("CERTIFICATE", args.name)}
        elif typ.startswith("digitalocean:"):
            rid, extra = self._digitalocean(typ, args.name, args.inputs, n)
            outputs |= extra
        elif typ.startswith("aws:"):
            rid, extra = self._aws(typ, args.name, args.inputs, n)
            outputs |= extra
        return rid, outputs

    def _digitalocean(self, typ: str, name: str, inputs: dict, n: int) -> tuple[str, dict]:
        """What DigitalOcean computes for the resource types the backends create."""
        rid = str(n) if typ in (types.DO_DROPLET,) else f"{name}-{_digest(name)[:8]}"
        out: dict[str, Any] = {}
        if typ == types.DO_DROPLET:
            out = {
                "ipv4Address": f"192.0.2.{n % 250 + 1}",
                "ipv6Address": f"2001:db8:d0:{n:x}::1",
                "ipv4AddressPrivate": f"10.110.0.{n % 250 + 2}",
            }
        elif typ == types.DO_RESERVED_IP:
            rid = f"198.51.100.{n % 250 + 1}"
            out = {"ipAddress": rid}
        elif typ == types.DO_SSH_KEY:
            out = {"fingerprint": ":".join(_digest("fp", name)[i : i + 2] for i in range(0, 32, 2))}
        elif typ == types.DO_DATABASE_CLUSTER:
            cluster = inputs.get("name", name)
            out = {
                "host": f"{cluster}-do-user-1.db.ondigitalocean.com",
                "privateHost": f"private-{cluster}-do-user-1.db.ondigitalocean.com",
                "port": 25061 if inputs.get("engine") == "valkey" else 25060,
                "password": _digest("do-password", name)[:24],
                "user": "doadmin" if inputs.get("engine") == "pg" else "default",
            }
            self.secret_values.add(out["password"])
        elif typ == types.DO_DATABASE_USER:
            out = {"password": _digest("do-user", name)[:24]}
            self.secret_values.add(out["password"])
        elif typ == types.DO_VPC:
            out = {"ipRange": inputs.get("ipRange") or f"10.{100 + n % 100}.0.0/20"}
        elif typ == types.DO_LOAD_BALANCER:
            out = {"ip": f"203.0.113.{n % 250 + 1}", "status": "active"}
        elif typ == types.DO_APP:
            app = (inputs.get("spec") or {}).get("name", name)
            ingress = f"https://{app}-{_digest('app', name)[:5]}.ondigitalocean.app"
            out = {"defaultIngress": ingress, "liveUrl": ingress}
        elif typ == types.DO_SPACES_KEY:
            rid = f"DO{_digest('spaces-id', name)[:18].upper()}"
            out = {"accessKey": rid, "secretKey": _digest("spaces-secret", name)}
            self.secret_values |= {rid, out["secretKey"]}
        return rid, out

    def _aws(self, typ: str, name: str, inputs: dict, n: int) -> tuple[str, dict]:
        """What AWS computes for the resource types the backends create."""
        region = "us-east-1"
        arn = f"arn:aws:{typ.split(':')[1].split('/')[0]}:{region}:123456789012:{name}"
        rid = f"{name}-{n}"
        out: dict[str, Any] = {"arn": arn}
        if typ == types.AWS_EC2_EIP:
            out |= {"publicIp": f"192.0.2.{n % 250 + 1}", "allocationId": f"eipalloc-{n:08x}"}
        elif typ == types.AWS_S3_BUCKET:
            bucket = inputs.get("bucket") or f"{name}-{_digest(name)[:7]}"
            rid = bucket
            out |= {
                "bucket": bucket,
                "arn": f"arn:aws:s3:::{bucket}",
                "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            }
        elif typ == types.AWS_LB_LOAD_BALANCER:
            out |= {"dnsName": f"{name}-{n}.{region}.elb.amazonaws.com", "zoneId": "Z35SXDOTRQ7X7K"}
        elif typ == types.AWS_ECS_TASK_DEFINITION:
            family = inputs.get("family", name)
            out |= {
                "arn": f"arn:aws:ecs:{region}:123456789012:task-definition/{family}:1",
                "arnWithoutRevision": f"arn:aws:ecs:{region}:123456789012:task-definition/{family}",
            }
        elif typ == types.AWS_RDS_INSTANCE:
            out |= {
                "address": f"{name}.c{n}.{region}.rds.amazonaws.com",
                "endpoint": f"{name}.c{n}.{region}.rds.amazonaws.com:5432",
            }
        elif typ == types.AWS_ELASTICACHE_REPLICATION_GROUP:
            out |= {"primaryEndpointAddress": f"master.{name}.{n}.use1.cache.amazonaws.com"}
        elif typ == types.AWS_ACM_CERTIFICATE:
            domain = inputs.get("domainName", "example.com")
            out |= {
                "domainValidationOptions": [
                    {
                        "domainName": domain,
                        "resourceRecordName": f"_{_digest(domain)[:12]}.{domain}.",
                        "resourceRecordType": "CNAME",
                        "resourceRecordValue": f"_{_digest(domain, 'v')[:12]}.acm-validations.aws.",
                    }
                ]
            }
        elif typ == types.AWS_ACM_CERTIFICATE_VALIDATION:
            out |= {"certificateArn": inputs.get("certificateArn")}
        elif typ == types.AWS_CLOUDFRONT_DISTRIBUTION:
            rid = f"E{_digest(name)[:12].upper()}"
            out |= {"domainName": f"d{_digest(name)[:12]}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2"}
        elif typ == types.AWS_IAM_ACCESS_KEY:
            rid = f"AKIA{_digest(name)[:16].upper()}"
            out |= {"secret": _digest("aws-secret", name)}
            self.secret_values.add(out["secret"])
        elif (
            typ
            in (
                types.AWS_IAM_ROLE,
                types.AWS_IAM_USER,
                types.AWS_ECS_CLUSTER,
                types.AWS_ECS_SERVICE,
            )
            or typ == types.AWS_ELASTICACHE_SUBNET_GROUP
            or typ == types.AWS_RDS_SUBNET_GROUP
            or typ in (types.AWS_RDS_PARAMETER_GROUP, types.AWS_ELASTICACHE_PARAMETER_GROUP)
        ):
            out |= {"name": inputs.get("name") or f"{name}-{n}"}
        elif typ == types.AWS_CLOUDWATCH_LOG_GROUP:
            out |= {"name": inputs.get("name") or name}
        return rid, out

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:  # type: ignore[override]
        # The SDK's stub says tuple, but its monitor also accepts a plain dict (no failures).
        if args.token in ("hcloud:index/getSshKeys:getSshKeys", "digitalocean:index/getSshKeys:getSshKeys"):
            # A new project or account: no keys uploaded yet (tests add some).
            return {"sshKeys": list(self.existing_ssh_keys)}
        if args.token == "digitalocean:index/getDatabaseCa:getDatabaseCa":
            # Not a certificate: the plan shows where the cluster's CA goes, never a real one.
            cluster = str(args.args.get("clusterId", ""))
            return {"certificate": OFFLINE_CA, "clusterId": cluster, "id": cluster}
        if args.token == "digitalocean:index/getAccount:getAccount":
            return {
                "email": "account-owner@example.com",
                "emailVerified": True,
                "status": "active",
                "id": "account",
            }
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = ["us-east-1a", "us-east-1b", "us-east-1c"]
            return {"names": names, "zoneIds": ["use1-az1", "use1-az2", "use1-az4"], "id": "us-east-1"}
        return {}

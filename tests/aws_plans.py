"""AWS stacks for the mock tests, and a plan that also records providers, dependencies and outputs.

`recorded_plan` runs the same `infra.offline.plan` as the `run_plan` fixture, with two
test-side additions (nothing outside tests/ is changed):

- Each registration's provider reference, property dependencies, `depends_on` list and the
  outputs the mocks answered are kept by URN (`RecordedPlan`), so a test can say "the
  CloudFront certificate is created by the us-east-1 provider" or "the HTTPS listener uses
  the ARN that CertificateValidation returns", not just "some ARN".
- S3 buckets get an `arn` and `bucketRegionalDomainName` here too. (The shipped mocks once
  skipped them behind an earlier branch; test_object_store_aws.py guards that they now
  answer them themselves.)
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import yaml
from google.protobuf import json_format

from multicloud import infra
from multicloud.infra.mocks import ProviderMocks, RecordingMonitor, Registration, unwrap
from multicloud.infra.offline import Plan
from tests.conftest import ROOT, base_config, one, write_stack

ROUTE53_ZONE = "Z0123456789ABCDEFGHIJ"
ROUTE53 = {"provider": "route53", "zone_id": ROUTE53_ZONE}
# What the mocks answer for every load balancer and every distribution.
LB_ZONE_ID = "Z35SXDOTRQ7X7K"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
PARAMETER = "aws:ssm/parameter:Parameter"
RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
AWS_PROVIDER = "pulumi:providers:aws"


def aws_config(environment: str = "prod") -> dict[str, Any]:
    """`base_config()` with every service on AWS, Route 53 DNS and no hosts."""
    config = base_config(environment)
    for key in ("hosts", "admin", "cloudflare"):
        del config[key]
    config["aws"] = {"region": "us-east-1"}
    config["dns"] = dict(ROUTE53)
    for svc in config["services"].values():
        svc["target"] = "aws"
        svc.pop("host", None)
        svc.pop("backup", None)  # RDS keeps its own automated backups (backup_days)
    return config


def example_config(name: str = "aws.yaml") -> dict[str, Any]:
    """An examples/ stack file as a config dict (keys without the namespace)."""
    doc = yaml.safe_load((ROOT / "examples" / name).read_text())
    return {k.removeprefix("multicloud:"): v for k, v in doc["config"].items()}


@dataclass
class RecordedPlan(Plan):
    """A Plan plus what the engine would know about each registration, by URN."""

    providers: dict[str, str] = field(default_factory=dict)
    """Provider reference (`<provider urn>::<provider id>`); "" for the default provider."""
    property_dependencies: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


class _CompleteMocks(ProviderMocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        rid, outputs = super().new_resource(args)
        if args.typ == BUCKET:
            outputs |= self._aws(args.typ, args.name, args.inputs, 0)[1]
        return rid, outputs


def recorded_plan(directory: Path, config: dict[str, Any], stack: str = "prod") -> RecordedPlan:
    """Plan `config` offline as stack `stack`, recording providers, dependencies and outputs."""
    seen: dict[str, dict[str, Any]] = {}

    class Monitor(RecordingMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            seen[response.urn] = {
                "provider": request.provider,
                "property_dependencies": {k: list(v.urns) for k, v in request.propertyDependencies.items()},
                "dependencies": list(request.dependencies),
                "outputs": unwrap(json_format.MessageToDict(response.object)),
            }
            return response

    path = write_stack(directory / f"Pulumi.{stack}.yaml", copy.deepcopy(config))
    with (
        mock.patch.object(infra.offline, "ProviderMocks", _CompleteMocks),
        mock.patch.object(infra.offline, "RecordingMonitor", Monitor),
    ):
        result = infra.offline.plan(path, stack, project_dir=ROOT)
    return RecordedPlan(
        **{
            f.name: getattr(result, f.name)
            for f in dataclasses.fields(Plan)
            if f.name != "property_dependencies"
        },
        providers={urn: s["provider"] for urn, s in seen.items()},
        property_dependencies={urn: s["property_dependencies"] for urn, s in seen.items()},
        dependencies={urn: s["dependencies"] for urn, s in seen.items()},
        outputs={urn: s["outputs"] for urn, s in seen.items()},
    )


# --- reading a recorded plan --------------------------------------------------------------


def out(result: RecordedPlan, reg: Registration, key: str) -> Any:
    """An output the mocks answered for `reg` (its ARN, address, DNS name …)."""
    return result.outputs[reg.urn][key]


def by_urn(result: Plan) -> dict[str, Registration]:
    return {r.urn: r for r in result.registrations}


def by_id(result: Plan, type_token: str) -> dict[str, Registration]:
    """Registrations of one type by their (mock) id: what other resources' inputs refer to."""
    return {r.id: r for r in result.registrations if r.type == type_token}


def provider_of(result: RecordedPlan, reg: Registration) -> Registration:
    """The provider registration that creates `reg`."""
    ref = result.providers[reg.urn]
    (provider,) = [
        p
        for p in result.registrations
        if p.type.startswith("pulumi:providers:") and ref == f"{p.urn}::{p.id}"
    ]
    return provider


def depends_on(result: RecordedPlan, reg: Registration, prop: str | None = None) -> set[tuple[str, str]]:
    """(type, name) of what `reg` depends on: through input `prop`, or at all (inputs and depends_on)."""
    urns = result.property_dependencies[reg.urn].get(prop, []) if prop else result.dependencies[reg.urn]
    index = by_urn(result)
    return {(index[u].type, index[u].name) for u in urns}


def container(reg: Registration) -> dict[str, Any]:
    """The single container definition of a task definition registration."""
    (definition,) = json.loads(reg.raw_inputs["containerDefinitions"])
    return definition


def task_container(result: Plan, service: str) -> dict[str, Any]:
    return container(one(result, TASK_DEFINITION, f"{service}-task"))


def document(reg: Registration) -> dict[str, Any]:
    """The parsed JSON policy of an IAM/S3 policy registration."""
    text = reg.inputs["policy"]
    assert text != "[unknown]", f"{reg.name}: policy is unknown in the plan"
    return json.loads(text)


def ids(regs: list[Registration]) -> list[str]:
    return [r.id for r in regs]


def subnets(result: Plan, tier: str) -> list[Registration]:
    """The network's subnets of one tier, in zone order."""
    return sorted(
        (r for r in result.registrations if r.type == SUBNET and r.inputs["tags"]["tier"] == tier),
        key=lambda r: r.name,
    )


def ingress_into(result: Plan, group: Registration) -> list[Registration]:
    """Ingress rules whose target is `group`."""
    return [r for r in result.registrations if r.type == INGRESS and r.inputs["securityGroupId"] == group.id]


# --- broken copies (Checkov's "fail" fixtures) -------------------------------------------

Mutation = Callable[[Registration, RecordedPlan], None]


def broken(result: RecordedPlan, type_token: str, name: str, mutate: Mutation) -> RecordedPlan:
    """A copy of `result` in which one registration was changed by `mutate` (the rest shared)."""
    target = one(result, type_token, name)
    changed = dataclasses.replace(
        target, inputs=copy.deepcopy(target.inputs), raw_inputs=copy.deepcopy(target.raw_inputs)
    )
    mutate(changed, result)
    return dataclasses.replace(
        result, registrations=[changed if r is target else r for r in result.registrations]
    )


def set_input(key: str, value: Any) -> Mutation:
    """Mutation: set one (dotted) input key in both the redacted and the raw inputs."""

    def mutate(reg: Registration, result: RecordedPlan) -> None:
        for inputs in (reg.inputs, reg.raw_inputs):
            *path, last = key.split(".")
            node = inputs
            for part in path:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[last] = value

    return mutate


def drop_input(key: str) -> Mutation:
    def mutate(reg: Registration, result: RecordedPlan) -> None:
        reg.inputs.pop(key, None)
        reg.raw_inputs.pop(key, None)

    return mutate


def edit_json(key: str, edit: Callable[[Any], None]) -> Mutation:
    """Mutation: parse a JSON-string input (a policy, containerDefinitions), edit it, store it."""

    def mutate(reg: Registration, result: RecordedPlan) -> None:
        for inputs in (reg.inputs, reg.raw_inputs):
            doc = json.loads(inputs[key])
            edit(doc)
            inputs[key] = json.dumps(doc)

    return mutate


def set_option(**options: Any) -> Mutation:
    """Mutation: change resource options (protect, retain_on_delete …)."""

    def mutate(reg: Registration, result: RecordedPlan) -> None:
        for k, v in options.items():
            setattr(reg, k, v)

    return mutate

"""AWS ECS: containers unprivileged, (advisory) with a read-only root filesystem, never sharing
the host's processes, with secrets only in secrets[]; (advisory) tasks without public IPs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from multicloud.components._lib import types
from multicloud.components.connection import SECRET_VARS
from multicloud.policies.controls._checks import (
    ADVISORY,
    MANDATORY,
    describe,
    is_true,
    not_true,
    property_check,
    props_of,
)
from multicloud.policies.controls._values import UNKNOWN, get, items

TASK_DEFINITION = types.AWS_ECS_TASK_DEFINITION
ECS_SERVICE = types.AWS_ECS_SERVICE

_URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:[^/\s@]+@")
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|(^|_)(TOKEN|API_KEY|PRIVATE_KEY)$", re.IGNORECASE)


def containers(props: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A task definition's container definitions (None: unknown or unreadable)."""
    definitions = get(props, "containerDefinitions")
    if isinstance(definitions, str):
        try:
            definitions = json.loads(definitions)
        except ValueError:
            return None
    if not isinstance(definitions, list):
        return None
    return [d for d in definitions if isinstance(d, dict)]


def _each_container(args: ResourceValidationArgs) -> Iterator[tuple[str, dict[str, Any]]]:
    """("container <name>", definition) of a task definition's containers."""
    props = props_of(args, TASK_DEFINITION)
    for index, container in enumerate((containers(props) or []) if props is not None else []):
        name = container.get("name")
        yield f"container {name if isinstance(name, str) else f'#{index}'}", container


def container_check(
    name: str,
    description: str,
    prop: str,
    passes: Callable[[Any], bool],
    message: str,
    *,
    enforcement: EnforcementLevel = MANDATORY,
) -> ResourceValidationPolicy:
    """`property_check` for a setting of every container of a task definition: reports
    "container <name>: `message`" for each container whose `prop` does not pass."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for where, container in _each_container(args):
            value = get(container, prop)
            if value is not UNKNOWN and not passes(value):
                report_violation(f"{where}: {message}", None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=enforcement
    )


READ_ONLY_ROOT = container_check(
    "ckv-aws-336-ecs-read-only-root",
    describe("Advisory: every container of a task definition sets readonlyRootFilesystem=true.", "false"),
    "readonlyRootFilesystem",
    is_true,
    "readonlyRootFilesystem should be true",
    enforcement=ADVISORY,
)

NOT_PRIVILEGED = container_check(
    "ckv-aws-334-ecs-not-privileged",
    describe("No container of a task definition sets privileged=true."),
    "privileged",
    not_true,
    "privileged must not be true",
)

NO_HOST_PID = property_check(
    "ckv-aws-335-ecs-no-host-pid",
    describe("Task definitions do not share the host's process namespace (pidMode host)."),
    TASK_DEFINITION,
    "pidMode",
    lambda mode: mode != "host",
    "pidMode is host: containers would see every process of the host; leave it unset",
)


def validate_ecs_no_secrets_in_environment(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    for where, container in _each_container(args):
        for variable in items(get(container, "environment")):
            name, value = get(variable, "name"), get(variable, "value")
            if not isinstance(name, str):
                continue
            if name in SECRET_VARS or _SECRET_NAME.search(name):
                report_violation(
                    f"{where}: environment variable {name} is a secret; "
                    "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)",
                    None,
                )
            elif isinstance(value, str) and (_URL_WITH_PASSWORD.search(value) or "PRIVATE KEY-----" in value):
                report_violation(
                    f"{where}: environment variable {name} holds a password or key; "
                    "pass it in secrets[] with valueFrom (SSM Parameter Store or Secrets Manager)",
                    None,
                )


NO_SECRETS_IN_ENVIRONMENT = ResourceValidationPolicy(
    name="aws-0036-no-secrets-in-environment",
    description=describe(
        "No container environment variable carries a secret: not the connection contract's secret "
        f"names ({', '.join(sorted(SECRET_VARS))}) nor names containing PASSWORD/PASSWD/SECRET or "
        "ending in _TOKEN/_API_KEY/_PRIVATE_KEY, and no value holding a URL with a password or a "
        "private key. Secrets go in secrets[] with valueFrom."
    ),
    validate=validate_ecs_no_secrets_in_environment,
    enforcement_level=MANDATORY,
)

NO_PUBLIC_IP = property_check(
    "ckv-aws-333-ecs-no-public-ip",
    describe("Advisory: ECS services do not assign public IPs to tasks."),
    ECS_SERVICE,
    ("networkConfiguration", "assignPublicIp"),
    not_true,
    "assignPublicIp is true: tasks get public addresses; run them in private subnets",
    enforcement=ADVISORY,
)

POLICIES = [READ_ONLY_ROOT, NOT_PRIVILEGED, NO_HOST_PID, NO_SECRETS_IN_ENVIRONMENT, NO_PUBLIC_IP]

"""What a Fargate task runs before its app when it links a database or cache on another
provider (components.connection.OverInternet): containers that finish before the app starts.

- `tls-ca` writes each such dependency's CA certificate into a task volume, where the app's
  variables say it is (components.connection.ca_file, mounted read-only into the app). ECS
  cannot mount a file it is given, so a container writes it; the certificates are public and
  travel in its `environment`.
- each linked database's setup job (components.postgres.SetupJob: privileges, extensions) runs
  as the cluster's admin, its password from SSM like every secret of the task.

The app `dependsOn` them with condition SUCCESS: a failing one stops the task before the app
runs, as on a host the release stops before it starts the services.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from multicloud.components.api_service import ApiService, ApiServiceArgs, internet_links, setup_jobs
from multicloud.components.connection import SECRET_VARS, TLS_DIR, ca_file

TLS_VOLUME = "tls"
TLS_WRITER = "tls-ca"
# BusyBox from Docker's official images on ECR Public: pulled through the NAT gateway without a
# login, for x86 and arm64 tasks alike.
TLS_WRITER_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"


@dataclass(frozen=True)
class InitContainer:
    """A container that runs to completion before the app (values may still be Outputs)."""

    name: str
    image: str
    command: list[str]
    environment: dict[str, pulumi.Output[str]]
    parameters: dict[str, aws.ssm.Parameter]
    """Secret variables: the SSM parameter each is read from."""
    writes_tls: bool = False


def init_containers(parent: ApiService, name: str, args: ApiServiceArgs, stack: str) -> list[InitContainer]:
    """The CA writer (when the service links across providers) and the setup jobs."""
    crossing = internet_links(args)
    inits = []
    if crossing:
        cas = {link: internet.ca_certificate for link, internet in sorted(crossing.items())}
        inits.append(
            InitContainer(
                name=TLS_WRITER,
                image=TLS_WRITER_IMAGE,
                command=["sh", "-c", ca_writer_script(list(cas))],
                environment={ca_variable(i): pem for i, pem in enumerate(cas.values())},
                parameters={},
                writes_tls=True,
            )
        )
    for job in setup_jobs(args).values():
        parameters = {
            key: secure_string(
                parent, f"{name}-{job.name}", f"/{stack}/{name}/{job.name}", key, value, args.tags
            )
            for key, value in sorted(job.env.items())
            if key in SECRET_VARS
        }
        plain = {k: v for k, v in job.env.items() if k not in SECRET_VARS}
        inits.append(InitContainer(job.name, job.image, job.command, plain, parameters))
    return inits


def secure_string(
    parent: pulumi.Resource,
    prefix: str,
    path: str,
    key: str,
    value: pulumi.Input[str],
    tags: dict[str, str],
) -> aws.ssm.Parameter:
    """The SSM SecureString `<path>/<key>` holding a secret variable (resource `<prefix>-<key>`,
    lower case, `_` as `-`): a container reads it through `secrets[].valueFrom`."""
    return aws.ssm.Parameter(
        f"{prefix}-{key.lower().replace('_', '-')}",
        name=f"{path}/{key}",
        type="SecureString",
        value=value,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def ca_variable(index: int) -> str:
    """The variable the CA writer reads the index-th certificate from."""
    return f"CA_{index}"


def ca_writer_script(links: list[str]) -> str:
    """`sh -c` text writing certificate i (from CA_i) to the CA file of links[i]."""
    writes = [
        f'printf "%s" "${ca_variable(i)}" > {shlex.quote(ca_file(link))}' for i, link in enumerate(links)
    ]
    return "; ".join(["set -e", "umask 022", *writes])


def definition(
    init: InitContainer,
    environment: dict[str, str],
    secrets: dict[str, str],
    log_group: str,
    region: str,
    after: list[str],
) -> dict:
    """The container definition of `init` (resolved values; secrets as parameter ARNs), run
    after the containers named in `after` have succeeded."""
    item: dict = {
        "name": init.name,
        "image": init.image,
        "essential": False,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "command": list(init.command),
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        "mountPoints": [tls_mount(read_only=not init.writes_tls)],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": init.name,
            },
        },
        "linuxParameters": {"initProcessEnabled": True},
    }
    if after:
        item["dependsOn"] = [{"containerName": c, "condition": "SUCCESS"} for c in after]
    return item


def tls_mount(read_only: bool = True) -> dict:
    """The task volume holding the CA files, at TLS_DIR."""
    return {"sourceVolume": TLS_VOLUME, "containerPath": TLS_DIR, "readOnly": read_only}

"""HostRelease: ship what was placed on a VpsHost to the machine and start it.

One `command.remote.Command` per host. Its stdin is the release bundle (compose.yaml,
Caddyfile, env and secret files, as a base64 tar.gz), so secrets travel inside the SSH
session and Pulumi stores them encrypted (the input is a secret). Changing an image tag or a
variable changes the bundle, which re-runs the release; the server is never replaced for
it (its user_data changes are ignored).
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_command as command

from multicloud.components._lib.images import registry_logins
from multicloud.components._vps.model import Container, File, HostWorkloads
from multicloud.components._vps.render import (
    ADMIN_USER,
    acme_email,
    bundle,
    bundle_files,
    script,
    ssh_public_keys,
)
from multicloud.components.connection import secret
from multicloud.components.host import VpsHost


@dataclass(frozen=True)
class ReleaseArgs:
    """Inputs of a HostRelease."""

    host: VpsHost
    ssh_private_key: pulumi.Input[str]
    """Private key of the `deploy` user (a stack secret)."""
    acme_email: str | None = None
    registry_credentials: pulumi.Input[str] | None = None
    """JSON `{"ghcr.io": "user:token", …}` (a stack secret): logins for private images."""


def release_command() -> str:
    """The command run over SSH: release.sh as root, reading the bundle from stdin."""
    return f"sudo bash -c {shlex.quote(script('release.sh'))}"


def resolve_workloads(workloads: HostWorkloads) -> pulumi.Output[HostWorkloads]:
    """Wait for every Output inside the workloads and return a plain copy."""
    values: dict[str, Any] = {}
    for ci, c in enumerate(workloads.containers):
        for key, value in c.env.items():
            values[f"c{ci}.env.{key}"] = value
        for fi, f in enumerate(c.files):
            values[f"c{ci}.file.{fi}"] = f.content
        for fi, f in enumerate(c.host_files):
            values[f"c{ci}.host.{fi}"] = f.content

    def rebuild(resolved: dict[str, Any]) -> HostWorkloads:
        containers: list[Container] = []
        for ci, c in enumerate(workloads.containers):
            env = {key: str(resolved[f"c{ci}.env.{key}"]) for key in c.env}
            files = [
                dataclasses.replace(f, content=str(resolved[f"c{ci}.file.{fi}"]))
                for fi, f in enumerate(c.files)
            ]
            host_files = [
                dataclasses.replace(f, content=str(resolved[f"c{ci}.host.{fi}"]))
                for fi, f in enumerate(c.host_files)
            ]
            containers.append(dataclasses.replace(c, env=env, files=files, host_files=host_files))
        return HostWorkloads(containers=containers, sites=list(workloads.sites))

    return pulumi.Output.all(**values).apply(rebuild)


def _check_release(name: str, args: ReleaseArgs) -> None:
    """Refuse a release with nothing to run or a value the bundle cannot hold. Checked again
    when the bundle is rendered; here, so a bad value stops the program before any resource
    is registered instead of inside an apply."""
    host = args.host
    if not host.workloads.containers:
        raise ValueError(
            f"{name}: nothing is placed on host {host._name}; remove the host or place a service on it"
        )
    try:
        if args.acme_email is not None:
            acme_email(args.acme_email)
        ssh_public_keys(host.args.ssh_public_keys)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None


def _release_files(args: ReleaseArgs) -> pulumi.Output[list[File]]:
    """The files of the host's release, once every Output in them is known."""
    host = args.host

    def make_files(inputs: list[Any]) -> list[File]:
        workloads, device, logins = inputs
        return bundle_files(
            workloads,
            device,
            args.acme_email,
            host.args.ssh_public_keys,
            registry_logins(logins),
        )

    return pulumi.Output.all(
        resolve_workloads(host.workloads), host.data_device, args.registry_credentials
    ).apply(make_files)


class HostRelease(pulumi.ComponentResource):
    """The release of one host: bundle → SSH → `docker compose up --wait`."""

    bundle_files: pulumi.Output[list[str]]
    """Paths in the bundle (for inspection; contents are secret)."""

    def __init__(self, name: str, args: ReleaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("multicloud:index:HostRelease", name, None, opts)
        _check_release(name, args)
        files = _release_files(args)
        payload = secret(files.apply(bundle))
        self.bundle_files = files.apply(lambda fs: sorted(f.path for f in fs))
        self.command = self._apply(name, args, payload)
        self.register_outputs({"bundle_files": self.bundle_files})

    def _apply(self, name: str, args: ReleaseArgs, payload: pulumi.Output[str]) -> command.remote.Command:
        """The SSH command that runs release.sh with the bundle on stdin."""
        host = args.host
        return command.remote.Command(
            f"{name}-apply",
            connection=command.remote.ConnectionArgs(
                host=host.public_ipv4,
                user=ADMIN_USER,
                private_key=secret(args.ssh_private_key),
                # The first boot installs Docker; keep retrying the SSH dial while it runs.
                dial_error_limit=60,
            ),
            create=release_command(),
            update=release_command(),
            stdin=payload,
            # A new server (or a re-attached volume) gets the release again.
            triggers=host.release_triggers,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=host.ready, additional_secret_outputs=["stdin"]
            ),
        )

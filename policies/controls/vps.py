"""VPS machines, Hetzner servers and DigitalOcean droplets alike: SSH keys (so no root password
is mailed), no secrets in userData (cloud metadata is readable on the machine), and userData
changes ignored (they would replace the machine)."""

from __future__ import annotations

import re

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from multicloud.policies.controls._checks import MANDATORY, describe, props_of
from multicloud.policies.controls._values import UNKNOWN, get, items
from multicloud.policies.controls.digitalocean import DO_DROPLET
from multicloud.policies.controls.hetzner import HCLOUD_SERVER

# The machines these policies apply to, with the provider's name for messages.
MACHINES = {HCLOUD_SERVER: "Hetzner", DO_DROPLET: "DigitalOcean"}

USER_DATA_TOKENS = ("PRIVATE KEY", "password", "requirepass", "PGPASSWORD", "secret_access_key")
# sshd hardening directives that contain "password" but carry none.
_SSHD_DIRECTIVES = re.compile(r"PasswordAuthentication|PermitEmptyPasswords", re.IGNORECASE)


def validate_hcloud_ssh_keys(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = props_of(args, MACHINES)
    if props is None:
        return
    keys = get(props, "sshKeys")
    if keys is not UNKNOWN and not items(keys):
        report_violation(
            f"no sshKeys: {MACHINES[args.resource_type]} then sets a root password and mails it; pass sshKeys",
            None,
        )


SSH_KEYS = ResourceValidationPolicy(
    name="ckv-dio-2-like-hcloud-ssh-keys",
    description=describe(
        "Hetzner servers and DigitalOcean droplets get SSH keys (sshKeys not empty); no root "
        "password is mailed (CKV_DIO_2 for droplets)."
    ),
    validate=validate_hcloud_ssh_keys,
    enforcement_level=MANDATORY,
)


def user_data_secrets(user_data: str) -> list[str]:
    """The USER_DATA_TOKENS found in a cloud-init document (case-insensitive)."""
    text = _SSHD_DIRECTIVES.sub("", user_data).lower()
    return [token for token in USER_DATA_TOKENS if token.lower() in text]


def validate_hcloud_no_secrets_in_user_data(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = props_of(args, MACHINES)
    if props is None:
        return
    user_data = get(props, "userData")
    found = user_data_secrets(user_data) if isinstance(user_data, str) else []
    if found:
        report_violation(
            f"userData contains {', '.join(repr(t) for t in found)}: cloud metadata is readable on the server; "
            "ship secrets in the release bundle (0600 files) instead",
            None,
        )


NO_SECRETS_IN_USER_DATA = ResourceValidationPolicy(
    name="hcloud-server-no-secrets-in-user-data",
    description=describe(
        "Hetzner server and DigitalOcean droplet userData contains none of "
        f"{', '.join(repr(t) for t in USER_DATA_TOKENS)} (case-insensitive; the sshd directives "
        "PasswordAuthentication and PermitEmptyPasswords are hardening, not secrets)."
    ),
    validate=validate_hcloud_no_secrets_in_user_data,
    enforcement_level=MANDATORY,
)


def validate_hcloud_ignores_user_data(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in MACHINES:
        return
    if not {"userData", "user_data"} & set(args.opts.ignore_changes or []):
        report_violation(
            "userData is not in ignoreChanges: a cloud-init change would replace the server; "
            'add ignore_changes=["user_data"]',
            None,
        )


IGNORES_USER_DATA = ResourceValidationPolicy(
    name="hcloud-server-ignores-user-data",
    description=(
        "Hetzner servers and DigitalOcean droplets ignore userData changes (ignoreChanges), "
        "which would replace them."
    ),
    validate=validate_hcloud_ignores_user_data,
    enforcement_level=MANDATORY,
)

POLICIES = [SSH_KEYS, NO_SECRETS_IN_USER_DATA, IGNORES_USER_DATA]

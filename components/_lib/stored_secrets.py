"""Secrets App Platform keeps encrypted: send what it stored, so a second `up` changes nothing.

DigitalOcean encrypts an app's SECRET variables and registry logins on first submission and
returns them as `EV[1:…]`; "on following submissions, the encrypted value should be used"
(digitalocean/openapi apps/models/app_variable_definition.yml). The provider stores the
returned form and has no diff suppression for it (terraform-provider-digitalocean#1603, #869,
#782; PR #1137 says the same of registry_credentials), so sending the plaintext again is a
change on every `pulumi up`: a new deployment, and every PRE_DEPLOY job run again.

So each app records, per secret, the form DigitalOcean stored and a digest of the plaintext
it came from (a secret stack output, read back by the next run, like the placements). The
next run sends the stored form while the plaintext is unchanged, and the plaintext — which
DigitalOcean encrypts again — when it changed: rotating a password needs nothing special.
Without a record (the first deployment, or no access to the last one) the plaintext is sent.

Pure: no provider SDK here; the backend reads the stored values out of the app's `spec`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from multicloud.components.connection import secret

OUTPUT = "app_platform_secrets"
ENCRYPTED = "EV["


def digest(plaintext: str) -> str:
    """What the record keeps of a plaintext: enough to tell it changed, inside a secret output."""
    return hashlib.sha256(b"multicloud app secret\0" + plaintext.encode()).hexdigest()


def choose(previous: Mapping[str, Any] | None, plaintext: str | None) -> str | None:
    """The value to send: the stored ciphertext while the plaintext is the one it was made
    from, else the plaintext."""
    if plaintext is None or not isinstance(previous, Mapping):
        return plaintext
    stored = previous.get("stored")
    if (
        isinstance(stored, str)
        and stored.startswith(ENCRYPTED)
        and previous.get("digest") == digest(plaintext)
    ):
        return stored
    return plaintext


class StoredSecrets:
    """The secret values of one app, by path (`<component>.env.<KEY>`, `<component>.image`).

    `previous` is the app's record from the last run: `{"app": <app ID>, "secrets": {path:
    {"stored", "digest"}}}`. A ciphertext belongs to the app that made it, so the record is
    used only while that app still exists (`exists(app ID)`): an app deleted outside Pulumi
    and created anew gets the plaintexts."""

    def __init__(self, previous: Mapping[str, Any] | None, exists: Callable[[str], bool] = lambda _: True):
        record = previous or {}
        app = record.get("app")
        secrets = record.get("secrets")
        usable = isinstance(app, str) and isinstance(secrets, Mapping) and exists(app)
        self.previous: Mapping[str, Any] = secrets if usable else {}  # type: ignore[assignment]
        self.plaintexts: dict[str, pulumi.Output[str]] = {}

    def value(self, path: str, plaintext: pulumi.Input[str]) -> pulumi.Output[str]:
        """The value to put in the spec at `path` (a secret either way)."""
        plain = pulumi.Output.from_input(plaintext)
        self.plaintexts[path] = plain
        previous = self.previous.get(path)
        chosen: pulumi.Output[str] = plain.apply(lambda p: choose(previous, p))  # type: ignore[arg-type,return-value]
        return secret(chosen)

    def record(
        self, app: pulumi.Output[str], stored: pulumi.Output[dict[str, str | None]]
    ) -> pulumi.Output[dict[str, Any]]:
        """The record of this run: the app's ID and, for each path, what DigitalOcean stored
        (`stored`, read out of the app's spec by path) and the digest of the plaintext sent."""
        paths = sorted(self.plaintexts)
        plaintexts = pulumi.Output.all(*[self.plaintexts[p] for p in paths])

        def build(values: list[Any]) -> dict[str, Any]:
            app_id, now, sent = values
            secrets = {
                path: {"stored": now.get(path), "digest": digest(plain)}
                for path, plain in zip(paths, sent, strict=True)
                if plain is not None
            }
            return {"app": app_id, "secrets": secrets}

        return pulumi.Output.secret(pulumi.Output.all(app, stored, plaintexts).apply(build))  # type: ignore[arg-type,return-value]

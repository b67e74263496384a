"""Generated passwords, one rule for every backend."""

from __future__ import annotations

import pulumi
import pulumi_random as random


def generated_password(parent: pulumi.Resource, name: str, protect: bool = False) -> random.RandomPassword:
    """A 32-character alphanumeric password, child of `parent`, named `<name>-password`.

    Alphanumeric on purpose: it goes into URLs, env files and redis.conf without any
    escaping, and 32 characters from 62 symbols is ~190 bits. Its `result` is a secret.
    Protected with the data it guards: a database keeps the password it was created with, so
    a replaced password would lock the application out.
    """
    return random.RandomPassword(
        f"{name}-password",
        length=32,
        special=False,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )

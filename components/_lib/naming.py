"""Physical names and labels, within each provider's limits."""

from __future__ import annotations

import hashlib
import re


def physical_name(*parts: str, max_len: int = 63) -> str:
    """A lowercase DNS-safe name from parts, truncated with a stable hash suffix if too long."""
    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    if len(name) <= max_len:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: max_len - 7].rstrip('-')}-{digest}"


def labels(project: str, stack: str, component: str) -> dict[str, str]:
    """Common labels/tags for every resource that takes them."""
    return {"managed-by": "pulumi", "project": project, "stack": stack, "component": component}


def ssh_key_id(public_key: str) -> str:
    """A short stable name for an OpenSSH public key, from its key material (not its comment)."""
    return hashlib.sha256(public_key.split()[1].encode()).hexdigest()[:8]

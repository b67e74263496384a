"""Container image references, split the way registries-by-fields (App Platform) want them.

The grammar is Docker's reference grammar (distribution/reference): `[host[:port]/]path[:tag][@digest]`,
path components lowercase alphanumerics joined by `.`, `_`, `__` or dashes, tags
`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, digests `sha256:` and 64 hex digits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")
SUPPORTED = "App Platform pulls from Docker Hub, ghcr.io or registry.digitalocean.com"
# Where the first path part is the owner/namespace App Platform asks for separately.
NAMESPACED = {"ghcr.io": "an owner (ghcr.io/<owner>/<name>)", "registry.digitalocean.com": "a registry name"}

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9-]+)*(?::\d+)?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class ImageRef:
    """`registry_type` is App Platform's: DOCKER_HUB, GHCR or DOCR. `registry` is the
    namespace (Docker Hub) or owner (GHCR); DOCR leaves it empty (an account has one)."""

    registry_type: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None


class UnsupportedImage(ValueError):
    """Not an image reference, or one in a registry App Platform cannot pull from."""


@dataclass(frozen=True)
class Reference:
    """An image reference split by Docker's grammar."""

    host: str
    """The registry, `docker.io` when the reference names none."""
    path: list[str]
    tag: str | None
    digest: str | None


def split_reference(image: str) -> Reference:
    """Split `[host[:port]/]path[:tag][@digest]` by the distribution/reference grammar, or
    raise UnsupportedImage. Messages never repeat the value (it may carry a login)."""
    invalid = UnsupportedImage("is not an image reference such as ghcr.io/acme/api:1.4.2")
    if len(image) > 255 + 128 + 72 or not image.isascii():
        raise invalid
    name, at, digest = image.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        raise UnsupportedImage("has a digest that is not sha256: and 64 hex digits")
    parts = name.split("/")
    has_host = len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost")
    host = parts.pop(0) if has_host else "docker.io"
    if has_host and not _HOST.fullmatch(host):
        raise invalid
    last, colon, tag = parts[-1].partition(":")
    if colon and not _TAG.fullmatch(tag):
        raise invalid
    parts[-1] = last
    if not all(_COMPONENT.fullmatch(p) for p in parts) or len("/".join(parts)) > 255:
        raise invalid
    return Reference(host, parts, tag or None, digest or None)


def parse_image(image: str) -> ImageRef:
    """Split `ghcr.io/acme/api:1.4.2`, `acme/api@sha256:…`, `nginx:1.27`,
    `registry.digitalocean.com/acme/api:1` into App Platform's image fields."""
    ref = split_reference(image)
    host, parts = ref.host, list(ref.path)
    if host in DOCKER_HUB:
        namespace = parts.pop(0) if len(parts) > 1 else "library"
        return ImageRef("DOCKER_HUB", namespace, "/".join(parts), ref.tag, ref.digest)
    if host in NAMESPACED and len(parts) < 2:
        raise UnsupportedImage(f"names a {host} image without {NAMESPACED[host]} before the name")
    if host == "ghcr.io":
        return ImageRef("GHCR", parts[0], "/".join(parts[1:]), ref.tag, ref.digest)
    if host == "registry.digitalocean.com":
        # The account's registry is implied; App Platform wants `registry` empty for DOCR.
        return ImageRef("DOCR", "", "/".join(parts[1:]), ref.tag, ref.digest)
    raise UnsupportedImage(f"{SUPPORTED}, not {host}")


def registry_host(image: str) -> str:
    """The registry an image is pulled from, as `docker login` names it (docker.io by default)."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return "docker.io" if first in DOCKER_HUB else first
    return "docker.io"


def registry_logins(value: Any) -> dict[str, str]:
    """The `registry_credentials` secret as {registry host: "user:token"} (the config check
    validated its shape; the offline plan's placeholder is no JSON and means none)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        # Docker Hub answers to several names; images name it docker.io (registry_host).
        return {("docker.io" if str(k) in DOCKER_HUB else str(k)): str(v) for k, v in value.items()}
    return {}

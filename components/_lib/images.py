"""Container image references, split the way registries-by-fields (App Platform) want them."""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class ImageRef:
    """`registry_type` is App Platform's: DOCKER_HUB, GHCR or DOCR."""

    registry_type: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None


class UnsupportedImage(ValueError):
    """The image lives in a registry App Platform cannot pull from."""


def parse_image(image: str) -> ImageRef:
    """Split `ghcr.io/acme/api:1.4.2`, `acme/api@sha256:…`, `nginx:1.27`,
    `registry.digitalocean.com/acme/api:1` into App Platform's image fields."""
    name, _, digest = image.partition("@")
    if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise UnsupportedImage(f"{image!r}: a digest is sha256: and 64 hex digits")
    head, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:  # no tag (a colon there belongs to a registry port)
        head, tag = name, ""
    if not head or not re.fullmatch(r"[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?", head):
        raise UnsupportedImage(f"{image!r} is not an image reference such as ghcr.io/acme/api:1.4.2")
    parts = head.split("/")
    has_host = len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost")
    host = parts[0] if has_host else "docker.io"
    path = parts[1:] if has_host else parts
    if host in DOCKER_HUB:
        namespace, repository = (path[0], "/".join(path[1:])) if len(path) > 1 else ("library", path[0])
        return ImageRef("DOCKER_HUB", namespace, repository, tag or None, digest or None)
    if host == "ghcr.io" and len(path) > 1:
        return ImageRef("GHCR", path[0], "/".join(path[1:]), tag or None, digest or None)
    if host == "registry.digitalocean.com" and len(path) > 1:
        return ImageRef("DOCR", path[0], "/".join(path[1:]), tag or None, digest or None)
    raise UnsupportedImage(
        f"App Platform pulls from Docker Hub, ghcr.io or registry.digitalocean.com, not {host}"
    )

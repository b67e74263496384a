"""multicloud.components._lib.images.parse_image: a container image reference split into App Platform's
image fields (registry type, registry, repository, tag, digest), and refused where App Platform
cannot pull from or the reference is malformed. No Pulumi."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from multicloud.components._lib.images import DOCKER_HUB, ImageRef, UnsupportedImage, parse_image

DIGEST = "sha256:" + "0123456789abcdef" * 4
PULLS_FROM = "App Platform pulls from Docker Hub, ghcr.io or registry.digitalocean.com, not "


# --- examples -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        # Docker Hub: official images live in the `library` namespace, however they are written.
        ("nginx", ImageRef("DOCKER_HUB", "library", "nginx", None, None)),
        ("nginx:1.27", ImageRef("DOCKER_HUB", "library", "nginx", "1.27", None)),
        ("library/nginx:1.27", ImageRef("DOCKER_HUB", "library", "nginx", "1.27", None)),
        ("docker.io/nginx:latest", ImageRef("DOCKER_HUB", "library", "nginx", "latest", None)),
        ("docker.io/library/nginx:1", ImageRef("DOCKER_HUB", "library", "nginx", "1", None)),
        ("index.docker.io/acme/api:2", ImageRef("DOCKER_HUB", "acme", "api", "2", None)),
        ("registry-1.docker.io/acme/api", ImageRef("DOCKER_HUB", "acme", "api", None, None)),
        ("acme/api:1.27-Alpine_2", ImageRef("DOCKER_HUB", "acme", "api", "1.27-Alpine_2", None)),
        (f"acme/api@{DIGEST}", ImageRef("DOCKER_HUB", "acme", "api", None, DIGEST)),
        (f"acme/api:1.0@{DIGEST}", ImageRef("DOCKER_HUB", "acme", "api", "1.0", DIGEST)),
        # ghcr.io: the owner is App Platform's registry, the rest the repository.
        ("ghcr.io/acme/api:1.4.2", ImageRef("GHCR", "acme", "api", "1.4.2", None)),
        ("ghcr.io/acme/team/api", ImageRef("GHCR", "acme", "team/api", None, None)),
        (f"ghcr.io/acme/api@{DIGEST}", ImageRef("GHCR", "acme", "api", None, DIGEST)),
    ],
)
def test_docker_hub_and_ghcr_references(image, expected):
    assert parse_image(image) == expected


@pytest.mark.parametrize(
    ("image", "repository", "tag", "digest"),
    [
        ("registry.digitalocean.com/acme/api:1.4.2", "api", "1.4.2", None),
        ("registry.digitalocean.com/acme/team/api", "team/api", None, None),
        (f"registry.digitalocean.com/acme/api@{DIGEST}", "api", None, DIGEST),
    ],
)
def test_docr_references(image, repository, tag, digest):
    ref = parse_image(image)
    assert (ref.registry_type, ref.repository, ref.tag, ref.digest) == ("DOCR", repository, tag, digest)


def test_docr_registry_is_left_empty():
    # The digitalocean SDK: "registry: The registry name. Must be left empty for the DOCR registry type."
    assert parse_image("registry.digitalocean.com/acme/api:1.4.2") == ImageRef(
        "DOCR", "", "api", "1.4.2", None
    )


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("quay.io/acme/api:1", PULLS_FROM + "quay.io"),
        ("gcr.io/acme/api", PULLS_FROM + "gcr.io"),
        (
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:1",
            PULLS_FROM + "123456789012.dkr.ecr.eu-central-1.amazonaws.com",
        ),
        ("localhost:5000/api:1", PULLS_FROM + "localhost:5000"),
        ("localhost/api", PULLS_FROM + "localhost"),
        # Never the value itself: a reference can carry a login (user:token@host/…).
        ("acme/api@sha256:abc", "has a digest that is not sha256: and 64 hex digits"),
        (f"acme/api@{DIGEST.upper()}", "has a digest that is not sha256: and 64 hex digits"),
        ("Acme/api", "is not an image reference such as ghcr.io/acme/api:1.4.2"),
        (":1.0", "is not an image reference such as ghcr.io/acme/api:1.4.2"),
        ("", "is not an image reference such as ghcr.io/acme/api:1.4.2"),
        ("bot:ghp_TOKEN@ghcr.io/acme/api:1", "has a digest that is not sha256: and 64 hex digits"),
    ],
)
def test_refused_references_say_why(image, message):
    with pytest.raises(UnsupportedImage) as err:
        parse_image(image)
    assert str(err.value) == message


@pytest.mark.parametrize("image", ["ghcr.io/api:1", "registry.digitalocean.com/api:1"])
def test_a_missing_namespace_is_not_blamed_on_the_registry(image):
    with pytest.raises(UnsupportedImage) as err:
        parse_image(image)
    # The registry is one App Platform pulls from; what is missing is the owner (ghcr.io) or
    # the registry name (DOCR) before the repository.
    assert not str(err.value).endswith(f"not {image.split('/')[0]}")


@pytest.mark.parametrize(
    "image",
    [
        "nginx:",
        "acme//api",
        "nginx:1.0:2",
        "ghcr.io/acme/api:bad tag",
        "acme/api:-rc1",
        "acme/api:" + "1" * 129,
    ],
)
def test_malformed_references_are_refused(image):
    with pytest.raises(UnsupportedImage):
        parse_image(image)


# --- properties ---------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# The OCI distribution grammar, narrowed to what the registries App Platform reads accept.
path_components = st.from_regex(r"[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}", fullmatch=True)
docker_hub_users = st.from_regex(r"[a-z0-9]{4,12}", fullmatch=True).filter(lambda s: s != "localhost")
github_owners = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
tags = st.none() | st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
digests = st.none() | st.text("0123456789abcdef", min_size=64, max_size=64).map("sha256:".__add__)


def suffix(tag: str | None, digest: str | None) -> str:
    return (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


@st.composite
def docker_hub_images(draw: st.DrawFn) -> tuple[str, ImageRef]:
    host = draw(st.sampled_from(["", *(f"{h}/" for h in DOCKER_HUB)]))
    namespace = draw(st.none() | docker_hub_users)
    repository, tag, digest = draw(path_components), draw(tags), draw(digests)
    image = host + (f"{namespace}/" if namespace else "") + repository + suffix(tag, digest)
    return image, ImageRef("DOCKER_HUB", namespace or "library", repository, tag, digest)


@st.composite
def ghcr_images(draw: st.DrawFn) -> tuple[str, ImageRef]:
    owner = draw(github_owners)
    repository = "/".join(draw(st.lists(path_components, min_size=1, max_size=3)))
    tag, digest = draw(tags), draw(digests)
    return f"ghcr.io/{owner}/{repository}{suffix(tag, digest)}", ImageRef(
        "GHCR", owner, repository, tag, digest
    )


def reference(ref: ImageRef) -> str:
    """The canonical reference of a Docker Hub or ghcr.io image."""
    host = {"DOCKER_HUB": "docker.io", "GHCR": "ghcr.io"}[ref.registry_type]
    return f"{host}/{ref.registry}/{ref.repository}{suffix(ref.tag, ref.digest)}"


@PROPERTY
@given(case=docker_hub_images() | ghcr_images())
def test_references_split_into_their_parts_and_round_trip(case):
    image, expected = case
    ref = parse_image(image)
    assert ref == expected
    assert parse_image(reference(ref)) == ref


@PROPERTY
@given(
    registry=github_owners,
    repository=st.lists(path_components, min_size=1, max_size=2).map("/".join),
    tag=tags,
    digest=digests,
)
def test_docr_repository_tag_and_digest(registry, repository, tag, digest):
    ref = parse_image(f"registry.digitalocean.com/{registry}/{repository}{suffix(tag, digest)}")
    assert (ref.registry_type, ref.repository, ref.tag, ref.digest) == ("DOCR", repository, tag, digest)


other_hosts = st.from_regex(
    r"[a-z][a-z0-9-]{0,8}[a-z0-9](\.[a-z][a-z0-9]{0,8}){1,3}(:[1-9][0-9]{1,4})?", fullmatch=True
)


@PROPERTY
@given(host=other_hosts, owner=github_owners, repository=path_components, tag=tags)
def test_any_other_registry_is_refused_by_name(host, owner, repository, tag):
    assume(host not in (*DOCKER_HUB, "ghcr.io", "registry.digitalocean.com"))
    with pytest.raises(UnsupportedImage) as err:
        parse_image(f"{host}/{owner}/{repository}{suffix(tag, None)}")
    assert str(err.value) == PULLS_FROM + host

"""What a config string may be, by where it lands. Pure functions, each returning an error
message (never the value: it may be a credential pasted in the wrong place) or None.

Every string of the spec first passes `control_problem`: no control characters at all (no
field of the spec is multi-line), nor the invisible marks that reorder or hide text on a
terminal. Then each field that reaches an artifact gets the grammar of that artifact: an
e-mail address for ACME, a URL path for health checks, Docker's reference grammar for
images, an OpenSSH public key that parses, git's ref rules for branches, a relative path
for build directories.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import unicodedata

# Bidirectional overrides and isolates, zero-width characters and the BOM: they make text
# read differently from what it is (CVE-2021-42574 "Trojan Source").
_INVISIBLE = set("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def control_problem(text: str) -> str | None:
    """Control characters (newline, CR, tab, NUL, ESC, DEL …), line separators and
    invisible direction marks are refused in every config string."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _INVISIBLE:
            return "contains a control character (newline, tab, NUL, ESC …) or an invisible mark; remove it"
    return None


def printable(text: str) -> str:
    """`text` with every character `control_problem` refuses shown as an escape, so that a
    value that reaches a message can neither add a line nor drive the terminal."""
    return "".join(
        ch.encode("unicode_escape").decode()
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _INVISIBLE
        else ch
        for ch in text
    )


# A conservative e-mail address: what ACME servers accept for a contact (RFC 5321 dot-atom
# local part without the rarely used specials, a DNS domain).
_EMAIL = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def email_problem(text: str) -> str | None:
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return "is not an e-mail address such as ops@example.com"
    return None


# RFC 3986 path-absolute with an optional query: "/" then pchars (unreserved, sub-delims,
# ":" "@", percent-encoded octets). No whitespace, quotes, backslash or braces, so the same
# text is safe in a Caddyfile, rollout.txt (split on spaces) and curl's URL.
_PCHAR = r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}"
URL_PATH = re.compile(rf"/(?:{_PCHAR})*(?:\?(?:{_PCHAR}|\?)*)?")


def url_path_problem(text: str) -> str | None:
    if len(text) > 2000 or not URL_PATH.fullmatch(text):
        return "is not a URL path such as /health (letters, digits, -._~!$&'()*+,;=:@/?, %XX escapes)"
    return None


def image_problem(text: str) -> str | None:
    from multicloud.components._lib.images import UnsupportedImage, split_reference

    try:
        split_reference(text)
    except UnsupportedImage as err:
        return str(err)
    return None


SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def ssh_public_key_problem(text: str) -> str | None:
    """One OpenSSH public key: `<type> <base64 blob> [comment]`, the blob decoding to a key
    whose embedded type is the named one (RFC 4253 §6.6: a length-prefixed type string)."""
    if "PRIVATE KEY" in text:
        return "looks like a private key; give public keys only (ssh-ed25519 …)"
    parts = text.split(" ")
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        return (
            f"is not an OpenSSH public key; expected one of {', '.join(SSH_KEY_TYPES)}, its key and a comment"
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        embedded = blob[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        return "is not an OpenSSH public key: its key is not valid base64 key data"
    if embedded != parts[0] or len(blob) <= 4 + length:
        return f"is not an OpenSSH public key: its key data is not a {parts[0]} key"
    return None


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_name_problem(text: str) -> str | None:
    if len(text) > 255 or not ENV_NAME.fullmatch(text):
        return "is not a variable name; use letters, digits and _, not starting with a digit"
    return None


def branch_problem(text: str) -> str | None:
    """git check-ref-format rules for a branch name (git-check-ref-format(1))."""
    bad = (
        not text
        or len(text) > 255
        or text == "@"
        or text.startswith(("/", "-"))
        or text.endswith(("/", ".", ".lock"))
        or any(ch in text for ch in " ~^:?*[\\\x7f")
        or ".." in text
        or "//" in text
        or "@{" in text
        or any(part.startswith(".") or part.endswith(".lock") for part in text.split("/"))
    )
    return (
        "is not a git branch name (no spaces, ~^:?*[\\, .., @{, or leading/trailing / and .)" if bad else None
    )


_RELATIVE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*/?")


def relative_dir_problem(text: str) -> str | None:
    """A directory inside the repository: relative, no `..`, plain path characters."""
    if text == "":
        return None
    if len(text) > 255 or not _RELATIVE.fullmatch(text) or ".." in text.split("/"):
        return "is not a directory inside the repository such as dist or apps/web/out"
    return None


# Prefixes of well-known credentials (the vendors' documented token formats).
CREDENTIAL_PREFIXES = (
    "sk_live_", "sk_test_", "rk_live_", "whsec_",  # Stripe
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",  # GitHub
    "glpat-",  # GitLab
    "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-",  # Slack
    "AKIA", "ASIA",  # AWS access keys
    "AIza",  # Google API keys
    "dckr_pat_",  # Docker Hub
    "npm_",  # npm
    "SG.",  # SendGrid
    "hf_",  # Hugging Face
    "sk-",  # OpenAI and others
    "-----BEGIN",  # PEM keys
)  # fmt: skip
_SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|API_?KEY|ACCESS_?KEY|CREDENTIAL|DSN)", re.IGNORECASE
)


def _entropy(text: str) -> float:
    import math
    from collections import Counter

    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def credential_reason(name: str, value: str) -> str | None:
    """Why a plain `env` value looks like a credential (None when it does not): a known token
    prefix, a secret-sounding name with a non-trivial value, or a long high-entropy string."""
    if value.startswith(CREDENTIAL_PREFIXES):
        return "starts like a known token"
    if _SECRET_NAME.search(name) and len(value) >= 8 and value.lower() not in ("changeme", "disabled"):
        return "its name says it is a secret"
    if len(value) >= 24 and " " not in value and "/" not in value and _entropy(value) >= 4.0:
        return "it is a long random-looking string"
    return None

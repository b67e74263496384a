"""`infra validate | plan | render`: exit codes, output shapes, and no secret in any output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from multicloud import infra
from multicloud.infra.cli import main
from multicloud.infra.offline import PLACEHOLDER, Plan
from tests.conftest import ROOT, base_config, write_stack
from tests.helpers import CONTRACT

SECRET_VARS = {"DATABASE_URL", "PGPASSWORD", "REDIS_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}


@pytest.fixture(autouse=True)
def in_project(monkeypatch):
    """Run from the project root, as a user would."""
    monkeypatch.chdir(ROOT)


@pytest.fixture
def plans(monkeypatch) -> list[Plan]:
    """Every Plan the CLI computes, so a test can check its output against the run's secrets."""
    seen: list[Plan] = []
    real = infra.cli.plan

    def recording(*args, **kwargs):
        result = real(*args, **kwargs)
        seen.append(result)
        return result

    monkeypatch.setattr(infra.cli, "plan", recording)
    return seen


def stack_file(tmp_path: Path, config: dict | None = None, name: str = "prod") -> Path:
    return write_stack(tmp_path / f"Pulumi.{name}.yaml", config or base_config())


def leaked(text: str, result: Plan) -> list[str]:
    secrets = result.secret_values | {PLACEHOLDER}
    assert len(secrets) >= 3  # two passwords and the placeholder at least: the check has teeth
    return [s for s in secrets if s in text]


# --- plan -----------------------------------------------------------------------------


def test_plan_json_lists_every_resource(tmp_path, capsys, plans):
    config = base_config() | {"alerts": {"emails": ["ops@example.com"]}}
    assert main(["plan", "--config", str(stack_file(tmp_path, config)), "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert (doc["project"], doc["stack"]) == ("multicloud", "prod")
    (result,) = plans
    assert len(doc["resources"]) == len(result.registrations)
    for resource in doc["resources"]:
        # `aliases` only where a resource had other URNs (the Cloudflare SDK aliases its
        # renamed Record type to DnsRecord).
        assert set(resource) - {"aliases"} == {"urn", "type", "name", "parent", "inputs", "protect"}
    by_name = {(r["type"], r["name"]): r for r in doc["resources"]}
    server = by_name[("hcloud:index/server:Server", "main-server")]
    assert server["inputs"]["serverType"] == "cx23"
    assert server["protect"] is True
    assert server["parent"] == by_name[("multicloud:index:VpsHost", "main")]["urn"]
    assert by_name[("command:remote:Command", "main-release-apply")]["inputs"]["stdin"] == "[secret]"
    record = by_name[("cloudflare:index/dnsRecord:DnsRecord", "api-dns-a")]
    assert record["aliases"] == [record["urn"].replace("dnsRecord:DnsRecord", "record:Record")]
    assert err == ""


def test_plan_json_holds_no_secret(tmp_path, capsys, plans):
    main(["plan", "--config", str(stack_file(tmp_path)), "--json"])
    out = capsys.readouterr().out
    assert leaked(out, plans[0]) == []


def test_plan_text_shows_the_tree_and_holds_no_secret(tmp_path, capsys, plans):
    assert main(["plan", "--config", str(stack_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert leaked(out, plans[0]) == []
    assert "main-server" in out and "cx23 in fsn1" in out
    assert "tcp/22 from 203.0.113.0/24" in out
    assert "Nothing was created" in out


def test_plan_of_the_repository_prod_stack(capsys, plans):
    assert main(["plan", "--stack", "prod", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stack"] == "prod"
    assert leaked(json.dumps(doc), plans[0]) == []


def test_plan_json_loads_neither_rich_nor_the_cost_engine():
    # The plan benchmark's path: what only tables and estimates need stays unimported.
    code = (
        "import contextlib, io, sys\n"
        "from infra.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['plan', '--stack', 'prod', '--json']) == 0\n"
        "print(sorted(m for m in ('rich', 'multicloud.costs.estimate', 'multicloud.costs.pricers', 'multicloud.costs.report') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


# --- render ---------------------------------------------------------------------------


def test_render_writes_the_host_files(tmp_path, capsys):
    out_dir = tmp_path / "rendered"
    assert main(["render", "--config", str(stack_file(tmp_path)), "--out", str(out_dir)]) == 0
    for relative in ("cloud-init.yaml", "release/compose.yaml", "release/Caddyfile", "release/env/api.env"):
        assert (out_dir / "main" / relative).is_file(), relative
    assert (out_dir / "main" / "cloud-init.yaml").read_text().startswith("#cloud-config\n")


def test_render_masks_secret_variables(tmp_path, capsys):
    out_dir = tmp_path / "rendered"
    main(["render", "--config", str(stack_file(tmp_path)), "--out", str(out_dir)])
    lines = (out_dir / "main" / "release" / "env" / "api.env").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines)
    assert set(env) == CONTRACT
    assert {k for k, v in env.items() if v == "<secret>"} == SECRET_VARS
    assert env["PGHOST"] == "'db'"
    assert (out_dir / "main" / "release" / "secrets" / "db" / "password").read_text() == "<secret>"


def test_render_writes_no_secret_anywhere(tmp_path, capsys, plans):
    out_dir = tmp_path / "rendered"
    config = base_config()
    config["services"]["uploads"] = {"kind": "bucket", "target": "hetzner"}  # placeholder S3 keys too
    main(["render", "--config", str(stack_file(tmp_path, config)), "--out", str(out_dir)])
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        assert leaked(path.read_text(), plans[0]) == [], path
    assert leaked(capsys.readouterr().out, plans[0]) == []


def test_render_has_one_directory_per_host(tmp_path, capsys):
    config = base_config()
    config["hosts"]["data"] = {"target": "hetzner", "server_type": "cx23"}
    config["services"]["db"]["host"] = "data"
    out_dir = tmp_path / "rendered"
    main(["render", "--config", str(stack_file(tmp_path, config)), "--out", str(out_dir)])
    assert sorted(p.name for p in out_dir.iterdir()) == ["data", "main"]
    assert (out_dir / "data" / "cloud-init.yaml").is_file()
    assert (out_dir / "data" / "release" / "compose.yaml").is_file()
    assert not (out_dir / "data" / "release" / "Caddyfile").exists()  # no public site there


def test_render_writes_droplet_user_data_and_app_specs(tmp_path, capsys, plans):
    """DigitalOcean: cloud-init per droplet, as for Hetzner servers, and each App Platform app's
    spec with its SECRET values masked (nothing secret anywhere)."""
    out_dir = tmp_path / "rendered"
    for example in ("digitalocean.yaml", "digitalocean-app-platform.yaml"):
        assert main(["render", "--config", str(ROOT / "examples" / example), "--out", str(out_dir)]) == 0
    for host in ("api-a", "api-b", "workers"):
        assert (out_dir / host / "cloud-init.yaml").read_text().startswith("#cloud-config\n")
    assert sorted(p.name for p in (out_dir / "apps").iterdir()) == [
        "api-app.yaml",
        "collector-app.yaml",
        "web-app.yaml",
    ]
    import yaml

    spec = yaml.safe_load((out_dir / "apps" / "api-app.yaml").read_text())
    envs = {e["key"]: e for e in spec["services"][0]["envs"]}
    assert {k for k, e in envs.items() if e["value"] == "<secret>"} == SECRET_VARS
    assert all(e["type"] == "SECRET" for k, e in envs.items() if k in SECRET_VARS)
    for plan_ in plans:
        for path in out_dir.rglob("*"):
            if path.is_file():
                assert leaked(path.read_text(), plan_) == [], path


# --- validate and errors --------------------------------------------------------------


def test_validate_the_repository_prod_stack(capsys):
    assert main(["validate", "--stack", "prod"]) == 0
    out, err = capsys.readouterr()
    assert "valid" in out and err == ""


def test_missing_file_exits_2_with_one_line(tmp_path, capsys):
    """Bad input, not our bug: exit 2 (1 is kept for internal errors)."""
    path = tmp_path / "Pulumi.nope.yaml"
    assert main(["validate", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"multicloud:<file>: {path} does not exist"]


def test_missing_stack_exits_2_with_one_line(capsys):
    assert main(["plan", "--stack", "no-such-stack"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("infra plan: no Pulumi.no-such-stack.yaml in ")


def test_invalid_yaml_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text("config:\n  multicloud:environment: [prod\n")
    assert main(["validate", "--config", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("multicloud:<file>: ") and "is not valid YAML" in line


@pytest.mark.parametrize("command", [["plan"], ["plan", "--json"], ["render", "--out", "OUT"]])
def test_invalid_config_stops_every_command_with_exit_2(tmp_path, capsys, command):
    config = base_config()
    config["environment"] = "production"
    argv = [command[0], "--config", str(stack_file(tmp_path, config))]
    argv += [str(tmp_path / "out") if a == "OUT" else a for a in command[1:]]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["multicloud:environment: must be one of: dev, staging, prod"]
    assert not (tmp_path / "out").exists()


def test_env_colliding_with_a_link_variable_exits_2(tmp_path, capsys):
    config = base_config()
    config["services"]["api"]["env"] = {"DATABASE_URL": "postgresql://elsewhere/app"}
    assert main(["plan", "--config", str(stack_file(tmp_path, config))]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("multicloud:services.api.env.DATABASE_URL: ")

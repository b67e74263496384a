"""The library: a hand-written program builds what the equivalent stack file builds.

`multicloud.deploy` is the one code path: examples/library/hetzner and examples/library/aws
(Python, no `multicloud:` config) register the same resources, with the same URNs, and price
to the same total as a stack file saying the same — so a stack file is one user of the
library, not a second implementation.
"""

from __future__ import annotations

import pulumi
import pytest
import yaml

from multicloud import testing
from multicloud.costs.estimate import estimate_plan
from multicloud.infra.offline import plan
from tests.conftest import ROOT

LIBRARY = ROOT / "examples" / "library"
SECRETS = {"shop:sshPrivateKey": "k", "shop:healthchecksApiKey": "h" * 32}

HETZNER_STACK = {
    "environment": "prod",
    "domain": "shop.example",
    "dns": {"provider": "cloudflare", "zone_id": "023e105f4ecef8ad9ca31a8372d0c353"},
    "cloudflare": {"account_id": "7c5dae5552338874e5053f2534d2767a"},
    "admin": {
        "ssh_public_keys": [
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@shop.example"
        ],
        "cidrs": ["203.0.113.0/24"],
        "acme_email": "ops@shop.example",
    },
    "alerts": {"emails": ["ops@shop.example"]},
    "hosts": {"main": {"target": "hetzner", "size": {"cpu": 4, "memory_gb": 8}, "location": "fsn1"}},
    "services": {
        "db": {
            "kind": "postgres",
            "target": "hetzner",
            "host": "main",
            "storage_gb": 40,
            "backup": {"bucket": "backups"},
        },
        "cache": {"kind": "redis", "target": "hetzner", "host": "main", "memory_mb": 512},
        "backups": {"kind": "bucket", "target": "cloudflare"},
        "api": {
            "kind": "api",
            "target": "hetzner",
            "host": "main",
            "image": "ghcr.io/acme/shop-api:2.1.0",
            "port": 8080,
            "health_path": "/health",
            "links": ["db", "cache"],
        },
    },
}

AWS_STACK = {
    "environment": "staging",
    "domain": "shop.example",
    "aws": {"region": "eu-central-1"},
    "dns": {"provider": "route53", "zone_id": "Z0123456789ABCDEFGHIJ"},
    "services": {
        "db": {"kind": "postgres", "target": "aws", "storage_gb": 40},
        "cache": {"kind": "redis", "target": "aws", "memory_mb": 512},
        "uploads": {"kind": "bucket", "target": "aws"},
        "api": {
            "kind": "api",
            "target": "aws",
            "image": "ghcr.io/acme/shop-api:2.1.0",
            "port": 8080,
            "health_path": "/health",
            "replicas": 2,
            "links": ["db", "cache", "uploads"],
        },
    },
}


def stack_file(tmp_path, stack: str, values: dict) -> object:
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"multicloud:{k}": v for k, v in values.items()}}))
    return path


def urns(registrations, project: str) -> set[str]:
    # The project name is part of a URN: compare the rest.
    return {r.urn.replace(f"::{project}::", "::P::") for r in registrations}


@pytest.mark.parametrize(
    ("program", "stack", "values"),
    [("hetzner", "prod", HETZNER_STACK), ("aws", "staging", AWS_STACK)],
)
def test_a_program_builds_what_the_equivalent_stack_file_builds(program, stack, values, tmp_path):
    written = testing.run(
        LIBRARY / program, project="shop", stack=stack, config=SECRETS, secrets=list(SECRETS)
    )
    assert [s.model_dump() for s in written.stacks] == [
        __import__("multicloud").Stack.model_validate(values).model_dump()
    ]
    from_file = plan(stack_file(tmp_path, stack, values), stack, project_dir=ROOT)
    assert urns(written.registrations, "shop") == urns(from_file.registrations, "multicloud")
    assert written.estimate().total == pytest.approx(estimate_plan(from_file).total)


def test_the_hetzner_program_plans_and_prices_offline():
    result = testing.run(
        LIBRARY / "hetzner", project="shop", stack="prod", config=SECRETS, secrets=list(SECRETS)
    )
    server = result.resource("hcloud:index/server:Server", "main-server")
    assert server.inputs["serverType"] == "cx33"  # the cheapest 4 vCPU / 8 GB type in fsn1
    est = result.estimate()
    assert est.currency == "EUR" and 10 < est.total < 25
    assert result.violations() == []


def test_the_aws_program_plans_and_prices_offline():
    result = testing.run(LIBRARY / "aws", project="shop", stack="staging")
    db = result.resource("aws:rds/instance:Instance", "db-db")
    assert db.inputs["storageEncrypted"] is True and db.inputs["allocatedStorage"] == 40
    est = result.estimate()
    assert est.currency == "USD" and est.total > 50
    # Staging runs its tasks in public subnets (no NAT): the pack says so, as it would in preview.
    assert "ckv-aws-333-ecs-no-public-ip" in {v.policy for v in result.violations()}


def test_a_missing_credential_is_named_not_a_traceback():
    import multicloud as mc

    def program() -> None:
        spec = mc.Stack.model_validate(HETZNER_STACK)
        mc.deploy(spec, mc.Credentials(healthchecks_api_key="h" * 32))

    with pytest.raises(
        pulumi.RunError, match=r"ssh_private_key: is needed: pass it in multicloud.Credentials"
    ):
        testing.run(program)


def test_an_invalid_application_is_refused_with_every_problem_before_anything_is_built():
    import multicloud as mc

    values = dict(AWS_STACK, services=dict(AWS_STACK["services"]))
    values["services"]["api"] = dict(values["services"]["api"], links=["db", "nowhere"])

    with pytest.raises(pulumi.RunError) as err:
        testing.run(lambda: mc.deploy(mc.Stack.model_validate(values)))
    assert "invalid stack config:" in str(err.value) and "services.api.links" in str(err.value)


def test_import_multicloud_is_cheap():
    import subprocess
    import sys

    code = "import multicloud, sys; print(sorted(m for m in ('pulumi', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_infra_plans_and_prices_a_program_directory(capsys):
    import json

    from multicloud.infra.cli import main

    hetzner = str(LIBRARY / "hetzner")
    assert main(["plan", "--program", hetzner]) == 0
    out = capsys.readouterr().out
    # Its Pulumi.prod.yaml gives the stack and the config; the secure values stay unread.
    assert out.startswith("shop · stack prod (prod)") and "hcloud:Server main-server  cx33" in out
    assert "v1:" not in out and "offline-placeholder" not in out
    assert main(["validate", "--program", hetzner]) == 0
    capsys.readouterr()
    assert main(["cost", "--program", str(LIBRARY / "aws"), "--format", "json"]) == 0
    priced = json.loads(capsys.readouterr().out)
    expected = testing.run(LIBRARY / "aws", project="shop", stack="staging").estimate("USD").total
    assert float(priced["totalMonthlyCost"]) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["cost", "--program", str(LIBRARY / "aws"), "--compare", "hetzner"],
            "--compare and --base read stack files",
        ),
        (["plan", "--program", str(ROOT / "docs")], "is not a Pulumi program (Pulumi.yaml and __main__.py)"),
        (["plan", "--program", str(ROOT / "README.md")], "--program"),
    ],
)
def test_what_a_program_cannot_do_is_one_line(argv, said, capsys):
    from multicloud.infra.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1


def test_the_package_docstring_example_deploys(tmp_path):
    import textwrap

    import multicloud

    doc = multicloud.__doc__ or ""
    example = "    import pulumi" + doc.split("\n    import pulumi", 1)[1].split("\nThe stack-config")[0]
    (tmp_path / "__main__.py").write_text(textwrap.dedent(example))
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example.com"
    result = testing.run(
        tmp_path, config={"app:sshPublicKey": key, "app:sshPrivateKey": "k"}, secrets=["app:sshPrivateKey"]
    )
    assert [s.domain for s in result.stacks] == ["example.com"]


def test_deploy_checks_credentials_before_it_registers_anything():
    import multicloud as mc

    spec = mc.Stack.model_validate(HETZNER_STACK)
    # No credentials given and none in config: named at once, nothing built.
    with pytest.raises(pulumi.RunError, match="ssh_private_key: is needed") as err:
        testing.run(lambda: mc.deploy(spec))
    assert "healthchecks_api_key: is needed" in str(err.value)


def test_plain_credentials_get_the_checks_a_stack_file_gets():
    import multicloud as mc

    values = dict(AWS_STACK, services=dict(AWS_STACK["services"]))
    values["services"]["api"] = dict(values["services"]["api"], secrets=["STRIPE_KEY"])
    spec = mc.Stack.model_validate(values)
    wrong = mc.Credentials(app_secrets={"OTHER": "x"}, registry_credentials="not json")
    with pytest.raises(pulumi.RunError) as err:
        testing.run(lambda: mc.deploy(spec, wrong))
    text = str(err.value)
    assert "secrets" in text and "STRIPE_KEY" in text and "registry_credentials" in text
    assert "not json" not in text and "OTHER: x" not in text
    assert "not json" not in repr(wrong) and "'x'" not in repr(wrong)  # a failing test never prints them


def test_registry_logins_passed_in_code_reach_fargate():
    import multicloud as mc

    values = dict(AWS_STACK, services=dict(AWS_STACK["services"]))
    spec = mc.Stack.model_validate(values)
    logins = mc.Credentials(registry_credentials='{"ghcr.io": "bot:token"}')
    result = testing.run(lambda: mc.deploy(spec, logins))
    (task,) = [r for r in result.resources("aws:ecs/taskDefinition:TaskDefinition") if r.name == "api-task"]
    assert "repositoryCredentials" in task.raw_inputs["containerDefinitions"]


def test_a_program_runs_from_its_directory_as_the_engine_runs_it(tmp_path):
    import shutil

    program = tmp_path / "shop"
    shutil.copytree(LIBRARY / "aws", program)
    # A sibling module and a relative path, as programs have.
    (program / "settings.py").write_text("REPLICAS = 3\n")
    (program / "image.txt").write_text("ghcr.io/acme/shop-api:2.2.0\n")
    main = (program / "__main__.py").read_text()
    main = main.replace("import multicloud as mc\n", "import multicloud as mc\nimport settings\n")
    main = main.replace("import pulumi\n", "from pathlib import Path\n\nimport pulumi\n", 1)
    main = main.replace('image="ghcr.io/acme/shop-api:2.1.0"', 'image=Path("image.txt").read_text().strip()')
    main = main.replace("replicas=2", "replicas=settings.REPLICAS")
    (program / "__main__.py").write_text(main)
    result = testing.run(program, project="shop", stack="staging")
    (service,) = result.resources("aws:ecs/service:Service")
    assert service.inputs["desiredCount"] == 3


def test_recordings_nest():
    from multicloud.stacks import program

    with program.recording() as outer:
        with program.recording() as inner:
            assert program.DEPLOYED is inner
        assert program.DEPLOYED is outer
    assert program.DEPLOYED is None


def test_every_public_model_field_is_documented():
    """`import multicloud`'s models are the library's arguments: each field says what it is
    (pydantic's description, shown by help() and in the JSON schema)."""
    import multicloud as mc

    undocumented = []
    for name in mc.__all__:
        model = getattr(mc, name)
        if not (isinstance(model, type) and hasattr(model, "model_fields")):
            continue
        assert model.__doc__, name
        undocumented += [f"{name}.{f}" for f, info in model.model_fields.items() if not info.description]
    assert undocumented == []


def test_a_program_path_relative_to_the_working_directory(monkeypatch, capsys):
    from multicloud.infra.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["plan", "--program", "examples/library/hetzner"]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("shop · stack prod (prod)")
    result = testing.run("examples/library/aws", project="shop", stack="staging")
    assert result.stacks and result.stacks[0].environment == "staging"


AWS_PROGRAM = (LIBRARY / "aws" / "__main__.py").read_text()


def program_dir(
    tmp_path, main: str, stacks: dict[str, str] | None = None, project: str = "name: shop\nruntime: python\n"
):
    directory = tmp_path / "prog"
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(project)
    (directory / "__main__.py").write_text(main)
    for stack, text in (stacks or {}).items():
        (directory / f"Pulumi.{stack}.yaml").write_text(text)
    return directory


@pytest.mark.parametrize(
    ("main", "project", "said"),
    [
        (
            AWS_PROGRAM.replace('links=["db", "cache", "uploads"]', 'links=["db", "nowhere"]'),
            "name: shop\n",
            "multicloud:services.api.links",
        ),
        (
            AWS_PROGRAM.replace('environment="staging"', 'environment="bogus"'),
            "name: shop\n",
            "multicloud:environment: must be one of: dev, staging, prod",
        ),
        (
            "raise ValueError('the program broke')\n",
            "name: shop\n",
            "__main__.py raised ValueError: the program broke",
        ),
        ("import sys\nsys.exit(3)\n", "name: shop\n", "__main__.py raised SystemExit: 3"),
        (
            "import pulumi\npulumi.Config().require('token')\n",
            "name: shop\n",
            "__main__.py raised ConfigMissingError",
        ),
        (AWS_PROGRAM + "\nmc.deploy(app)\n", "name: shop\n", "deploy was called twice"),
        ("x = 1\n", "name: shop\n", "deployed 0 applications"),
        (AWS_PROGRAM, "- just a list\n", "Pulumi.yaml is not a mapping"),
        (AWS_PROGRAM, "name: [unclosed\n", "Pulumi.yaml is not a mapping"),
    ],
)
def test_a_programs_own_error_is_one_line_exit_2(tmp_path, capsys, main, project, said):
    from multicloud.infra.cli import main as infra

    directory = program_dir(tmp_path, main, project=project)
    assert infra(["plan", "--program", str(directory)]) == 2
    err = capsys.readouterr().err
    assert said in err and "internal error" not in err and "Traceback" not in err, err


def test_several_stacks_are_chosen_with_stack(tmp_path, capsys):
    from multicloud.infra.cli import main as infra

    stacks = {
        "staging": "config:\n  aws:region: eu-central-1\n",
        "prod": "config:\n  aws:region: us-east-1\n",
    }
    directory = program_dir(tmp_path, AWS_PROGRAM, stacks)
    assert infra(["plan", "--program", str(directory)]) == 2
    assert "several stacks (prod, staging); choose one with --stack" in capsys.readouterr().err
    assert infra(["plan", "--program", str(directory), "--stack", "staging"]) == 0
    assert capsys.readouterr().out.startswith("shop · stack staging")


def test_no_secret_of_a_program_is_shown_or_written(tmp_path, capsys):
    from multicloud.infra.cli import main as infra

    main = AWS_PROGRAM.replace(
        "built = mc.deploy(app)",
        "import pulumi\n"
        "token = pulumi.Config().require_secret_object('nested')\n"
        "values = dict(app.services)\n"
        "values['api'] = values['api'].model_copy(update={'secrets': ['STRIPE_KEY'], 'image': 'ghcr.io/acme/private:1'})\n"
        "app = app.model_copy(update={'services': values})\n"
        'built = mc.deploy(app, mc.Credentials(registry_credentials=\'{"ghcr.io": "bot:REGTOKEN123"}\',\n'
        "    app_secrets={'STRIPE_KEY': 'sk_live_PLAINSECRET'}))",
    )
    stack = "config:\n  shop:nested:\n    settings:\n      token:\n        secure: v1:NESTEDCIPHER01:ZZZZ\n"
    directory = program_dir(tmp_path, main, {"staging": stack})
    shown = []
    for argv in (["plan", "--json"], ["plan"], ["cost", "--format", "multicloud-json"]):
        assert infra([argv[0], "--program", str(directory), *argv[1:]]) == 0, capsys.readouterr().err
        shown.append(capsys.readouterr().out)
    out = tmp_path / "rendered"
    assert infra(["render", "--program", str(directory), "--out", str(out)]) == 0
    shown += [p.read_text() for p in out.rglob("*") if p.is_file()]
    import base64

    for secret in (
        "NESTEDCIPHER01",
        "REGTOKEN123",
        "PLAINSECRET",
        base64.b64encode(b"bot:REGTOKEN123").decode(),
    ):
        assert not any(secret in text for text in shown), secret


def test_sibling_modules_of_one_program_do_not_reach_the_next(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for directory, region in ((first, "eu-central-1"), (second, "eu-west-1")):
        directory.mkdir()
        (directory / "settings.py").write_text(f"REGION = {region!r}\n")
        (directory / "__main__.py").write_text(
            AWS_PROGRAM.replace(
                "import multicloud as mc\n", "import multicloud as mc\nimport settings\n"
            ).replace('region="eu-central-1"', "region=settings.REGION")
        )
    regions = [testing.run(d, project="shop").stacks[0].aws.region for d in (first, second)]
    assert regions == ["eu-central-1", "eu-west-1"]


def test_a_login_passed_in_code_is_not_written_by_render(tmp_path):
    from multicloud.infra.cli import main as infra

    main = (LIBRARY / "hetzner" / "__main__.py").read_text()
    main = main.replace(
        'healthchecks_api_key=config.require_secret("healthchecksApiKey"),',
        'healthchecks_api_key=config.require_secret("healthchecksApiKey"),\n'
        '    registry_credentials=\'{"ghcr.io": "bot:REGTOKEN456"}\',',
    )
    stack = (LIBRARY / "hetzner" / "Pulumi.prod.yaml").read_text()
    directory = program_dir(tmp_path, main, {"prod": stack}, project="name: shop\nruntime: python\n")
    out = tmp_path / "rendered"
    assert infra(["render", "--program", str(directory), "--out", str(out)]) == 0
    configs = list(out.rglob("docker/config.json"))
    assert configs, sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    import base64

    login = base64.b64encode(b"bot:REGTOKEN456").decode()
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "REGTOKEN456" not in text and login not in text, path
    assert '"auth": "<secret>"' in configs[0].read_text()

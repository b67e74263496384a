"""The multi-language package: `multicloud:index:Application` served by Pulumi's component host.

- The arguments and the schema are generated from the models, and the committed files are
  what the generator writes (so a schema change shows up in review).
- The schema is what Pulumi's own analyzer infers from the source, and covers every public
  model, field for field, with a description on every input, output and enum value; every
  reference resolves.
- The Pulumi YAML example's properties, handed to Pulumi's component provider as the engine
  hands them over (camelCase, numbers as floats, secrets as secret Outputs), build exactly what
  the equivalent Python program builds; bad input comes back as Pulumi input-property errors at
  the paths the program wrote, before anything is registered.
- With Pulumi's package metaschema at hand (MULTICLOUD_PULUMI_METASCHEMA), the schema validates
  against it.
"""

from __future__ import annotations

import json
import os
import typing
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.errors import InputPropertiesError
from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel

import multicloud
from multicloud import testing
from multicloud.stacks import application_gen
from multicloud.stacks.application import TYPE, provider, schema_path
from multicloud.stacks.loader import _unwrap
from multicloud.stacks.spec import StackSpec
from tests.conftest import ROOT

SCHEMA = json.loads(application_gen.SCHEMA_FILE.read_text())
APPLICATION = SCHEMA["resources"][TYPE]
EXAMPLE = ROOT / "examples" / "package" / "Pulumi.yaml"
LIBRARY = ROOT / "examples" / "library"
SECRETS = {"shop:sshPrivateKey": "k", "shop:healthchecksApiKey": "h" * 32}


# The analyzer's own naming: schema names are what Pulumi makes of the Python ones.
camel = camel_case


# --- the generated files ------------------------------------------------------------------


def test_the_generated_arguments_and_schema_are_current():
    how = "run: python -m multicloud.stacks.application_gen"
    assert application_gen.ARGS_FILE.read_text() == application_gen.render_args(), how
    assert application_gen.SCHEMA_FILE.read_text() == application_gen.render_schema(), how


def test_a_literal_without_an_enum_name_is_refused(monkeypatch):
    monkeypatch.delitem(application_gen.ENUMS, ("valkey", "redis"))
    with pytest.raises(KeyError, match="name the enum"):
        application_gen.render_args()


# --- the schema against the models --------------------------------------------------------


def _public_models() -> dict[str, type[BaseModel]]:
    found = {}
    for name in multicloud.__all__:
        value = getattr(multicloud, name)
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not StackSpec:
            found[name] = value
    return found


def test_every_public_model_is_a_type_with_each_of_its_fields():
    models = _public_models()
    assert {"Api", "Worker", "Job", "Postgres", "Redis", "Bucket", "StaticSite", "Host", "Dns"} <= set(models)
    for public, model in models.items():
        spec = SCHEMA["types"][f"multicloud:index:{public}"]
        fields = {f: info for f, info in model.model_fields.items() if f != "kind"}
        assert set(spec["properties"]) == {camel(f) for f in fields}, public
        required = {camel(f) for f, info in fields.items() if info.is_required()}
        assert set(spec.get("required") or []) == required, public
        for field, info in fields.items():
            literal = _unwrap(info.annotation)
            if typing.get_origin(literal) is typing.Literal:
                ref = spec["properties"][camel(field)]["$ref"]
                values = [v["value"] for v in SCHEMA["types"][ref.removeprefix("#/types/")]["enum"]]
                assert values == list(typing.get_args(literal)), f"{public}.{field}"


def test_the_application_takes_the_stack_with_one_map_per_kind():
    inputs = set(APPLICATION["inputProperties"])
    maps = {camel(argument) for argument, _, _ in application_gen.KIND_MAPS.values()}
    expected = {camel(f) for f in StackSpec.model_fields if f != "services"} | maps | {"credentials"}
    assert inputs == expected
    assert set(APPLICATION["requiredInputs"]) == {"environment", "domain"}
    for kind, (argument, model, _) in application_gen.KIND_MAPS.items():
        ref = APPLICATION["inputProperties"][camel(argument)]["additionalProperties"]["$ref"]
        assert ref == f"#/types/multicloud:index:{model.__name__.removesuffix('Spec')}", kind
    # The shape must be known when the application is checked: every argument is plain.
    assert all(p.get("plain") for p in APPLICATION["inputProperties"].values())
    # Credentials are the only inputs that may be Outputs (secrets from config).
    credentials = SCHEMA["types"]["multicloud:index:Credentials"]["properties"]
    for name, prop in credentials.items():
        value = prop.get("additionalProperties", prop)  # the maps' keys are plain, their values not
        assert not value.get("plain"), name


def _walk(node: Any, path: str):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_every_input_output_type_and_enum_value_is_described():
    described = []
    for name, resource in SCHEMA["resources"].items():
        described.append((name, resource))
        for group in ("inputProperties", "properties"):
            described += [(f"{name}.{group}.{p}", v) for p, v in resource[group].items()]
    for name, spec in SCHEMA["types"].items():
        described.append((name, spec))
        described += [(f"{name}.{p}", v) for p, v in (spec.get("properties") or {}).items()]
        described += [(f"{name}={v['value']}", v) for v in spec.get("enum") or []]
    missing = [where for where, node in described if not (node.get("description") or "").strip()]
    assert missing == []
    assert len(described) > 200


def test_every_reference_resolves():
    refs = [node["$ref"] for _, node in _walk(SCHEMA, "") if "$ref" in node]
    assert refs
    for ref in refs:
        assert ref == "pulumi.json#/Any" or ref.removeprefix("#/types/") in SCHEMA["types"], ref


def test_the_schema_validates_against_pulumis_metaschema():
    """Pulumi's package metaschema (pkg/codegen/schema/pulumi.json in pulumi/pulumi, Apache-2.0)
    is not in this repository: point MULTICLOUD_PULUMI_METASCHEMA at a copy to run this. Its
    patterns are ECMA-262 (named groups as `(?<name>…)`), so they are matched with regress."""
    path = os.environ.get("MULTICLOUD_PULUMI_METASCHEMA")
    if not path:
        pytest.skip("MULTICLOUD_PULUMI_METASCHEMA is not set")
    validator = _metaschema_validator(json.loads(Path(path).read_text()))
    assert [e.message for e in validator.iter_errors(SCHEMA)] == []
    # A schema the analyzer would emit without enum value descriptions fails it.
    broken = json.loads(json.dumps(SCHEMA))
    broken["types"]["multicloud:index:Target"]["enum"][0]["description"] = None
    assert list(validator.iter_errors(broken))


def _metaschema_validator(metaschema: dict[str, Any]) -> Any:
    import jsonschema
    import regress
    from jsonschema import validators

    def pattern(validator, regex, instance, schema):
        if validator.is_type(instance, "string") and regress.Regex(regex).find(instance) is None:
            yield jsonschema.ValidationError(f"{instance!r} does not match {regex!r}")

    def pattern_properties(validator, patterns, instance, schema):
        if validator.is_type(instance, "object"):
            for regex, subschema in patterns.items():
                for key, value in instance.items():
                    if regress.Regex(regex).find(key) is not None:
                        yield from validator.descend(value, subschema, path=key, schema_path=regex)

    cls = validators.extend(
        jsonschema.Draft202012Validator, {"pattern": pattern, "patternProperties": pattern_properties}
    )
    return cls(metaschema)


# --- through Pulumi's component host ------------------------------------------------------


@pytest.fixture(autouse=True)
def _dynamic_resources_run_with_this_python(monkeypatch):
    """As the docs tell a program in another language to: the engine runs the Python dynamic
    resources (Hetzner buckets, Healthchecks heartbeats) with PULUMI_PYTHON_CMD."""
    import sys

    monkeypatch.setenv("PULUMI_PYTHON_CMD", sys.executable)


def _wire(value: Any) -> Any:
    """A value as the engine hands it to a provider: numbers are floats on the wire."""
    if isinstance(value, bool) or not isinstance(value, int | float | dict | list):
        return value
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return float(value)


def _example_properties() -> dict[str, Any]:
    program = yaml.safe_load(EXAMPLE.read_text())
    (resource,) = program["resources"].values()
    assert resource["type"] == TYPE
    return resource["properties"]


def _construct(properties: dict[str, Any], secrets: dict[str, str] | None = None) -> testing.Result:
    """Build `properties` (a YAML program's, `${name}` its secret config) through the host."""
    secrets = secrets if secrets is not None else {"sshPrivateKey": "k", "healthchecksApiKey": "h" * 32}

    def inputs() -> dict[str, Any]:
        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("${"):
                return pulumi.Output.secret(secrets[value[2:-1]])
            if isinstance(value, dict):
                return {k: resolve(v) for k, v in value.items()}
            return value

        return resolve(_wire(properties))

    host = provider()
    return testing.run(
        lambda: host.construct("shop", TYPE, inputs(), pulumi.ResourceOptions()),
        project="shop",
        stack="prod",
    )


def test_the_yaml_example_builds_what_the_python_program_builds():
    hosted = _construct(_example_properties())
    direct = testing.run(
        LIBRARY / "hetzner", project="shop", stack="prod", config=SECRETS, secrets=list(SECRETS)
    )

    def built(result: testing.Result) -> list[str]:
        return sorted(
            json.dumps([r.type, r.name, r.inputs], sort_keys=True, default=str)
            for r in result.registrations
            if r.type != TYPE
        )

    assert built(hosted) == built(direct)
    assert len(hosted.registrations) == len(direct.registrations) + 1  # the Application itself
    # Everything sits under the application; nothing at the stack's root.
    (app,) = hosted.resources(TYPE)
    assert all(r.urn.split("::")[2].startswith(TYPE) for r in hosted.registrations if r is not app)
    assert hosted.estimate().total == pytest.approx(direct.estimate().total)
    assert hosted.violations() == direct.violations()


def test_the_application_outputs_are_set():
    captured: dict[str, Any] = {}
    host = provider()

    def program() -> None:
        result = host.construct("shop", TYPE, _wire(_resolved_example()), pulumi.ResourceOptions())
        for key, value in result.state.items():
            value.apply(lambda v, key=key: captured.__setitem__(key, v))

    testing.run(program, project="shop", stack="prod")
    assert set(captured) == set(APPLICATION["properties"])
    assert captured["urls"] == {"api": "https://api.shop.example"}
    assert set(captured["ipv4"]) == {"main"} and set(captured["connections"]) == {"db", "cache", "backups"}
    assert set(captured["record"]) == {"multicloud_placements", "multicloud_ssh_keys"}


def _resolved_example() -> dict[str, Any]:
    properties = _example_properties()
    properties["credentials"] = {
        "sshPrivateKey": pulumi.Output.secret("k"),
        "healthchecksApiKey": pulumi.Output.secret("h" * 32),
    }
    return properties


def _refusal(properties: dict[str, Any]) -> InputPropertiesError:
    with pytest.raises(InputPropertiesError) as err:
        _construct(properties)
    return err.value


def _refused(properties: dict[str, Any]) -> list[tuple[str, str]]:
    errors = _refusal(properties).errors
    assert errors
    return [(e["property_path"], e["reason"]) for e in errors]


def test_bad_input_is_one_property_error_per_problem_at_the_path_written():
    properties = _example_properties()
    properties["postgres"]["db"]["storageGb"] = 0
    properties["apis"]["api"]["links"] = ["db", "nowhere"]
    properties["apis"]["api"]["env"] = {"GOOD_NAME": "1"}
    properties["redis"]["db"] = {"target": "hetzner", "host": "main"}
    errors = _refused(properties)
    paths = [path for path, _ in errors]
    assert "redis.db" in paths  # the name is taken by the database
    assert all("services" not in p and "storage_gb" not in p for p in paths), paths
    properties["redis"].pop("db")
    errors = _refused(properties)
    assert [p for p, _ in errors] == ["postgres.db.storageGb"]
    assert "greater than or equal to 1" in errors[0][1]
    properties["postgres"]["db"]["storageGb"] = 40
    errors = _refused(properties)
    assert [p for p, _ in errors] == ["apis.api.links[1]"] and "nowhere" in errors[0][1]


def test_a_missing_credential_is_said_without_a_property_path():
    # The engine prints the value at every path it is given: a credential's would be a secret.
    properties = _example_properties()
    del properties["credentials"]
    refused = _refusal(properties)
    assert refused.errors == []
    assert refused.message.splitlines() == [
        "invalid arguments of multicloud.Application",
        "credentials.healthchecksApiKey: is needed by this application",
        "credentials.sshPrivateKey: is needed by this application",
    ]


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (
            ("postgres", "db", "storageGb"),
            "output",
            "postgres.db.storageGb",
        ),  # an integer: the host int()s it
        (("dns", "zoneId"), "secret", "dns.zoneId"),
        (("hosts", "main", "target"), "output", "hosts.main.target"),  # an enum
        (("apis", "api", "links"), "list", "apis.api.links[0]"),
    ],
)
def test_an_output_where_a_plain_value_goes_is_refused_without_printing_it(where, value, path):
    properties = _example_properties()
    secret = pulumi.Output.secret("s3cr3t-value")
    output = {"output": pulumi.Output.from_input(5), "secret": secret, "list": [secret]}[value]
    target = properties
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = output
    refused = _refusal(properties)
    assert refused.errors == [] and "s3cr3t" not in refused.message
    assert f"{path}: must be a plain value: only the credentials take Outputs" in refused.message


def test_credentials_as_one_secret_object_are_refused():
    properties = _example_properties()
    properties["credentials"] = pulumi.Output.secret({"sshPrivateKey": "k"})
    refused = _refusal(properties)
    assert "credentials: pass an object of secrets" in refused.message and refused.errors == []


def test_dynamic_resources_need_the_packages_python(monkeypatch):
    import sys

    monkeypatch.setenv("PULUMI_PYTHON_CMD", "/nonexistent/python3")
    properties = _example_properties()
    properties["buckets"]["uploads"] = {"target": "hetzner", "location": "fsn1"}
    properties["credentials"] |= {
        "hetznerS3AccessKey": "${sshPrivateKey}",
        "hetznerS3SecretKey": "${sshPrivateKey}",
    }
    errors = dict(_refused(properties))
    assert set(errors) == {"buckets.uploads", "alerts"}
    assert f"export PULUMI_PYTHON_CMD={sys.executable}" in errors["buckets.uploads"]
    # A Python program runs them with its own Python: nothing to say there.
    monkeypatch.setenv("PULUMI_PYTHON_CMD", sys.executable)
    assert _construct(properties).resources("pulumi-python:dynamic/healthchecks:Check")


def test_one_application_per_program():
    def program() -> None:
        multicloud.Application("shop", _python_args())
        multicloud.Application("shop2", _python_args())

    with pytest.raises(pulumi.RunError, match="a program builds one application"):
        testing.run(program, project="shop", stack="staging")


def test_a_refused_application_registers_nothing():
    properties = _example_properties()
    properties["domain"] = "Not A Domain"

    def program() -> None:
        try:
            provider().construct("shop", TYPE, _wire(properties), pulumi.ResourceOptions())
        except InputPropertiesError:
            pass

    result = testing.run(program, project="shop", stack="prod")
    assert result.registrations == []


def test_secrets_named_by_services_need_values():
    properties = _example_properties()
    properties["apis"]["api"]["secrets"] = ["STRIPE_KEY"]
    properties["credentials"]["appSecrets"] = {"bad-name": "${sshPrivateKey}"}
    refused = _refusal(properties)
    assert [(e["property_path"], e["reason"]) for e in refused.errors or []] == [
        ("apis.api.secrets[0]", "STRIPE_KEY has no value in credentials.appSecrets")
    ]
    assert "credentials.appSecrets.bad-name: " in refused.message and "\nk" not in refused.message


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("services.db.storage_gb", "postgres.db.storageGb"),
        ("services.api.env.MY_VAR", "apis.api.env.MY_VAR"),
        ("services.api.links[1]", "apis.api.links[1]"),
        ("hosts.main_host.server_type", "hosts.main_host.serverType"),
        ("services.web.root_dir", "staticSites.web.rootDir"),
        ("credentials.app_secrets.MY_KEY", "credentials.appSecrets.MY_KEY"),
        ("alerts.tls_warning_days", "alerts.tlsWarningDays"),
        ("<root>", "<root>"),
    ],
)
def test_spec_paths_are_shown_as_the_program_wrote_them(path, shown):
    kinds = {"db": "postgres", "api": "api", "web": "static_site"}
    assert schema_path(path, kinds) == shown


def _python_args() -> Any:
    from multicloud.stacks.application_args import ApplicationArgs, EnvironmentKind

    args: ApplicationArgs = {
        "environment": EnvironmentKind.STAGING,
        "domain": "shop.example",
        "aws": {"region": "eu-central-1"},
        "dns": {"provider": "route53", "zone_id": "Z0123456789ABCDEFGHIJ"},
        "postgres": {"db": {"target": "aws"}},
        "apis": {"api": {"target": "aws", "image": "ghcr.io/acme/api:1.0.0", "port": 8080, "links": ["db"]}},
    }
    return args


def test_a_python_program_can_use_the_application_too():
    result = testing.run(
        lambda: multicloud.Application("shop", _python_args()), project="shop", stack="staging"
    )
    db = result.resource("aws:rds/instance:Instance", "db-db")
    assert db.inputs["storageEncrypted"] is True
    assert result.estimate().currency == "USD"


def test_the_plugin_runs_the_entry_point_with_the_repository_as_its_dependency():
    plugin = yaml.safe_load((ROOT / "package" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    main = (ROOT / "package" / "__main__.py").read_text()
    assert "from multicloud.stacks.application import main" in main
    requirements = [
        line
        for line in (ROOT / "package" / "requirements.txt").read_text().splitlines()
        if line and line[0] != "#"
    ]
    # pip runs in the plugin's folder: `..` is this repository.
    assert requirements == [".."] and (ROOT / "package" / ".." / "pyproject.toml").exists()


def test_in_a_python_program_a_refusal_is_one_line_per_problem(tmp_path, capsys):
    from multicloud.infra.cli import main

    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.staging.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        "import multicloud as mc\n"
        "mc.Application('shop', {'environment': 'staging', 'domain': 'shop.example',\n"
        "    'postgres': {'db': {'target': 'aws', 'storage_gb': 0}}})\n"
    )
    assert main(["plan", "--program", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["postgres.db.storageGb: Input should be greater than or equal to 1"]


def test_a_hostile_name_cannot_add_a_line_to_an_error():
    properties = _example_properties()
    properties["redis"]["x\nfake.path: all good\x1b[2J"] = {"target": "hetzner", "host": "main"}
    errors = _refused(properties)
    assert all("\n" not in p + m and "\x1b" not in p + m for p, m in errors)


def test_plain_credentials_in_python_are_checked_and_never_shown(tmp_path, capsys):
    from multicloud.infra.cli import main

    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.staging.yaml").write_text("config: {}\n")
    program = (
        "import multicloud as mc\n"
        "mc.Application('shop', {'environment': 'staging', 'domain': 'shop.example',\n"
        "    'hosts': {'main': {'target': 'hetzner', 'size': {'cpu': 2, 'memory_gb': 4}}},\n"
        "    'admin': {'ssh_public_keys': ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b'],\n"
        "              'cidrs': ['203.0.113.0/24']},\n"
        "    'apis': {'api': {'target': 'hetzner', 'host': 'main', 'image': 'ghcr.io/acme/api:1.0', 'port': 8080,\n"
        "                     'secrets': ['STRIPE_KEY']}},\n"
        "    'credentials': {'ssh_private_key': 'PLAIN-KEY-TEXT', 'app_secrets': {'STRIPE_KEY': 'sk_PLAIN_SECRET'},\n"
        "                    'registry_logins': {'ghcr.io': LOGIN}}})\n"
    )
    (tmp_path / "__main__.py").write_text(program.replace("LOGIN", "'no-colon'"))
    assert main(["plan", "--program", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "credentials.registryLogins.ghcr.io: expected user:token"
    (tmp_path / "__main__.py").write_text(program.replace("LOGIN", "'bot:PLAIN-TOKEN'"))
    assert main(["render", "--program", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    written = capsys.readouterr().out + "".join(
        f.read_text(errors="replace") for f in (tmp_path / "out").rglob("*") if f.is_file()
    )
    # The secrets reach the files that carry them, as <secret>.
    assert "STRIPE_KEY" in (tmp_path / "out" / "main" / "release" / "env" / "api.env").read_text()
    assert "ghcr.io" in (tmp_path / "out" / "main" / "release" / "docker" / "config.json").read_text()
    for secret in ("PLAIN-KEY-TEXT", "sk_PLAIN_SECRET", "PLAIN-TOKEN"):
        assert secret not in written


def test_registry_logins_are_checked_as_a_stack_files_are():
    properties = _example_properties()
    properties["credentials"]["registryLogins"] = {
        "not a host": "${sshPrivateKey}",
        "ghcr.io": "${sshPrivateKey}",
    }
    refused = _refusal(properties)
    assert refused.errors == []
    assert refused.message.splitlines()[1:] == [
        "credentials.registryLogins: a key is not a registry host such as ghcr.io or docker.io"
    ]

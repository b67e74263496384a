"""ManagedPostgres on AWS: RDS, encrypted, private, TLS forced, backed up, protected in prod.

Most security settings asserted here by value are also controls of the policy pack
(policies/controls/aws_*.py), each shown to fail on a broken copy of a real plan
(tests/test_aws_security.py); the rest (private subnets, no IAM wildcards …) only here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.aws_plans import (
    PARAMETER,
    RDS,
    SG,
    aws_config,
    example_config,
    ids,
    ingress_into,
    out,
    subnets,
    task_container,
)
from tests.conftest import one
from tests.helpers import child_set

POSTGRES = "multicloud:index:ManagedPostgres"
PASSWORD = "random:index/randomPassword:RandomPassword"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"


@pytest.fixture(scope="module")
def prod(aws_plan):
    return aws_plan(aws_config("prod"), "prod")


@pytest.fixture(scope="module")
def dev(aws_plan):
    return aws_plan(aws_config("dev"), "dev")


def db_config(environment: str = "prod", **db: object) -> dict:
    config = aws_config(environment)
    config["services"]["db"].update(db)
    return config


def tags(stack: str) -> dict:
    return {"managed-by": "pulumi", "project": "multicloud", "stack": stack, "component": "db"}


def test_component_children(prod):
    db = one(prod, POSTGRES, "db")
    assert child_set(prod, db) == {
        (PASSWORD, "db-password"),
        (SUBNET_GROUP, "db-subnets"),
        (SG, "db-sg"),
        (PARAMETER_GROUP, "db-params"),
        (RDS, "db-db"),
    }
    assert one(prod, PASSWORD, "db-password").inputs == {"length": 32, "special": False}


def test_prod_instance_inputs(prod):
    instance = one(prod, RDS, "db-db")
    assert instance.inputs == {
        "engine": "postgres",
        "engineVersion": "16",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20,
        "storageType": "gp3",
        "storageEncrypted": True,
        "dbName": "app",
        "username": "app",
        "password": "[secret]",
        "port": 5432,
        "dbSubnetGroupName": one(prod, SUBNET_GROUP).id,
        "vpcSecurityGroupIds": [one(prod, SG, "db-sg").id],
        "parameterGroupName": one(prod, PARAMETER_GROUP).id,
        "publiclyAccessible": False,
        "multiAz": False,
        "backupRetentionPeriod": 7,
        "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "multicloud-prod-db-final",
        "autoMinorVersionUpgrade": True,
        "allowMajorVersionUpgrade": False,
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "tags": tags("prod"),
    }
    assert (instance.protect, instance.delete_before_replace) == (True, False)
    # The password guards the data: it is kept with it.
    assert one(prod, PASSWORD, "db-password").protect is True


def test_dev_instance_is_disposable_but_still_encrypted_private_and_backed_up(dev):
    instance = one(dev, RDS, "db-db")
    inputs = instance.inputs
    assert inputs["deletionProtection"] is False
    assert inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in inputs
    assert "enabledCloudwatchLogsExports" not in inputs
    assert inputs["backupRetentionPeriod"] == 1
    assert inputs["storageEncrypted"] is True
    assert inputs["publiclyAccessible"] is False
    assert inputs["deleteAutomatedBackups"] is False
    assert inputs["autoMinorVersionUpgrade"] is True
    assert inputs["storageType"] == "gp3"
    assert (instance.protect, one(dev, PASSWORD, "db-password").protect) == (False, False)


def test_subnet_group_is_the_private_subnets(prod):
    group = one(prod, SUBNET_GROUP, "db-subnets")
    assert group.inputs["subnetIds"] == ids(subnets(prod, "private"))
    assert one(prod, RDS).inputs["dbSubnetGroupName"] == out(prod, group, "name")


def test_parameter_group_forces_tls(prod):
    params = one(prod, PARAMETER_GROUP, "db-params")
    assert params.inputs["family"] == "postgres16"
    assert params.inputs["parameters"] == [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"}
    ]
    assert one(prod, RDS).inputs["parameterGroupName"] == out(prod, params, "name")


def custom() -> dict:
    """Every knob of a postgres on AWS turned away from its default (one plan for all)."""
    return db_config(
        version="17",
        storage_gb=50,
        database="shop",
        username="shopper",
        instance_class="db.m7g.large",
        multi_az=True,
        backup_days=14,
    )


def test_settings_are_passed_through(aws_plan):
    result = aws_plan(custom(), "prod")
    inputs = one(result, RDS).inputs
    assert (inputs["engineVersion"], one(result, PARAMETER_GROUP).inputs["family"]) == ("17", "postgres17")
    assert (inputs["allocatedStorage"], inputs["dbName"], inputs["username"]) == (50, "shop", "shopper")
    assert (inputs["instanceClass"], inputs["multiAz"], inputs["backupRetentionPeriod"]) == (
        "db.m7g.large",
        True,
        14,
    )
    url = urlsplit(one(result, PARAMETER, "api-database-url").raw_inputs["value"])
    assert (url.username, url.path) == ("shopper", "/shop")


@pytest.mark.parametrize(
    ("config", "instance_class"),
    [
        (db_config, "db.t4g.micro"),
        (example_config, "db.t4g.small"),
        (lambda: db_config(size={"cpu": 1, "memory_gb": 3}), "db.t4g.medium"),
        (custom, "db.m7g.large"),
    ],
    ids=["default", "example-2cpu-2gb", "1cpu-3gb", "explicit-wins"],
)
def test_instance_class_from_size_or_explicit(aws_plan, config, instance_class):
    assert one(aws_plan(config(), "prod"), RDS).inputs["instanceClass"] == instance_class


@pytest.mark.parametrize(
    ("environment", "config", "days"),
    [("prod", db_config, 7), ("dev", lambda: db_config("dev"), 1), ("prod", custom, 14)],
    ids=["prod-default", "dev-default", "backup-days-override"],
)
def test_backup_retention(aws_plan, environment, config, days):
    assert one(aws_plan(config(), environment), RDS).inputs["backupRetentionPeriod"] == days


@pytest.mark.parametrize(("config", "multi_az"), [(custom, True), (db_config, False)])
def test_multi_az_follows_the_flag(aws_plan, config, multi_az):
    assert one(aws_plan(config(), "prod"), RDS).inputs["multiAz"] is multi_az


def test_linked_service_gets_a_tls_url_to_the_instance(prod):
    instance = one(prod, RDS)
    password = out(prod, one(prod, PASSWORD, "db-password"), "result")
    url = urlsplit(one(prod, PARAMETER, "api-database-url").raw_inputs["value"])
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port, url.path) == (out(prod, instance, "address"), 5432, "/app")
    assert (url.username, url.password) == ("app", password)
    assert parse_qs(url.query) == {"sslmode": ["require"]}
    env = {e["name"]: e["value"] for e in task_container(prod, "api")["environment"]}
    assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGUSER"]) == (
        out(prod, instance, "address"),
        "5432",
        "app",
        "app",
    )
    assert one(prod, PARAMETER, "api-pgpassword").raw_inputs["value"] == password


def test_security_group_has_no_rules_of_its_own(prod):
    group = one(prod, SG, "db-sg")
    assert group.inputs == {
        "vpcId": one(prod, "aws:ec2/vpc:Vpc").id,
        "description": "db: PostgreSQL, reachable from linked services only",
        "tags": tags("prod"),
    }


def test_each_linked_service_gets_one_rule_and_an_unlinked_one_none(aws_plan):
    config = aws_config("prod")
    config["services"]["jobs"] = {
        "kind": "worker",
        "target": "aws",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["cache"],
    }
    config["services"]["reports"] = {
        "kind": "worker",
        "target": "aws",
        "image": "ghcr.io/acme/api:1.4.2",
        "links": ["db"],
    }
    result = aws_plan(config, "prod")
    rules = ingress_into(result, one(result, SG, "db-sg"))
    assert sorted(
        (
            r.name,
            r.inputs["referencedSecurityGroupId"],
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in rules
    ) == [
        ("api-to-db", one(result, SG, "api-tasks").id, "tcp", 5432, 5432),
        ("reports-to-db", one(result, SG, "reports-tasks").id, "tcp", 5432, 5432),
    ]
    jobs = one(result, SG, "jobs-tasks").id
    assert not any(r.inputs.get("referencedSecurityGroupId") == jobs for r in rules)
    # The unlinked worker does not get the database's variables either.
    assert not {"DATABASE_URL", "PGHOST"} & {
        v["name"]
        for v in task_container(result, "jobs")["environment"] + task_container(result, "jobs")["secrets"]
    }

"""How a team tests its own program with multicloud.testing — run by pytest like any test.

pip install multicloud pytest
pytest examples/library
"""

from pathlib import Path

from multicloud import testing

HERE = Path(__file__).parent
SECRETS = {"shop:sshPrivateKey": "test-key", "shop:healthchecksApiKey": "x" * 32}


def test_the_shop_runs_on_one_hetzner_box_within_budget():
    result = testing.run(
        HERE / "hetzner", project="shop", stack="prod", config=SECRETS, secrets=list(SECRETS)
    )
    (server,) = result.resources("hcloud:index/server:Server")
    assert server.inputs["serverType"] == "cx33"
    assert server.inputs["deleteProtection"] is True  # prod protects what holds data
    assert result.violations() == []  # the policy pack's data-safety checks
    assert result.estimate().total < 40  # EUR a month


def test_the_aws_database_is_encrypted_and_private():
    result = testing.run(HERE / "aws", project="shop", stack="staging")
    (db,) = result.resources("aws:rds/instance:Instance")
    assert db.inputs["storageEncrypted"] is True
    assert db.inputs["publiclyAccessible"] is False
    policies = {v.policy for v in result.violations()}
    assert not policies & {"ckv-aws-17-rds-not-public", "ckv2-aws-69-rds-force-ssl"}

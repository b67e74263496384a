"""The variables a Hetzner host's containers get for Postgres on RDS, used by `psql` against a
real Postgres that stands in for the instance.

RDS signs each instance's certificate, which names the instance's endpoint, with one of the
region's CAs, and clients verify it against the region's bundle of all of them
(components/postgres/aws.py). The stand-in does the same: a certificate for the endpoint name the
planned example (examples/hetzner-compute-rds.yaml) ships as PGHOST, signed by the second of two
CAs (an RSA one and an ECDSA P-384 one, as rds-ca-rsa2048-g1 and rds-ca-ecc384-g1 sit together
in a regional bundle). The client gets exactly the shipped DATABASE_URL and PG* — only the
address to dial (libpq's `hostaddr`, which leaves the name it verifies alone), the port and the
bundle's path are this machine's. A bundle without the signing CA, a certificate for another
instance and a server without TLS are refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from multicloud.infra.offline import plan
from tests.conftest import ROOT
from tests.helpers import env_of
from tests.integration.test_internet_tls import _client_env, _postgres, _psql, _rewired, openssl_in

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "hetzner-compute-rds.yaml"


@pytest.fixture(scope="module")
def shipped() -> dict[str, str]:
    """The api container's environment, as the example's release ships it to the box."""
    return env_of(plan(EXAMPLE, "prod", project_dir=ROOT), "box", "api")


@pytest.fixture(scope="module")
def pki(require_tool, shipped) -> Iterator[dict[str, Path]]:
    """A regional bundle of two CAs; the server's pair for the shipped endpoint, signed by the
    second; a pair for another instance's endpoint; a bundle that lacks the signing CA."""
    work, run = openssl_in(require_tool("openssl"), "multicloud-rds-pki-")
    ca_ext = ("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test RDS Root CA RSA2048",
        *ca_ext, "-keyout", "rsa.key", "-out", "rsa.crt")  # fmt: skip
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1", "-nodes", "-days", "2",
        "-subj", "/CN=Test RDS Root CA ECC384", *ca_ext, "-keyout", "ecc.key", "-out", "ecc.crt")  # fmt: skip
    for name, endpoint in (("server", shipped["PGHOST"]), ("elsewhere", f"other-{shipped['PGHOST']}")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={endpoint}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")  # fmt: skip
        (work / f"{name}.ext").write_text(f"subjectAltName=DNS:{endpoint}\nextendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ecc.crt", "-CAkey", "ecc.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt")  # fmt: skip
    (work / "bundle.pem").write_text((work / "rsa.crt").read_text() + (work / "ecc.crt").read_text())
    (work / "without-signer.pem").write_text((work / "rsa.crt").read_text())
    for path in work.glob("*.crt"):
        path.chmod(0o644)
    try:
        yield {p.name: p for p in work.iterdir()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _dialled(url: str, port: int, bundle: Path) -> str:
    """The shipped URL, its name kept (what verify-full checks), dialled at 127.0.0.1:`port`."""
    parts = urlsplit(_rewired(url, urlsplit(url).hostname or "", port, "sslrootcert", bundle))
    query = [*parse_qsl(parts.query), ("hostaddr", "127.0.0.1")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="/"), parts.fragment))


@pytest.fixture(scope="module")
def rds_stand_in(postgres_bindir, free_port, pki, shipped, skip_or_fail) -> Iterator[int]:
    port = free_port()
    tls = {"server.crt": pki["server.crt"], "server.key": pki["server.key"]}
    with _postgres(postgres_bindir, port, shipped, tls, skip_or_fail):
        yield port


def test_the_shipped_values_name_the_endpoint_and_ask_for_full_verification(shipped):
    url = urlsplit(shipped["DATABASE_URL"])
    assert url.hostname == shipped["PGHOST"] and url.hostname.endswith(".rds.amazonaws.com")
    assert dict(parse_qsl(url.query)) == {"sslmode": "verify-full", "sslrootcert": shipped["PGSSLROOTCERT"]}


def test_database_url_connects_and_verifies_against_the_bundle(
    postgres_bindir, rds_stand_in, pki, shipped, tmp_path
):
    url = _dialled(shipped["DATABASE_URL"], rds_stand_in, pki["bundle.pem"])
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t"


def test_the_pg_variables_alone_connect_and_verify(postgres_bindir, rds_stand_in, pki, shipped, tmp_path):
    names = ("PGHOST", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE")
    env = {**_client_env(tmp_path), **{k: shipped[k] for k in names}}
    env |= {"PGHOSTADDR": "127.0.0.1", "PGPORT": str(rds_stand_in), "PGSSLROOTCERT": str(pki["bundle.pem"])}
    done = _psql(postgres_bindir, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "t"


def test_a_bundle_without_the_signing_ca_is_refused(postgres_bindir, rds_stand_in, pki, shipped, tmp_path):
    url = _dialled(shipped["DATABASE_URL"], rds_stand_in, pki["without-signer.pem"])
    done = _psql(postgres_bindir, _client_env(tmp_path), url)
    assert done.returncode != 0
    assert "certificate verify failed" in done.stderr


def test_another_instances_certificate_is_refused(
    postgres_bindir, free_port, pki, shipped, tmp_path, skip_or_fail
):
    port = free_port()
    tls = {"server.crt": pki["elsewhere.crt"], "server.key": pki["elsewhere.key"]}
    with _postgres(postgres_bindir, port, shipped, tls, skip_or_fail):
        done = _psql(
            postgres_bindir, _client_env(tmp_path), _dialled(shipped["DATABASE_URL"], port, pki["bundle.pem"])
        )
    assert done.returncode != 0
    assert "does not match host name" in done.stderr


def test_a_server_without_tls_is_refused(postgres_bindir, free_port, pki, shipped, tmp_path, skip_or_fail):
    port = free_port()
    with _postgres(postgres_bindir, port, shipped, None, skip_or_fail):
        done = _psql(
            postgres_bindir, _client_env(tmp_path), _dialled(shipped["DATABASE_URL"], port, pki["bundle.pem"])
        )
    assert done.returncode != 0
    assert "server does not support SSL" in done.stderr

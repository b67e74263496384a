"""A private CA of its own for a database or cache on a host that consumers on another provider
reach over the internet, and the server certificate it signs (pulumi-tls).

A managed cluster comes with its provider's CA (DigitalOcean's `getDatabaseCa`); a Postgres or
Redis container on a Hetzner host has none, and a self-signed certificate made on the host
(components/_vps/scripts/prepare-postgres.sh) is unknown to the program, so no remote client
could verify it. Here the engine makes both: a CA the consumers trust (their copy of its
certificate, components.connection.ca_file) and a server certificate for the exact addresses
they connect to, signed by it. Keys live in the stack's state as secrets; no key leaves the
engine except the server's, which the host's release ships readable by the server alone.

pulumi-tls (hashicorp/terraform-provider-tls) rather than keys made in Python: the keys must be
made once and kept across runs, which is what a resource in the state is. Each certificate is
renewed by the `pulumi up` that runs within RENEW_HOURS of its end (`early_renewal_hours`);
the release then ships the new one and the server restarts with it (its config hash changes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from multicloud.components._vps.model import File

# What every key and certificate is made with; the integration test makes its own with the
# same profile (openssl) to start real servers. RSA 3072: what every TLS client accepts, and
# the strength NIST SP 800-57 gives for use beyond 2030.
KEY_ALGORITHM = "RSA"
RSA_BITS = 3072
# Long lives: a private CA's clients impose no maximum (the 398 days of browsers apply to public
# CAs), and renewal depends on a `pulumi up` within RENEW_HOURS of the end, which pulumi-tls has
# had trouble with (pulumi/pulumi-tls#39), so a stack that is rarely deployed must not outlive it.
CA_VALIDITY_HOURS = 20 * 365 * 24
SERVER_VALIDITY_HOURS = 10 * 365 * 24
RENEW_HOURS = 90 * 24
# Key usages (RFC 5280 key usage and extended key usage, in the provider's spelling):
# terraform-provider-tls docs/resources/self_signed_cert.md `allowed_uses`, read 2026-12-01.
CA_USES = ("cert_signing", "crl_signing")
SERVER_USES = ("digital_signature", "key_encipherment", "server_auth")


@dataclass(frozen=True)
class ServerTls:
    """A server's certificate and key, and the CA certificate its clients verify it with."""

    ca_certificate: pulumi.Output[str]
    certificate: pulumi.Output[str]
    private_key: pulumi.Output[str]
    """Secret."""
    resources: dict[str, pulumi.Resource]

    def files(self, name: str, directory: str, uid: int, with_ca: bool = False) -> list[File]:
        """What a host's release ships for the server `name`, mounted in `directory`: its
        certificate (and the CA's, for a server that wants one), and its key, readable by the
        server's user `uid` alone (Postgres refuses any other key)."""
        shipped = [
            File(f"config/{name}/server.crt", self.certificate, mode=0o444, mount=f"{directory}/server.crt")
        ]
        if with_ca:
            shipped.append(
                File(f"config/{name}/ca.crt", self.ca_certificate, mode=0o444, mount=f"{directory}/ca.crt")
            )
        key = File(
            f"secrets/{name}/server.key", self.private_key, 0o400, uid, uid, mount=f"{directory}/server.key"
        )
        return [*shipped, key]


def server_tls(
    parent: pulumi.Resource,
    name: str,
    ip_addresses: Sequence[pulumi.Input[str]],
    dns_names: Sequence[str] = (),
) -> ServerTls:
    """A CA for `name` alone and a server certificate it signs for `ip_addresses` (what remote
    clients connect to, verified by `sslmode=verify-full` / `rediss://`) and `dns_names`.

    One CA per dependency, not per stack: a consumer trusts exactly the servers it links."""
    import pulumi_tls as tls  # only stacks that expose a database or cache load the SDK

    opts = pulumi.ResourceOptions(parent=parent)
    ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm=KEY_ALGORITHM, rsa_bits=RSA_BITS, opts=opts)
    ca = tls.SelfSignedCert(
        f"{name}-ca",
        private_key_pem=ca_key.private_key_pem,
        subject=tls.SelfSignedCertSubjectArgs(common_name=f"{name} CA", organization="multicloud"),
        is_ca_certificate=True,
        validity_period_hours=CA_VALIDITY_HOURS,
        early_renewal_hours=RENEW_HOURS,
        allowed_uses=list(CA_USES),
        opts=opts,
    )
    key = tls.PrivateKey(f"{name}-tls-key", algorithm=KEY_ALGORITHM, rsa_bits=RSA_BITS, opts=opts)
    request = tls.CertRequest(
        f"{name}-tls-request",
        private_key_pem=key.private_key_pem,
        subject=tls.CertRequestSubjectArgs(common_name=name, organization="multicloud"),
        ip_addresses=list(ip_addresses),
        dns_names=list(dns_names),
        opts=opts,
    )
    certificate = tls.LocallySignedCert(
        f"{name}-tls-certificate",
        cert_request_pem=request.cert_request_pem,
        ca_private_key_pem=ca_key.private_key_pem,
        ca_cert_pem=ca.cert_pem,
        validity_period_hours=SERVER_VALIDITY_HOURS,
        early_renewal_hours=RENEW_HOURS,
        allowed_uses=list(SERVER_USES),
        opts=opts,
    )
    return ServerTls(
        ca_certificate=ca.cert_pem,
        certificate=certificate.cert_pem,
        private_key=pulumi.Output.secret(key.private_key_pem),
        resources={
            "ca_key": ca_key,
            "ca": ca,
            "tls_key": key,
            "tls_request": request,
            "tls_certificate": certificate,
        },
    )

"""What the TLS provider (hashicorp/terraform-provider-tls, bridged by pulumi-tls) accepts for
the inputs components/_lib/private_ca.py sends.

Read 2026-12-01 from terraform-provider-tls docs/resources/private_key.md, self_signed_cert.md
and locally_signed_cert.md, and RFC 5280. The provider makes keys and certificates inside the
engine: there is no API, no name and nothing to be unique; what it refuses is an algorithm or a
key usage it does not know, and a certificate can only name an address in IP form. Plain data:
importing this never loads `pulumi_tls`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from multicloud.components._lib import types
from multicloud.components.contracts import Contract, Rule, Source, one_of

READ = "2026-12-01"
TF = "hashicorp/terraform-provider-tls"

# The key usages the provider knows, in its spelling (self_signed_cert.md, `allowed_uses`).
KEY_USAGES = (
    "any_extended", "cert_signing", "client_auth", "code_signing", "content_commitment", "crl_signing",
    "data_encipherment", "decipher_only", "digital_signature", "email_protection", "encipher_only",
    "ipsec_end_system", "ipsec_tunnel", "ipsec_user", "key_agreement", "key_encipherment",
    "microsoft_commercial_code_signing", "microsoft_kernel_code_signing", "microsoft_server_gated_crypto",
    "netscape_server_gated_crypto", "ocsp_signing", "server_auth", "timestamping",
)  # fmt: skip


def _ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
    except (TypeError, ValueError):
        return False
    return True


RULES = (
    Rule(
        (types.TLS_PRIVATE_KEY,),
        "algorithm",
        "RSA, ECDSA or ED25519",
        Source(f"{TF} docs/resources/private_key.md `algorithm`", READ),
        one_of(("RSA", "ECDSA", "ED25519")),
    ),
    Rule(
        (types.TLS_SELF_SIGNED_CERT, types.TLS_LOCALLY_SIGNED_CERT),
        "allowedUses[*]",
        f"a key usage of the provider's list: {', '.join(KEY_USAGES)}",
        Source(f"{TF} docs/resources/self_signed_cert.md, locally_signed_cert.md `allowed_uses`", READ),
        one_of(KEY_USAGES),
    ),
    Rule(
        (types.TLS_CERT_REQUEST, types.TLS_SELF_SIGNED_CERT),
        "ipAddresses[*]",
        "an IPv4 or IPv6 address (a certificate names an address as its 4 or 16 octets)",
        Source("RFC 5280 section 4.2.1.6 (iPAddress); " + f"{TF} docs/resources/cert_request.md", READ),
        _ip,
    ),
)

CONTRACT = Contract("tls", rules=RULES)

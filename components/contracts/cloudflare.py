"""What the Cloudflare API accepts for the inputs `components/*/cloudflare.py` send.

Read 2026-12-01 from Cloudflare's API reference and docs (developers.cloudflare.com,
cloudflare/cloudflare-docs) and cloudflare/terraform-provider-cloudflare @ a2efdc5 (v5.22.0;
pulumi-cloudflare 6.23.1 bridges a newer v5). pulumi-cloudflare auto-names nothing.
Plain data: importing this never loads `pulumi_cloudflare`.
"""

from __future__ import annotations

from multicloud.components._lib import types
from multicloud.components.contracts import Contract, Rule, Source, StoredAs, Unique, one_of, text

READ = "2026-12-01"
TF = "cloudflare/terraform-provider-cloudflare@a2efdc5"

PAGES = types.CLOUDFLARE_PAGES_PROJECT
PAGES_DOMAIN = types.CLOUDFLARE_PAGES_DOMAIN
R2 = types.CLOUDFLARE_R2_BUCKET
TOKEN = types.CLOUDFLARE_API_TOKEN
RECORD = types.CLOUDFLARE_DNS_RECORD

R2_LOCATIONS = ("apac", "eeur", "enam", "oc", "weur", "wnam")

RULES = (
    Rule(
        (PAGES,),
        "name",
        "lowercase letters, digits and hyphens, starting with a letter or digit",
        Source(
            "pulumi_cloudflare 6.23.1 PagesProject.name; developers.cloudflare.com/api (pages projects)", READ
        ),
        text(r"[a-z0-9][a-z0-9-]*", 58),
    ),
    Rule(
        (R2,),
        "name",
        "3-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen",
        Source("https://developers.cloudflare.com/r2/buckets/create-buckets/", READ),
        text(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", 63, min_len=3),
    ),
    Rule(
        (R2,),
        "location",
        f"an R2 location hint: {', '.join(R2_LOCATIONS)}",
        Source(f"{TF} internal/services/r2_bucket/schema.go", READ),
        one_of(R2_LOCATIONS),
    ),
    Rule(
        (TOKEN,),
        "name",
        "at most 120 characters",
        Source("https://developers.cloudflare.com/api/resources/user/subresources/tokens/", READ),
        text(r"(?s).+", 120),
    ),
    Rule(
        (RECORD,),
        "name",
        "1-255 characters (the full record name, in Punycode)",
        Source(
            "https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/", READ
        ),
        text(r"[\x21-\x7e]+", 255),
    ),
    Rule(
        (RECORD,),
        "comment",
        "at most 100 characters (the Free plan's limit), no newline or carriage return",
        Source("https://developers.cloudflare.com/dns/manage-dns-records/reference/record-attributes/", READ),
        text(r"[^\r\n]*", 100, min_len=0),
    ),
    Rule(
        (RECORD,),
        "ttl",
        "1 (automatic) or 60-86400 seconds",
        Source(
            "https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/", READ
        ),
        lambda ttl: ttl == 1 or (isinstance(ttl, int | float) and 60 <= ttl <= 86400),
    ),
)

UNIQUE = (
    Unique((PAGES,), "name", "account", Source("https://developers.cloudflare.com/api/resources/pages/subresources/projects/", READ)),
    Unique((R2,), "name", "account", Source("https://developers.cloudflare.com/api/resources/r2/subresources/buckets/", READ)),
)  # fmt: skip

STORED_AS = (
    StoredAs(
        PAGES,
        "buildConfig",
        "members left unset are computed by Cloudflare and plan as changes forever",
        "every member the provider computes is set explicitly (components/static_frontend/cloudflare.py)",
        Source("cloudflare/terraform-provider-cloudflare#7288, #7262", READ),
    ),
)

CONTRACT = Contract(provider="cloudflare", rules=RULES, unique=UNIQUE, stored_as=STORED_AS)

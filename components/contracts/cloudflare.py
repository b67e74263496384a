"""What the cloudflare APIs accept for the inputs our cloudflare backends send."""

from __future__ import annotations

from components.contracts import Contract

CONTRACT = Contract(provider="cloudflare")

"""What the hetzner APIs accept for the inputs our hetzner backends send."""

from __future__ import annotations

from components.contracts import Contract

CONTRACT = Contract(provider="hetzner")

"""What the digitalocean APIs accept for the inputs our digitalocean backends send."""

from __future__ import annotations

from components.contracts import Contract

CONTRACT = Contract(provider="digitalocean")

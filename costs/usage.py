"""Usage assumptions: the quantities usage-based prices are multiplied by.

They belong to the estimate, not to any provider: the same numbers price an S3 bucket,
an R2 bucket and a Space, so a comparison across targets compares like with like. A stack
sets them under `multicloud:usage`; every estimate prints the values it used.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UsageSpec(BaseModel):
    """Quantities for usage-based prices. Every estimate prints the values it used."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    storage_gb: float = Field(default=10, ge=0, description="stored per bucket, GB")
    egress_gb: float = Field(default=100, ge=0, description="internet egress per month, GB")
    nat_gb: float = Field(default=10, ge=0, description="processed by a NAT gateway per month, GB")
    link_gb: float = Field(
        default=10,
        ge=0,
        description="per database or cache reached across the internet: its traffic per month, GB",
    )
    alb_lcu: float = Field(default=1, ge=0, description="average load balancer capacity units")
    log_gb: float = Field(default=1, ge=0, description="log ingestion per service per month, GB")
    job_minutes: float = Field(default=5, ge=0, description="how long one run of a job takes, minutes")

"""Settings of one simulator run: data set, persistence, clock, token lifetime and injected faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from chorus_connect.simulator.dataset import Dataset
from chorus_connect.simulator.integration import RuleOptions


class FaultConfig(BaseModel):
    """Faults injected into the gateway, chosen per run (options) or changed live (admin route)."""

    latency_ms: int = Field(0, ge=0, description="Added to every /cpro call before it is handled.")
    latency_after_processing: bool = Field(
        False, description="Add the latency after the call took effect (a client timeout then hides it)."
    )
    rate_limit_per_second: float | None = Field(
        None, gt=0, description="Requests per second allowed per PISTE application; above it, HTTP 429."
    )
    retry_after_seconds: int = Field(1, ge=0, description="Value of Retry-After on a 429.")
    error_burst_status: int = Field(503, description="Status of the next error_burst_count /cpro calls.")
    error_burst_count: int = Field(0, ge=0, description="How many /cpro calls still fail with that status.")
    error_burst_after_processing: bool = Field(
        False, description="Whether the burst answers after the call took effect (5xx after processing)."
    )
    drop_after_processing_operations: list[str] = Field(
        default_factory=list, description="Operation names whose connection is dropped once processed."
    )
    drop_after_processing_count: int = Field(0, ge=0, description="How many such calls are dropped.")


@dataclass
class SimulatorConfig:
    """How a simulator instance runs. Every field has a default that suits tests and the demo."""

    dataset: Dataset | None = None  # None: the built-in default data set
    state_path: Path | None = None  # None: state kept in memory only
    token_ttl_seconds: int = 3600
    frozen_clock: bool = False  # True: simulated time moves only when advanced (tests)
    integration_delay_seconds: float = 3.0  # simulated time between a deposit and its verdict
    scenario_seed: int = 0
    faults: FaultConfig = field(default_factory=FaultConfig)
    rules: RuleOptions = field(default_factory=RuleOptions)  # the platform's configurable quirks

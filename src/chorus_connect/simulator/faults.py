"""Fault injection at the gateway: latency, quota (429), bursts of 5xx, dropped connections."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from chorus_connect.simulator.config import FaultConfig


@dataclass
class FaultDecision:
    """What the gateway does with one call, decided before it is processed."""

    latency_seconds: float = 0.0
    latency_after: bool = False  # wait after processing rather than before
    retry_after: int | None = None  # set: answer 429 without processing
    status_before: int | None = None  # set: answer this 5xx without processing
    status_after: int | None = None  # set: process, then answer this 5xx
    drop_after: bool = False  # process, then drop the connection mid-answer


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.config = config
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._current: dict[str, tuple[int, int]] = {}
        self.peak_per_second: dict[str, int] = {}

    def replace(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._calls.clear()

    def decide(self, client_id: str, operation_name: str) -> FaultDecision:
        with self._lock:
            cfg = self.config
            decision = FaultDecision(
                latency_seconds=cfg.latency_ms / 1000, latency_after=cfg.latency_after_processing
            )
            self._count_second(client_id)
            if cfg.rate_limit_per_second and self._over_quota(client_id, cfg.rate_limit_per_second):
                decision.retry_after = cfg.retry_after_seconds
                return decision
            if cfg.error_burst_count > 0:
                cfg.error_burst_count -= 1
                if cfg.error_burst_after_processing:
                    decision.status_after = cfg.error_burst_status
                else:
                    decision.status_before = cfg.error_burst_status
                return decision
            if cfg.drop_after_processing_count > 0 and operation_name in cfg.drop_after_processing_operations:
                cfg.drop_after_processing_count -= 1
                decision.drop_after = True
            return decision

    def _count_second(self, client_id: str) -> None:
        """Requests per whole second per application, to let tests check a client's rate at the server."""
        second = int(time.time())
        current, count = self._current.get(client_id, (second, 0))
        count = count + 1 if current == second else 1
        self._current[client_id] = (second, count)
        self.peak_per_second[client_id] = max(self.peak_per_second.get(client_id, 0), count)

    def _over_quota(self, client_id: str, per_second: float) -> bool:
        # Sliding one-second window per PISTE application, in real time: quotas are about real load.
        now = time.monotonic()
        window = self._calls[client_id]
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= per_second:
            return True
        window.append(now)
        return False

"""The simulated platform: its memory, its clock, its faults, and the work it does by itself over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from chorus_connect.simulator.clock import PARIS, SimulatedClock
from chorus_connect.simulator.config import SimulatorConfig
from chorus_connect.simulator.dataset import Dataset
from chorus_connect.simulator.faults import FaultInjector
from chorus_connect.simulator.state import Event, SimulatorState

EventHandler = Callable[["Platform", Event], None]
EVENT_HANDLERS: dict[str, EventHandler] = {}


def on_event(kind: str) -> Callable[[EventHandler], EventHandler]:
    """Register what the platform does when a scheduled event of `kind` falls due."""

    def register(handler: EventHandler) -> EventHandler:
        EVENT_HANDLERS[kind] = handler
        return handler

    return register


def _todays_default_dataset() -> Dataset:
    """The built-in data set (seed 0), anchored on today so that password expiries are realistic."""
    from chorus_connect.simulator.datagen import generate_dataset

    return generate_dataset(0, dt.datetime.now(PARIS).date())


class Platform:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.state = SimulatorState(config.dataset or _todays_default_dataset(), config.state_path)
        self.clock = self._restore_clock()
        self.faults = FaultInjector(config.faults.model_copy())
        self.scenario_overrides: dict[str, str] = {}

    def _restore_clock(self) -> SimulatedClock:
        counters = self.state.counters
        if counters.clock_now is None:
            return SimulatedClock(frozen=self.config.frozen_clock)
        # A restart never moves simulated time backwards.
        start = max(counters.clock_now, dt.datetime.now(counters.clock_now.tzinfo))
        return SimulatedClock(
            start=counters.clock_now if self.config.frozen_clock else start, frozen=self.config.frozen_clock
        )

    def now(self) -> dt.datetime:
        return self.clock.now()

    def advance_clock(self, seconds: float) -> dt.datetime:
        with self.state.lock:
            now = self.clock.advance(seconds)
            self.catch_up(now)
            return now

    def catch_up(self, now: dt.datetime | None = None) -> int:
        """Run every scheduled event that is due at `now`, oldest first; returns how many ran."""
        now = now or self.now()
        ran = 0
        with self.state.lock:
            while (event := self.state.pop_due_event(now)) is not None:
                handler = EVENT_HANDLERS.get(event.kind)
                if handler is not None:
                    handler(self, event)
                ran += 1
            self.state.counters.clock_now = now
            if ran:
                self.state.save_counters()
        return ran

    def close(self) -> None:
        with self.state.lock:
            self.state.counters.clock_now = self.now()
            self.state.save_counters()
            self.state.close()

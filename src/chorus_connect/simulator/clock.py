"""The simulated clock: real time plus an offset that tests and users move forward."""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class SimulatedClock:
    """Time as the simulated platform sees it, in Europe/Paris.

    A frozen clock stands still between explicit advances, so tests never sleep and stay
    deterministic; a running clock follows real time, so a manual session feels like the real thing.
    """

    def __init__(self, start: dt.datetime | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base = (start or dt.datetime.now(PARIS)).astimezone(PARIS)
        self._base_monotonic = time.monotonic()
        self._offset = dt.timedelta()

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> dt.datetime:
        with self._lock:
            elapsed = (
                dt.timedelta()
                if self._frozen
                else dt.timedelta(seconds=time.monotonic() - self._base_monotonic)
            )
            return self._base + elapsed + self._offset

    def advance(self, seconds: float) -> dt.datetime:
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset += dt.timedelta(seconds=seconds)
        return self.now()

    def today(self) -> dt.date:
        return self.now().date()

"""Client-side rate limiting: a token bucket per PISTE application, shared by all its clients.

PISTE counts requests per application, so two clients (or threads) using the same client id share one
quota. Buckets live in a process-wide registry keyed by (token URL, client id) and held weakly: when the
last client of an application goes away, so does its bucket.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable


class TokenBucket:
    """Allows ``rate`` requests per second on average with bursts of at most ``burst``.

    Callers reserve a slot under the lock and sleep outside it, so waiting threads are served in order
    and the limiter never holds the lock while sleeping. The default burst of 1 spaces requests evenly,
    which keeps any one-second window at or under ``rate``.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check(rate, burst)
        self._rate = float(rate)
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds waited."""
        with self._lock:
            self._refill()
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self._rate
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold_off(self, seconds: float) -> None:
        """Let nobody through for ``seconds`` (the gateway said Retry-After): the quota is shared."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 1 - seconds * self._rate)

    def tighten(self, rate: float, burst: int) -> None:
        """Adopt a lower rate or burst requested by another client of the same application."""
        _check(rate, burst)
        with self._lock:
            self._refill()
            self._rate = min(self._rate, float(rate))
            self._burst = min(self._burst, burst)
            self._tokens = min(self._tokens, float(self._burst))

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self._burst), self._tokens + (now - self._updated) * self._rate)
        self._updated = now


def _check(rate: float, burst: int) -> None:
    if not rate > 0:
        raise ValueError(f"rate limit must be a positive number of requests per second, got {rate!r}")
    if burst < 1:
        raise ValueError(f"burst must be at least 1, got {burst!r}")


_registry: weakref.WeakValueDictionary[tuple[str, str], TokenBucket] = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()


def shared_bucket(token_url: str, client_id: str, rate: float, burst: int = 1) -> TokenBucket:
    """The bucket of this PISTE application; when clients disagree, the most conservative setting wins."""
    key = (token_url, client_id)
    with _registry_lock:
        bucket = _registry.get(key)
        if bucket is None:
            bucket = TokenBucket(rate, burst)
            _registry[key] = bucket
        elif rate < bucket.rate or burst < bucket.burst:
            bucket.tighten(rate, burst)
        return bucket

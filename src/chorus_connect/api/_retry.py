"""When to retry a failed call and how long to wait: exponential backoff, jitter, Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass
from enum import Enum


class FailureKind(Enum):
    """What a failure tells about whether the server may have acted on the request."""

    NOT_SENT = "not sent"  # connection refused / connect timeout: nothing reached the server
    REFUSED = "refused"  # 429: the gateway refused it before forwarding, by definition not processed
    AFTER_SEND = "after send"  # 502/503/504, read timeout, dropped connection: it may have been processed


RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings. ``max_attempts`` counts the first try; 1 disables retries."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    # A Retry-After longer than this is not waited for: the caller gets RateLimitedError and decides.
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (1 = no retry)")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must not be negative")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def may_retry(self, kind: FailureKind, *, idempotent: bool, attempt: int) -> bool:
        """Whether attempt number ``attempt`` (1-based) may be followed by another one."""
        if attempt >= self.max_attempts:
            return False
        # State-changing calls are retried only when the server certainly did not act on them.
        return idempotent or kind is not FailureKind.AFTER_SEND

    def delay(
        self, attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        Equal jitter: half of the exponential step is fixed, half random, so the wait always grows while
        clients that failed together do not come back together. A server's Retry-After wins when longer.
        """
        rand = rng or random
        step = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        backoff = step / 2 + rand.uniform(0, step / 2)
        if retry_after is None:
            return backoff
        # Spread the clients that were all told the same instant over a short window after it.
        return max(retry_after + rand.uniform(0, min(1.0, retry_after * 0.1 + 0.05)), backoff / 4)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())

import datetime as dt
import itertools
import random
import threading
import time

import pytest

from chorus_connect.api._ratelimit import TokenBucket, shared_bucket
from chorus_connect.api._retry import FailureKind, RetryPolicy, parse_retry_after


class FakeTime:
    """A clock and a sleep that only move when told to (sleeping moves the clock)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --- retry policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "idempotent", "expected"),
    [
        (FailureKind.NOT_SENT, True, True),
        (FailureKind.NOT_SENT, False, True),  # nothing reached the server
        (FailureKind.REFUSED, False, True),  # 429: refused before processing
        (FailureKind.AFTER_SEND, True, True),
        (FailureKind.AFTER_SEND, False, False),  # a deposit may have been processed: never resend
    ],
)
def test_state_changing_calls_are_retried_only_when_certainly_not_processed(kind, idempotent, expected):
    assert RetryPolicy().may_retry(kind, idempotent=idempotent, attempt=1) is expected


def test_attempts_are_capped():
    policy = RetryPolicy(max_attempts=3)
    assert policy.may_retry(FailureKind.NOT_SENT, idempotent=True, attempt=2)
    assert not policy.may_retry(FailureKind.NOT_SENT, idempotent=True, attempt=3)
    assert not RetryPolicy.disabled().may_retry(FailureKind.NOT_SENT, idempotent=True, attempt=1)


def test_backoff_grows_exponentially_with_jitter_and_stays_under_the_cap():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    rng = random.Random(7)
    for attempt, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.delay(attempt, rng=rng) for _ in range(50)}
        assert all(step / 2 <= d <= step for d in delays)
        assert len(delays) > 1  # jittered


def test_retry_after_is_honoured_when_longer_than_the_backoff():
    policy = RetryPolicy(backoff_base=0.1)
    delay = policy.delay(1, retry_after=3.0, rng=random.Random(1))
    assert 3.0 <= delay <= 3.4


def test_invalid_policies_are_refused():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_seconds(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_http_date():
    now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=now) == 30.0


# --- rate limiter -------------------------------------------------------------------------------------


def test_the_bucket_spaces_requests_at_the_configured_rate():
    fake = FakeTime()
    bucket = TokenBucket(4, clock=fake.clock, sleep=fake.sleep)
    sent = []
    for _ in range(9):
        bucket.acquire()
        sent.append(fake.now)
    assert sent[0] == 0.0
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert all(gap == pytest.approx(0.25) for gap in gaps)


def test_a_burst_allows_that_many_at_once_then_the_rate():
    fake = FakeTime()
    bucket = TokenBucket(2, burst=3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.5)


def test_hold_off_stops_everyone_for_the_given_time():
    fake = FakeTime()
    bucket = TokenBucket(10, clock=fake.clock, sleep=fake.sleep)
    bucket.acquire()
    bucket.hold_off(2.0)
    assert bucket.acquire() == pytest.approx(2.0)
    assert bucket.acquire() == pytest.approx(0.1)


def test_threads_sharing_a_bucket_never_exceed_its_rate():
    bucket = TokenBucket(40)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(6):
            bucket.acquire()
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(sent)
    # 30 requests at 40/s with a burst of 1: each request waits for its slot.
    assert ordered[-1] - ordered[0] >= 29 / 40 * 0.95


def test_clients_of_the_same_application_share_one_bucket_and_the_lowest_rate_wins():
    first = shared_bucket("https://oauth.example/token", "app-shared", 10)
    second = shared_bucket("https://oauth.example/token", "app-shared", 5)
    other = shared_bucket("https://oauth.example/token", "another-app", 10)
    assert first is second
    assert first.rate == 5
    assert other is not first


def test_invalid_rates_are_refused():
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)

"""Settings of the web application (sessions, sign-in throttling, uploads, paging, password hashing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chorus_connect.api import ChorusClient
    from chorus_connect.engine.settings import EngineSettings
    from chorus_connect.store import ConnectionSettings


@dataclass(frozen=True, slots=True)
class PasswordHashing:
    """argon2id parameters (argon2-cffi's defaults are RFC 9106's low-memory profile: t=3, 64 MiB, p=4)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


@dataclass(frozen=True, slots=True)
class WebSettings:
    # Cookies get ``Secure`` and the ``__Host-`` prefix, and HSTS is sent, when the site is served over
    # https (``secure_cookies=None``: decided per request from its scheme, proxies' X-Forwarded-Proto
    # included when uvicorn trusts them).
    secure_cookies: bool | None = None
    session_idle_timeout: dt.timedelta = dt.timedelta(hours=2)
    session_max_age: dt.timedelta = dt.timedelta(hours=12)
    # Sign-in throttling: per e-mail address and per client address, over a sliding window.
    login_max_failures_per_email: int = 5
    login_max_failures_per_address: int = 20
    login_window: dt.timedelta = dt.timedelta(minutes=15)
    login_lock: dt.timedelta = dt.timedelta(minutes=15)
    password_min_length: int = 12
    password_hashing: PasswordHashing = field(default_factory=PasswordHashing)
    # Uploads: Chorus Pro takes flux of at most 10 MB, attachments of 10 MB each and 120 MB in all.
    max_upload_bytes: int = 10 * 1024 * 1024
    max_files_per_upload: int = 50
    page_size: int = 50
    max_page_size: int = 200
    idempotency_retention: dt.timedelta = dt.timedelta(hours=24)
    # Chorus Pro look-ups made while a page is shown (settings lists, connection check): short timeout.
    lookup_timeout_seconds: float = 20.0
    # Builds the Chorus Pro client of a structure (tests shorten timeouts); None: the engine's factory.
    client_factory: Callable[[ConnectionSettings], ChorusClient] | None = None
    engine_settings: EngineSettings | None = None  # None: the engine's defaults
    # "Déposer" deposits at once (one worker round for the structure, in the request); False: queue only,
    # and let `chorus worker run` deposit (several web processes, or a busy PostgreSQL store).
    deposit_now: bool = True

"""Credentials, the ``cpro-account`` header and the thread-safe OAuth2 token cache."""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chorus_connect.api._exceptions import ConfigurationError

ENV_CLIENT_ID = "CHORUS_CLIENT_ID"
ENV_CLIENT_SECRET = "CHORUS_CLIENT_SECRET"
ENV_TECH_LOGIN = "CHORUS_TECH_LOGIN"
ENV_TECH_PASSWORD = "CHORUS_TECH_PASSWORD"
CREDENTIAL_ENV_VARS = (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_TECH_LOGIN, ENV_TECH_PASSWORD)

# OCA refreshes 240 s before expiry; short-lived tokens (tests, simulator) get a tenth of their life instead.
MAX_REFRESH_MARGIN_SECONDS = 240.0


@dataclass(frozen=True, slots=True)
class Credentials:
    """The two identities every call needs: the PISTE application and the Chorus Pro technical account.

    The secrets are left out of ``repr`` so that printing or logging the object never shows them.
    """

    client_id: str
    client_secret: str = field(repr=False)
    technical_login: str
    technical_password: str = field(repr=False)

    def __post_init__(self) -> None:
        missing = [name for name in _FIELD_ENV if not getattr(self, name)]
        if missing:
            names = ", ".join(f"{name} ({_FIELD_ENV[name]})" for name in missing)
            raise ConfigurationError(
                f"Missing credentials: {names}.",
                fix="Give all four: the PISTE application's client id and secret, and the Chorus Pro "
                "technical account's login and password.",
            )
        if ":" in self.technical_login:
            raise ConfigurationError(
                "The technical login contains ':', which cpro-account (login:password) cannot hold.",
                fix="Use the technical account's login exactly as shown on Chorus Pro (TECH_1_...@cpro.fr).",
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        return cls(
            client_id=env.get(ENV_CLIENT_ID, ""),
            client_secret=env.get(ENV_CLIENT_SECRET, ""),
            technical_login=env.get(ENV_TECH_LOGIN, ""),
            technical_password=env.get(ENV_TECH_PASSWORD, ""),
        )

    @property
    def cpro_account(self) -> str:
        """Value of the ``cpro-account`` header: base64 of ``login:password`` (UTF-8, padded)."""
        raw = f"{self.technical_login}:{self.technical_password}".encode()
        return base64.b64encode(raw).decode("ascii")

    def secret_values(self) -> tuple[str, ...]:
        """Everything that must never be written to a log or an error message."""
        return (self.client_secret, self.technical_password, self.cpro_account)


_FIELD_ENV = {
    "client_id": ENV_CLIENT_ID,
    "client_secret": ENV_CLIENT_SECRET,
    "technical_login": ENV_TECH_LOGIN,
    "technical_password": ENV_TECH_PASSWORD,
}


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str = field(repr=False)
    expires_in: float


@dataclass(frozen=True, slots=True)
class _CachedToken:
    value: str = field(repr=False)
    refresh_at: float


class TokenCache:
    """Fetches the bearer token lazily and reuses it until shortly before it expires.

    One lock serialises fetching, so a burst of threads starting together triggers a single token request.
    ``invalidate`` drops a token the gateway rejected, unless another thread already replaced it.
    """

    def __init__(
        self,
        fetch: Callable[[], IssuedToken],
        *,
        on_new_token: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._on_new_token = on_new_token
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _CachedToken | None = None
        self.fetch_count = 0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._token = self._fetch_new()
            return self._token.value

    def invalidate(self, rejected: str) -> None:
        with self._lock:
            if self._token is not None and self._token.value == rejected:
                self._token = None

    def _fetch_new(self) -> _CachedToken:
        started = self._clock()
        issued = self._fetch()
        self.fetch_count += 1
        if self._on_new_token is not None:
            self._on_new_token(issued.value)
        margin = min(MAX_REFRESH_MARGIN_SECONDS, issued.expires_in / 10)
        # Count the lifetime from before the request was sent: the server started its clock no later.
        return _CachedToken(issued.value, started + issued.expires_in - margin)

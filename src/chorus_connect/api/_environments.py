"""Where the client talks to: PISTE production, PISTE sandbox (Chorus Pro qualification) or the simulator."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import urlsplit

from chorus_connect.api._exceptions import ConfigurationError

# Hosts from the reference (§1.1). The sandbox is Chorus Pro's "qualification" platform.
PRODUCTION_TOKEN_URL = "https://oauth.piste.gouv.fr/api/oauth/token"
PRODUCTION_API_URL = "https://api.piste.gouv.fr"
SANDBOX_TOKEN_URL = "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
SANDBOX_API_URL = "https://sandbox-api.piste.gouv.fr"
LOCAL_API_URL = "http://127.0.0.1:8700"  # `chorus simulator serve` default
TOKEN_PATH = "/api/oauth/token"

# PISTE publishes no quota for the Chorus Pro APIs (reference §5): stay well under any plausible limit by
# default on the real platforms; the simulator has no quota unless one is configured.
DEFAULT_REMOTE_RATE_LIMIT = 10.0


@dataclass(frozen=True, slots=True)
class Environment:
    """The two URLs of a platform, plus the client-side request rate used by default there."""

    name: str
    token_url: str
    api_url: str
    default_rate_limit: float | None = None

    def __post_init__(self) -> None:
        _check_url("token URL", self.token_url)
        _check_url("API URL", self.api_url)
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))

    @classmethod
    def production(cls) -> Environment:
        return cls("production", PRODUCTION_TOKEN_URL, PRODUCTION_API_URL, DEFAULT_REMOTE_RATE_LIMIT)

    @classmethod
    def sandbox(cls) -> Environment:
        return cls("sandbox", SANDBOX_TOKEN_URL, SANDBOX_API_URL, DEFAULT_REMOTE_RATE_LIMIT)

    @classmethod
    def local(cls, base_url: str = LOCAL_API_URL) -> Environment:
        """The simulator serves the token endpoint and the API on the same root URL."""
        base = base_url.rstrip("/")
        return cls("local", f"{base}{TOKEN_PATH}", base, None)

    @classmethod
    def named(cls, name: str, *, token_url: str | None = None, api_url: str | None = None) -> Environment:
        """A preset by name (``production``, ``sandbox``, ``local``), with either URL overridden."""
        key = name.strip().lower()
        if key == "local":
            preset = cls.local(api_url or LOCAL_API_URL)
        elif key in _REMOTE_PRESETS:
            preset = _REMOTE_PRESETS[key]()
        else:
            raise ConfigurationError(
                f"Unknown environment {name!r}.",
                fix="Use one of: production, sandbox (PISTE sandbox = Chorus Pro qualification), local.",
            )
        return preset.with_urls(token_url=token_url, api_url=api_url)

    def with_urls(self, *, token_url: str | None = None, api_url: str | None = None) -> Environment:
        return dataclasses.replace(
            self, token_url=token_url or self.token_url, api_url=(api_url or self.api_url).rstrip("/")
        )


_REMOTE_PRESETS = {"production": Environment.production, "sandbox": Environment.sandbox}
ENVIRONMENT_NAMES = ("production", "sandbox", "local")


def _check_url(what: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"The {what} {url!r} is not an absolute http(s) URL.",
            fix="Give a full URL such as https://sandbox-api.piste.gouv.fr.",
        )

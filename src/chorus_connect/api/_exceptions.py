"""Errors of the Chorus Pro client: each one says what is wrong and what to do about it.

Hierarchy::

    ChorusError
    ├── ConfigurationError                  bad environment, URL or missing credentials (nothing was sent)
    ├── InvalidRequestError                 the request data breaks the model's rules (nothing was sent)
    ├── AuthenticationError
    │   ├── InvalidClientCredentialsError   PISTE rejected the OAuth2 client id / secret
    │   ├── TokenError                      the token endpoint failed in another way
    │   ├── TokenRejectedError              the gateway still refuses a freshly issued token
    │   └── TechnicalAccountError           the ``cpro-account`` (technical login:password) was refused
    │       └── TechnicalPasswordExpiredError
    ├── ApiNotSubscribedError               403: the PISTE application may not call this API family
    ├── BusinessError                       Chorus Pro answered ``codeRetour`` != 0
    │   └── NotAttachedToStructureError     the technical account does not act for that structure
    ├── RequestRejectedError                400 without ``codeRetour``, 404, 413, 415: the request is wrong
    ├── TransientError                      retried automatically when that is safe
    │   ├── RateLimitedError                429 after the retries were exhausted
    │   ├── ServiceUnavailableError         5xx or connection failure after the retries were exhausted
    │   └── ChorusTimeoutError              no answer in time (safe operations only)
    ├── OutcomeUnknownError                 a state-changing call was sent but its outcome is unknown
    └── UnexpectedResponseError             the answer cannot be read (not JSON, wrong shape)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


class ChorusError(Exception):
    """Base of every error raised by :mod:`chorus_connect.api`."""

    default_fix = ""

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        operation: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = message
        self.fix = self.default_fix if fix is None else fix
        self.operation = operation
        self.status_code = status_code
        super().__init__(self.render())

    def render(self) -> str:
        where = f"[{self.operation}] " if self.operation else ""
        what_to_do = f" What to do: {self.fix}" if self.fix else ""
        return f"{where}{self.message}{what_to_do}"

    def __str__(self) -> str:
        return self.render()


class ConfigurationError(ChorusError):
    """The client is configured wrongly; nothing was sent."""


class InvalidRequestError(ChorusError):
    """The request data does not fit the operation's model; nothing was sent."""

    default_fix = "Correct the fields listed above and call again."


# --- Authentication -----------------------------------------------------------------------------------


class AuthenticationError(ChorusError):
    """PISTE or Chorus Pro did not accept who we are."""


class InvalidClientCredentialsError(AuthenticationError):
    default_fix = (
        "Check the PISTE OAuth2 client id and client secret (CHORUS_CLIENT_ID / CHORUS_CLIENT_SECRET): copy "
        "them again from your application's page on piste.gouv.fr, and make sure they belong to the same "
        "platform as the environment you chose (sandbox credentials only work on the sandbox, production "
        "credentials only on production)."
    )


class TokenError(AuthenticationError):
    default_fix = "Retry later; if it persists, check the token URL and the PISTE application's status."


class TokenRejectedError(AuthenticationError):
    default_fix = (
        "The gateway refused a token it had just issued: check that the token URL and the API URL belong "
        "to the same platform (both sandbox or both production)."
    )


class TechnicalAccountError(AuthenticationError):
    default_fix = (
        "Check the Chorus Pro technical account (CHORUS_TECH_LOGIN / CHORUS_TECH_PASSWORD): the login looks "
        "like TECH_1_xxxxxxxx@cpro.fr and belongs to the platform you chose (qualification or production). "
        "If the password is older than 424 days it has expired: the structure's main manager resets it on "
        "the Chorus Pro portal (Raccordement API)."
    )


class TechnicalPasswordExpiredError(TechnicalAccountError):
    default_fix = (
        "The technical account's password has expired (Chorus Pro requires a new one every 424 days). The "
        "structure's main manager sets a new one on the Chorus Pro portal (Raccordement API / connexion "
        "EDI-API); then update CHORUS_TECH_PASSWORD."
    )


# --- Access and business errors -----------------------------------------------------------------------


class ApiNotSubscribedError(ChorusError):
    """403 from the gateway: the PISTE application may not call this API family."""

    def __init__(self, family: str, *, operation: str | None = None, status_code: int = 403) -> None:
        self.family = family
        super().__init__(
            f"Access refused (HTTP 403) to the Chorus Pro API '{family}': the PISTE application is not "
            "subscribed to it, or the subscription's consent (CGU) is missing.",
            fix=(
                f"On piste.gouv.fr, open your application, subscribe it to the API '{family}' and accept its "
                "terms of use (sandbox and production are subscribed separately). In production the "
                "application must also be declared on the Chorus Pro portal (Raccordement API)."
            ),
            operation=operation,
            status_code=status_code,
        )


class BusinessError(ChorusError):
    """Chorus Pro refused the request for a business reason (``codeRetour`` != 0)."""

    def __init__(
        self,
        code: int,
        label: str,
        *,
        explanation: str | None = None,
        fix: str | None = None,
        operation: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.code = code
        self.label = label
        self.explanation = explanation
        detail = f" {explanation}." if explanation else ""
        super().__init__(
            f"Chorus Pro refused the request: codeRetour {code}, libelle {label!r}.{detail}",
            fix=fix
            if fix is not None
            else "Correct the data named in the libelle and send again; the code is Chorus Pro's own.",
            operation=operation,
            status_code=status_code,
        )


class NotAttachedToStructureError(BusinessError):
    """The technical account acts for structures it is not attached to."""


class RequestRejectedError(ChorusError):
    """The request itself is wrong (malformed, unknown route, too large, wrong format)."""


# --- Transient errors ---------------------------------------------------------------------------------


class TransientError(ChorusError):
    """A failure that may go away by itself; the client already retried when that was safe."""


class RateLimitedError(TransientError):
    def __init__(self, *, retry_after: float | None, operation: str | None = None, attempts: int = 1) -> None:
        self.retry_after = retry_after
        wait = f" The gateway asks to wait {retry_after:g} s." if retry_after is not None else ""
        super().__init__(
            f"PISTE refused the call: the request quota was exceeded (HTTP 429), {attempts} time(s).{wait}",
            fix="Lower the client's rate limit (requests per second) or spread the work, then retry.",
            operation=operation,
            status_code=429,
        )


class ServiceUnavailableError(TransientError):
    default_fix = (
        "Chorus Pro or PISTE is unavailable for now: retry later (see the AIFE service status page)."
    )


class ChorusTimeoutError(TransientError):
    default_fix = "Retry later, or raise the client's timeout if large files are sent over a slow link."


# --- Outcome unknown ----------------------------------------------------------------------------------


class OutcomeUnknownError(ChorusError):
    """A state-changing call was sent but no reliable answer came back: it may or may not have taken effect.

    It is never retried automatically, because sending a deposit twice can create duplicate invoices.
    ``identifiers`` holds the request's identifying fields (file name, invoice numbers, supplier, invoice
    id...) and ``sent_at`` the time the request was sent, so a caller can search Chorus Pro (e.g.
    ``rechercher/fournisseur`` by invoice number and deposit date) before deciding to send again.
    """

    def __init__(
        self,
        *,
        operation: str,
        identifiers: Mapping[str, Any],
        sent_at: dt.datetime,
        cause: str,
        status_code: int | None = None,
    ) -> None:
        self.identifiers = dict(identifiers)
        self.sent_at = sent_at
        self.cause = cause
        shown = ", ".join(f"{key}={value!r}" for key, value in self.identifiers.items()) or "none"
        super().__init__(
            f"The outcome of this state-changing call is unknown ({cause}); it was sent at "
            f"{sent_at.isoformat(timespec='seconds')} with {shown}.",
            fix=(
                "Do not simply send it again: first search Chorus Pro for its effect (for a deposit, "
                "rechercher/fournisseur by invoice number from the sending date, or consulterCR by flux "
                "number) and resend only if nothing is found."
            ),
            operation=operation,
            status_code=status_code,
        )

    def to_dict(self) -> dict[str, Any]:
        """What a caller stores to resolve the doubt later."""
        return {
            "operation": self.operation,
            "identifiers": self.identifiers,
            "sent_at": self.sent_at.isoformat(),
            "cause": self.cause,
            "status_code": self.status_code,
        }


class UnexpectedResponseError(ChorusError):
    default_fix = (
        "The API answered something the client cannot read; check the API URL. If it persists, report it "
        "with the operation name (the Chorus Pro API may have changed)."
    )

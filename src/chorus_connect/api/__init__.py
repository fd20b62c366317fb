"""Typed, resilient client of the Chorus Pro API behind the PISTE gateway.

>>> from chorus_connect.api import ChorusClient, Credentials, Environment
>>> client = ChorusClient(Credentials.from_env(), Environment.sandbox())   # doctest: +SKIP
>>> client.transverses.health_check()                                      # doctest: +SKIP

See docs/api-client.md.
"""

from chorus_connect.api._auth import Credentials
from chorus_connect.api._client import ChorusClient
from chorus_connect.api._environments import Environment
from chorus_connect.api._exceptions import (
    ApiNotSubscribedError,
    AuthenticationError,
    BusinessError,
    ChorusError,
    ChorusTimeoutError,
    ConfigurationError,
    InvalidClientCredentialsError,
    InvalidRequestError,
    NotAttachedToStructureError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
    TechnicalAccountError,
    TechnicalPasswordExpiredError,
    TokenError,
    TokenRejectedError,
    TransientError,
    UnexpectedResponseError,
)
from chorus_connect.api._retry import RetryPolicy

__all__ = [
    "ApiNotSubscribedError",
    "AuthenticationError",
    "BusinessError",
    "ChorusClient",
    "ChorusError",
    "ChorusTimeoutError",
    "ConfigurationError",
    "Credentials",
    "Environment",
    "InvalidClientCredentialsError",
    "InvalidRequestError",
    "NotAttachedToStructureError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RequestRejectedError",
    "RetryPolicy",
    "ServiceUnavailableError",
    "TechnicalAccountError",
    "TechnicalPasswordExpiredError",
    "TokenError",
    "TokenRejectedError",
    "TransientError",
    "UnexpectedResponseError",
]

"""Errors of the store: each one says what is wrong and what to do; none ever carries a secret.

Hierarchy::

    StoreError
    ├── InvalidInputError          one or more fields break a rule (``problems`` lists field, rule, fix)
    ├── NotFoundError              an id or name that does not exist
    ├── ConflictError              the data clashes with what is stored (duplicate, state that forbids it)
    │   ├── DuplicateError         a unique key already exists (invoice number of the year, market, …)
    │   └── OpenDepositAttemptError  a deposit attempt is still pending / sent / unknown
    ├── LeaseLostError             the worker's claim on a row expired and someone else took it
    ├── SecretKeyError             the encryption key is missing, malformed or not this store's
    │   ├── MissingSecretKeyError
    │   ├── InvalidSecretKeyError
    │   └── WrongSecretKeyError
    └── MigrationError             the database schema cannot be brought up to date
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class StoreError(Exception):
    """Base of every error raised by :mod:`chorus_connect.store`."""

    default_fix = ""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = self.default_fix if fix is None else fix
        super().__init__(self.render())

    def render(self) -> str:
        return f"{self.message} What to do: {self.fix}" if self.fix else self.message

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One broken rule: ``field`` is the dotted input name (``structure.siret``), ``fix`` the remedy."""

    field: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.field}: {self.message} ({self.fix})"


class InvalidInputError(StoreError):
    """The input breaks one or more rules; nothing was written."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        lines = "; ".join(problem.render() for problem in self.problems)
        super().__init__(f"Invalid input, nothing was saved: {lines}.", fix="")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(problem.field for problem in self.problems)

    @classmethod
    def single(cls, field: str, message: str, fix: str) -> InvalidInputError:
        return cls([FieldProblem(field, message, fix)])


class NotFoundError(StoreError):
    def __init__(self, what: str, key: object, *, fix: str | None = None) -> None:
        self.what = what
        self.key = key
        super().__init__(
            f"No {what} {key!r} in the store.",
            fix=fix if fix is not None else f"Check the {what} id or name (list them to see what exists).",
        )


class ConflictError(StoreError):
    """The request is well-formed but clashes with the stored state; nothing was written."""


class DuplicateError(ConflictError):
    pass


class OpenDepositAttemptError(ConflictError):
    default_fix = (
        "Resolve the open attempt first: find out from Chorus Pro whether that deposit happened "
        "(search by supplier, invoice number and date), then mark it confirmed or failed."
    )


class LeaseLostError(StoreError):
    default_fix = (
        "Another worker took this work over because the lease expired: drop it without writing; "
        "renew leases more often than their time-to-live."
    )


class SecretKeyError(StoreError):
    """The key that encrypts the stored secrets cannot be used."""


class MissingSecretKeyError(SecretKeyError):
    pass


class InvalidSecretKeyError(SecretKeyError):
    pass


class WrongSecretKeyError(SecretKeyError):
    pass


class MigrationError(StoreError):
    pass

"""Field rules for what the store accepts. Checks collect every problem before raising, so that a form shows
them all at once; nothing is written when any check fails.

SIRET: 14 digits everywhere; the checksum (Luhn, or La Poste's sum-of-digits rule, both implemented by
python-stdnum) only in production, because Chorus Pro qualification identifiers do not pass it
(reference §4.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import ip_address
from typing import TypeVar
from urllib.parse import urlsplit

from stdnum.fr import siret as stdnum_siret

from chorus_connect.store.enums import EnvironmentName
from chorus_connect.store.errors import FieldProblem, InvalidInputError

# Deliberately loose: the shape only (one @, a dot in the domain, no spaces). Deliverability is the SMTP
# server's business.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_LOOPBACK_HOSTS = {"localhost"}
ENGAGEMENT_NUMBER_MAX = 50  # reference §4.3
NAME_MAX = 200

E = TypeVar("E", bound=StrEnum)


@dataclass
class Checker:
    """Accumulates problems; :meth:`raise_if_any` raises one :class:`InvalidInputError` with all of them."""

    prefix: str
    problems: list[FieldProblem] = field(default_factory=list)

    def add(self, name: str, message: str, fix: str) -> None:
        self.problems.append(FieldProblem(f"{self.prefix}.{name}", message, fix))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInputError(self.problems)

    def required_text(self, name: str, value: str | None, *, max_length: int = NAME_MAX) -> str:
        text = (value or "").strip()
        if not text:
            self.add(name, "is required", f"give the {name.replace('_', ' ')}")
        elif len(text) > max_length:
            self.add(name, f"is {len(text)} characters long, at most {max_length} allowed", "shorten it")
        return text

    def optional_text(self, name: str, value: str | None, *, max_length: int = NAME_MAX) -> str | None:
        text = (value or "").strip()
        if len(text) > max_length:
            self.add(name, f"is {len(text)} characters long, at most {max_length} allowed", "shorten it")
        return text or None

    def siret(self, name: str, value: str | None, environment: EnvironmentName | str | None) -> str:
        digits = re.sub(r"[\s.]", "", value or "")
        if not digits:
            self.add(name, "is required", "give the 14-digit SIRET of the establishment")
        elif not (digits.isdigit() and len(digits) == 14):
            self.add(
                name,
                f"{value!r} is not a SIRET: 14 digits expected (a SIREN has only 9)",
                "copy the SIRET of the establishment as shown on Chorus Pro or the INSEE directory",
            )
        elif environment == EnvironmentName.PRODUCTION and not stdnum_siret.is_valid(digits):
            self.add(
                name,
                f"{digits} fails the SIRET check digit (Luhn)",
                "check for a typing error; in production only real SIRETs are accepted "
                "(sandbox test identifiers belong to a sandbox structure)",
            )
        return digits

    def optional_siret(
        self, name: str, value: str | None, environment: EnvironmentName | str | None
    ) -> str | None:
        if not (value or "").strip():
            return None
        return self.siret(name, value, environment)

    def email(self, name: str, value: str | None) -> str | None:
        text = (value or "").strip()
        if text and not _EMAIL.match(text):
            self.add(name, f"{text!r} is not an e-mail address", "write it as name@domain.tld")
        return text or None

    def emails(self, name: str, values: Iterable[str] | str | None) -> list[str]:
        items = [values] if isinstance(values, str) else list(values or [])
        cleaned: list[str] = []
        for raw in items:
            for part in re.split(r"[,;\s]+", raw):
                if part and (address := self.email(name, part)):
                    cleaned.append(address)
        return list(dict.fromkeys(cleaned))

    def url(self, name: str, value: str | None, *, https_required: bool = True) -> str | None:
        text = (value or "").strip()
        if not text:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.add(name, f"{text!r} is not an http(s) URL", "write a full URL such as https://host/path")
        elif https_required and parts.scheme != "https" and not _is_loopback(parts.hostname):
            self.add(
                name,
                f"{text!r} is plain http to another machine",
                "use https (plain http is accepted only for localhost / 127.0.0.1)",
            )
        return text

    def positive_int(self, name: str, value: int | None) -> int | None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            self.add(
                name, f"{value!r} is not a positive whole number", "give the identifier shown by Chorus Pro"
            )
        return value

    def choice(self, name: str, value: object, enum: type[E]) -> E | None:
        if value is None or value == "":
            return None
        try:
            return enum(str(value).strip().lower() if _lowercase_values(enum) else str(value).strip().upper())
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.add(name, f"{value!r} is not one of the allowed values", f"use one of: {allowed}")
            return None


def _lowercase_values(enum: type[StrEnum]) -> bool:
    return all(member.value == member.value.lower() for member in enum)


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def checker(prefix: str) -> Checker:
    return Checker(prefix)

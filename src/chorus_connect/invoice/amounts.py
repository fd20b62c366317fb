"""EN 16931 arithmetic: line net amounts, VAT breakdown and document totals, all in `Decimal`.

Rules followed (EN 16931-1 §6.5 and the CEN schematron BR-CO-*): each line net amount is rounded to the
currency's 2 decimals first, then summed; the VAT of each category/rate is its taxable base times the rate,
rounded to 2 decimals (BR-CO-17); the document totals are sums of already rounded amounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def round_amount(value: Decimal) -> Decimal:
    """Round a monetary amount to 2 decimals, half away from zero (the usual commercial rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(base: Decimal, rate: Decimal) -> Decimal:
    return round_amount(base * rate / HUNDRED)


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


class _AllowanceLike(Protocol):
    amount: Decimal


def line_net_amount(
    quantity: Decimal,
    net_price: Decimal,
    base_quantity: Decimal | None,
    allowances: Iterable[_AllowanceLike],
    charges: Iterable[_AllowanceLike],
) -> Decimal:
    """BT-131 = BT-129 × (BT-146 / BT-149) + Σ line charges − Σ line allowances, rounded to 2 decimals."""
    per_unit = net_price / base_quantity if base_quantity else net_price
    gross = round_amount(quantity * per_unit)
    return round_amount(gross + total(c.amount for c in charges) - total(a.amount for a in allowances))


def allowance_amount(base: Decimal | None, percent: Decimal | None) -> Decimal | None:
    """BT-92/BT-136 computed from base × percentage when only those are given (BR-CO-?? convention)."""
    if base is None or percent is None:
        return None
    return round_amount(base * percent / HUNDRED)

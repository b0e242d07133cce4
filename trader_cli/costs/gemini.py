"""Gemini maker/taker fees (pure).

Gemini's API fee schedule, https://gemini.com/fees/api-fee-schedule (last updated 30 June 2022),
first tier (30-day volume below USD 10,000): taker 0.40%, maker 0.20% of the notional value
(price x amount) of each trade, charged in the quote currency. An order that fills on arrival is
a taker; one that rests on the book and is filled later is a maker; a partly filled order pays
taker on the immediate part and maker on the rest. ``GEMINI_TAKER_FEE``/``GEMINI_MAKER_FEE``
override the rates (e.g. for a higher volume tier).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from trader_cli.domain.models import Liquidity

GEMINI_TAKER_FEE = Decimal("0.0040")
GEMINI_MAKER_FEE = Decimal("0.0020")

_CENT = Decimal("0.01")
_SATOSHI = Decimal("0.00000001")
_FIAT_QUOTES = frozenset({"USD", "EUR", "GBP", "SGD", "AUD", "CAD", "GUSD", "USDC", "USDT", "DAI"})


def gemini_fee(
    notional: Decimal,
    quote_currency: str,
    *,
    liquidity: Liquidity = Liquidity.TAKER,
    maker_rate: Decimal = GEMINI_MAKER_FEE,
    taker_rate: Decimal = GEMINI_TAKER_FEE,
) -> Decimal:
    """Fee on one trade of ``notional`` (quote currency); unknown liquidity is priced as taker.

    Rounded half-up to cents for fiat and stablecoin quotes, to 1e-8 for crypto quotes.
    """
    rate = maker_rate if liquidity is Liquidity.MAKER else taker_rate
    quantum = _CENT if quote_currency.upper() in _FIAT_QUOTES else _SATOSHI
    return (abs(notional) * rate).quantize(quantum, rounding=ROUND_HALF_UP)

"""IBKR commission models (pure): ASX stocks/ETFs, US stocks and IDEALPRO spot FX.

Rates as published by Interactive Brokers Australia:

* ASX stocks and ETFs, https://www.interactivebrokers.com.hk/en/index.php?f=49708
  ("Commissions Stock Asia-Pacific"; same table at
  https://www.interactivebrokers.co.uk/en/index.php?f=1590&p=stocks1):
  Fixed plan 0.08% of trade value, minimum AUD 6.00 per order, no maximum.
  Tiered plan, first tier (monthly trade value <= AUD 3,000,000): 0.08%, minimum AUD 5.00 per
  order, exchange and clearing fees passed through. Published fixed example:
  400 shares @ AUD 50 = AUD 16.00.
* US stocks and ETFs (IBKR Pro fixed),
  https://investors.interactivebrokers.com/en/pricing/commissions-stocks.php:
  USD 0.005 per share, minimum USD 1.00 per order, maximum 1% of trade value. Published examples:
  100 shares @ USD 25 = USD 1.00; 1,000 @ USD 25 = USD 5.00; 1,000 @ USD 0.25 = USD 2.50.
* IDEALPRO spot currencies, https://www.interactivebrokers.com.au/en/index.php?f=49818
  (also https://www.interactivebrokers.com/en/index.php?f=commission&p=fx1):
  0.20 basis point * trade value, minimum USD 2.00 per order (first tier, monthly trade value
  <= USD 1,000,000,000), exclusive of GST. Published example: 100,000 USD.EUR = USD 2.00
  (https://www.interactivebrokers.com.au/en/index.php?f=39753&p=fx).

A minimum applies per *order*: with partial fills, the order's commission is
``max(minimum, rate * cumulative value)`` and each fill is charged the increase
(:func:`incremental_commission`). Every rate is a parameter so configuration can override it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ASX_FIXED_RATE = Decimal("0.0008")
ASX_FIXED_MINIMUM = Decimal("6.00")
ASX_TIERED_RATE = Decimal("0.0008")
ASX_TIERED_MINIMUM = Decimal("5.00")
FX_RATE = Decimal("0.00002")  # 0.20 bp
FX_MINIMUM_USD = Decimal("2.00")
US_FIXED_PER_SHARE = Decimal("0.005")
US_FIXED_MINIMUM = Decimal("1.00")
US_FIXED_MAX_PCT = Decimal("0.01")

_CENT = Decimal("0.01")
_FX_PRECISION = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Commission:
    """An amount of money charged as commission, with its currency."""

    amount: Decimal
    currency: str


def percent_with_minimum(trade_value: Decimal, rate: Decimal, minimum: Decimal) -> Decimal:
    """``max(minimum, rate * |trade_value|)``, not rounded."""
    return max(minimum, abs(trade_value) * rate)


def asx_commission(
    trade_value_aud: Decimal,
    *,
    rate: Decimal = ASX_FIXED_RATE,
    minimum: Decimal = ASX_FIXED_MINIMUM,
) -> Commission:
    """Commission for one ASX order of ``trade_value_aud`` (IBKR fixed plan by default)."""
    amount = percent_with_minimum(trade_value_aud, rate, minimum)
    return Commission(amount.quantize(_CENT, rounding=ROUND_HALF_UP), "AUD")


def fx_commission(
    trade_value_usd: Decimal,
    *,
    rate: Decimal = FX_RATE,
    minimum: Decimal = FX_MINIMUM_USD,
) -> Commission:
    """Commission for one IDEALPRO order whose trade value is ``trade_value_usd`` (in USD)."""
    amount = percent_with_minimum(trade_value_usd, rate, minimum)
    return Commission(amount.quantize(_FX_PRECISION, rounding=ROUND_HALF_UP), "USD")


def us_stock_commission(
    shares: Decimal,
    price: Decimal,
    *,
    per_share: Decimal = US_FIXED_PER_SHARE,
    minimum: Decimal = US_FIXED_MINIMUM,
    max_pct: Decimal = US_FIXED_MAX_PCT,
) -> Commission:
    """Commission for one US stock order (IBKR Pro fixed): per share, with a minimum per order,
    capped at ``max_pct`` of the trade value (the cap wins over the minimum, as IBKR's
    1,000 @ USD 0.25 = USD 2.50 example shows)."""
    trade_value = abs(shares * price)
    amount = min(max(minimum, abs(shares) * per_share), trade_value * max_pct)
    return Commission(amount.quantize(_CENT, rounding=ROUND_HALF_UP), "USD")


def incremental_commission(
    cumulative_before: Decimal,
    cumulative_after: Decimal,
    *,
    rate: Decimal,
    minimum: Decimal,
    quantum: Decimal = _CENT,
) -> Decimal:
    """Commission owed by one fill of a partly filled order.

    ``cumulative_before``/``cumulative_after`` are the order's filled trade value before and after
    the fill. The first fill pays the order minimum; later fills pay only what the percentage adds.
    """
    before = (
        Decimal(0)
        if cumulative_before == 0
        else percent_with_minimum(cumulative_before, rate, minimum).quantize(quantum, ROUND_HALF_UP)
    )
    after = percent_with_minimum(cumulative_after, rate, minimum).quantize(quantum, ROUND_HALF_UP)
    return after - before

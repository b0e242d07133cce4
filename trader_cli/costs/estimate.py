"""One entry point for commission estimates, by instrument class, with rates from settings."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from trader_cli.costs import ibkr
from trader_cli.costs.gemini import gemini_fee
from trader_cli.domain.models import Fee, FeeSource, Liquidity
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass

if TYPE_CHECKING:
    from trader_cli.config import Settings

BPS = Decimal("0.0001")  # one basis point as a fraction


def fx_trade_value_usd(
    quantity: Decimal,
    price: Decimal,
    currency: str,
    *,
    base_asset: str | None = None,
    usd_per_unit: Decimal | None = None,
) -> Decimal:
    """Trade value in USD of an FX order of ``quantity`` units of ``base_asset`` at ``price``.

    ``currency`` is the pair's quote currency. A USD quote (AUD/USD) or a USD base (USD/JPY)
    needs no rate; any other pair needs ``usd_per_unit`` (USD per unit of ``currency``).
    """
    value = abs(quantity * price)
    if currency.upper() == "USD":
        return value
    if base_asset is not None and base_asset.upper() == "USD":
        return abs(quantity)
    if usd_per_unit is None:
        raise ValueError(f"an FX order quoted in {currency} needs a USD rate for its commission")
    return value * usd_per_unit


def commission_estimate(
    instrument_class: InstrumentClass,
    quantity: Decimal,
    price: Decimal,
    currency: str,
    settings: Settings,
    *,
    base_asset: str | None = None,
    usd_per_unit: Decimal | None = None,
    liquidity: Liquidity = Liquidity.TAKER,
) -> Fee:
    """Estimated commission of one order, as ``Fee(source=ESTIMATE)``.

    ASX stocks/ETFs: ``IB_COMMISSION_ASX_RATE`` of trade value, minimum
    ``IB_COMMISSION_ASX_MIN`` (else the plan's: fixed AUD 6.00, tiered AUD 5.00), in AUD.
    US stocks: ``IB_COMMISSION_US_PER_SHARE`` with ``IB_COMMISSION_US_MIN`` and a cap of
    ``IB_COMMISSION_US_MAX_PCT`` of trade value, in USD. FX: ``IB_COMMISSION_FX_BPS`` of the
    trade value in USD, minimum ``IB_COMMISSION_FX_MIN``, in USD (see :func:`fx_trade_value_usd`
    for ``base_asset``/``usd_per_unit``). Crypto: Gemini maker/taker on the notional, in the
    quote currency (``liquidity``; unknown is taker).
    """
    ib = settings.ib
    qty, px = abs(quantity), abs(price)
    if instrument_class in (InstrumentClass.ASX_EQUITY, InstrumentClass.ASX_ETF):
        c = ibkr.asx_commission(
            qty * px, rate=ib.commission_asx_rate, minimum=ib.asx_commission_minimum
        )
        return Fee(c.amount, c.currency, FeeSource.ESTIMATE)
    if instrument_class is InstrumentClass.US_EQUITY:
        c = ibkr.us_stock_commission(
            qty,
            px,
            per_share=ib.commission_us_per_share,
            minimum=ib.commission_us_min,
            max_pct=ib.commission_us_max_pct,
        )
        return Fee(c.amount, c.currency, FeeSource.ESTIMATE)
    if instrument_class is InstrumentClass.FX:
        value = fx_trade_value_usd(
            qty, px, currency, base_asset=base_asset, usd_per_unit=usd_per_unit
        )
        c = ibkr.fx_commission(value, rate=ib.commission_fx_bps * BPS, minimum=ib.commission_fx_min)
        return Fee(
            c.amount.quantize(Decimal("0.01"), ROUND_HALF_UP), c.currency, FeeSource.ESTIMATE
        )
    fee = gemini_fee(
        qty * px,
        currency,
        liquidity=liquidity,
        maker_rate=settings.gemini.maker_fee,
        taker_rate=settings.gemini.taker_fee,
    )
    return Fee(fee, currency, FeeSource.ESTIMATE)


def fx_conversion_buffer(amount: Money, buffer_bps: Decimal) -> Money:
    """What converting ``amount`` may cost beyond the mid: ``IB_FX_SPREAD_BUFFER_BPS`` of it."""
    return Money(abs(amount.amount) * buffer_bps * BPS, amount.currency)

"""What Gemini can do, declared for the core: candle frames, limit orders only, crypto amounts.

Pure: no ``ccxt`` here, so the core and strategies can read Gemini's capabilities cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trader_cli.domain.models import OrderType
from trader_cli.domain.orders import TimeInForce
from trader_cli.domain.symbols import InstrumentClass
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import TimeframeError
from trader_cli.venues.base import VenueCapabilities

if TYPE_CHECKING:
    from trader_cli.config import Settings

# Our timeframes → the candle frames of Gemini's /v2/candles (as ccxt names them).
CANDLE_FRAMES = {
    Timeframe.M1: "1m",
    Timeframe.M5: "5m",
    Timeframe.M15: "15m",
    Timeframe.M30: "30m",
    Timeframe.H1: "1h",
    Timeframe.H6: "6h",
    Timeframe.D1: "1d",
}

DESCRIPTION = "Gemini (crypto spot)"
TRADING_RULES = (
    "Tradable: crypto spot pairs quoted in USD on Gemini (e.g. BTC/USD, ETH/USD), 24/7; "
    "amounts may be fractional.",
    "NO stocks, ETFs or FX on Gemini; only the crypto symbols listed in the universe.",
    "Limit orders only: Gemini takes no market orders, so entry = null means a marketable limit "
    "at the touch; there are no native stops (exits are watched by trader itself).",
    "Spot only: no shorts. A sell only reduces a crypto balance held (positions are balances "
    ">= 0).",
    "Risk limits and account figures are in the base currency {base_currency}; Gemini keeps "
    "the account in USD.",
)


def candle_frame(timeframe: Timeframe) -> str:
    """Gemini's candle frame for ``timeframe``; other timeframes are refused with the list."""
    try:
        return CANDLE_FRAMES[timeframe]
    except KeyError:
        served = ", ".join(tf.value for tf in CANDLE_FRAMES)
        raise TimeframeError(
            f"Gemini has no {timeframe.value} candles", hint=f"use one of {served}"
        ) from None


def gemini_capabilities(settings: Settings | None = None) -> VenueCapabilities:
    """Gemini's capabilities; the commission terms follow ``settings`` when given."""
    maker, taker = "0.20%", "0.40%"
    if settings is not None:
        maker = f"{(settings.gemini.maker_fee * 100).normalize():f}%"
        taker = f"{(settings.gemini.taker_fee * 100).normalize():f}%"
    return VenueCapabilities(
        connectivity_hint="check status.gemini.com, your API key and the network",
        name="Gemini",
        description=DESCRIPTION,
        timeframes=tuple(CANDLE_FRAMES),
        order_types=frozenset({OrderType.LIMIT}),
        market_orders=False,
        fractional_amounts=True,
        short_selling=False,
        market_depth=True,  # /v1/book: public, no subscription
        public_tape=True,  # /v1/trades
        instrument_classes=frozenset({InstrumentClass.CRYPTO}),
        commission_terms={
            "crypto": f"maker {maker}, taker {taker} of notional, in the quote currency"
        },
        trading_rules=TRADING_RULES,
        # a Gemini limit rests until cancelled unless it carries immediate-or-cancel; there
        # are no day orders; maker-or-cancel is Gemini's post-only
        time_in_force=frozenset({TimeInForce.GTC, TimeInForce.IOC}),
        default_time_in_force=TimeInForce.GTC,
        post_only=True,
    )

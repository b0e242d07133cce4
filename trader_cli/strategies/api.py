"""The stable surface for plug-in strategies: import from here, nothing else of trader's.

Everything named in ``__all__`` keeps its meaning across releases (fields may be added, none
removed or renamed without a release note); other modules of ``trader_cli`` are internal.
See docs/strategies.md.
"""

from __future__ import annotations

from trader_cli.domain.models import AccountSummary, Candle, Position, Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.strategies.base import (
    Decision,
    Hold,
    MarketData,
    Strategy,
    StrategyContext,
    TradePlan,
)
from trader_cli.strategies.features import (
    atr,
    atr_series,
    ema,
    rsi,
    rsi_series,
    sma,
    wilder_average,
    zscore,
)
from trader_cli.venues.base import VenueCapabilities

__all__ = [
    "AccountSummary",
    "Candle",
    "Decision",
    "Hold",
    "MarketData",
    "Money",
    "Position",
    "Quote",
    "Side",
    "Strategy",
    "StrategyContext",
    "Symbol",
    "Timeframe",
    "TradePlan",
    "VenueCapabilities",
    "atr",
    "atr_series",
    "ema",
    "rsi",
    "rsi_series",
    "sma",
    "wilder_average",
    "zscore",
]

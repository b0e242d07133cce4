"""Canonical symbol → Gemini market, offline (no ccxt import, no connection)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.errors import SymbolError


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """A Gemini spot market as ccxt names it; increments arrive when loaded from the venue."""

    canonical: str
    venue_id: str
    base: str
    quote: str
    type: str = "spot"
    amount_increment: str | None = None
    price_increment: str | None = None
    min_amount: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return {
            "symbol": self.canonical,
            "id": self.venue_id,
            "base": self.base,
            "quote": self.quote,
            "type": self.type,
            "amountIncrement": self.amount_increment,
            "priceIncrement": self.price_increment,
            "minAmount": self.min_amount,
        }


def market_spec(symbol: Symbol) -> MarketSpec:
    """The Gemini market for a crypto symbol: ``BTC/USD`` → ``btcusd``."""
    if symbol.instrument_class is not InstrumentClass.CRYPTO:
        label = symbol.instrument_class.label
        article = "an" if label[:1] in "AEIOU" else "a"
        raise SymbolError(
            f"{symbol} is {article} {label}; Gemini trades only crypto",
            hint="use --venue ib (or sim) for ASX stocks, ETFs and FX",
        )
    return MarketSpec(
        canonical=str(symbol),
        venue_id=f"{symbol.base}{symbol.quote}".lower(),
        base=symbol.base,
        quote=symbol.quote,
    )

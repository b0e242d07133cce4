"""Market data services behind ``quote``, ``bars`` and online ``resolve-symbol``."""

from __future__ import annotations

from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.models import Candle, Quote
from trader_cli.domain.symbols import parse_symbols
from trader_cli.domain.timeframes import Timeframe
from trader_cli.services.venue import open_venue


async def quotes(settings: Settings, texts: list[str]) -> tuple[dict[str, Any], list[Quote]]:
    """Top of book for each symbol, plus a header describing the venue and clock."""
    symbols = parse_symbols(texts)
    async with open_venue(settings) as venue:
        out = [await venue.get_market_data(s) for s in symbols]
        return venue_header(venue), out


async def bars(
    settings: Settings, text: str, timeframe: Timeframe, limit: int
) -> tuple[dict[str, Any], list[Candle]]:
    """``limit`` OHLCV bars, oldest first."""
    (symbol,) = parse_symbols([text])
    async with open_venue(settings) as venue:
        candles = await venue.fetch_ohlcv(symbol, timeframe, limit)
        return venue_header(venue), candles


async def resolve_online(settings: Settings, text: str) -> dict[str, Any]:
    """Qualify a symbol with the venue: conId, minTick, hours, order types."""
    (symbol,) = parse_symbols([text])
    async with open_venue(settings) as venue:
        inst = await venue.resolve(symbol)
        return {
            "symbol": str(symbol),
            "venue": venue.venue.value,
            "instrumentClass": symbol.instrument_class.value,
            "allowed": symbol in settings.allowed_symbols,
            "resolved": "venue",
            "simulated": venue.venue.value == "sim",
            "contract": inst.to_dict(),
        }


def venue_header(venue: Any) -> dict[str, Any]:
    """Venue label, simulated flag and the venue clock (sim time on the sim)."""
    return {
        "venue": venue.venue.value,
        "simulated": venue.venue.value == "sim",
        "asOf": venue.clock.now(),
    }

"""Symbol resolution shared by ``resolve-symbol`` and the adapters."""

from __future__ import annotations

from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.symbols import parse_symbol
from trader_cli.domain.venues import Venue


def resolve_offline(text: str, settings: Settings) -> dict[str, Any]:
    """Resolve ``text`` to the active venue's contract without connecting.

    Returns ``{"symbol", "venue", "instrumentClass", "allowed", "contract"}``; raises
    :class:`~trader_cli.errors.SymbolError` (exit 2) for anything the venue cannot trade.
    """
    symbol = parse_symbol(text)
    venue = settings.venue
    contract: dict[str, Any]
    if venue is Venue.GEMINI:
        from trader_cli.venues.gemini.markets import market_spec

        contract = market_spec(symbol).to_dict()
    else:
        from trader_cli.venues.ib.contracts import contract_spec

        contract = contract_spec(
            symbol,
            routing_exchange=settings.ib.routing_exchange,
            primary_exchange=settings.ib.primary_exchange,
            allowed=frozenset(settings.ib.allowed_instruments),
        ).to_dict()
    return {
        "symbol": str(symbol),
        "venue": settings.venue_name,
        "instrumentClass": symbol.instrument_class.value,
        "allowed": symbol in settings.allowed_symbols,
        "resolved": "offline",
        "contract": contract,
    }

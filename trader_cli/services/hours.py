"""``trader hours``: a symbol's market hours at a given time or on the venue's clock.

Kept apart from the order preview so the command loads no venue, database or risk code: the
venue clock is read from settings (the sim's clock module alone, never its gateway).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import parse_symbol
from trader_cli.hours import market_hours

if TYPE_CHECKING:
    from trader_cli.config import Settings


def venue_now(settings: Settings) -> datetime:
    """The venue clock without connecting: on the sim, the clock a sim command starts with
    (``SIM_CLOCK``/``SIM_SPEED``, else inside the most recent ASX session); else wall time."""
    if settings.backend is Backend.SIM:
        from trader_cli.sim.engine.clock import sim_clock

        return sim_clock(settings.sim.clock, settings.sim.speed).now()
    from trader_cli.clock import REAL_CLOCK

    return REAL_CLOCK.now()


def hours_for(settings: Settings, symbol: str, at: datetime | None) -> dict[str, Any]:
    """Market hours of ``symbol`` at ``at`` (default: the venue clock, see :func:`venue_now`)."""
    sym = parse_symbol(symbol)
    when = at if at is not None else venue_now(settings)
    h = market_hours(sym.instrument_class, when)
    return {
        "symbol": str(sym),
        "instrumentClass": sym.instrument_class.value,
        "market": h.market.value,
        "timeZone": h.time_zone,
        "at": h.at,
        "localTime": h.local_time.replace(microsecond=0).isoformat(),
        "clock": "given" if at is not None else f"{settings.venue_name} venue clock",
        "open": h.is_open,
        "sessionOpen": h.session_open,
        "sessionClose": h.session_close,
        "nextOpen": h.next_open,
        "nextClose": h.next_close,
        "note": h.note,
    }

"""Venue adapters (ib, gemini, sim) behind one protocol; only ``ib`` imports ib_async."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.venues import Venue
    from trader_cli.venues.base import VenueCapabilities


def declared_capabilities(venue: Venue, settings: Settings | None = None) -> VenueCapabilities:
    """What ``venue`` declares it can do, without connecting (no SDK is imported)."""
    from trader_cli.domain.venues import Venue

    if venue is Venue.GEMINI:
        from trader_cli.venues.gemini.capabilities import gemini_capabilities

        return gemini_capabilities(settings)
    from trader_cli.venues.ib.capabilities import ib_capabilities

    return ib_capabilities(settings)

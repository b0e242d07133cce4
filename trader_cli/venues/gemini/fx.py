"""Where Gemini's USD is valued in the base currency: a configured rate, or IB's AUD.USD quote.

Gemini keeps accounts in USD while risk limits are in ``BASE_CURRENCY``; with a base other than
USD a rate must come from somewhere explicit (never a silent 1:1):

* ``GEMINI_USD_PER_BASE`` (e.g. ``0.66`` for AUD): a fixed rate, stated by the user;
* ``GEMINI_FX_FROM_IB=true``: IB's IDEALPRO quote, through the IB adapter as ``IB_*`` configures it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from trader_cli.errors import ConfigError


class FxSource(Protocol):
    """Units of USD per unit of a fiat currency."""

    description: str

    async def usd_per(self, currency: str) -> Decimal:
        """USD per one unit of ``currency``."""
        ...


class FixedRate:
    """A configured rate (``GEMINI_USD_PER_BASE``) for the base currency."""

    def __init__(self, currency: str, usd_per_unit: Decimal) -> None:
        self.currency = currency.upper()
        self.rate = usd_per_unit
        self.description = f"GEMINI_USD_PER_BASE={usd_per_unit}"

    async def usd_per(self, currency: str) -> Decimal:
        """The configured rate; any other currency is refused."""
        if currency.upper() != self.currency:
            raise ConfigError(f"GEMINI_USD_PER_BASE gives the {self.currency} rate, not {currency}")
        return self.rate


class RateQuoter(Protocol):
    """What :class:`VenueFx` needs of a venue: ``BaseTrader.fx_rate``."""

    async def fx_rate(self, base: str, quote: str) -> Decimal: ...


class VenueFx:
    """Rates from another venue's FX quotes (IB's IDEALPRO ``AUD.USD``)."""

    def __init__(self, venue: RateQuoter, description: str = "IB FX quotes") -> None:
        self.venue = venue
        self.description = description

    async def usd_per(self, currency: str) -> Decimal:
        """USD per unit of ``currency`` from the venue's quote."""
        return await self.venue.fx_rate(currency, "USD")


def no_fx_source(base_currency: str) -> ConfigError:
    """The error for a base currency Gemini's USD cannot be valued in (exit 2)."""
    return ConfigError(
        f"Gemini's account is in USD but BASE_CURRENCY is {base_currency}, and no rate is "
        "configured to value USD in it",
        hint=(
            f"set GEMINI_USD_PER_BASE (USD per 1 {base_currency}, e.g. 0.66), or "
            "GEMINI_FX_FROM_IB=true to ask IB for the rate, or BASE_CURRENCY=USD"
        ),
    )

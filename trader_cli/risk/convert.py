"""Currency conversion into the base currency, as risk checks need it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from trader_cli.domain.money import Money, normalize_currency

BPS = Decimal("0.0001")


class Converter(Protocol):
    """Anything that turns money into the base currency (every venue, ``BaseTrader.to_base``)."""

    async def to_base(self, amount: Money) -> Money:
        """``amount`` in the base currency."""
        ...


class StaticRateConverter:
    """Fixed rates: ``rates[c]`` units of ``base`` per unit of ``c`` (for tests and replays)."""

    def __init__(self, base: str, rates: Mapping[str, Decimal | str | int] | None = None) -> None:
        self.base = normalize_currency(base)
        self.rates = {normalize_currency(k): Decimal(str(v)) for k, v in (rates or {}).items()}

    async def to_base(self, amount: Money) -> Money:
        """``amount`` at the fixed rate; an unknown currency raises ``ValueError``."""
        if amount.currency == self.base:
            return amount
        if amount.currency not in self.rates:
            raise ValueError(f"no rate from {amount.currency} to {self.base}")
        return amount.convert(self.rates[amount.currency], self.base)


class BufferedConverter:
    """Wraps a converter and makes every converted amount ``buffer_bps`` larger in size.

    Risk limits are then checked against a little more than the mid-rate value of a foreign
    amount: the spread and slippage of a real conversion (``IB_FX_SPREAD_BUFFER_BPS``).
    Amounts already in the base currency are not touched.
    """

    def __init__(self, inner: Converter, base: str, buffer_bps: Decimal) -> None:
        self.inner = inner
        self.base = normalize_currency(base)
        self.factor = 1 + buffer_bps * BPS

    async def to_base(self, amount: Money) -> Money:
        """The inner conversion, widened by the buffer for foreign currencies."""
        converted = await self.inner.to_base(amount)
        if amount.currency == self.base:
            return converted
        return Money(converted.amount * self.factor, converted.currency)

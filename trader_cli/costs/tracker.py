"""CostTracker: commission estimates and actuals, kept apart, in fee and base currency."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_cli.domain.models import Fee, FeeSource, Fill, Model
from trader_cli.domain.money import Money, normalize_currency

RateFor = Callable[[str], Decimal]
"""Units of the base currency per unit of a currency (``rate_for("USD") -> 1.52`` for AUD)."""


@dataclass(frozen=True, slots=True)
class CostEntry(Model):
    """One recorded commission: what it was for, how much, in which currency, and from where."""

    key: str  # fill id for actuals, client order id for estimates
    client_order_id: str | None
    symbol: str | None
    fee: Money
    base: Money
    fx_rate: Decimal
    source: FeeSource
    timestamp: datetime | None = None


@dataclass
class CostTracker:
    """Commission estimates (source ``estimate``) and actuals from fills (source ``venue``).

    Each entry keeps the fee in its own currency and in ``base_currency``; conversion uses the
    ``fx_rate`` passed with the entry, else ``rate_for(currency)``, else ``rates[currency]``.
    Recording the same fill twice (a resync overlap) counts it once; a second estimate for the
    same order replaces the first.
    """

    base_currency: str
    rate_for: RateFor | None = None
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    _estimates: dict[str, CostEntry] = field(default_factory=dict, repr=False)
    _actuals: dict[str, CostEntry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.base_currency = normalize_currency(self.base_currency)

    def _rate(self, currency: str, fx_rate: Decimal | None) -> Decimal:
        if currency == self.base_currency:
            return Decimal(1)
        if fx_rate is not None:
            return fx_rate
        if self.rate_for is not None:
            return self.rate_for(currency)
        if currency in self.rates:
            return self.rates[currency]
        raise ValueError(
            f"no rate from {currency} to {self.base_currency}: pass fx_rate or give the tracker "
            "a rate_for callable"
        )

    def _entry(
        self,
        key: str,
        fee: Fee,
        source: FeeSource,
        *,
        client_order_id: str | None,
        symbol: str | None,
        fx_rate: Decimal | None,
        timestamp: datetime | None,
    ) -> CostEntry:
        money = fee.money
        rate = self._rate(money.currency, fx_rate)
        return CostEntry(
            key=key,
            client_order_id=client_order_id,
            symbol=symbol,
            fee=money,
            base=money.convert(rate, self.base_currency),
            fx_rate=rate,
            source=source,
            timestamp=timestamp,
        )

    def record_estimate(
        self,
        client_order_id: str,
        fee: Fee,
        *,
        symbol: str | None = None,
        fx_rate: Decimal | None = None,
        timestamp: datetime | None = None,
    ) -> CostEntry:
        """Record the estimated commission of an order (before it is sent)."""
        entry = self._entry(
            client_order_id,
            fee,
            FeeSource.ESTIMATE,
            client_order_id=client_order_id,
            symbol=symbol,
            fx_rate=fx_rate,
            timestamp=timestamp,
        )
        self._estimates[client_order_id] = entry
        return entry

    def record_fill(self, fill: Fill, *, fx_rate: Decimal | None = None) -> CostEntry | None:
        """Record the commission the venue charged for ``fill`` (None if it carries no fee)."""
        if fill.fee is None:
            return None
        if fill.id in self._actuals:
            return self._actuals[fill.id]
        entry = self._entry(
            fill.id,
            Fee(fill.fee.cost, fill.fee.currency, FeeSource.VENUE),
            FeeSource.VENUE,
            client_order_id=fill.client_order_id,
            symbol=fill.symbol,
            fx_rate=fx_rate,
            timestamp=fill.timestamp,
        )
        self._actuals[fill.id] = entry
        return entry

    def entries(self, source: FeeSource | None = None) -> list[CostEntry]:
        """Recorded entries, estimates first, optionally of one source."""
        out: list[CostEntry] = []
        if source in (None, FeeSource.ESTIMATE):
            out.extend(self._estimates.values())
        if source in (None, FeeSource.VENUE):
            out.extend(self._actuals.values())
        return out

    def total(self, source: FeeSource, *, client_order_id: str | None = None) -> Money:
        """Sum in the base currency of one source, optionally for one order."""
        total = Money.zero(self.base_currency)
        for e in self.entries(source):
            if client_order_id is None or e.client_order_id == client_order_id:
                total += e.base
        return total

    def totals_by_currency(self, source: FeeSource) -> dict[str, Money]:
        """Sum per fee currency (what the statements show) of one source."""
        out: dict[str, Money] = {}
        for e in self.entries(source):
            out[e.fee.currency] = out.get(e.fee.currency, Money.zero(e.fee.currency)) + e.fee
        return out

    def compare(self, client_order_id: str) -> dict[str, Any]:
        """Estimate vs actual (base currency) of one order; ``difference`` = actual - estimate."""
        estimate = self._estimates.get(client_order_id)
        actual = self.total(FeeSource.VENUE, client_order_id=client_order_id)
        has_actual = any(e.client_order_id == client_order_id for e in self._actuals.values())
        return {
            "estimate": estimate.base if estimate else None,
            "actual": actual if has_actual else None,
            "difference": actual - estimate.base if estimate and has_actual else None,
        }

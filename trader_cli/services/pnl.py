"""Session accounting: realised and unrealised PnL and fees in the base currency (average cost).

Each fill is converted at the FX rate recorded with it (``fx_rate_to_base``), so yesterday's PnL
does not move with today's exchange rate; open positions are marked at today's price and rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from trader_cli.db import store
from trader_cli.db.baselines import fills_of_orders_with_reason
from trader_cli.domain.baseline import FLATTEN_BASELINE_REASON
from trader_cli.domain.models import Side
from trader_cli.domain.money import Money

if TYPE_CHECKING:
    from trader_cli.services.context import TradingContext

# MAX_DAILY_LOSS counts the fills of the Sydney calendar day
TRADING_DAY_TZ = ZoneInfo("Australia/Sydney")


@dataclass(frozen=True, slots=True)
class FillRecord:
    """What accounting needs of a fill (a DB row or a domain fill, already in base terms)."""

    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    timestamp: datetime
    fx_rate_to_base: Decimal | None
    commission_base: Decimal


@dataclass
class SymbolBook:
    """Average-cost book of one symbol, in its quote currency (PnL kept in base)."""

    quantity: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    realised_base: Decimal = Decimal(0)
    fees_base: Decimal = Decimal(0)
    last_rate: Decimal | None = None

    def apply(self, fill: FillRecord) -> None:
        """Book one fill: opening adds to the average, closing realises against it."""
        signed = fill.amount * fill.side.sign
        rate = fill.fx_rate_to_base
        if rate is not None:
            self.last_rate = rate
        self.fees_base += fill.commission_base
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            total = self.quantity + signed
            self.avg_price = (self.avg_price * abs(self.quantity) + fill.price * fill.amount) / abs(
                total
            )
            self.quantity = total
            return
        closing = min(abs(signed), abs(self.quantity))
        direction = 1 if self.quantity > 0 else -1
        pnl_quote = (fill.price - self.avg_price) * closing * direction
        self.realised_base += pnl_quote * (rate if rate is not None else Decimal(1))
        remainder = abs(signed) - closing
        self.quantity += closing * -direction
        if remainder > 0:  # flipped through flat: the rest opens a new position at this price
            self.quantity = remainder * (1 if signed > 0 else -1)
            self.avg_price = fill.price
        elif self.quantity == 0:
            self.avg_price = Decimal(0)


@dataclass
class PnLReport:
    """Realised, unrealised and fees in the base currency, in total and per symbol."""

    base_currency: str
    books: dict[str, SymbolBook] = field(default_factory=dict)
    unrealised_by_symbol: dict[str, Decimal] = field(default_factory=dict)

    @property
    def realised(self) -> Money:
        """Realised PnL (before fees)."""
        return Money(
            sum((b.realised_base for b in self.books.values()), Decimal(0)), self.base_currency
        )

    @property
    def unrealised(self) -> Money:
        """Open positions marked to market."""
        return Money(sum(self.unrealised_by_symbol.values(), Decimal(0)), self.base_currency)

    @property
    def fees(self) -> Money:
        """Commissions paid."""
        return Money(
            sum((b.fees_base for b in self.books.values()), Decimal(0)), self.base_currency
        )

    @property
    def net(self) -> Money:
        """Realised + unrealised - fees."""
        return self.realised + self.unrealised - self.fees

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe report."""
        return {
            "baseCurrency": self.base_currency,
            "realised": str(self.realised.amount),
            "unrealised": str(self.unrealised.amount),
            "fees": str(self.fees.amount),
            "net": str(self.net.amount),
            "symbols": {
                s: {
                    "quantity": str(b.quantity),
                    "avgPrice": str(b.avg_price),
                    "realised": str(b.realised_base),
                    "fees": str(b.fees_base),
                    "unrealised": str(self.unrealised_by_symbol.get(s, Decimal(0))),
                }
                for s, b in sorted(self.books.items())
            },
        }


def session_pnl(
    fills: Iterable[FillRecord],
    base_currency: str,
    marks: Mapping[str, tuple[Decimal, Decimal]] | None = None,
) -> PnLReport:
    """Book ``fills`` in time order; mark open positions at ``marks[symbol] = (price, fx rate)``."""
    report = PnLReport(base_currency)
    for fill in sorted(fills, key=lambda f: f.timestamp):
        report.books.setdefault(fill.symbol, SymbolBook()).apply(fill)
    for symbol, book in report.books.items():
        if book.quantity == 0 or not marks or symbol not in marks:
            continue
        price, rate = marks[symbol]
        report.unrealised_by_symbol[symbol] = (price - book.avg_price) * book.quantity * rate
    return report


def bot_fill_rows(rows: Iterable[Any]) -> list[Any]:
    """``rows`` (``FillRow``s of the bound scope) less the fills that closed a baseline's part
    (``flatten --include-baseline``): holdings that were never the bot's are not its PnL."""
    closing = fills_of_orders_with_reason(FLATTEN_BASELINE_REASON)
    return [row for row in rows if row.id not in closing]


def fill_records_from_rows(rows: Iterable[Any], base_currency: str) -> list[FillRecord]:
    """:class:`FillRecord`s from ``FillRow``s; commissions in another currency than the fill's
    quote currency are converted with the fill's rate only when they share that currency."""
    out = []
    for row in rows:
        rate = row.fx_rate_to_base
        fee = row.commission or Decimal(0)
        quote = row.symbol.split("/")[1]
        if row.commission_currency and row.commission_currency != base_currency:
            fee = fee * rate if rate is not None and row.commission_currency == quote else fee
        out.append(
            FillRecord(row.symbol, row.side, row.amount, row.price, row.timestamp, rate, fee)
        )
    return out


def daily_pnl(ctx: TradingContext) -> Money:
    """Realised PnL minus fees of today's fills (Sydney calendar day), in the base currency."""
    now = ctx.venue.clock.now()
    start = datetime.combine(now.astimezone(TRADING_DAY_TZ).date(), time(0), tzinfo=TRADING_DAY_TZ)
    base = ctx.settings.base_currency
    rows = bot_fill_rows(store.fills_since(start))
    report = session_pnl(fill_records_from_rows(rows, base), base)
    return report.realised - report.fees

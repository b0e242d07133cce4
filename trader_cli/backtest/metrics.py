"""What a backtest measures as it goes, in constant memory, and the trades it made.

:class:`EquityTracker` follows the equity step by step: its peak and the deepest drawdown
from it, the share of steps with a position open (exposure), the equity at the end of each day
(for the Sharpe ratio), and a curve for the plot thinned to at most ``MAX_POINTS`` points, so a
million bars cost no more memory than ten thousand.

:class:`RoundTrips` turns fills into trades as they come: a trade opens when a symbol's
position leaves zero and closes when it is back at zero (a fill that flips a position closes
one trade and opens the next); it keeps totals and the last few trades, not every trade. PnL is
booked as ``trader run`` books it (:class:`~trader_cli.services.pnl.SymbolBook`): each closing
fill realises against the position's average price in the quote currency, converted into the
base currency at that fill's rate (converting each leg at its own rate would book the quote
currency's move against the base as trading PnL: on AUD/USD, nearly all of it).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from trader_cli.domain.models import Side
from trader_cli.services.pnl import FillRecord

MAX_POINTS = 2000  # curve points kept for the plot
TRADING_DAYS = 252  # a year of sessions, to annualise the Sharpe ratio


@dataclass
class EquityTracker:
    """See the module docstring."""

    currency: str
    start: Decimal
    peak: Decimal = Decimal(0)
    max_drawdown: Decimal = Decimal(0)  # the deepest fall from a peak, in the currency
    max_drawdown_pct: Decimal = Decimal(0)  # as a fraction of that peak
    last: Decimal = Decimal(0)
    steps: int = 0
    exposed_steps: int = 0
    daily: list[Decimal] = field(default_factory=list)  # equity at each day's last step
    curve: list[tuple[datetime, Decimal]] = field(default_factory=list)
    _stride: int = 1
    _day: date | None = None

    def __post_init__(self) -> None:
        self.peak = self.last = self.start

    def record(self, when: datetime, equity: Decimal, exposed: bool) -> None:
        """One step's equity, and whether a position was open through it."""
        self.steps += 1
        self.exposed_steps += exposed
        if equity is not self.last:  # the same as the last step's: no new peak or fall
            if equity > self.peak:
                self.peak = equity
            fall = self.peak - equity
            if fall:
                if fall > self.max_drawdown:
                    self.max_drawdown = fall
                # fall / peak > the deepest so far, without a division at every step
                if self.peak > 0 and fall > self.max_drawdown_pct * self.peak:
                    self.max_drawdown_pct = max(self.max_drawdown_pct, fall / self.peak)
        day = when.date()
        if day != self._day:
            if self._day is not None:
                self.daily.append(self.last)
            self._day = day
        self.last = equity
        if self.steps % self._stride == 0:
            self.curve.append((when, equity))
            if len(self.curve) >= MAX_POINTS:
                self.curve = self.curve[::2]
                self._stride *= 2

    def finish(self, when: datetime | None) -> None:
        """The last step: its equity closes the last day and the curve."""
        if self._day is not None:
            self.daily.append(self.last)
            self._day = None
        if when is not None and (not self.curve or self.curve[-1][0] != when):
            self.curve.append((when, self.last))

    @property
    def exposure(self) -> Decimal:
        """The share of steps with a position open (0 to 1)."""
        return Decimal(self.exposed_steps) / self.steps if self.steps else Decimal(0)

    def sharpe(self) -> float | None:
        """Annualised Sharpe ratio of daily returns (no risk-free rate); None under two days
        or with no variation."""
        values = [self.start, *self.daily]
        returns = [
            float((b - a) / a) for a, b in pairwise(values) if a > 0
        ]
        if len(returns) < 2:
            return None
        mean = sum(returns) / len(returns)
        var = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
        if var <= 0:
            return None
        return mean / math.sqrt(var) * math.sqrt(TRADING_DAYS)


@dataclass
class Trade:
    """One round trip on one symbol; money in the base currency."""

    symbol: str
    side: str  # "long" or "short"
    opened: datetime
    closed: datetime | None = None
    quantity: Decimal = Decimal(0)
    entry: Decimal = Decimal(0)  # average price in the symbol's currency
    exit: Decimal | None = None
    gross: Decimal = Decimal(0)  # realised, base currency, before fees
    fees: Decimal = Decimal(0)  # base currency
    fills: int = 0
    _in: Decimal = Decimal(0)  # quantity and value on the opening side
    _in_value: Decimal = Decimal(0)
    _out: Decimal = Decimal(0)  # and on the closing side
    _out_value: Decimal = Decimal(0)
    _avg: Decimal = Decimal(0)  # the position's average price (quote currency)

    @property
    def net(self) -> Decimal:
        """PnL after fees, in the base currency."""
        return self.gross - self.fees

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return {
            "symbol": self.symbol,
            "side": self.side,
            "opened": _iso(self.opened),
            "closed": None if self.closed is None else _iso(self.closed),
            "quantity": str(self.quantity),
            "entry": str(self.entry),
            "exit": None if self.exit is None else str(self.exit),
            "gross": str(self.gross.quantize(_CENT)),
            "fees": str(self.fees.quantize(_CENT)),
            "net": str(self.net.quantize(_CENT)),
        }


_CENT = Decimal("0.01")


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@dataclass
class Tally:
    """Closed trades of one symbol (or of all), summed."""

    trades: int = 0
    wins: int = 0
    gross: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    won: Decimal = Decimal(0)  # the winners' net
    lost: Decimal = Decimal(0)  # the losers' net, as a positive amount

    def add(self, trade: Trade) -> None:
        """Count one closed trade."""
        self.trades += 1
        self.gross += trade.gross
        self.fees += trade.fees
        if trade.net > 0:
            self.wins += 1
            self.won += trade.net
        else:
            self.lost -= trade.net

    @property
    def net(self) -> Decimal:
        """Net PnL of the trades counted."""
        return self.gross - self.fees


@dataclass
class RoundTrips:
    """Fills in, trades out (see the module docstring): totals per symbol and the last
    ``keep`` trades are kept, not every trade."""

    keep: int = 20
    total: Tally = field(default_factory=Tally)
    per_symbol: dict[str, Tally] = field(default_factory=dict)
    last: deque[Trade] = field(default_factory=deque)
    open: dict[str, Trade] = field(default_factory=dict)
    fees: Decimal = Decimal(0)  # every fee, open trades' included
    _held: dict[str, Decimal] = field(default_factory=dict)

    def add(self, f: FillRecord) -> None:
        """Book one fill (in time order)."""
        rate = f.fx_rate_to_base if f.fx_rate_to_base is not None else Decimal(1)
        buy = f.side is Side.BUY
        qty = self._held.get(f.symbol, Decimal(0))
        left = f.amount
        fee_per_unit = f.commission_base / f.amount if f.amount else Decimal(0)
        self.fees += f.commission_base
        while left > 0:
            trade = self.open.get(f.symbol)
            if trade is None:
                trade = self.open[f.symbol] = Trade(f.symbol, "long" if buy else "short",
                                                    f.timestamp)
            opening = qty == 0 or (qty > 0) == buy
            part = left if opening else min(left, abs(qty))
            value = part * f.price
            trade.fills += 1
            trade.fees += fee_per_unit * part
            if opening:
                held = abs(qty)
                trade._avg = (held * trade._avg + value) / (held + part)
                trade.quantity += part
                trade._in += part
                trade._in_value += value
                trade.entry = trade._in_value / trade._in
            else:
                # a long sells (a short buys back) above its average: realised at this rate
                trade.gross += (f.price - trade._avg) * part * (-1 if buy else 1) * rate
                trade._out += part
                trade._out_value += value
                trade.exit = trade._out_value / trade._out
            qty += part if buy else -part
            left -= part
            if qty == 0:
                trade.closed = f.timestamp
                del self.open[f.symbol]
                self.total.add(trade)
                self.per_symbol.setdefault(f.symbol, Tally()).add(trade)
                self.last.append(trade)
                if len(self.last) > self.keep:
                    self.last.popleft()
        self._held[f.symbol] = qty

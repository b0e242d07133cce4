"""What ``trader status`` and the dashboard show, as plain data: no ib_async or ccxt objects.

Amounts are :class:`~trader_cli.domain.money.Money` (or ``Decimal`` with the currency beside
them), times are UTC-aware. :meth:`StatusReport.to_dict` is the ``--json`` document: exact decimal
strings at the precision the venue has (:mod:`trader_cli.domain.display`), camelCase keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_cli.domain import display
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import Symbol, parse_symbol


def symbol_or_none(text: str) -> Symbol | None:
    """``text`` as a symbol, or None for one we do not know (a position in a contract the
    venue holds but we do not trade): shown as it is, never a crash."""
    from trader_cli.errors import SymbolError

    try:
        return parse_symbol(text)
    except (SymbolError, ValueError):
        return None


_sym = symbol_or_none


def _money(value: Money | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"amount": display.money_json(value) or "0", "currency": value.currency}


@dataclass(frozen=True, slots=True)
class AccountView:
    """The account's figures in its base currency, and cash per currency."""

    base_currency: str
    net_liquidation: Money | None
    total_cash: Money | None
    available_funds: Money | None = None
    excess_liquidity: Money | None = None
    init_margin: Money | None = None
    maint_margin: Money | None = None
    buying_power: Money | None = None
    cash_by_currency: dict[str, Money] = field(default_factory=dict)

    def figures(self) -> list[tuple[str, Money | None]]:
        """``(label, amount)`` in display order."""
        return [
            ("net liquidation", self.net_liquidation),
            ("total cash", self.total_cash),
            ("available funds", self.available_funds),
            ("excess liquidity", self.excess_liquidity),
            ("initial margin", self.init_margin),
            ("maintenance margin", self.maint_margin),
            ("buying power", self.buying_power),
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe figures."""
        return {
            "baseCurrency": self.base_currency,
            "netLiquidation": _money(self.net_liquidation),
            "totalCash": _money(self.total_cash),
            "availableFunds": _money(self.available_funds),
            "excessLiquidity": _money(self.excess_liquidity),
            "initMargin": _money(self.init_margin),
            "maintMargin": _money(self.maint_margin),
            "buyingPower": _money(self.buying_power),
            "cashByCurrency": {k: _money(v) for k, v in sorted(self.cash_by_currency.items())},
        }


@dataclass(frozen=True, slots=True)
class HoursView:
    """One market the bot trades: open or closed at ``at``, and when that changes."""

    market: str
    symbols: list[str]
    is_open: bool
    note: str
    next_open: datetime | None
    next_close: datetime | None

    @property
    def state(self) -> str:
        """``OPEN`` or ``CLOSED``."""
        return "OPEN" if self.is_open else "CLOSED"

    @property
    def status_text(self) -> str:
        """``OPEN until Mon 16:00 AEDT``, ``CLOSED: Christmas``: the state once, then why."""
        return display.market_status_text(self.is_open, self.note)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "market": self.market,
            "symbols": self.symbols,
            "open": self.is_open,
            "note": self.note,
            "nextOpen": display.time_json(self.next_open),
            "nextClose": display.time_json(self.next_close),
        }


@dataclass(frozen=True, slots=True)
class CircuitView:
    """One dependency's circuit as the bot last persisted it."""

    dependency: str
    state: str  # closed / open / half_open
    failures: int  # consecutive failures
    last_error: str | None
    opened_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "dependency": self.dependency,
            "state": self.state,
            "failures": self.failures,
            "lastError": self.last_error,
            "openedAt": display.time_json(self.opened_at),
        }


@dataclass(frozen=True, slots=True)
class BotView:
    """Whether a bot runs on this scope, and its connectivity and circuits as last persisted."""

    running: bool
    holder: str | None  # "trader run pid 123 on host, since …"
    last_cycle_at: datetime | None  # venue-clock time of the bot's last persisted cycle
    written_at: datetime | None  # wall-clock time it was written
    allows_entries: bool | None
    allows_exits: bool | None
    circuits: list[CircuitView] = field(default_factory=list)
    disconnect: str | None = None  # the venue-disconnect report, if the link was down
    alert: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "running": self.running,
            "holder": self.holder,
            "lastCycleAt": display.time_json(self.last_cycle_at),
            "writtenAt": display.time_json(self.written_at),
            "allowsEntries": self.allows_entries,
            "allowsExits": self.allows_exits,
            "circuits": [c.to_dict() for c in self.circuits],
            "disconnect": self.disconnect,
            "alert": self.alert,
        }


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position of the bot's (the baseline left out), marked where a price is known."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal
    current_price: Decimal | None
    currency: str
    market_value: Money | None
    unrealised: Money | None  # in the instrument's currency
    unrealised_base: Money | None  # in the base currency

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, prices at tick precision."""
        sym = _sym(self.symbol)
        return {
            "symbol": self.symbol,
            "quantity": display.quantity_json(self.quantity, sym),
            "avgPrice": display.price_json(self.avg_price, sym),
            "currentPrice": display.price_json(self.current_price, sym),
            "currency": self.currency,
            "marketValue": _money(self.market_value),
            "unrealised": _money(self.unrealised),
            "unrealisedBase": _money(self.unrealised_base),
        }


@dataclass(frozen=True, slots=True)
class OrderView:
    """A working order of the scope, as the database has it."""

    client_order_id: str
    symbol: str
    side: str
    order_type: str
    amount: Decimal
    filled: Decimal
    price: Decimal | None
    status: str
    created_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        sym = _sym(self.symbol)
        return {
            "clientOrderId": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side,
            "type": self.order_type,
            "amount": display.quantity_json(self.amount, sym),
            "filled": display.quantity_json(self.filled, sym),
            "price": display.price_json(self.price, sym),
            "status": self.status,
            "createdAt": display.time_json(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class PlanView:
    """An open plan: the entry, stop and target the plan monitor carries out."""

    id: int
    symbol: str
    side: str
    size: Decimal
    entry: Decimal | None
    stop: Decimal
    target: Decimal | None
    expiry: datetime | None
    created_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        sym = _sym(self.symbol)
        return {
            "id": self.id,
            "symbol": self.symbol,
            "side": self.side,
            "size": display.quantity_json(self.size, sym),
            "entry": display.price_json(self.entry, sym),
            "stop": display.price_json(self.stop, sym),
            "target": display.price_json(self.target, sym),
            "expiry": display.time_json(self.expiry),
            "createdAt": display.time_json(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class PnLView:
    """Realised and unrealised PnL and fees over a span, in the base currency."""

    span: str  # "today" (Sydney trading day) or "session"
    since: datetime | None
    realised: Money
    unrealised: Money | None
    fees: Money
    net: Money

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "span": self.span,
            "since": display.time_json(self.since),
            "realised": _money(self.realised),
            "unrealised": _money(self.unrealised),
            "fees": _money(self.fees),
            "net": _money(self.net),
        }


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """One point of the equity curve (the bot's equity, baseline left out)."""

    at: datetime
    equity: Money
    cash: Money

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "at": display.time_json(self.at),
            "equity": display.money_json(self.equity),
            "cash": display.money_json(self.cash),
        }


@dataclass(frozen=True, slots=True)
class CommissionView:
    """The estimated commission of a typical order of a symbol, at its last known price."""

    symbol: str
    quantity: Decimal
    price: Decimal
    notional: Money
    commission: Money
    commission_base: Money | None
    price_source: str  # "venue", "recorded", "position"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        sym = _sym(self.symbol)
        return {
            "symbol": self.symbol,
            "quantity": display.quantity_json(self.quantity, sym),
            "price": display.price_json(self.price, sym),
            "priceSource": self.price_source,
            "notional": _money(self.notional),
            "commission": _money(self.commission),
            "commissionBase": _money(self.commission_base),
        }


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A recent decision of the strategy and whether the checks accepted it."""

    at: datetime
    strategy: str
    symbol: str | None
    action: str
    accepted: bool
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "at": display.time_json(self.at),
            "strategy": self.strategy,
            "symbol": self.symbol,
            "action": self.action,
            "accepted": self.accepted,
            "reason": self.reason,
        }


@dataclass
class StatusReport:
    """Everything ``trader status`` shows about one scope (venue, backend, mode, account)."""

    venue: str
    backend: str
    mode: str
    badge: str  # SIMULATED / PAPER / LIVE / REPLAY
    account: str | None  # redacted (DU****123), never the raw id
    base_currency: str
    as_of: datetime  # the venue clock when the report was made
    source: str  # "venue": read live; "database": what the bot last persisted
    stale_reason: str | None = None
    data_as_of: datetime | None = None  # the time the account figures describe
    account_view: AccountView | None = None
    hours: list[HoursView] = field(default_factory=list)
    bot: BotView | None = None
    positions: list[PositionView] = field(default_factory=list)
    orders: list[OrderView] = field(default_factory=list)
    plans: list[PlanView] = field(default_factory=list)
    pnl_today: PnLView | None = None
    pnl_session: PnLView | None = None
    equity_curve: list[EquityPoint] = field(default_factory=list)
    commissions: list[CommissionView] = field(default_factory=list)
    decisions: list[DecisionView] = field(default_factory=list)
    baseline: str | None = None  # paper/sim holdings from before the bot, kept out
    protection: str = ""  # where stops and targets are held
    notes: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """True when the venue could not be reached and the figures come from the database."""
        return self.source != "venue"

    def to_dict(self) -> dict[str, Any]:
        """The ``trader status --json`` document."""
        return {
            "ok": True,
            "venue": self.venue,
            "backend": self.backend,
            "mode": self.mode,
            "badge": self.badge,
            "account": self.account,
            "baseCurrency": self.base_currency,
            "asOf": display.time_json(self.as_of),
            "source": self.source,
            "stale": self.stale,
            "staleReason": self.stale_reason,
            "dataAsOf": display.time_json(self.data_as_of),
            "accountSummary": None if self.account_view is None else self.account_view.to_dict(),
            "hours": [h.to_dict() for h in self.hours],
            "bot": None if self.bot is None else self.bot.to_dict(),
            "positions": [p.to_dict() for p in self.positions],
            "orders": [o.to_dict() for o in self.orders],
            "plans": [p.to_dict() for p in self.plans],
            "pnl": {
                "today": None if self.pnl_today is None else self.pnl_today.to_dict(),
                "session": None if self.pnl_session is None else self.pnl_session.to_dict(),
            },
            "equityCurve": [e.to_dict() for e in self.equity_curve],
            "commissions": [c.to_dict() for c in self.commissions],
            "decisions": [d.to_dict() for d in self.decisions],
            "baseline": self.baseline,
            "protection": self.protection,
            "notes": self.notes,
        }

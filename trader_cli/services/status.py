"""The status service: one scope's account, positions, orders, plans, PnL, hours and circuits.

``trader status`` and the dashboard both call :func:`collect_status`. It connects to the venue
for a bounded moment and reads the account live; when the venue cannot be reached (no Gateway,
a client id in use, the network down) it reads what the bot last persisted instead, and says so
(``source == "database"``, ``stale_reason``). It never sends, cancels or changes an order and
writes nothing: no session row, no baseline, no lock.

Which scope: the command's venue, backend and mode, and the account the venue says it is logged
into. Without the venue, the account of the most recent session in that venue-and-mode database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.db import close_db, store, views
from trader_cli.db.baselines import current_baseline
from trader_cli.db.scope import use_scope
from trader_cli.domain.models import AccountSummary, Position
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Backend, Scope
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.errors import NotConnectedError, TemporaryError, VenueError
from trader_cli.redaction import redact
from trader_cli.services.status_model import (
    AccountView,
    BotView,
    CircuitView,
    CommissionView,
    DecisionView,
    EquityPoint,
    HoursView,
    OrderView,
    PlanView,
    PnLView,
    PositionView,
    StatusReport,
    symbol_or_none,
)

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.baseline import Baseline
    from trader_cli.venues.base import BaseTrader

log = logging.getLogger("trader.status")

#: How long ``trader status`` waits for the venue before it reads the database instead.
CONNECT_TIMEOUT = 5.0
#: How long it waits for one quote it needs (a commission estimate's price).
QUOTE_TIMEOUT = 2.0
#: Typical order sizes for the commission estimates, in the base currency.
TYPICAL_NOTIONALS = (Decimal(1_000), Decimal(10_000))
EQUITY_POINTS = 500
DECISIONS = 20


@dataclass
class _Marks:
    """Prices and FX rates known to this report: symbol -> (price, where from); ccy -> rate."""

    prices: dict[str, tuple[Decimal, str]]
    rates: dict[str, Decimal]  # units of the base currency per unit of the key currency


async def collect_status(
    settings: Settings,
    *,
    connect: bool = True,
    connect_timeout: float = CONNECT_TIMEOUT,
    equity_points: int = EQUITY_POINTS,
    decisions: int = DECISIONS,
) -> StatusReport:
    """The status of the scope ``settings`` names; see the module docstring.

    ``connect=False`` reads the database only. A venue that cannot be reached within
    ``connect_timeout`` gives a report from the database with ``stale_reason`` set; a venue that
    contradicts the settings (``IB_PAPER=true`` on a live account) raises ``SafetyRefused``.
    """
    from trader_cli.services.context import command_scope, open_scoped_database
    from trader_cli.services.venue import check_backend_available

    check_backend_available(settings)
    scope = command_scope(settings)
    open_scoped_database(settings, scope)
    try:
        async with contextlib.AsyncExitStack() as stack:
            venue: BaseTrader | None = None
            why: str | None = "not asked to connect (--offline)"
            if connect:
                venue, why = await _connect(settings, stack, connect_timeout)
            if venue is not None:
                return await _from_venue(settings, scope, venue, equity_points, decisions)
            return _from_database(settings, scope, why or "", equity_points, decisions)
    finally:
        close_db()


async def _connect(
    settings: Settings, stack: contextlib.AsyncExitStack, within: float
) -> tuple[BaseTrader | None, str | None]:
    """The connected venue, or None and why it could not be reached."""
    from trader_cli.services.venue import open_venue

    try:
        async with asyncio.timeout(within):
            venue = await stack.enter_async_context(open_venue(settings))
    except TimeoutError:
        return None, f"{settings.venue_name} did not answer within {within:g}s"
    except (NotConnectedError, TemporaryError, VenueError, OSError) as e:
        return None, getattr(e, "message", None) or str(e) or type(e).__name__
    return venue, None


# -- from the venue ----------------------------------------------------------------------------
async def _from_venue(
    settings: Settings, scope: Scope, venue: BaseTrader, equity_points: int, decisions: int
) -> StatusReport:
    from trader_cli.services.baseline import own_positions
    from trader_cli.services.context import check_account_matches_scope

    account = venue.account or None
    check_account_matches_scope(scope, account)
    scope = scope.with_account(account)
    now = venue.clock.now()
    with use_scope(scope):
        baseline = current_baseline()
        summary = await venue.get_account_summary()
        positions = own_positions(await venue.get_positions(), baseline)
        marks = _Marks({}, {settings.base_currency: Decimal(1)})
        for p in positions:
            if p.current_price is not None:
                marks.prices[p.symbol] = (p.current_price, "position")
        universe = _universe(settings, venue)
        if scope.backend is not Backend.REPLAY:
            # a recording answers only what it recorded: no quotes beyond the positions' own
            await _venue_rates(venue, settings.base_currency, marks, positions, universe)
            await _venue_prices(venue, marks, universe)
        report = _base_report(settings, scope, account, now, "venue", None)
        report.data_as_of = now
        report.account_view = _account_view(summary)
        _fill_common(report, settings, scope, universe, positions, marks, baseline, now,
                     equity_points, decisions)
    return report


def _universe(settings: Settings, venue: BaseTrader | None) -> list[Symbol]:
    """The symbols of ``ALLOWED_SYMBOLS`` this venue trades (all of them without a venue)."""
    from trader_cli.services.runner import venue_universe

    if venue is None:
        return [s for s in settings.allowed_symbols if _venue_trades(settings, s)]
    try:
        return venue_universe(settings.allowed_symbols, venue)
    except Exception:  # no symbol of this venue: status still shows the account
        return []


def _venue_trades(settings: Settings, symbol: Symbol) -> bool:
    crypto = symbol.instrument_class is InstrumentClass.CRYPTO
    return crypto if settings.venue.value == "gemini" else not crypto


async def _venue_rates(
    venue: BaseTrader,
    base: str,
    marks: _Marks,
    positions: Iterable[Position],
    universe: Iterable[Symbol],
) -> None:
    wanted = {p.currency for p in positions} | {s.quote for s in universe}
    for ccy in sorted(wanted - set(marks.rates)):
        try:
            marks.rates[ccy] = await asyncio.wait_for(venue.fx_rate(ccy, base), QUOTE_TIMEOUT)
        except (TimeoutError, TemporaryError, VenueError) as e:
            log.info("no %s/%s rate for status: %s", ccy, base, e)


async def _venue_prices(venue: BaseTrader, marks: _Marks, universe: Iterable[Symbol]) -> None:
    """A price for each symbol of the universe: one quote each, asked together and bounded by
    ``QUOTE_TIMEOUT`` in all, else the last one recorded."""
    wanted = [s for s in universe if str(s) not in marks.prices]
    recorded = views.last_prices([str(s) for s in wanted])

    async def one(symbol: Symbol) -> Decimal | None:
        try:
            quote = await asyncio.wait_for(venue.get_market_data(symbol), QUOTE_TIMEOUT)
        except (TimeoutError, TemporaryError, VenueError) as e:
            log.info("no quote of %s for status: %s", symbol, e)
            return None
        return quote.price

    prices = await asyncio.gather(*(one(s) for s in wanted))
    for symbol, price in zip(wanted, prices, strict=True):
        key = str(symbol)
        row = recorded.get(key)
        if price is not None:
            marks.prices[key] = (price, "venue")
        elif row is not None and row.price is not None:
            marks.prices[key] = (Decimal(row.price), "recorded")


# -- from the database -------------------------------------------------------------------------
def _from_database(
    settings: Settings, scope: Scope, why: str, equity_points: int, decisions: int
) -> StatusReport:
    from trader_cli.services.hours import venue_now

    now = venue_now(settings)
    known = views.known_scopes(scope.venue, scope.backend.value, scope.mode.value)
    if known:
        scope = known[0]
    report = _base_report(settings, scope, None, now, "database", why)
    if not known:
        report.notes.append(
            f"nothing recorded yet for {scope.label} {scope.venue}: run `trader run` or "
            "`trader resync` once the venue can be reached"
        )
        report.hours = _hours(_universe(settings, None), now)
        return report
    if len(known) > 1:
        report.notes.append(
            f"{len(known)} accounts have state in this database: showing the one used last"
        )
    with use_scope(scope):
        record = views.last_account()
        positions: list[Position] = []
        marks = _Marks({}, {settings.base_currency: Decimal(1)})
        if record is not None:
            report.account = record.account
            report.data_as_of = record.at or record.written_at
            report.account_view = _account_view_from_dict(record.summary, settings.base_currency)
            positions = [_position_from_dict(p) for p in record.positions]
        universe = _universe(settings, None)
        for p in positions:
            if p.current_price is not None:
                marks.prices[p.symbol] = (p.current_price, "position")
        for key, row in views.last_prices([str(s) for s in universe]).items():
            if key not in marks.prices and row.price is not None:
                marks.prices[key] = (row.price, "recorded")
        _rates_from_prices(marks, settings.base_currency)
        if record is None:
            report.notes.append("no account figures recorded yet (a `trader run` records them)")
        _fill_common(report, settings, scope, universe, positions, marks, current_baseline(),
                     now, equity_points, decisions)
    return report


def _rates_from_prices(marks: _Marks, base: str) -> None:
    """FX rates into the base currency from recorded FX prices (AUD/USD gives USD)."""
    for key, (price, _) in marks.prices.items():
        sym = symbol_or_none(key)
        if sym is None or sym.instrument_class is not InstrumentClass.FX or price <= 0:
            continue
        if sym.base == base and sym.quote not in marks.rates:
            marks.rates[sym.quote] = Decimal(1) / price
        elif sym.quote == base and sym.base not in marks.rates:
            marks.rates[sym.base] = price


# -- shared assembly ---------------------------------------------------------------------------
def _base_report(
    settings: Settings, scope: Scope, account: str | None, now: datetime, source: str,
    why: str | None,
) -> StatusReport:
    from trader_cli.redaction import shown_account
    from trader_cli.services.brackets import protection_text
    from trader_cli.venues import declared_capabilities

    return StatusReport(
        venue=scope.venue,
        backend=scope.backend.value,
        mode=scope.mode.value,
        badge=scope.label,
        account=shown_account(scope.venue, account) or None,
        base_currency=settings.base_currency,
        as_of=now,
        source=source,
        stale_reason=None if why is None else redact(why),
        protection=protection_text(settings, declared_capabilities(settings.venue, settings)),
    )


def _fill_common(
    report: StatusReport,
    settings: Settings,
    scope: Scope,
    universe: list[Symbol],
    positions: list[Position],
    marks: _Marks,
    baseline: Baseline | None,
    now: datetime,
    equity_points: int,
    decisions: int,
) -> None:
    """What the database and the calendar tell, the same with or without the venue."""
    base = settings.base_currency
    report.hours = _hours(universe, now)
    report.bot = _bot(scope)
    report.positions = [_position_view(p, marks, base) for p in positions]
    report.orders = [_order_view(r) for r in store.open_orders()]
    report.plans = [_plan_view(p) for p in store.open_plans()]
    report.pnl_today, report.pnl_session = _pnl(settings, marks, now)
    report.equity_curve = [
        EquityPoint(r.timestamp, Money(r.equity, r.currency), Money(r.cash, r.currency))
        for r in views.equity_curve(equity_points)
    ]
    report.commissions = _commissions(settings, universe, marks)
    report.decisions = [
        DecisionView(d.timestamp, d.strategy, d.symbol, d.action, d.accepted,
                     None if d.reason is None else redact(d.reason))
        for d in views.recent_decisions(decisions)
    ]
    if baseline is not None and baseline.holdings:
        report.baseline = baseline.describe()


def _hours(universe: list[Symbol], now: datetime) -> list[HoursView]:
    from trader_cli.hours import market_for, market_hours

    by_market: dict[str, list[Symbol]] = {}
    for s in universe:
        by_market.setdefault(market_for(s.instrument_class).value, []).append(s)
    out = []
    for symbols in by_market.values():
        h = market_hours(symbols[0].instrument_class, now)
        out.append(HoursView(h.market.value, [str(s) for s in symbols], h.is_open, h.note,
                             h.next_open, h.next_close))
    return out


def _bot(scope: Scope) -> BotView:
    from trader_cli.services.locks import running_bot

    holder = running_bot(scope) if scope.account else None
    health = views.last_health()
    status: dict[str, Any] = health.status if health else {}
    circuits = [
        CircuitView(
            dep,
            str(c.get("state", "")),
            int(c.get("consecutiveFailures", 0) or 0),
            _text(c.get("lastError") or c.get("last_error")),
            _parse_time(c.get("openedAt") or c.get("opened_at")),
        )
        for dep, c in sorted((status.get("circuits") or {}).items())
    ]
    disconnect = status.get("venueDisconnect")
    return BotView(
        running=holder is not None,
        holder=holder.describe() if holder else None,
        last_cycle_at=health.at if health else None,
        written_at=health.written_at if health else None,
        allows_entries=status.get("allowsEntries"),
        allows_exits=status.get("allowsExits"),
        circuits=circuits,
        disconnect=_text(disconnect.get("message") or disconnect) if disconnect else None,
        alert=bool(status.get("alert")),
    )


def _text(value: Any) -> str | None:
    """Free text from the database, safe to show (secrets and account ids redacted)."""
    return None if value is None else redact(str(value))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _account_view(summary: AccountSummary) -> AccountView:
    return AccountView(
        base_currency=summary.base_currency,
        net_liquidation=summary.net_liquidation,
        total_cash=summary.total_cash,
        available_funds=summary.available_funds,
        excess_liquidity=summary.excess_liquidity,
        init_margin=summary.init_margin,
        maint_margin=summary.maint_margin,
        buying_power=summary.buying_power,
        cash_by_currency=dict(summary.cash_by_currency),
    )


def _money_of(value: Any) -> Money | None:
    if not isinstance(value, dict) or value.get("amount") is None:
        return None
    return Money(Decimal(str(value["amount"])), str(value["currency"]))


def _account_view_from_dict(data: dict[str, Any], base: str) -> AccountView:
    cash = data.get("cash_by_currency") or {}
    return AccountView(
        base_currency=str(data.get("base_currency") or base),
        net_liquidation=_money_of(data.get("net_liquidation")),
        total_cash=_money_of(data.get("total_cash")),
        available_funds=_money_of(data.get("available_funds")),
        excess_liquidity=_money_of(data.get("excess_liquidity")),
        init_margin=_money_of(data.get("init_margin")),
        maint_margin=_money_of(data.get("maint_margin")),
        buying_power=_money_of(data.get("buying_power")),
        cash_by_currency={k: m for k, v in cash.items() if (m := _money_of(v)) is not None},
    )


def _position_from_dict(data: dict[str, Any]) -> Position:
    price = data.get("current_price")
    return Position(
        symbol=str(data["symbol"]),
        quantity=Decimal(str(data["quantity"])),
        avg_price=Decimal(str(data["avg_price"])),
        current_price=None if price is None else Decimal(str(price)),
        timestamp=datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00")),
        currency=str(data["currency"]),
    )


def _position_view(p: Position, marks: _Marks, base: str) -> PositionView:
    price = p.current_price
    if price is None and p.symbol in marks.prices:
        price = marks.prices[p.symbol][0]
    value = unrealised = unrealised_base = None
    if price is not None:
        value = Money(p.quantity * price, p.currency)
        unrealised = Money((price - p.avg_price) * p.quantity, p.currency)
        rate = marks.rates.get(p.currency)
        if rate is not None:
            unrealised_base = unrealised.convert(rate, base)
    return PositionView(p.symbol, p.quantity, p.avg_price, price, p.currency, value, unrealised,
                        unrealised_base)


def _order_view(row: Any) -> OrderView:
    return OrderView(
        row.client_order_id, row.symbol, row.side.value, row.type.value, row.amount, row.filled,
        row.price if row.price is not None else row.stop_price, row.status.value, row.created_at,
    )


def _plan_view(row: Any) -> PlanView:
    return PlanView(row.id, row.symbol, row.side.value, row.size, row.entry, row.stop,
                    row.target, row.expiry, row.created_at)


def _pnl(settings: Settings, marks: _Marks, now: datetime) -> tuple[PnLView, PnLView | None]:
    """Today's (Sydney trading day) and the last bot session's PnL, in the base currency."""
    from trader_cli.services.pnl import (
        TRADING_DAY_TZ,
        bot_fill_rows,
        fill_records_from_rows,
        session_pnl,
    )

    base = settings.base_currency
    priced = {}
    for key, (price, _) in marks.prices.items():
        sym = symbol_or_none(key)
        if sym is not None and sym.quote in marks.rates:
            priced[key] = (price, marks.rates[sym.quote])
    start = datetime.combine(now.astimezone(TRADING_DAY_TZ).date(), time(0), tzinfo=TRADING_DAY_TZ)
    day = session_pnl(fill_records_from_rows(bot_fill_rows(store.fills_since(start)), base), base)
    today = PnLView("today", start, day.realised, None, day.fees, day.realised - day.fees)
    run = views.last_run_session()
    if run is None:
        return today, None
    rows = bot_fill_rows(store.session_fills(run))
    rep = session_pnl(fill_records_from_rows(rows, base), base, priced)
    session = PnLView("session", run.started_at, rep.realised, rep.unrealised, rep.fees, rep.net)
    return today, session


def _commissions(
    settings: Settings, universe: list[Symbol], marks: _Marks
) -> list[CommissionView]:
    """The estimated commission of typical orders of each symbol, at its last known price."""
    from trader_cli.costs.estimate import commission_estimate
    from trader_cli.services.runner import round_quantity

    base = settings.base_currency
    notionals = sorted({*TYPICAL_NOTIONALS, settings.risk.max_order_value})
    out = []
    for symbol in universe:
        key = str(symbol)
        if key not in marks.prices:
            continue
        price, source = marks.prices[key]
        rate = marks.rates.get(symbol.quote)  # base per unit of the quote currency
        for notional in notionals:
            if symbol.instrument_class is InstrumentClass.FX and symbol.base == base:
                qty = notional  # FX sizes are units of the pair's base currency
            elif rate:
                qty = notional / (price * rate)
            else:
                continue
            qty = round_quantity(qty, symbol)
            if qty <= 0:
                continue
            usd, own = marks.rates.get("USD"), marks.rates.get(symbol.base)
            fee = commission_estimate(
                symbol.instrument_class, qty, price, symbol.quote, settings,
                base_asset=symbol.base,
                usd_per_unit=own / usd if usd and own else None,  # USD per unit of the base
            )
            fee_rate = marks.rates.get(fee.currency)
            out.append(CommissionView(
                key, qty, price, Money(qty * price, symbol.quote), fee.money,
                None if fee_rate is None else fee.money.convert(fee_rate, base), source,
            ))
    return out


__all__ = ["CONNECT_TIMEOUT", "collect_status"]

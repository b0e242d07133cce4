"""The backtest's plans and orders, kept in memory: ``trader run``'s entry path and plan monitor
with the same rules and the same shared functions, minus the database.

``trader run`` records every order before it sends it and reads plans back from the database,
so that a crash or a second process never sends one twice: a backtest has neither, and those
reads would cost more than everything else it does. What decides is shared with the runner
and the monitor, function for function: sizing (:func:`size_plan`), the checks of ``trader
place`` (:func:`preview_order`: risk limits, the price band, quote sanity, spread, hours, the
bracket's prices), the entry refusal and exit rule (:func:`entry_refusal`, :func:`exit_rule`,
:func:`exit_reason`), the bracket's legs (:func:`bracket_legs`) and exits as marketable limits
(:func:`price_order`). ``tests/backtest/test_backtest_matches_trader_run.py`` holds the two
paths to the same trades.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from decimal import Decimal

from trader_cli.backtest.venue import BacktestVenue
from trader_cli.config import Settings
from trader_cli.domain.models import Order, OrderStatus, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec, Protection
from trader_cli.domain.symbols import Symbol
from trader_cli.errors import (
    DataUnavailableError,
    InvalidOrderError,
    TemporaryError,
    TraderError,
)
from trader_cli.risk.killswitch import KillSwitch
from trader_cli.services.brackets import (
    ENTRY,
    STOP,
    TARGET,
    bracket_legs,
    effective_protection,
    leg_id,
    oca_group,
    protective_prices_on_tick,
)
from trader_cli.services.pipeline import price_order
from trader_cli.services.plans import entry_refusal, exit_reason, exit_rule
from trader_cli.services.pnl import (
    TRADING_DAY_TZ,
    FillRecord,
    PnLReport,
    SymbolBook,
    session_pnl,
)
from trader_cli.services.preview import preview_order
from trader_cli.services.runner import size_plan
from trader_cli.strategies.base import TradePlan
from trader_cli.venues.base import BracketRequest, OrderRequest

_NUMBERS = re.compile(r"\d[\d.,]*")
ENTRY_TIMEOUT = timedelta(minutes=5)  # as the plan monitor's: an entry not filled is withdrawn
_LEG = {"entry": ENTRY, "stop": STOP, "target": TARGET}

# ``hours(symbol, now)`` -> (market open, the session's close)
HoursFn = Callable[[Symbol, datetime], tuple[bool, datetime | None]]


@dataclass
class Plan:
    """An open plan (the fields the exit rule reads, as the database's ``Plan`` has them)."""

    id: int
    symbol: Symbol
    side: Side
    size: Decimal
    stop: Decimal | None
    target: Decimal | None
    expiry: datetime | None
    created: datetime
    entry_cid: str
    at_broker: bool
    children: list[str] = field(default_factory=list)  # the bracket's stop and target
    exits: list[str] = field(default_factory=list)  # exits the monitor sent itself


@dataclass
class Outcome:
    """What became of one decision: sent, or refused and why."""

    symbol: str
    sent: bool
    reason: str


class Book:
    """Plans and their orders on a :class:`BacktestVenue`; see the module docstring."""

    def __init__(self, settings: Settings, venue: BacktestVenue, hours: HoursFn) -> None:
        self.settings = settings
        self.venue = venue
        self.hours = hours
        self.open: list[Plan] = []
        self.closed = 0
        self.refused = 0
        self.orders = 0  # orders sent: entries, their stops and targets, the monitor's exits
        self.refusals: dict[str, int] = {}  # reason (its first words) -> how many
        self._ids = itertools.count(1)
        self._cids = itertools.count(1)
        self._today: list[FillRecord] = []
        self._day: datetime | None = None
        self._report: PnLReport | None = None  # the day's fills, booked
        self.broker = effective_protection(settings, venue.capabilities) is Protection.BROKER
        self._cap = Money(settings.risk.max_order_value, settings.base_currency)
        # the account's kill switch is not the simulation's (see engine._unlike_the_account):
        # the checks see a switch that is off and has no file to look for
        self._kill_switch = KillSwitch(path=None, forced=False)

    # -- fills ------------------------------------------------------------------------------
    def fill(self, record: FillRecord) -> None:
        """A new fill, for the day's realised PnL (``MAX_DAILY_LOSS``)."""
        self._today.append(record)
        day = self._report
        if day is not None and self._day is not None and record.timestamp >= self._day:
            day.books.setdefault(record.symbol, SymbolBook()).apply(record)

    def daily_pnl(self, now: datetime) -> Money:
        """Realised PnL less fees of the Sydney day's fills, as ``trader run`` counts it (the
        day's fills booked in order, each as it comes)."""
        local = now.astimezone(TRADING_DAY_TZ)
        start = datetime.combine(local.date(), time(0), tzinfo=TRADING_DAY_TZ)
        if self._day != start or self._report is None:
            self._day = start
            self._today = [f for f in self._today if f.timestamp >= start]
            self._report = session_pnl(self._today, self.settings.base_currency)
        return self._report.realised - self._report.fees

    # -- entries (StrategyRunner.act) -------------------------------------------------------
    async def enter(self, plan: TradePlan, now: datetime) -> Outcome:
        """Size, check and send ``plan``'s entry, as a cycle of ``trader run`` does."""
        venue = self.venue
        if any(p.symbol == plan.symbol for p in self.open):
            return self._refuse(plan, f"an open plan on {plan.symbol} already")
        try:
            bracket = self.broker and (plan.stop is not None or plan.target is not None)
            if bracket:
                tick = (await venue.resolve(plan.symbol)).min_tick
                stop, target = protective_prices_on_tick(
                    plan.symbol, plan.side, plan.stop, plan.target, tick)
                plan = replace(plan, stop=stop or plan.stop, target=target)
            quote = await venue.get_market_data(plan.symbol)
            qty = await size_plan(plan, quote, self._cap, self._to_quote, stop_valued=bracket)
            if qty is None:
                return self._refuse(plan, "size rounds to zero")
            preview = await preview_order(
                venue,
                self.settings,
                plan.symbol,
                plan.side,
                qty,
                OrderSpec.limit(plan.entry) if plan.entry else OrderSpec.market(),
                daily_pnl=self.daily_pnl(now),
                market_orders=False,
                stop=plan.stop if bracket else None,
                target=plan.target if bracket else None,
                kill_switch=self._kill_switch,
            )
            spec = preview.require_spec()
        except (InvalidOrderError, TemporaryError, DataUnavailableError) as e:
            return self._refuse(plan, e.message)  # no bars for it, or for its FX rate
        if not preview.allowed:
            failed = next(c for c in preview.checks if not c.passed)
            return self._refuse(plan, failed.message)
        _, closes_at = self.hours(plan.symbol, now)
        why = entry_refusal(plan, quote, now, closes_at, entry=preview.price)
        if why is not None:
            return self._refuse(plan, why)
        stem = f"bt-{next(self._cids)}"
        row = Plan(next(self._ids), plan.symbol, plan.side, qty, plan.stop, plan.target,
                   plan.expiry, now, stem, bracket)
        try:
            order = await self._send_entry(row, spec, stem, bracket)
        except TraderError as e:
            return self._refuse(plan, str(e))
        if order.status is OrderStatus.REJECTED:
            return self._refuse(plan, f"rejected: {order.info.get('lastError') or 'refused'}")
        self.open.append(row)
        return Outcome(str(plan.symbol), True, plan.rationale)

    async def _send_entry(self, plan: Plan, spec: OrderSpec, stem: str, bracket: bool) -> Order:
        venue = self.venue
        if not bracket:
            plan.entry_cid = stem
            self.orders += 1
            return await venue.place_order(
                OrderRequest(stem, plan.symbol, plan.side, plan.size, spec))
        inst = await venue.resolve(plan.symbol)
        slippage = self.settings.risk.marketable_limit_slippage_bps
        legs = bracket_legs(plan.symbol, plan.side, plan.size, spec, plan.stop, plan.target,
                            inst, slippage)
        requests = [
            OrderRequest(leg_id(stem, _LEG[leg.leg]), plan.symbol, leg.side, leg.quantity,
                         leg.spec)
            for leg in legs
        ]
        plan.entry_cid = requests[0].client_order_id
        plan.children = [r.client_order_id for r in requests[1:]]
        self.orders += len(requests)
        orders = await venue.place_bracket(
            BracketRequest(oca_group(stem), tuple(requests[1:]), requests[0]))
        return orders[0]

    async def _to_quote(self, amount: Money, currency: str) -> Decimal:
        if amount.currency == currency:
            return amount.amount
        rate = await self.venue.fx_rate(currency, amount.currency)  # base per unit of quote
        return amount.amount / rate

    def _refuse(self, plan: TradePlan, why: str) -> Outcome:
        self.refused += 1
        key = _NUMBERS.sub("…", why.split(":")[0])[:80]  # one count per kind of reason
        self.refusals[key] = self.refusals.get(key, 0) + 1
        return Outcome(str(plan.symbol), False, why)

    # -- the plan monitor (PlanMonitor.check) -------------------------------------------
    async def check_all(self, now: datetime) -> None:
        """One pass over the open plans."""
        for plan in list(self.open):
            try:
                await self.check(plan, now)
            except (TemporaryError, InvalidOrderError):
                continue  # as the monitor: deferred to the next step

    def _close(self, plan: Plan) -> None:
        self.open.remove(plan)
        self.closed += 1
        self.venue.forget([plan.entry_cid, *plan.children, *plan.exits])

    async def check(self, plan: Plan, now: datetime) -> None:
        """Advance one plan: settle its entry, exit when a condition is met, close when flat."""
        venue = self.venue
        entry = venue.order_state(plan.entry_cid)
        if entry is None:
            self._close(plan)
            return
        if entry.filled == 0:
            why = None
            if entry.is_active and now - plan.created <= ENTRY_TIMEOUT:
                is_open, closes = self.hours(plan.symbol, now)
                if is_open:
                    why = exit_rule(plan, None, "", now, closes)
                if why is None:
                    return
            if entry.is_active:
                await venue.cancel_order(plan.entry_cid)
                if entry.filled > 0:
                    return
            self._close(plan)
            return
        exits = [o for o in (venue.order_state(c) for c in [*plan.children, *plan.exits]) if o]
        exited = sum((e.filled for e in exits), Decimal(0))
        if exits and exited >= entry.filled:
            for cid in [*plan.children, *plan.exits]:
                if venue.is_working(cid):
                    await venue.cancel_order(cid)
            if entry.is_active:
                await venue.cancel_order(plan.entry_cid)
            self._close(plan)
            return
        is_open, closes = self.hours(plan.symbol, now)
        local_exits = [c for c in plan.exits if venue.order_state(c) is not None]
        if plan.at_broker:
            time_reason = exit_rule(plan, None, "", now, closes) if is_open else None
            if time_reason is None and not local_exits and not (
                is_open and await self._stop_limit_gapped(plan, entry.is_active)
            ):
                return  # the venue holds the stop and the target
        if not is_open:
            return
        quote = await venue.get_market_data(plan.symbol)
        reason = exit_reason(plan, quote, now, closes)
        if reason is None and not local_exits:
            return
        for cid in [*plan.children, *plan.exits]:
            if venue.is_working(cid):
                await venue.cancel_order(cid)
        if entry.is_active:
            await venue.cancel_order(plan.entry_cid)
        exits = [o for o in (venue.order_state(c) for c in [*plan.children, *plan.exits]) if o]
        remaining = entry.filled - sum((e.filled for e in exits), Decimal(0))
        if remaining <= 0:
            return
        held = venue.held(plan.symbol, plan.side)
        if held <= 0:
            self._close(plan)
            return
        remaining = min(remaining, held)
        side = plan.side.opposite
        priced = await price_order(
            venue, plan.symbol, side, OrderSpec.market(),
            self.settings.risk.marketable_limit_slippage_bps, quote=quote, market_orders=False,
        )
        cid = f"{plan.entry_cid}-X{len(plan.exits) + 1}"
        plan.exits.append(cid)
        self.orders += 1
        await venue.place_order(OrderRequest(cid, plan.symbol, side, remaining,
                                             priced.require_spec()))

    async def _stop_limit_gapped(self, plan: Plan, entry_working: bool) -> bool:
        """A stop-limit child triggered with the touch beyond its limit rests unfilled: the
        monitor exits itself, as for a local plan (the monitor's rule)."""
        limits = self.venue.stop_limit_prices(plan.children)
        if not limits or entry_working:
            return False
        quote = await self.venue.get_market_data(plan.symbol)
        if plan.side is Side.BUY:
            return quote.bid is not None and quote.bid < max(limits)
        return quote.ask is not None and quote.ask > min(limits)

    def clock_due(self, now: datetime) -> bool:
        """Whether the clock alone asks the monitor to act: an expiry passed, the pre-close
        buffer reached, or an entry still working (it is withdrawn after a while)."""
        from trader_cli.services.plans import CLOSE_BUFFER

        for plan in self.open:
            if plan.expiry is not None and now >= plan.expiry:
                return True
            is_open, closes = self.hours(plan.symbol, now)
            if is_open and closes is not None and closes - now <= CLOSE_BUFFER:
                return True
            if self.venue.is_working(plan.entry_cid):
                return True
        return False

    def open_plans_view(self) -> list[dict[str, str]]:
        """The open plans as a strategy's context lists them."""
        return [{"symbol": str(p.symbol), "side": p.side.value, "stop": str(p.stop)}
                for p in self.open]

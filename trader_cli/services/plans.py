"""PlanMonitor: carries open trade plans to their exit — stop, target, expiry or market close.

Entries and exits go through the order service. Exits are marketable limits bumped through the
touch (``MARKETABLE_LIMIT_SLIPPAGE_BPS``), the same path ``flatten`` uses, because a stop that
must get out should not depend on the contract accepting market orders. An exit that does not
fill within a cycle is cancelled and re-priced on the next one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from trader_cli.db import store
from trader_cli.db.models import OrderRow, Plan, PlanStatus
from trader_cli.domain.display import price_text, quantity_text
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import OrderType, Quote, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import InputError, TemporaryError
from trader_cli.hours import market_hours
from trader_cli.services.baseline import own_positions
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderIntent
from trader_cli.services.pipeline import price_order
from trader_cli.services.protection import PassPositions, at_broker, reconcile_protection

log = logging.getLogger("trader.plans")

# Leave a position this long before its session closes (the exchange's close; for IDEALPRO FX
# the daily 17:00 New York break and the weekend), and send no new entries inside it.
CLOSE_BUFFER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """Something the monitor did to a plan."""

    plan_id: int
    symbol: str
    action: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return {
            "plan": self.plan_id,
            "symbol": self.symbol,
            "action": self.action,
            "detail": self.detail,
        }


class PlanTerms(Protocol):
    """What the exit rule reads of a plan: a stored :class:`Plan` or a strategy's ``TradePlan``."""

    @property
    def symbol(self) -> object: ...  # ``Symbol`` or its text: what its prices are written by
    @property
    def side(self) -> Side: ...
    @property
    def stop(self) -> Decimal | None: ...
    @property
    def target(self) -> Decimal | None: ...
    @property
    def expiry(self) -> datetime | None: ...


def _minutes(span: timedelta) -> int:
    """``span`` in whole minutes, rounded up (1 for anything under a minute)."""
    return max(1, math.ceil(span.total_seconds() / 60))


def exit_rule(
    plan: PlanTerms, mark: Decimal | None, label: str, now: datetime, closes_at: datetime | None
) -> str | None:
    """The one exit rule: stop, target, expiry, then the pre-close buffer; None to stay in.

    ``mark`` is what a long would sell at (or a short buy back at), named by ``label``; with no
    mark only the clock is asked (expiry, the buffer).
    """
    long = plan.side is Side.BUY
    if (
        mark is not None
        and plan.stop is not None
        and ((long and mark <= plan.stop) or (not long and mark >= plan.stop))
    ):
        sym = symbol_of(str(plan.symbol))
        return f"stop {price_text(plan.stop, sym)} hit ({label} {price_text(mark, sym)})"
    if (
        mark is not None
        and plan.target is not None
        and ((long and mark >= plan.target) or (not long and mark <= plan.target))
    ):
        sym = symbol_of(str(plan.symbol))
        return f"target {price_text(plan.target, sym)} reached ({label} {price_text(mark, sym)})"
    if plan.expiry is not None and now >= plan.expiry:
        return f"plan expired at {plan.expiry:%Y-%m-%d %H:%M} UTC"
    if closes_at is not None and closes_at - now <= CLOSE_BUFFER:
        return (
            f"market closes in {_minutes(closes_at - now)} min, "
            f"inside the {_minutes(CLOSE_BUFFER)}-min pre-close buffer"
        )
    return None


def exit_reason(
    plan: PlanTerms, quote: Quote, now: datetime, closes_at: datetime | None
) -> str | None:
    """Why ``plan`` should exit now (stop, target, expiry, market close), or None.

    ``closes_at`` is the close of the session ``now`` is in (``market_hours(...).session_close``;
    None for crypto). A long is marked at the bid, a short at the ask: what getting out would get.
    """
    long = plan.side is Side.BUY
    mark = quote.bid if long else quote.ask
    return exit_rule(plan, mark, "bid" if long else "ask", now, closes_at)


def entry_refusal(
    plan: PlanTerms,
    quote: Quote,
    now: datetime,
    closes_at: datetime | None,
    *,
    entry: Decimal | None = None,
) -> str | None:
    """Why an entry for ``plan`` must not be sent, or None: the monitor would exit it at once.

    The same rule the monitor applies each cycle (:func:`exit_reason`), asked before sending: at
    the current quote (stop already breached, target already reached, plan already expired,
    inside the pre-close buffer), and at the entry price itself (a long whose target is at or
    below what it pays, or whose stop is at or above it). Entering would only buy a round trip
    of commission, and inside the buffer a new one every cycle.
    """
    reason = exit_reason(plan, quote, now, closes_at)
    if reason is None and entry is not None:
        reason = exit_rule(plan, entry, "entry", now, closes_at)
    return None if reason is None else f"{reason}: no new entries"


class PlanMonitor:
    """Checks every open plan once per cycle and acts on it."""

    def __init__(self, ctx: TradingContext, *, entry_timeout: timedelta = timedelta(minutes=5)):
        self.ctx = ctx
        self.entry_timeout = entry_timeout
        self._positions: PassPositions | None = None  # during check_all: shared by its plans

    def open_plans(self) -> list[Plan]:
        """Plans still open, oldest first."""
        return store.open_plans()

    async def check_all(self, *, allow_new_orders: bool = True) -> list[PlanEvent]:
        """One pass over the open plans; exits are allowed even when entries are not."""
        events: list[PlanEvent] = []
        plans = self.open_plans()
        recorded = store.orders_of_plans(plans)  # every plan's orders in one query
        # the venue's positions are read once for the plans of a pass with nothing happening
        # (one plan per symbol: a plan's check moves no other's position); anything a plan's
        # check does, or sees filled, has the next plan read them again
        self._positions = PassPositions(self.ctx)
        try:
            for plan in plans:
                try:
                    event = await self.check(
                        plan, allow_new_orders=allow_new_orders, recorded=recorded.get(plan.id)
                    )
                except (TemporaryError, InputError) as e:
                    # one plan's trouble never stops the others' stops being watched
                    event = PlanEvent(plan.id, plan.symbol, "deferred", e.message)
                if event is not None:
                    events.append(event)
                    self._positions.forget()
        finally:
            self._positions = None
        return events

    async def _refresh(self, cid: str) -> OrderRow | None:
        return await self._refreshed(store.find_order_by_client_id(cid))

    async def _refreshed(self, row: OrderRow | None) -> OrderRow | None:
        """``row`` brought up to date with the venue (a final row stays as it is: final)."""
        if row is not None and not row.status.is_final:
            found = await self.ctx.venue.get_order(row.client_order_id)
            if found is not None:
                return await self.ctx.orders.record_row(found, before=row)
            row = store.find_order_by_client_id(row.client_order_id)
        return row

    @staticmethod
    def _recorded(
        plan: Plan, rows: list[OrderRow] | None = None
    ) -> tuple[OrderRow | None, list[OrderRow]]:
        """``plan``'s entry and its exits (:func:`store.plan_exit_orders`) among ``rows``, its
        orders as just read (else read here, in one query)."""
        rows = store.plan_orders(plan) if rows is None else rows
        cid = plan.entry_client_order_id or ""
        entry = next((r for r in rows if r.client_order_id == cid), None)
        if entry is None and cid:  # an entry recorded without its plan's id
            entry = store.find_order_by_client_id(cid)
        exit_side = plan.side.opposite
        return entry, [r for r in rows if r.side == exit_side]

    def _forget_if_moved(self, before: OrderRow | None, after: OrderRow | None) -> None:
        """A refresh that found an order changed (a fill, a cancel): positions are read again."""
        if self._positions is not None and (
            before is None or after is None
            or (before.status, before.filled) != (after.status, after.filled)
        ):  # fmt: skip
            self._positions.forget()

    async def _held(self, plan: Plan) -> Decimal:
        """What the bot holds on ``plan``'s side of its symbol (0 when flat or the other way):
        the venue's position less the baseline, so an exit never sells the baseline."""
        positions = own_positions(await self.ctx.venue.get_positions(), self.ctx.baseline)
        qty = sum((p.quantity for p in positions if p.symbol == plan.symbol), Decimal(0))
        return max(qty, Decimal(0)) if plan.side is Side.BUY else max(-qty, Decimal(0))

    async def _exits(self, plan: Plan, rows: list[OrderRow] | None = None) -> list[OrderRow]:
        """``plan``'s exits brought up to date with the venue (``rows``: as just read)."""
        rows = store.plan_exit_orders(plan) if rows is None else rows
        return [r for r in [await self._refreshed(row) for row in rows] if r]

    async def _stop_limit_gapped(
        self, plan: Plan, entry: OrderRow, exits: list[OrderRow]
    ) -> bool:
        """Whether the market has gapped through a working stop-limit child: triggered, with
        the touch beyond its limit, it rests unfilled and the position is unprotected. The
        monitor then exits itself, as for a local plan (its stop is hit)."""
        limits = [
            e.price for e in exits
            if e.oca_group is not None and e.type is OrderType.STOP_LIMIT
            and e.price is not None and not e.status.is_final
        ]
        if not limits or not entry.status.is_final:
            return False
        quote = await self.ctx.venue.get_market_data(parse_symbol(plan.symbol))
        if plan.side is Side.BUY:
            return quote.bid is not None and quote.bid < max(limits)
        return quote.ask is not None and quote.ask > min(limits)

    async def check(
        self,
        plan: Plan,
        *,
        allow_new_orders: bool = True,
        recorded: list[OrderRow] | None = None,
    ) -> PlanEvent | None:
        """Advance one plan: settle its entry, exit when a condition is met, close when flat.

        ``recorded``: the plan's orders as :meth:`check_all` just read them (else read here).
        """
        del allow_new_orders  # exits are always allowed; kept for symmetry with entries
        orders = self.ctx.orders
        venue = self.ctx.venue
        now = venue.clock.now()
        entry_row, exit_rows = self._recorded(plan, recorded)
        entry = await self._refreshed(entry_row)
        self._forget_if_moved(entry_row, entry)
        if entry is None:
            store.close_plan(plan, status=PlanStatus.CANCELLED, at=now)
            return PlanEvent(plan.id, plan.symbol, "cancelled", "entry order missing")
        if entry.filled == 0:
            why = None
            if not entry.status.is_final and now - entry.created_at <= self.entry_timeout:
                # a resting entry the exit rule already rules out (expired, inside the pre-close
                # buffer) would only fill to be exited on the next cycle: withdraw it instead
                hours = market_hours(parse_symbol(plan.symbol).instrument_class, now)
                if hours.is_open:
                    why = exit_rule(plan, None, "", now, hours.session_close)
                if why is None:
                    return None
            if not entry.status.is_final:
                await orders.cancel(entry.client_order_id)
                entry = await self._refresh(entry.client_order_id) or entry
                if entry.filled > 0:  # it filled before the cancel landed: exit it as usual
                    return None
            await self._exits(plan)  # a bracket's children went with their parent: record it
            store.close_plan(plan, status=PlanStatus.CANCELLED, at=now)
            detail = f"entry {entry.status.value} without a fill"
            return PlanEvent(
                plan.id, plan.symbol, "cancelled", detail if why is None else f"{detail}: {why}"
            )
        exits = await self._exits(plan, exit_rows)
        was = {r.client_order_id: r for r in exit_rows}
        for after in exits:
            self._forget_if_moved(was.get(after.client_order_id), after)
        if len(exits) != len(exit_rows):  # a row that vanished: nothing assumed
            self._forget_if_moved(None, None)
        exited = sum((e.filled for e in exits), Decimal(0))
        if exits and exited >= entry.filled:
            for e in exits:  # a child the venue did not cancel with its OCA group
                if not e.status.is_final:
                    await orders.cancel(e.client_order_id)
            if not entry.status.is_final:
                await orders.cancel(entry.client_order_id)
            store.close_plan(plan, status=PlanStatus.CLOSED, at=now)
            shown = quantity_text(exited, symbol_of(plan.symbol))
            return PlanEvent(plan.id, plan.symbol, "closed", f"exited {shown}")
        symbol = parse_symbol(plan.symbol)
        hours = market_hours(symbol.instrument_class, now)
        local_exits = [e for e in exits if e.oca_group is None]
        if at_broker(plan):
            # the venue holds the stop and target: the monitor reconciles them, and exits
            # itself only on the clock (expiry, the close) or to finish an exit it started
            time_reason = (
                exit_rule(plan, None, "", now, hours.session_close) if hours.is_open else None
            )
            if time_reason is None and not local_exits and not (
                hours.is_open and await self._stop_limit_gapped(plan, entry, exits)
            ):
                done = await reconcile_protection(self.ctx, plan, entry, exits, self._positions)
                return None if done is None else PlanEvent(plan.id, plan.symbol, *done)
        if not hours.is_open:
            return None
        quote = await venue.get_market_data(symbol)
        reason = exit_reason(plan, quote, now, hours.session_close)
        if reason is None and not local_exits:
            return None
        for e in exits:
            if not e.status.is_final:  # an exit that did not fill last cycle: re-price it
                await orders.cancel(e.client_order_id)
        if not entry.status.is_final:
            await orders.cancel(entry.client_order_id)  # no more entry fills once exiting
        entry = await self._refresh(entry.client_order_id) or entry
        exits = await self._exits(plan)
        working = [e.client_order_id for e in exits if not e.status.is_final]
        if working:
            # a stop, target or earlier exit whose cancel the venue has not confirmed may still
            # fill: an exit sent beside it could sell the position twice
            return PlanEvent(
                plan.id, plan.symbol, "deferred",
                f"cancel of {', '.join(working)} not confirmed yet: no exit sent beside it",
            )
        exited = sum((e.filled for e in exits), Decimal(0))
        remaining = entry.filled - exited
        if remaining <= 0:
            return None
        # exits only ever reduce: never more than the venue still holds on the plan's side, so a
        # position closed outside the plan (trader flatten, a manual order) is never re-opened
        # the other way
        held = await self._held(plan)
        if held <= 0:
            store.close_plan(plan, status=PlanStatus.CLOSED, at=now)
            why = "no position left at the venue to exit: it was closed outside this plan"
            store.record_decision(
                strategy="plan-monitor", action="close", accepted=True, symbol=plan.symbol,
                reason=why, session=self.ctx.session, payload={"plan": plan.id}, at=now,
            )
            return PlanEvent(plan.id, plan.symbol, "closed", why)
        remaining = min(remaining, held)
        reason = reason or "re-pricing the exit"
        side = plan.side.opposite
        priced = await price_order(
            venue,
            symbol,
            side,
            OrderSpec.market(),
            self.ctx.settings.risk.marketable_limit_slippage_bps,
            quote=quote,
            market_orders=False,  # a marketable limit: getting out never depends on MKT
        )
        spec = priced.require_spec()
        price = spec.limit_price
        order = await orders.submit(
            OrderIntent.of(
                symbol, side, remaining, spec, reason=f"{exit_tag(plan.id)} {reason}",
                plan_id=plan.id,
            )
        )
        store.set_plan_exit(plan, order.client_order_id)
        store.record_decision(
            strategy="plan-monitor",
            action="exit",
            accepted=True,
            symbol=plan.symbol,
            reason=reason,
            session=self.ctx.session,
            payload={"plan": plan.id, "price": str(price), "quantity": str(remaining)},
            at=now,
        )
        shown = f"{quantity_text(remaining, symbol)} @ {price_text(price, symbol)}"
        return PlanEvent(plan.id, plan.symbol, "exit", f"{reason}: {side.value} {shown}")


def exit_tag(plan_id: int) -> str:
    """How an exit's reason text starts (for people reading it; the link is ``orders.plan_id``)."""
    return f"exit plan {plan_id}:"

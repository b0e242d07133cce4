"""The plan monitor's side of broker-held protection: adopt, re-create, cancel, never duplicate.

A plan entered as a bracket (its entry's client order id is a bracket leg, ``<stem>-E``) has its
stop and target at the venue. Each cycle the monitor refreshes them by client order id (a
restarted bot adopts what it finds) and then, once the entry is done:

* the position is flat at the venue → the children left are cancelled and the plan closed;
* a child is missing (cancelled or expired at the venue, or the entry was cancelled after a
  partial fill, which cancels its children) → it is re-created, once, as an OCA group with the
  child still working, or as a new OCA pair; its id (``<stem>-S2``...) is recorded before it is
  sent, so a retry or restart resumes it instead of sending a second one;
* a child working for more than the position still held (part of it closed by hand) → the
  children are cancelled and sent again for what is held: a stop for more would open a
  position the other way;
* a re-created child recorded but never sent (the process died in between) is sent now, if
  what it was recorded for is still held; else it expires unsent and is re-created at the size
  held (nothing, for a flat position).

A child that may have been sent but that the venue does not know stays pending, as any
ambiguous order does: resync settles it, nothing is sent by guess.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from trader_cli.db import store
from trader_cli.db.models import OrderRow, Plan, PlanStatus
from trader_cli.domain.models import Order, OrderStatus, Position, Side
from trader_cli.domain.orders import OrderSpec, Protection
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.services.baseline import own_positions
from trader_cli.services.brackets import (
    ENTRY,
    LEG_NAMES,
    STOP,
    TARGET,
    bracket_legs,
    effective_protection,
    leg_id,
    oca_group,
    parse_leg,
    stop_spec,
    target_spec,
)
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import BracketIntent, OrderIntent

log = logging.getLogger("trader.protection")

# A position that reads flat this soon after its entry's fill was recorded may only be the
# venue's position report lagging its executions: the children are not cancelled on it yet.
FLAT_GRACE = timedelta(seconds=60)


def broker_protects(ctx: TradingContext, stop: Decimal | None, target: Decimal | None) -> bool:
    """Whether an entry with this stop and target goes as a bracket held by the venue."""
    caps = ctx.venue.capabilities
    wanted = effective_protection(ctx.settings, caps) is Protection.BROKER
    return wanted and (stop is not None or target is not None)


async def submit_bracket_entry(
    ctx: TradingContext,
    symbol: Symbol,
    side: Side,
    amount: Decimal,
    entry: OrderSpec,
    stop: Decimal | None,
    target: Decimal | None,
    *,
    stem: str | None = None,
    reason: str | None = None,
    plan_id: int | None = None,
) -> list[Order]:
    """Send ``entry`` with its stop and target children as one bracket (``<stem>-E``, ``-S``,
    ``-T``; the stem is a new client order id unless given); returns the legs, entry first."""
    stem = stem or ctx.orders.next_client_order_id()
    inst = await ctx.venue.resolve(symbol)
    slippage = ctx.settings.risk.marketable_limit_slippage_bps
    legs = bracket_legs(symbol, side, amount, entry, stop, target, inst, slippage)
    codes = {"entry": ENTRY, "stop": STOP, "target": TARGET}
    intents = [
        OrderIntent.of(
            symbol, leg.side, leg.quantity, leg.spec,
            client_order_id=leg_id(stem, codes[leg.leg]),
            reason=reason if leg.leg == "entry" else f"{leg.leg} of {leg_id(stem, ENTRY)}"
            + (f" (plan {plan_id})" if plan_id is not None else ""),
            plan_id=plan_id,
        )
        for leg in legs
    ]
    bracket = BracketIntent(stem, oca_group(stem), tuple(intents[1:]), intents[0])
    return await ctx.orders.submit_bracket(bracket)


def at_broker(plan: Plan) -> bool:
    """Whether ``plan`` was entered as a bracket: its stop and target are held by the venue."""
    leg = parse_leg(plan.entry_client_order_id or "")
    return leg is not None and leg[1] == ENTRY


class PassPositions:
    """The venue's positions for one pass of the plan monitor: read when first asked and shared
    by the plans after it until :meth:`forget` (the pass sent, cancelled or saw a fill since)."""

    def __init__(self, ctx: TradingContext) -> None:
        self.ctx = ctx
        self._read: list[Position] | None = None

    async def get(self) -> list[Position]:
        """The positions as read in this pass (read now if not yet, or forgotten since)."""
        if self._read is None:
            self._read = await self.ctx.venue.get_positions()
        return self._read

    def forget(self) -> None:
        """Something happened that may move a position: the next plan reads them afresh."""
        self._read = None


async def held_on_plan(
    ctx: TradingContext, plan: Plan, positions: PassPositions | None = None
) -> Decimal:
    """What the bot holds on ``plan``'s side of its symbol (0 when flat or the other way),
    the baseline left out (``positions``: as this pass of the monitor read them)."""
    read = await positions.get() if positions else await ctx.venue.get_positions()
    positions_held = own_positions(read, ctx.baseline)
    qty = sum((p.quantity for p in positions_held if p.symbol == plan.symbol), Decimal(0))
    return max(qty, Decimal(0)) if plan.side is Side.BUY else max(-qty, Decimal(0))


def _working(child: OrderRow, children: list[OrderRow]) -> Decimal:
    """What ``child`` may still trade: its amount less the fills of its OCA group (IB reduces
    the others by each fill of one: ocaType 2, with block)."""
    group = sum((c.filled for c in children if c.oca_group == child.oca_group), Decimal(0))
    return child.amount - group


def _kind(row: OrderRow) -> str | None:
    leg = parse_leg(row.client_order_id)
    return None if leg is None else leg[1]


def intent_of_row(row: OrderRow) -> OrderIntent:
    """The intent an order row was recorded as (to resume it exactly)."""
    spec = store.spec_of_row(row)
    return OrderIntent.of(
        parse_symbol(row.symbol), row.side, row.amount, spec, client_order_id=row.client_order_id,
        reason=row.reason, plan_id=row.plan.id if row.plan is not None else None,
    )


async def reconcile_protection(
    ctx: TradingContext,
    plan: Plan,
    entry: OrderRow,
    exits: list[OrderRow],
    positions: PassPositions | None = None,
) -> tuple[str, str] | None:
    """One reconciliation of ``plan``'s children (``exits``, refreshed from the venue);
    returns ``(action, detail)`` for what was done, or None when all is as it should be.
    ``positions``: the venue's positions as the monitor's pass read them."""
    children = [e for e in exits if e.oca_group is not None]
    unsent = [c for c in children if c.submitted_at is None and not c.status.is_final]
    if unsent and entry.filled > 0:
        # recorded for what was held then: if less is held now (closed by hand while the bot
        # was down), sending them would protect what is gone, a stop opening a short. They
        # expire unsent, and what is held is protected afresh below.
        exited = sum((c.filled for c in children), Decimal(0))
        amount = min(entry.filled - exited, await held_on_plan(ctx, plan, positions))
        if any(c.amount > amount for c in unsent):
            now = ctx.venue.clock.now()
            for c in unsent:
                store.update_order(
                    c.client_order_id, status=OrderStatus.EXPIRED, now=now,
                    last_error=f"never sent: recorded for {c.amount}, {amount} held now",
                )
            children = [store.find_order_by_client_id(c.client_order_id) or c for c in children]
            unsent = []
    if unsent:
        groups = sorted({c.oca_group for c in unsent if c.oca_group is not None})
        for group in groups:
            legs = tuple(intent_of_row(c) for c in unsent if c.oca_group == group)
            await ctx.orders.submit_bracket(BracketIntent(group, group, legs))
        names = ", ".join(c.client_order_id for c in unsent)
        return "protect", f"sent {names}: recorded before a restart but never sent"
    if not entry.status.is_final:
        return None  # the venue holds the children with their working parent
    now = ctx.venue.clock.now()
    live = [c for c in children if not c.status.is_final]
    held = await held_on_plan(ctx, plan, positions)
    if held <= 0 and now - entry.updated_at < FLAT_GRACE:
        return None  # the venue's positions may not show a fill this fresh yet: look again
    if held <= 0:
        # a child still pending after its refresh is unknown to the venue (its sending died on
        # the wire): nothing to cancel there yet, and the plan stays open until resync settles
        # it, so that a late arrival is still cancelled rather than left working on a flat
        # position
        unknown = [c for c in live if c.status is OrderStatus.PENDING]
        cancelled = [c for c in live if c.status is not OrderStatus.PENDING]
        for child in cancelled:
            await ctx.orders.cancel(child.client_order_id)
        if unknown:
            names = ", ".join(c.client_order_id for c in unknown)
            done = f": cancelled {', '.join(c.client_order_id for c in cancelled)}"
            return "protect", (
                f"no position left at the venue{done if cancelled else ''}; {names} unknown "
                "to the venue (sending it failed): plan kept open until `trader resync` "
                "settles it"
            )
        store.close_plan(plan, status=PlanStatus.CLOSED, at=now)
        why = "no position left at the venue"
        if live:
            why += f": cancelled {', '.join(c.client_order_id for c in live)}"
        store.record_decision(
            strategy="plan-monitor", action="close", accepted=True, symbol=plan.symbol,
            reason=why, session=ctx.session, payload={"plan": plan.id}, at=now,
        )
        return "closed", why
    exited = sum((c.filled for c in children), Decimal(0))
    amount = min(entry.filled - exited, held)
    oversized = [c for c in live if _working(c, children) > amount]
    if oversized:
        # never protect more than is held (a part closed by hand): a stop for more would open
        # a position the other way. Cancel the group and send it again at the right size.
        for child in live:
            await ctx.orders.cancel(child.client_order_id)
        children = store.plan_protection_orders(plan)
        if any(not c.status.is_final for c in children):
            return "protect", "cancelling oversized children: not confirmed yet"
        live = []
    wanted = {STOP: plan.stop, TARGET: plan.target}
    missing = [
        kind for kind, price in wanted.items()
        if price is not None and not any(_kind(c) == kind for c in live)
    ]
    if not missing:
        return None
    return await _recreate(ctx, plan, entry, children, live, missing, held)


async def _recreate(
    ctx: TradingContext,
    plan: Plan,
    entry: OrderRow,
    children: list[OrderRow],
    live: list[OrderRow],
    missing: list[str],
    held: Decimal,
) -> tuple[str, str]:
    """Send the ``missing`` children for what the plan still holds: into the OCA group of the
    child still working, or as a new OCA pair."""
    leg = parse_leg(entry.client_order_id)
    assert leg is not None  # at_broker(plan)
    stem = leg[0]
    exited = sum((c.filled for c in children), Decimal(0))
    amount = min(entry.filled - exited, held)
    legs = [parse_leg(c.client_order_id) for c in children]
    generation = 1 + max((p[2] for p in legs if p is not None), default=0)
    group = live[0].oca_group if live and live[0].oca_group else oca_group(stem, generation)
    symbol = parse_symbol(plan.symbol)
    inst = await ctx.venue.resolve(symbol)
    exit_side = plan.side.opposite
    slippage = ctx.settings.risk.marketable_limit_slippage_bps
    intents = []
    for kind in missing:
        if kind == STOP and plan.stop is not None:
            spec = stop_spec(symbol, exit_side, plan.stop, inst, slippage)
        elif kind == TARGET and plan.target is not None:
            spec = target_spec(plan.target)
        else:
            continue
        intents.append(OrderIntent.of(
            symbol, exit_side, amount, spec, client_order_id=leg_id(stem, kind, generation),
            reason=f"protect plan {plan.id}: {LEG_NAMES[kind]} re-created", plan_id=plan.id,
        ))
    orders = await ctx.orders.submit_bracket(BracketIntent(group, group, tuple(intents)))
    names = ", ".join(f"{o.client_order_id} ({o.status.value})" for o in orders)
    why = f"re-created the missing {' and '.join(LEG_NAMES[k] for k in missing)} in {group}"
    store.record_decision(
        strategy="plan-monitor", action="protect", accepted=True, symbol=plan.symbol,
        reason=why, session=ctx.session,
        payload={"plan": plan.id, "orders": [o.client_order_id for o in orders],
                 "quantity": str(amount)},
        at=ctx.venue.clock.now(),
    )
    log.info("plan %s: %s: %s", plan.id, why, names)
    return "protect", f"{why}: {names}"

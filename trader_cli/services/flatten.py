"""Close positions — longs and shorts — through the order service, fast and without surprises.

For each position: our working orders on the symbol are cancelled first; then an order for the
whole quantity goes out on the other side. A market order is used only where the contract allows
it and the caller asked for it; otherwise a marketable limit priced through the touch by the
slippage bump. What has not filled after the wait is cancelled and re-priced (a wider bump each
time) up to ``reprice`` times. A closed market or a missing quote is reported, not traded into.

On a paper or sim account the baseline (what the account held before the bot) is kept: each
position is closed down to its baseline part, which the report shows as ``baseline_kept``;
``include_baseline`` closes it too. A baseline sold outside the bot is reported, never bought
back.

Open plans of the command's scope on the symbols flattened are closed first, so a bot running
beside flatten never exits (or re-enters) through them; the caller holds the scope's send lock
(:func:`trader_cli.services.locks.send_lock`) so that this never interleaves with a bot's step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.db import store
from trader_cli.db.models import PlanStatus
from trader_cli.domain.baseline import FLATTEN_BASELINE_REASON, Baseline, PositionSplit
from trader_cli.domain.display import price_json, quantity_json, quantity_text
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import Symbol, parse_symbol
from trader_cli.errors import InvalidOrderError, TemporaryError
from trader_cli.hours import market_hours
from trader_cli.services.baseline import own_splits, release_baseline
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import OrderIntent
from trader_cli.services.pipeline import price_order

if TYPE_CHECKING:
    from trader_cli.domain.models import Position
    from trader_cli.venues.base import Instrument

log = logging.getLogger("trader.flatten")

FLATTEN_REASON = "flatten"


@dataclass
class FlattenLine:
    """What happened to one position."""

    symbol: str
    before: Decimal
    side: Side | None = None
    orders: list[dict[str, str]] = field(default_factory=list)
    filled: Decimal = Decimal(0)
    note: str = ""
    baseline_kept: Decimal = Decimal(0)  # signed, like the position: left in place on purpose

    @property
    def left(self) -> Decimal:
        """Quantity still held (signed, like the position), the baseline kept included."""
        if self.side is None:
            return self.before
        return self.before + self.side.sign * self.filled

    @property
    def unclosed(self) -> Decimal:
        """What flatten meant to close and did not (signed): the quantity left beyond the
        baseline kept."""
        return self.left - self.baseline_kept

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        sym = symbol_of(self.symbol)
        return {
            "symbol": self.symbol,
            "before": quantity_json(self.before, sym),
            "side": self.side.value if self.side else None,
            "orders": self.orders,
            "filled": quantity_json(self.filled, sym),
            "left": quantity_json(self.left, sym),
            "baselineKept": quantity_json(self.baseline_kept, sym),
            "note": self.note,
        }


@dataclass
class FlattenReport:
    """Every position flatten looked at."""

    lines: list[FlattenLine] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    plans_closed: list[int] = field(default_factory=list)
    baseline: Baseline | None = None  # the baseline kept (None: none, or --include-baseline)
    include_baseline: bool = False

    @property
    def remaining(self) -> list[FlattenLine]:
        """Positions not closed as far as asked (the baseline kept is not "remaining")."""
        return [line for line in self.lines if line.unclosed != 0]

    @property
    def kept(self) -> list[FlattenLine]:
        """Positions of which a baseline part was kept."""
        return [line for line in self.lines if line.baseline_kept != 0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe report."""
        return {
            "flat": not self.remaining,
            "cancelled": self.cancelled,
            "plansClosed": self.plans_closed,
            "positions": [line.to_dict() for line in self.lines],
            "includeBaseline": self.include_baseline,
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "baselineKept": {
                line.symbol: quantity_json(line.baseline_kept, symbol_of(line.symbol))
                for line in self.kept
            },
        }


async def flatten(
    ctx: TradingContext,
    symbols: list[Symbol] | None,
    *,
    use_market: bool = False,
    reprice: int = 2,
    wait_seconds: float = 10.0,
    include_baseline: bool = False,
) -> FlattenReport:
    """Close the positions in ``symbols`` (all positions when None) down to the baseline, or
    entirely with ``include_baseline``; see the module docstring."""
    venue = ctx.venue
    baseline = None if include_baseline else ctx.baseline
    wanted = {str(s) for s in symbols} if symbols is not None else None
    for target in symbols or ():
        # a symbol the venue does not trade is bad input (exit 2), before anything is cancelled
        await venue.resolve(target)
    report = FlattenReport(baseline=baseline, include_baseline=include_baseline)
    working = await venue.get_open_orders()
    plans = store.open_plans()
    if wanted is None:
        # everything: a resting entry (a bracket's, with its children) on a symbol not held
        # yet would open a position after flatten reported flat
        touched = {s.symbol for s in _splits(await venue.get_positions(), ctx, include_baseline)}
        touched |= {o.symbol for o in working} | {p.symbol for p in plans}
    else:
        touched = set(wanted)
    now = venue.clock.now()
    for plan in plans:
        if plan.symbol in touched:
            store.close_plan(plan, status=PlanStatus.CLOSED, at=now)
            store.record_decision(
                strategy="flatten", action="close", accepted=True, symbol=plan.symbol,
                reason="closed by trader flatten", session=ctx.session,
                payload={"plan": plan.id}, at=now,
            )
            report.plans_closed.append(plan.id)
    unconfirmed: set[str] = set()
    for order in working:
        if order.symbol in touched:
            if ctx.orders.known(order.client_order_id):
                done = await ctx.orders.cancel(order.client_order_id)
            else:
                done = await venue.cancel_order(order.client_order_id)
            report.cancelled.append(order.client_order_id)
            if not done.status.is_final:
                unconfirmed.add(order.symbol)
    # the positions are read only now that nothing of ours works on them: a stop or target
    # that filled while it was being cancelled has already closed (part of) the position, and
    # selling what was held before would open a position the other way
    splits = [
        s for s in _splits(await venue.get_positions(), ctx, include_baseline)
        if s.symbol in touched
    ]
    held = {s.symbol for s in splits}
    for symbol in sorted((wanted or set()) - held):
        report.lines.append(FlattenLine(symbol, Decimal(0), note="no position"))
    for split in splits:  # sorted by symbol
        if split.symbol in unconfirmed:
            # a stop or target whose cancel the venue has not confirmed may still fill: a
            # close sent beside it could sell the position twice
            report.lines.append(FlattenLine(
                split.symbol, split.venue,
                note="a working order's cancel is not confirmed yet: nothing sent; "
                "run flatten again",
            ))
            continue
        line = await _close(ctx, split, include_baseline, use_market, reprice, wait_seconds)
        report.lines.append(line)
    if include_baseline and ctx.baseline is not None:
        _release(ctx, ctx.baseline, {s.symbol: s for s in splits}, report, wanted)
    return report


def _splits(
    positions: list[Position], ctx: TradingContext, include_baseline: bool
) -> list[PositionSplit]:
    """Every venue position, and a baseline symbol the bot sold all of (its short against it)."""
    return [
        s
        for s in own_splits(positions, ctx.baseline)
        if s.venue != 0 or (s.bot != 0 and not include_baseline)
    ]


def _release(
    ctx: TradingContext,
    baseline: Baseline,
    splits: dict[str, PositionSplit],
    report: FlattenReport,
    wanted: set[str] | None,
) -> None:
    """Store what ``--include-baseline`` left of the baseline (a new generation), so that the
    fills which closed it are never read as a bot short later. What is still held counts as
    baseline first, up to the baseline part held before."""
    left = {line.symbol: line.left for line in report.lines}
    closed: dict[str, Decimal] = {}
    for h in baseline.holdings:
        if wanted is not None and h.symbol not in wanted:
            continue
        split = splits.get(h.symbol)
        part = abs(split.baseline) if split is not None else Decimal(0)
        sign = 1 if h.quantity > 0 else -1
        keep = min(max(left.get(h.symbol, Decimal(0)) * sign, Decimal(0)), part)
        if keep != abs(h.quantity):
            closed[h.symbol] = abs(h.quantity) - keep
    if closed:
        ctx.baseline = release_baseline(baseline, closed, at=ctx.venue.clock.now())


def _kept_note(split: PositionSplit) -> str:
    shown = quantity_text(split.baseline, symbol_of(split.symbol))
    kept = f"baseline {shown} kept (--include-baseline closes it)"
    if split.baseline == 0:
        return split.note
    return f"{kept}; {split.note}" if split.note else kept


async def _close(
    ctx: TradingContext,
    split: PositionSplit,
    include_baseline: bool,
    use_market: bool,
    reprice: int,
    wait_seconds: float,
) -> FlattenLine:
    venue = ctx.venue
    symbol = parse_symbol(split.symbol)
    target = split.venue if include_baseline else split.bot  # signed: what is to be closed
    side = Side.SELL if target > 0 else Side.BUY
    kept = Decimal(0) if include_baseline else split.baseline
    line = FlattenLine(split.symbol, split.venue, side, baseline_kept=kept)
    if target == 0:  # all of it is baseline: nothing of the bot's to close
        line.side = None
        line.note = _kept_note(split)
        return line
    to_close = abs(target)
    hours = market_hours(symbol.instrument_class, venue.clock.now())
    if not hours.is_open:
        line.note = f"market closed: {hours.note}; nothing sent"
        return line
    inst = await venue.resolve(symbol)
    if use_market and not inst.market_orders_allowed:
        line.note = "market orders not allowed for this contract: marketable limit used; "
    # the bot's part first, then the baseline's in orders of their own: their fills are not
    # the bot's trades, so its PnL leaves them out (see services.pnl)
    parts = [(to_close, FLATTEN_REASON)]
    bot_part = abs(split.bot) if split.bot * split.venue > 0 else Decimal(0)
    if include_baseline and 0 < bot_part < to_close:
        parts = [(bot_part, FLATTEN_REASON), (to_close, FLATTEN_BASELINE_REASON)]
    elif include_baseline and split.bot == 0:
        parts = [(to_close, FLATTEN_BASELINE_REASON)]
    for upto, reason in parts:
        if not await _send(ctx, line, inst, upto, reason, use_market, reprice, wait_seconds):
            break
    if line.unclosed != 0 and not line.note:
        left = quantity_text(abs(line.unclosed), symbol_of(line.symbol))
        line.note = f"{left} left after {len(line.orders)} attempt(s)"
    extra = _kept_note(split) if not include_baseline else ""
    if include_baseline and split.baseline != 0:
        extra = f"baseline {quantity_text(split.baseline, symbol_of(split.symbol))} included"
    if extra:
        line.note += f"; {extra}" if line.note else extra
    line.note = line.note.strip().strip(";").strip() or "flat"
    return line


async def _send(
    ctx: TradingContext,
    line: FlattenLine,
    inst: Instrument,
    upto: Decimal,
    reason: str,
    use_market: bool,
    reprice: int,
    wait_seconds: float,
) -> bool:
    """Close ``line`` until ``upto`` has filled, re-pricing up to ``reprice`` times; False when
    it cannot go on (no liquidity, a rejection)."""
    assert line.side is not None  # set by _close for a position to close
    bump = ctx.settings.risk.marketable_limit_slippage_bps
    for attempt in range(reprice + 1):
        remaining = upto - line.filled
        if remaining <= 0:
            break
        try:  # a market order only where asked and allowed, else a wider bump each attempt
            priced = await price_order(
                ctx.venue,
                inst.symbol,
                line.side,
                OrderSpec.market(),
                bump * (attempt + 1),
                instrument=inst,
                market_orders=use_market,
            )
            spec = priced.require_spec()
        except (TemporaryError, InvalidOrderError) as e:
            line.note += f"no liquidity to price against ({e.message}); "
            return False
        price = spec.limit_price
        order = await ctx.orders.submit(
            OrderIntent.of(inst.symbol, line.side, remaining, spec, reason=reason)
        )
        order = await ctx.orders.wait(order.client_order_id, within=wait_seconds)
        if not order.status.is_final:
            order = await ctx.orders.cancel(order.client_order_id)
        line.filled += order.filled
        line.orders.append(
            {
                "clientOrderId": order.client_order_id,
                "type": order.type.value,
                "price": price_json(price, inst.symbol, min_tick=inst.min_tick) or "",
                "status": order.status.value,
                "filled": quantity_json(order.filled, inst.symbol) or "0",
                "reason": reason,
            }
        )
        if order.status is OrderStatus.REJECTED:
            line.note += f"rejected: {(order.info or {}).get('lastError') or 'by the venue'}; "
            return False
    return line.filled >= upto

"""Brackets at the broker: which protection a plan gets, the legs of a bracket and their checks.

A bracket is an entry (the parent) with a stop and a target (its children) in one OCA group, held
by the venue so that they survive our process. Their client order ids share one stem::

    <cid>-E   the entry          <cid>-S   the stop          <cid>-T   the target

A child re-created later (its first one cancelled at the venue, say) is ``<cid>-S2``,
``<cid>-T2``... so every leg ever sent has its own id and a retry never sends one twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.domain.display import price_json, price_text, quantity_json, quantity_text
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import OrderType, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec, Protection, TimeInForce
from trader_cli.domain.ticks import Direction, is_on_tick
from trader_cli.errors import InvalidOrderError
from trader_cli.liquidity import round_price, tick_rule_for
from trader_cli.risk import Category, Check
from trader_cli.risk.checks import money_text
from trader_cli.risk.convert import BPS, Converter

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.domain.symbols import Symbol
    from trader_cli.venues.base import Instrument, VenueCapabilities

ENTRY, STOP, TARGET = "E", "S", "T"
LEG_NAMES = {ENTRY: "entry", STOP: "stop", TARGET: "target"}
_LEG_RE = re.compile(r"^(?P<stem>.+)-(?P<leg>[EST])(?P<gen>[0-9]*)$")
# the children rest until they fill or are cancelled: a position held overnight stays protected
CHILD_TIME_IN_FORCE = TimeInForce.GTC


def effective_protection(settings: Settings, capabilities: VenueCapabilities) -> Protection:
    """``PROTECTION`` as it applies on a venue: broker only where the venue holds brackets."""
    wanted = settings.risk.protection
    if wanted is Protection.BROKER and capabilities.broker_brackets:
        return Protection.BROKER
    return Protection.LOCAL


def protection_text(settings: Settings, capabilities: VenueCapabilities) -> str:
    """Where stops and targets are held on this venue with these settings, in words."""
    name = capabilities.name
    if effective_protection(settings, capabilities) is Protection.BROKER:
        return (
            f"broker: stops and targets are held by {name} as bracket orders (one OCA group), "
            "so they survive trader; `trader run` reconciles them"
        )
    if not capabilities.broker_brackets:
        return (
            f"local: {name} has no stop orders for us, so stops and targets are watched only by "
            "`trader run` (the plan monitor): no protection while it is not running"
        )
    return (
        "local (PROTECTION=local): stops and targets are watched only by `trader run` (the plan "
        "monitor): no protection while it is not running"
    )


def leg_id(stem: str, leg: str, generation: int = 1) -> str:
    """The client order id of one leg: ``<stem>-S``, then ``<stem>-S2`` for a re-created one."""
    return f"{stem}-{leg}" if generation <= 1 else f"{stem}-{leg}{generation}"


def parse_leg(client_order_id: str) -> tuple[str, str, int] | None:
    """``(stem, leg, generation)`` of a bracket leg's id, or None for another id."""
    m = _LEG_RE.match(client_order_id)
    if m is None:
        return None
    return m["stem"], m["leg"], int(m["gen"] or 1)


def oca_group(stem: str, generation: int = 1) -> str:
    """The OCA group of a bracket's children (a re-created pair gets its own)."""
    return f"{stem}-OCA" if generation <= 1 else f"{stem}-OCA{generation}"


def stop_spec(
    symbol: Symbol, exit_side: Side, trigger: Decimal, inst: Instrument, slippage_bps: Decimal
) -> OrderSpec:
    """The stop child: a plain stop where the contract takes one; else a stop limit whose limit
    is ``slippage_bps`` beyond the trigger (on the tick, away from it), so that it still gets
    out once triggered; a contract with neither refuses broker protection."""
    if inst.stop_orders_allowed:
        return OrderSpec.stop(trigger, CHILD_TIME_IN_FORCE)
    if not inst.stop_limit_orders_allowed:
        raise InvalidOrderError(
            f"the venue takes no stop orders for {symbol}: it cannot hold the stop",
            hint="set PROTECTION=local to let trader run watch the stop",
        )
    tick = tick_rule_for(symbol, inst.min_tick)
    bump = trigger * slippage_bps * BPS
    if exit_side is Side.SELL:
        limit = round_price(trigger - bump, tick, Direction.DOWN)
    else:
        limit = round_price(trigger + bump, tick, Direction.UP)
    if limit <= 0:
        raise InvalidOrderError(f"stop {trigger} leaves no room for a stop limit on {symbol}")
    return OrderSpec.stop_limit(trigger, limit, CHILD_TIME_IN_FORCE)


def target_spec(target: Decimal) -> OrderSpec:
    """The target child: a limit at the target, resting until cancelled."""
    return OrderSpec.limit(target, CHILD_TIME_IN_FORCE)


def check_bracket_prices(
    symbol: Symbol,
    side: Side,
    entry: Decimal | None,
    stop: Decimal | None,
    target: Decimal | None,
    min_tick: Decimal | None,
) -> None:
    """Refuse (``InvalidOrderError``, exit 2) a stop or target on the wrong side of the entry,
    or off the price step: a long's stop is below what it pays and its target above, a short's
    the other way round."""
    if stop is None and target is None:
        raise InvalidOrderError("a bracket needs a stop or a target", hint="add --stop or --target")
    tick = tick_rule_for(symbol, min_tick)
    sym = symbol_of(str(symbol))
    for name, price in (("stop", stop), ("target", target)):
        if price is None:
            continue
        if not price.is_finite() or price <= 0:
            raise InvalidOrderError(f"the {name} must be a positive price, got {price}")
        if not is_on_tick(price, tick(price)):
            down = round_price(price, tick, Direction.DOWN)
            up = round_price(price, tick, Direction.UP)
            raise InvalidOrderError(
                f"{name} {price} is not on {symbol}'s price step ({tick(price)} at this price)",
                hint=f"use {down} or {up}",
            )
    if entry is None:
        return
    long = side is Side.BUY
    below, above = ("below", "above") if long else ("above", "below")
    if stop is not None and (stop >= entry if long else stop <= entry):
        raise InvalidOrderError(
            f"a {side.value}'s stop must be {below} its entry {price_text(entry, sym)}; "
            f"got {price_text(stop, sym)}",
            hint=f"give --stop {below} --limit",
        )
    if target is not None and (target <= entry if long else target >= entry):
        raise InvalidOrderError(
            f"a {side.value}'s target must be {above} its entry {price_text(entry, sym)}; "
            f"got {price_text(target, sym)}",
            hint=f"give --target {above} --limit",
        )


def check_stop_against_quote(
    symbol: Symbol, side: Side, stop: Decimal | None, bid: Decimal | None, ask: Decimal | None
) -> None:
    """Refuse (``InvalidOrderError``, exit 2) a stop the market has already passed: a long's
    stop at or above the bid (a sell stop is elected when the bid reaches it), a short's at or
    below the ask. Once the entry filled it would be elected at once and get out at the market:
    a round trip of spread and commission, not protection."""
    if stop is None:
        return
    sym = symbol_of(str(symbol))
    if side is Side.BUY and bid is not None and stop >= bid:
        raise InvalidOrderError(
            f"stop {price_text(stop, sym)} is at or above the bid {price_text(bid, sym)}: it "
            "would sell as soon as the entry fills",
            hint="give --stop below the bid",
        )
    if side is Side.SELL and ask is not None and stop <= ask:
        raise InvalidOrderError(
            f"stop {price_text(stop, sym)} is at or below the ask {price_text(ask, sym)}: it "
            "would buy back as soon as the entry fills",
            hint="give --stop above the ask",
        )


def protective_prices_on_tick(
    symbol: Symbol,
    side: Side,
    stop: Decimal | None,
    target: Decimal | None,
    min_tick: Decimal | None,
) -> tuple[Decimal | None, Decimal | None]:
    """A strategy's stop and target put on the price step, each rounded towards the entry: the
    stop never risks more than planned, the target is never further than planned."""
    tick = tick_rule_for(symbol, min_tick)
    long = side is Side.BUY
    on_stop = None if stop is None else round_price(
        stop, tick, Direction.UP if long else Direction.DOWN)
    on_target = None if target is None else round_price(
        target, tick, Direction.DOWN if long else Direction.UP)
    return on_stop, on_target


async def bracket_checks(
    settings: Settings, symbol: Symbol, quantity: Decimal, stop: Decimal | None,
    converter: Converter,
) -> list[Check]:
    """The risk check a bracket adds to its entry's: the stop valued at its trigger. A stop is a
    market order once triggered, for the whole quantity: it trades at least ``quantity x
    trigger``, which for a short is more than the entry, so that value must be within
    ``MAX_ORDER_VALUE`` too."""
    if stop is None:
        return []
    limit = Money(settings.risk.max_order_value, settings.base_currency)
    at_trigger = await converter.to_base(Money(quantity * stop, symbol.quote))
    within = at_trigger <= limit
    return [
        Check(
            "bracket_stop_value",
            within,
            f"stop valued at its trigger: {money_text(at_trigger)} "
            f"{'within' if within else 'over'} MAX_ORDER_VALUE {money_text(limit)}",
            value=at_trigger,
            limit=limit,
            category=Category.RISK,
        )
    ]


@dataclass(frozen=True, slots=True)
class BracketLeg:
    """One leg as a preview shows it."""

    leg: str  # entry, stop, target
    side: Side
    quantity: Decimal
    spec: OrderSpec

    def to_dict(self, symbol: Symbol, min_tick: Decimal | None) -> dict[str, Any]:
        """JSON-safe fields, prices at the tick."""
        return {
            "leg": self.leg,
            "side": self.side.value,
            "quantity": quantity_json(self.quantity, symbol),
            "type": self.spec.type.value,
            "limitPrice": price_json(self.spec.limit_price, symbol, min_tick=min_tick),
            "stopPrice": price_json(self.spec.stop_price, symbol, min_tick=min_tick),
            "timeInForce": None
            if self.spec.time_in_force is None
            else self.spec.time_in_force.value,
        }

    def describe(self, symbol: Symbol, min_tick: Decimal | None) -> str:
        """``sell 100 stop 44.50 GTC`` for people."""
        sym = symbol_of(str(symbol))
        parts = [self.side.value, quantity_text(self.quantity, sym),
                 self.spec.type.value.replace("_", " ")]
        if self.spec.stop_price is not None:
            parts.append(f"trigger {price_text(self.spec.stop_price, sym, min_tick=min_tick)}")
        if self.spec.limit_price is not None:
            word = "at" if self.spec.stop_price is None else "limit"
            parts.append(f"{word} {price_text(self.spec.limit_price, sym, min_tick=min_tick)}")
        if self.spec.type is OrderType.MARKET:
            parts.append("at the market")
        if self.spec.time_in_force is not None:
            parts.append(self.spec.time_in_force.value)
        return " ".join(parts)


def bracket_legs(
    symbol: Symbol,
    side: Side,
    quantity: Decimal,
    entry: OrderSpec | None,
    stop: Decimal | None,
    target: Decimal | None,
    inst: Instrument,
    slippage_bps: Decimal,
) -> list[BracketLeg]:
    """The legs to send: the entry (when given), then the stop and the target on the exit side."""
    out = [] if entry is None else [BracketLeg("entry", side, quantity, entry)]
    exit_side = side.opposite
    if stop is not None:
        out.append(
            BracketLeg("stop", exit_side, quantity,
                       stop_spec(symbol, exit_side, stop, inst, slippage_bps))
        )
    if target is not None:
        out.append(BracketLeg("target", exit_side, quantity, target_spec(target)))
    return out

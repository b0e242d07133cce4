"""The pre-trade pipeline every order goes through: price, value, check, estimate costs.

Each step is a small function; ``place`` (through :func:`~trader_cli.services.preview.
preview_order`), the bot's entries, the plan monitor's exits and ``flatten`` compose the ones that
apply to them::

    price   resolve the contract, its tick rule; nudge a limit onto the tick, or price a
            marketable limit through the touch where no market order is sent   → Priced
    value   what the order is worth at the price it can execute at              → Valuation
    check   symbol allowed, price band, risk limits, liquidity, market hours    → [Check]
    costs   notional and commission, in the quote and the base currency         → Costs

Exits and flatten only reduce a position: they use the price step and none of the checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trader_cli.costs import commission_estimate
from trader_cli.domain.models import Fee, Liquidity, Order, OrderType, Position, Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import Symbol
from trader_cli.errors import InvalidOrderError, TraderError
from trader_cli.hours import MarketHours
from trader_cli.liquidity import (
    LiquidityLimits,
    is_marketable,
    liquidity_checks,
    marketable_limit_price,
    nudge_limit_price,
    tick_rule_for,
)
from trader_cli.risk import Category, Check, ProposedOrder, RiskManager, RiskVerdict
from trader_cli.risk.convert import Converter
from trader_cli.risk.killswitch import KillSwitch
from trader_cli.risk.valuation import (
    Valuation,
    max_price_deviation_pct,
    price_band_check,
    value_order,
)

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.venues.base import BaseTrader, Instrument


# -- price -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Priced:
    """The price step's answer: the spec to send, and a note on how its price was found.

    ``spec`` is None only when a marketable limit could not be priced (the side to cross is
    empty); ``error`` then says why and :meth:`require_spec` raises it.
    """

    instrument: Instrument
    requested: OrderSpec
    spec: OrderSpec | None
    note: str
    error: str | None = None

    @property
    def order_type(self) -> OrderType:
        """The type the order is recorded as: ``limit`` or ``market``."""
        return OrderType.LIMIT if self.spec is None else self.spec.recorded_type

    @property
    def price(self) -> Decimal | None:
        """The limit price to send (None for a market order, or when none could be found)."""
        return None if self.spec is None else self.spec.limit_price

    def require_spec(self) -> OrderSpec:
        """The spec to send; raises ``InvalidOrderError`` when no price could be found."""
        if self.spec is None:
            raise InvalidOrderError(self.error or self.note)
        return self.spec


def price_spec(
    symbol: Symbol,
    side: Side,
    requested: OrderSpec,
    instrument: Instrument,
    quote: Quote | None,
    slippage_bps: Decimal,
    *,
    market_orders: bool = True,
) -> Priced:
    """Put ``requested`` on the tick: a limit nudged never worse (buy down, sell up); a market
    order kept where the venue takes one and ``market_orders`` allows it, else a marketable
    limit ``slippage_bps`` through the touch of ``quote``. Pure.

    ``market_orders=False`` is the bot's policy: its entries and exits always carry a price.
    A limit price that cannot be put on the tick raises ``InvalidOrderError``.
    """
    tick = tick_rule_for(symbol, instrument.min_tick)
    asked = requested.limit_price
    if asked is not None:
        price = nudge_limit_price(side, asked, tick)
        direction = "down" if side is Side.BUY else "up"
        note = (
            f"{asked} is on the tick"
            if price == asked
            else f"{asked} rounded {direction} to {price} (price step "
            f"{tick(price)}): never worse than asked"
        )
        return Priced(instrument, requested, requested.with_limit(price), note)
    if requested.type is not OrderType.MARKET:  # a stop: its trigger is sent as asked
        return Priced(instrument, requested, requested, f"{requested.type.value} order")
    if market_orders and instrument.market_orders_allowed:
        return Priced(instrument, requested, requested, "market order: valued at the touch")
    if market_orders:
        why = f"{instrument.exchange} takes no market orders for {symbol}: a limit"
    else:
        why = "a marketable limit"
    try:
        if quote is None:
            raise InvalidOrderError(f"no quote for {symbol}: cannot price a marketable limit")
        price = marketable_limit_price(side, quote, tick, slippage_bps)
    except InvalidOrderError as e:
        return Priced(instrument, requested, None, f"no marketable limit: {e.message}", e.message)
    note = f"{why} {slippage_bps} bp through the touch, rounded to the tick to cross"
    spec = OrderSpec.marketable_limit(price, requested.time_in_force)
    return Priced(instrument, requested, spec, note)


async def price_order(
    venue: BaseTrader,
    symbol: Symbol,
    side: Side,
    requested: OrderSpec,
    slippage_bps: Decimal,
    *,
    quote: Quote | None = None,
    instrument: Instrument | None = None,
    market_orders: bool = True,
) -> Priced:
    """:func:`price_spec` on ``venue``: resolves the contract, and fetches the quote only when a
    marketable limit needs one and none was given. A time in force or post-only the venue
    does not declare raises ``InvalidOrderError`` first."""
    venue.capabilities.check_spec(requested)
    inst = instrument or await venue.resolve(symbol)
    needs_quote = requested.type is OrderType.MARKET and not (
        market_orders and inst.market_orders_allowed
    )
    if quote is None and needs_quote:
        quote = await venue.get_market_data(symbol)
    return price_spec(
        symbol, side, requested, inst, quote, slippage_bps, market_orders=market_orders
    )


# -- value -----------------------------------------------------------------------------------
def value(side: Side, priced: Priced, quote: Quote) -> Valuation | None:
    """The order valued at the price it can execute at (:func:`value_order`)."""
    return value_order(side, priced.price, quote)


def marketable(side: Side, priced: Priced, quote: Quote) -> bool:
    """Whether the order trades on arrival (a market order, or a limit through the touch)."""
    if priced.order_type is OrderType.MARKET:
        return True
    return priced.price is not None and is_marketable(side, priced.price, quote)


# -- check -----------------------------------------------------------------------------------
def symbol_check(symbol: Symbol, allowed: Sequence[Symbol]) -> Check:
    """``ALLOWED_SYMBOLS``: the bot trades only what it was told to."""
    ok = symbol in allowed
    message = (
        f"{symbol} is in ALLOWED_SYMBOLS"
        if ok
        else f"{symbol} is not in ALLOWED_SYMBOLS ({', '.join(map(str, allowed))})"
    )
    return Check("ALLOWED_SYMBOLS", ok, message, str(symbol), category=Category.SAFETY)


def band_check(
    valuation: Valuation | None, symbol: Symbol, settings: Settings, *, allow_far_limit: bool
) -> Check:
    """The price band: a limit far from the touch is refused as a likely typo."""
    cls = symbol.instrument_class
    return price_band_check(
        valuation,
        cls,
        max_price_deviation_pct(settings.risk, cls),
        allow_far_limit=allow_far_limit,
    )


async def risk_check(
    settings: Settings,
    symbol: Symbol,
    order: ProposedOrder | None,
    positions: Sequence[Position],
    converter: Converter,
    *,
    daily_pnl: Money | None = None,
    working: Sequence[Order] = (),
    kill_switch: KillSwitch | None = None,
) -> RiskVerdict:
    """Every risk limit on ``order``; with no valuation (``order`` None) a failed ``valuation``.

    ``kill_switch`` replaces the app dir's (a backtest's simulated account has its own)."""
    if order is None:
        why = f"no price to value {symbol} at: the book is empty"
        return RiskVerdict([Check("valuation", False, why)], reducing=False)
    manager = (RiskManager.from_settings(settings) if kill_switch is None
               else RiskManager.from_settings(settings, kill_switch=kill_switch))
    return await manager.check(order, positions, converter, daily_pnl=daily_pnl, working=working)


async def market_checks(
    quote: Quote,
    side: Side,
    symbol: Symbol,
    settings: Settings,
    *,
    now: datetime,
    converter: Converter,
    reducing: bool,
) -> list[Check]:
    """Quote sanity, spread and top of book (:func:`liquidity_checks`)."""
    return await liquidity_checks(
        quote,
        side,
        symbol.instrument_class,
        LiquidityLimits.from_settings(settings.risk),
        now=now,
        converter=converter,
        reducing=reducing,
    )


def hours_check(hours: MarketHours) -> Check:
    """The instrument's market is open on the venue clock."""
    return Check(
        "market_open",
        hours.is_open,
        f"{hours.market.value} {hours.note}",
        "open" if hours.is_open else "closed",
        category=Category.MARKET,
    )


# -- costs -----------------------------------------------------------------------------------
@dataclass(slots=True)
class Costs:
    """The order's notional and estimated commission, in the quote and the base currency."""

    notional: Money | None = None
    notional_base: Money | None = None
    commission: Fee | None = None
    commission_base: Money | None = None
    notes: list[str] = field(default_factory=list)


async def estimate_costs(
    order: ProposedOrder | None,
    settings: Settings,
    converter: Converter,
    *,
    taker: bool,
    usd_per_unit: Callable[[], Awaitable[Decimal | None]] | None = None,
) -> Costs:
    """Notional and commission of ``order`` (nothing without a valuation).

    ``usd_per_unit`` fetches USD per unit of the quote currency where a commission schedule in
    USD needs it (IBKR FX). A commission that cannot be estimated becomes a note, not a failure.
    """
    if order is None:
        return Costs()
    sym = order.symbol
    costs = Costs(order.notional, await converter.to_base(order.notional))
    try:
        costs.commission = commission_estimate(
            sym.instrument_class,
            order.quantity,
            order.price,
            sym.quote,
            settings,
            base_asset=sym.base,
            usd_per_unit=None if usd_per_unit is None else await usd_per_unit(),
            liquidity=Liquidity.TAKER if taker else Liquidity.MAKER,
        )
        costs.commission_base = await converter.to_base(costs.commission.money)
    except (ValueError, TraderError) as e:
        costs.notes.append(f"no commission estimate: {e}")
    return costs

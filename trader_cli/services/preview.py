"""Order preview: everything ``place`` would do before sending, and the market hours view.

:func:`preview_order` is venue-neutral and sends nothing; the order service calls it before a
live order and refuses when ``preview.allowed`` is false (``preview.raise_if_refused()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.domain.baseline import Baseline
from trader_cli.domain.display import price_json, quantity_json, time_json
from trader_cli.domain.display_models import fee_json, money_obj_json, quote_json
from trader_cli.domain.inputs import (
    MAX_PRICE,
    MAX_QUANTITY,
    NumberInputError,
    parse_plain_decimal,
)
from trader_cli.domain.models import Fee, OrderType, Quote, Side, jsonable
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbol
from trader_cli.domain.ticks import Direction
from trader_cli.errors import InvalidOrderError
from trader_cli.hours import MarketHours, market_hours
from trader_cli.liquidity import TickRule, round_price, tick_rule_for
from trader_cli.risk import Category, Check, ProposedOrder, RiskVerdict
from trader_cli.risk.convert import Converter
from trader_cli.risk.killswitch import KillSwitch
from trader_cli.risk.valuation import Valuation
from trader_cli.services.baseline import own_positions
from trader_cli.services.brackets import (
    BracketLeg,
    bracket_checks,
    bracket_legs,
    check_bracket_prices,
    check_stop_against_quote,
)
from trader_cli.services.pipeline import (
    Priced,
    band_check,
    estimate_costs,
    hours_check,
    market_checks,
    marketable,
    price_spec,
    risk_check,
    symbol_check,
    value,
)

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.venues.base import BaseTrader, Instrument


@dataclass(slots=True)
class OrderPreview:
    """What an order would be: its price on the tick, value, cost, and every check."""

    symbol: Symbol
    side: Side
    quantity: Decimal
    order_type: OrderType
    requested_price: Decimal | None
    price: Decimal | None
    price_note: str
    marketable: bool
    quote: Quote
    notional: Money | None
    notional_base: Money | None
    commission: Fee | None
    commission_base: Money | None
    position_before: Decimal
    position_after: Decimal
    market: MarketHours
    verdict: RiskVerdict
    venue: str
    as_of: datetime
    notes: list[str] = field(default_factory=list)
    valuation: Valuation | None = None
    simulated: bool = False
    priced: Priced | None = None
    time_in_force: TimeInForce | None = None  # the spec's, else the venue's default
    post_only: bool = False
    baseline: Baseline | None = None  # kept out of the position and exposure figures
    min_tick: Decimal | None = None  # the venue's price step (what crypto prices are shown at)
    # a bracket's legs (entry, stop, target) when the order carries a stop or target
    legs: list[BracketLeg] = field(default_factory=list)

    @property
    def spec(self) -> OrderSpec | None:
        """The order spec the price step made (None when no price could be found)."""
        return None if self.priced is None else self.priced.spec

    def require_spec(self) -> OrderSpec:
        """The spec to send; raises ``InvalidOrderError`` when no price could be found."""
        if self.priced is None:
            raise InvalidOrderError(f"no order spec for {self.symbol}: it was never priced")
        return self.priced.require_spec()

    @property
    def instrument_class(self) -> InstrumentClass:
        """ASX equity, ETF, FX pair..."""
        return self.symbol.instrument_class

    @property
    def checks(self) -> list[Check]:
        """Every check, in the order made: safety, risk, liquidity, market hours."""
        return self.verdict.checks

    @property
    def allowed(self) -> bool:
        """True when no check refuses the order."""
        return self.verdict.allowed

    @property
    def reducing(self) -> bool:
        """The order only reduces an existing position."""
        return self.verdict.reducing

    @property
    def market_open(self) -> bool:
        """The instrument's market is open on the venue clock."""
        return self.market.is_open

    def raise_if_refused(self) -> None:
        """Raise ``RiskRejected`` (exit 3) naming the first failed check."""
        self.verdict.raise_if_failed()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe preview: prices at the tick, money at its currency's places, times to the
        second (see :mod:`trader_cli.domain.display`)."""
        sym, tick = self.symbol, self.min_tick
        return {
            "ok": self.allowed,
            "dryRun": True,
            "venue": self.venue,
            "simulated": self.simulated,
            "asOf": time_json(self.as_of),
            "symbol": str(sym),
            "instrumentClass": self.instrument_class.value,
            "side": self.side.value,
            "quantity": quantity_json(self.quantity, sym),
            "orderType": self.order_type.value,
            "requestedPrice": price_json(self.requested_price, sym, min_tick=tick),
            "price": price_json(self.price, sym, min_tick=tick),
            "priceNote": self.price_note,
            "timeInForce": jsonable(self.time_in_force),
            "postOnly": self.post_only,
            "marketable": self.marketable,
            "quote": quote_json(self.quote, tick),
            "valuation": None if self.valuation is None else {
                **self.valuation.to_dict(),
                "price": price_json(self.valuation.price, sym, min_tick=tick),
                "reference": price_json(self.valuation.reference, sym, min_tick=tick),
            },
            "notional": money_obj_json(self.notional),
            "notionalBase": money_obj_json(self.notional_base),
            "commission": fee_json(self.commission),
            "commissionBase": money_obj_json(self.commission_base),
            "position": {
                "before": quantity_json(self.position_before, sym),
                "after": quantity_json(self.position_after, sym),
            },
            "reducing": self.reducing,
            "market": {
                "open": self.market_open,
                "market": self.market.market.value,
                "note": self.market.note,
                "nextOpen": time_json(self.market.next_open),
                "nextClose": time_json(self.market.next_close),
            },
            "allowed": self.allowed,
            "checks": [check_json(c) for c in self.checks],
            "notes": list(self.notes),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            **({"bracket": [leg.to_dict(sym, tick) for leg in self.legs]} if self.legs else {}),
        }


def check_json(check: Check) -> dict[str, Any]:
    """A check as JSON, its money figures at two decimals (``5000.00``, not ``5000``)."""
    data = jsonable(check)
    for key in ("value", "limit"):
        value = getattr(check, key)
        if isinstance(value, Money):
            data[key] = money_obj_json(value)
    return dict(data)


def parse_quantity(text: str | Decimal | int, symbol: Symbol) -> Decimal:
    """A positive quantity; whole units for equities. Raises ``InvalidOrderError`` (exit 2).

    Typed text must be plain ASCII digits (no ``2_0``, no Arabic-Indic or fullwidth digits) and
    at most :data:`~trader_cli.domain.inputs.MAX_QUANTITY`.
    """
    qty = _plain(text, name="quantity", example="100, or 25000 for FX", maximum=MAX_QUANTITY)
    if symbol.instrument_class.is_equity and qty != qty.to_integral_value():
        raise InvalidOrderError(
            f"{symbol} trades in whole shares; {qty} is fractional", hint="round the quantity"
        )
    return qty


def parse_price(text: str | Decimal | None) -> Decimal | None:
    """A positive limit price, or None. Raises ``InvalidOrderError`` (exit 2)."""
    if text is None:
        return None
    return _plain(text, name="limit price", example="--limit 45.12", maximum=MAX_PRICE)


def _plain(text: str | Decimal | int, *, name: str, example: str, maximum: Decimal) -> Decimal:
    try:
        return parse_plain_decimal(str(text), name=name, example=example, maximum=maximum)
    except NumberInputError as e:
        raise InvalidOrderError(e.message, hint=e.hint) from None


async def _usd_per_unit(venue: BaseTrader, symbol: Symbol) -> Decimal | None:
    """USD per unit of an FX pair's quote currency, from the venue, where one is needed."""
    if symbol.instrument_class is not InstrumentClass.FX or "USD" in (symbol.base, symbol.quote):
        return None
    return await venue.fx_rate(symbol.quote, "USD")


async def preview_order(
    venue: BaseTrader,
    settings: Settings,
    symbol: Symbol | str,
    side: Side,
    quantity: Decimal,
    spec: OrderSpec,
    *,
    daily_pnl: Money | None = None,
    converter: Converter | None = None,
    allow_far_limit: bool = False,
    market_orders: bool = True,
    exact_price: bool = False,
    baseline: Baseline | None = None,
    stop: Decimal | None = None,
    target: Decimal | None = None,
    kill_switch: KillSwitch | None = None,
) -> OrderPreview:
    """Preview one order on ``venue`` (connected) and send nothing.

    Bad input raises ``InvalidOrderError``/``SymbolError`` (exit 2). Every rule the order could
    break becomes a :class:`Check` on the returned preview instead of an exception: the symbol
    is allowed, the kill switch, ``MAX_ORDER_VALUE``, ``MIN_TRADE_SIZE``, gross exposure, daily
    loss (with ``daily_pnl``), quote sanity, spread, top of book, and the market being open.

    The steps are those of :mod:`trader_cli.services.pipeline`: price (a limit nudged onto the
    tick, never worse; a market order where the venue takes none, or ``market_orders`` is
    False, becomes a marketable limit ``MARKETABLE_LIMIT_SLIPPAGE_BPS`` through the touch),
    value (``max(limit, touch)``; a limit further than ``MAX_PRICE_DEVIATION_PCT_<CLASS>`` from
    the touch is refused unless ``allow_far_limit``), check, and estimate costs.

    ``exact_price`` is for prices a person typed: a limit off the instrument's price step is
    refused (naming the steps either side) instead of nudged. An amount below the venue's
    minimum order size is refused either way.

    With a ``baseline`` (a paper or sim account's holdings from before the bot), positions are
    the bot's own: the baseline counts neither in the position shown nor in gross exposure.

    With a ``stop`` and/or ``target`` the order is a bracket held by the venue (which must
    declare ``broker_brackets``): both must be on the price step and on their side of the
    entry (else ``InvalidOrderError``), the preview lists the legs, and the stop, valued at its
    trigger, is checked against ``MAX_ORDER_VALUE``
    (:func:`~trader_cli.services.brackets.bracket_checks`).

    ``kill_switch`` stands in for the app dir's switch (a backtest's simulated account).
    """
    sym = parse_symbol(symbol) if isinstance(symbol, str) else symbol
    bracket = stop is not None or target is not None
    if bracket and not venue.capabilities.broker_brackets:
        raise InvalidOrderError(
            f"{venue.capabilities.name} holds no stops or targets for us: no bracket orders",
            hint="drop --stop/--target; `trader run` watches a plan's stop and target itself",
        )
    if bracket and spec.time_in_force is TimeInForce.IOC:
        raise InvalidOrderError(
            "a bracket's entry cannot be IOC: a part filled and the rest cancelled would take "
            "its stop and target with it, leaving that part unprotected",
            hint="drop --tif ioc (the entry works for the day)",
        )
    qty = parse_quantity(quantity, sym)
    requested = parse_price(spec.limit_price)
    venue.capabilities.check_spec(spec)
    inst = await venue.resolve(sym)
    check_amount(sym, qty, inst)
    if exact_price and requested is not None:
        require_on_tick(sym, requested, tick_rule_for(sym, inst.min_tick))
    quote = await venue.get_market_data(sym)
    held = await venue.get_positions()
    positions = own_positions(held, baseline)
    working = await venue.get_open_orders(ours_only=False)
    now = venue.clock.now()
    conv = converter or venue
    slippage = settings.risk.marketable_limit_slippage_bps
    priced = price_spec(sym, side, spec, inst, quote, slippage, market_orders=market_orders)
    valuation = value(side, priced, quote)
    taker = marketable(side, priced, quote)
    proposed = None if valuation is None else ProposedOrder.valued(sym, side, qty, valuation)
    verdict = await risk_check(
        settings, sym, proposed, positions, conv, daily_pnl=daily_pnl, working=working,
        kill_switch=kill_switch,
    )
    costs = await estimate_costs(
        proposed, settings, conv, taker=taker, usd_per_unit=lambda: _usd_per_unit(venue, sym)
    )
    checks = [
        symbol_check(sym, settings.allowed_symbols),
        band_check(valuation, sym, settings, allow_far_limit=allow_far_limit),
        *verdict.checks,
        *await market_checks(
            quote, side, sym, settings, now=now, converter=conv, reducing=verdict.reducing
        ),
    ]
    hours = market_hours(sym.instrument_class, now)
    checks.append(hours_check(hours))
    legs: list[BracketLeg] = []
    if bracket and priced.spec is not None:
        check_bracket_prices(sym, side, priced.price, stop, target, inst.min_tick)
        check_stop_against_quote(sym, side, stop, quote.bid, quote.ask)
        legs = bracket_legs(sym, side, qty, priced.spec, stop, target, inst, slippage)
        checks.extend(await bracket_checks(settings, sym, qty, stop, conv))
    notes = [*costs.notes, *_time_in_force_notes(spec, taker, venue)]
    if baseline is not None and baseline.holdings:
        notes.append(baseline.describe())
    before = sum((p.quantity for p in positions if p.symbol == str(sym)), Decimal(0))
    if not venue.capabilities.short_selling:
        # the venue's truth: what the account holds, baseline included, is what may be sold
        on_venue = sum((p.quantity for p in held if p.symbol == str(sym)), Decimal(0))
        # what working sells already hold back cannot be sold again (the venue would refuse)
        selling = sum(
            (o.remaining for o in working if o.symbol == str(sym) and o.side is Side.SELL),
            Decimal(0),
        )
        checks.insert(
            1, no_short_check(sym, side, qty, on_venue - selling, venue.capabilities.name)
        )
    return OrderPreview(
        symbol=sym,
        side=side,
        quantity=qty,
        order_type=priced.order_type,
        requested_price=requested,
        price=priced.price,
        price_note=priced.note,
        marketable=taker,
        quote=quote,
        notional=costs.notional,
        # one valuation: the base-currency value every limit saw (the notional converted plainly
        # only when the order could not be valued for risk)
        notional_base=verdict.order_value or costs.notional_base,
        commission=costs.commission,
        commission_base=costs.commission_base,
        position_before=before,
        position_after=before + qty * side.sign,
        market=hours,
        verdict=RiskVerdict(checks, reducing=verdict.reducing),
        venue=venue.name,
        as_of=now,
        notes=notes,
        valuation=valuation,
        simulated=venue.simulated,
        priced=priced,
        time_in_force=spec.time_in_force or venue.capabilities.default_time_in_force,
        post_only=spec.post_only,
        baseline=baseline,
        min_tick=inst.min_tick,
        legs=legs,
    )


def require_on_tick(symbol: Symbol, price: Decimal, tick: TickRule) -> None:
    """Raise ``InvalidOrderError`` naming the valid prices either side when ``price`` is off the
    price step (a typed price is never moved silently: which way to round is the trader's call).
    """
    if price <= 0:
        raise InvalidOrderError(f"limit price must be positive, got {price}")
    down = round_price(price, tick, Direction.DOWN)
    if down == price:
        return
    up = round_price(price, tick, Direction.UP)
    options = f"{up}" if down <= 0 else f"{down} or {up}"
    raise InvalidOrderError(
        f"limit {price} is not on {symbol}'s price step ({tick(price)} at this price)",
        hint=f"use {options}",
    )


def no_short_check(
    symbol: Symbol, side: Side, qty: Decimal, held: Decimal, venue_name: str
) -> Check:
    """On a venue without short selling (spot crypto), a sell may not exceed what is held
    (``held``: the balance less what working sells already offer)."""
    ok = side is Side.BUY or qty <= held
    message = (
        f"{venue_name} has no short selling: a sell of {qty} reduces the {held} held"
        if ok
        else f"{venue_name} has no short selling: cannot sell {qty} {symbol.base}, "
        f"{held} held and not already offered by a working sell"
    )
    return Check("no_short_selling", ok, message, str(held), category=Category.SAFETY)


def check_amount(symbol: Symbol, qty: Decimal, inst: Instrument) -> None:
    """Refuse (``InvalidOrderError``, exit 2) an amount off the venue's increment or below its
    minimum order size: the venue would refuse it anyway."""
    step = inst.size_increment
    if step > 0 and qty % step != 0:
        nearest = (qty // step) * step
        raise InvalidOrderError(
            f"{symbol} trades in multiples of {step:f}; {qty} is not one",
            hint=f"e.g. {nearest:f}" if nearest > 0 else f"at least {step:f}",
        )
    if inst.min_amount is not None and qty < inst.min_amount:
        raise InvalidOrderError(
            f"{qty} {symbol.base} is below the venue's minimum order size "
            f"{inst.min_amount:f} for {symbol}",
            hint=f"order at least {inst.min_amount:f}",
        )


def _time_in_force_notes(spec: OrderSpec, taker: bool, venue: BaseTrader) -> list[str]:
    """What the time in force will do to this order at today's touch, said before it is sent."""
    caps = venue.capabilities
    tif = spec.time_in_force or caps.default_time_in_force
    if spec.post_only and taker:
        return [
            f"post-only at {spec.limit_price} crosses the touch: {caps.name} will cancel it "
            "at once, unfilled (it may only make, never take)"
        ]
    if tif is TimeInForce.IOC and not taker:
        return [
            f"IOC at {spec.limit_price} does not cross the touch: {caps.name} will cancel it "
            "at once, unfilled"
        ]
    return []


async def place_dry_run(
    settings: Settings,
    symbol: str,
    side: Side,
    quantity: str,
    spec: OrderSpec | None,
    *,
    allow_far_limit: bool = False,
    stop: Decimal | None = None,
    target: Decimal | None = None,
) -> OrderPreview:
    """``trader place --dry-run``: validate input, open the venue, preview, close.

    ``spec`` comes from :func:`~trader_cli.services.place.check_place_input` (None: no price
    was given, which a preview cannot do without). Today's PnL for ``MAX_DAILY_LOSS`` comes from
    the database exactly as ``place`` computes it.
    """
    from trader_cli.domain.orders import no_price_given
    from trader_cli.services.context import trading_context
    from trader_cli.services.pnl import daily_pnl

    sym = parse_symbol(symbol)
    qty = parse_quantity(quantity, sym)
    if spec is None:
        raise no_price_given()
    async with trading_context(settings, with_session=False) as ctx:
        return await preview_order(
            ctx.venue, settings, sym, side, qty, spec, allow_far_limit=allow_far_limit,
            daily_pnl=daily_pnl(ctx), exact_price=True, baseline=ctx.baseline,
            stop=stop, target=target,
        )

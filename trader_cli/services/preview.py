"""Order preview: everything ``place`` would do before sending, and the market hours view.

:func:`preview_order` is venue-neutral and sends nothing; the order service calls it before a
live order and refuses when ``preview.allowed`` is false (``preview.raise_if_refused()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.costs import commission_estimate
from trader_cli.domain.inputs import (
    MAX_PRICE,
    MAX_QUANTITY,
    NumberInputError,
    parse_plain_decimal,
)
from trader_cli.domain.models import Fee, Liquidity, OrderType, Quote, Side, jsonable
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbol
from trader_cli.errors import InvalidOrderError, TraderError
from trader_cli.hours import MarketHours, market_hours
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
from trader_cli.risk.valuation import (
    Valuation,
    max_price_deviation_pct,
    price_band_check,
    value_order,
)

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.venues.base import BaseTrader


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
        """JSON-safe preview (amounts as strings, times ISO UTC)."""
        return {
            "ok": self.allowed,
            "dryRun": True,
            "venue": self.venue,
            "simulated": self.simulated,
            "asOf": jsonable(self.as_of),
            "symbol": str(self.symbol),
            "instrumentClass": self.instrument_class.value,
            "side": self.side.value,
            "quantity": str(self.quantity),
            "orderType": self.order_type.value,
            "requestedPrice": jsonable(self.requested_price),
            "price": jsonable(self.price),
            "priceNote": self.price_note,
            "marketable": self.marketable,
            "quote": self.quote.to_dict(),
            "valuation": None if self.valuation is None else self.valuation.to_dict(),
            "notional": jsonable(self.notional),
            "notionalBase": jsonable(self.notional_base),
            "commission": jsonable(self.commission),
            "commissionBase": jsonable(self.commission_base),
            "position": {"before": str(self.position_before), "after": str(self.position_after)},
            "reducing": self.reducing,
            "market": {
                "open": self.market_open,
                "market": self.market.market.value,
                "note": self.market.note,
                "nextOpen": jsonable(self.market.next_open),
                "nextClose": jsonable(self.market.next_close),
            },
            "allowed": self.allowed,
            "checks": [jsonable(c) for c in self.checks],
            "notes": list(self.notes),
        }


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
    limit_price: Decimal | None,
    market: bool,
    *,
    daily_pnl: Money | None = None,
    converter: Converter | None = None,
    allow_far_limit: bool = False,
) -> OrderPreview:
    """Preview one order on ``venue`` (connected) and send nothing.

    Bad input raises ``InvalidOrderError``/``SymbolError`` (exit 2). Every rule the order could
    break becomes a :class:`Check` on the returned preview instead of an exception: the symbol
    is allowed, the kill switch, ``MAX_ORDER_VALUE``, ``MIN_TRADE_SIZE``, gross exposure, daily
    loss (with ``daily_pnl``), quote sanity, spread, top of book, and the market being open.

    Every risk rule values the order at its executable price (:func:`value_order`:
    ``max(limit, touch)``, the touch for a market order), and a limit further than
    ``MAX_PRICE_DEVIATION_PCT_<CLASS>`` from the touch is refused unless ``allow_far_limit``.

    A limit is nudged onto the tick without ever getting worse (buy down, sell up). A market
    order where the venue takes none becomes a marketable limit ``MARKETABLE_LIMIT_SLIPPAGE_BPS``
    through the touch.
    """
    sym = parse_symbol(symbol) if isinstance(symbol, str) else symbol
    if market and limit_price is not None:
        raise InvalidOrderError("give either --limit PRICE or --market, not both")
    if not market and limit_price is None:
        raise InvalidOrderError(
            "no price given", hint="add --limit PRICE for a limit order, or --market"
        )
    qty = parse_quantity(quantity, sym)
    requested = parse_price(limit_price)
    inst = await venue.resolve(sym)
    if inst.size_increment > 0 and qty % inst.size_increment != 0:
        raise InvalidOrderError(
            f"{sym} trades in multiples of {inst.size_increment}; {qty} is not one"
        )
    quote = await venue.get_market_data(sym)
    positions = await venue.get_positions()
    working = await venue.get_open_orders(ours_only=False)
    now = venue.clock.now()
    conv = converter or venue
    limits = LiquidityLimits.from_settings(settings.risk)
    tick = tick_rule_for(sym, inst.min_tick)
    notes: list[str] = []

    order_type = OrderType.LIMIT
    price: Decimal | None = None
    if requested is not None:
        price = nudge_limit_price(side, requested, tick)
        direction = "down" if side is Side.BUY else "up"
        price_note = (
            f"{requested} is on the tick"
            if price == requested
            else f"{requested} rounded {direction} to {price} (price step "
            f"{tick(price)}): never worse than asked"
        )
    elif inst.market_orders_allowed:
        order_type = OrderType.MARKET
        price_note = "market order: valued at the touch"
    else:
        try:
            price = marketable_limit_price(side, quote, tick, limits.slippage_bps)
            price_note = (
                f"{inst.exchange} takes no market orders for {sym}: a limit "
                f"{limits.slippage_bps} bp through the touch, rounded to the tick to cross"
            )
        except InvalidOrderError as e:
            price_note = f"no marketable limit: {e.message}"
    valuation = value_order(side, price, quote)
    marketable = order_type is OrderType.MARKET or (
        price is not None and is_marketable(side, price, quote)
    )

    sym_text = str(sym)
    before = sum((p.quantity for p in positions if p.symbol == sym_text), Decimal(0))
    after = before + qty * side.sign
    allowed_symbols = settings.allowed_symbols
    checks: list[Check] = [
        Check(
            "ALLOWED_SYMBOLS",
            sym in allowed_symbols,
            f"{sym} is in ALLOWED_SYMBOLS"
            if sym in allowed_symbols
            else f"{sym} is not in ALLOWED_SYMBOLS ({', '.join(map(str, allowed_symbols))})",
            sym_text,
            category=Category.SAFETY,
        ),
        price_band_check(
            valuation,
            sym.instrument_class,
            max_price_deviation_pct(settings.risk, sym.instrument_class),
            allow_far_limit=allow_far_limit,
        ),
    ]
    notional = notional_base = commission_base = None
    commission: Fee | None = None
    if valuation is None:
        verdict = RiskVerdict(reducing=False)
        checks.append(Check("valuation", False, f"no price to value {sym} at: the book is empty"))
    else:
        proposed = ProposedOrder.valued(sym, side, qty, valuation)
        verdict = await RiskManager.from_settings(settings).check(
            proposed, positions, conv, daily_pnl=daily_pnl, working=working
        )
        notional = proposed.notional
        notional_base = verdict.order_value  # one valuation: the value every limit saw
        try:
            commission = commission_estimate(
                sym.instrument_class,
                qty,
                valuation.price,
                sym.quote,
                settings,
                base_asset=sym.base,
                usd_per_unit=await _usd_per_unit(venue, sym),
                liquidity=Liquidity.TAKER if marketable else Liquidity.MAKER,
            )
            commission_base = await conv.to_base(commission.money)
        except (ValueError, TraderError) as e:
            notes.append(f"no commission estimate: {e}")
    checks.extend(verdict.checks)
    checks.extend(
        await liquidity_checks(
            quote,
            side,
            sym.instrument_class,
            limits,
            now=now,
            converter=conv,
            reducing=verdict.reducing,
        )
    )
    hours = market_hours(sym.instrument_class, now)
    checks.append(
        Check(
            "market_open",
            hours.is_open,
            f"{hours.market.value} {hours.note}",
            "open" if hours.is_open else "closed",
            category=Category.MARKET,
        )
    )
    return OrderPreview(
        symbol=sym,
        side=side,
        quantity=qty,
        order_type=order_type,
        requested_price=requested,
        price=price,
        price_note=price_note,
        marketable=marketable,
        quote=quote,
        notional=notional,
        notional_base=notional_base,
        commission=commission,
        commission_base=commission_base,
        position_before=before,
        position_after=after,
        market=hours,
        verdict=RiskVerdict(checks, reducing=verdict.reducing),
        venue=venue.name,
        as_of=now,
        notes=notes,
        valuation=valuation,
        simulated=venue.simulated,
    )


async def place_dry_run(
    settings: Settings,
    symbol: str,
    side: Side,
    quantity: str,
    limit_price: str | None,
    market: bool,
    *,
    allow_far_limit: bool = False,
) -> OrderPreview:
    """``trader place --dry-run``: validate input, open the venue, preview, close.

    Today's PnL for ``MAX_DAILY_LOSS`` comes from the database exactly as ``place`` computes it.
    """
    from trader_cli.services.context import trading_context
    from trader_cli.services.pnl import daily_pnl

    sym = parse_symbol(symbol)
    if market and limit_price is not None:
        raise InvalidOrderError("give either --limit PRICE or --market, not both")
    qty = parse_quantity(quantity, sym)
    price = parse_price(limit_price)
    async with trading_context(settings, with_session=False) as ctx:
        return await preview_order(
            ctx.venue, settings, sym, side, qty, price, market, allow_far_limit=allow_far_limit,
            daily_pnl=daily_pnl(ctx),
        )


def venue_now(settings: Settings) -> datetime:
    """The venue clock without connecting: the sim clock on ``--venue sim``, else wall time."""
    from trader_cli.domain.scope import Backend

    if settings.backend is Backend.SIM:
        from trader_cli.venues.sim.venue import sim_clock

        return sim_clock(settings.sim.clock, settings.sim.speed).now()
    from trader_cli.clock import REAL_CLOCK

    return REAL_CLOCK.now()


def hours_for(settings: Settings, symbol: str, at: datetime | None) -> dict[str, Any]:
    """Market hours of ``symbol`` at ``at`` (default: the venue clock, see :func:`venue_now`)."""
    sym = parse_symbol(symbol)
    when = at if at is not None else venue_now(settings)
    h = market_hours(sym.instrument_class, when)
    return {
        "symbol": str(sym),
        "instrumentClass": sym.instrument_class.value,
        "market": h.market.value,
        "timeZone": h.time_zone,
        "at": h.at,
        "localTime": h.local_time.isoformat(),
        "clock": "given" if at is not None else f"{settings.venue_name} venue clock",
        "open": h.is_open,
        "sessionOpen": h.session_open,
        "sessionClose": h.session_close,
        "nextOpen": h.next_open,
        "nextClose": h.next_close,
        "note": h.note,
    }

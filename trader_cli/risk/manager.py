"""The risk manager: order value, gross exposure, trade size and daily loss in base currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from trader_cli.domain.models import Order, Position, Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass, Symbol, parse_symbol
from trader_cli.risk.checks import Category, Check, RiskVerdict, money_text
from trader_cli.risk.convert import BufferedConverter, Converter
from trader_cli.risk.killswitch import KillSwitch
from trader_cli.risk.valuation import Valuation

if TYPE_CHECKING:
    from trader_cli.config import RiskSettings, Settings

REDUCING_NOTE = "allowed: the order only reduces the position"


@dataclass(frozen=True, slots=True)
class ProposedOrder:
    """An order as risk sees it; ``price`` values it: the executable price from
    :func:`~trader_cli.risk.valuation.value_order` (``max(limit, touch)``), never the bare limit.
    """

    symbol: Symbol
    side: Side
    quantity: Decimal
    price: Decimal

    @classmethod
    def valued(
        cls, symbol: Symbol, side: Side, quantity: Decimal, valuation: Valuation
    ) -> ProposedOrder:
        """The order valued at ``valuation.price`` (see :func:`value_order`)."""
        return cls(symbol, side, quantity, valuation.price)

    @property
    def currency(self) -> str:
        """The currency the price is in (the symbol's quote currency)."""
        return self.symbol.quote

    @property
    def signed_quantity(self) -> Decimal:
        """Change in position: positive for a buy, negative for a sell."""
        return self.quantity * self.side.sign

    @property
    def notional(self) -> Money:
        """``quantity x price`` in the quote currency (always positive)."""
        return Money(abs(self.quantity * self.price), self.currency)


def is_reducing(current: Decimal, side: Side, quantity: Decimal) -> bool:
    """True when the order only shrinks ``|position|`` (never opens, adds to or flips it)."""
    if current == 0 or quantity <= 0:
        return False
    after = current + quantity * side.sign
    return abs(after) < abs(current) and after * current >= 0


def signed_exposure(side: Side, quantity: Decimal, price: Decimal, currency: str) -> Money:
    """Exposure of a new position: long is positive, short is negative."""
    return Money(quantity * price * side.sign, currency)


async def size_for_value(
    value: Money,
    price: Decimal,
    currency: str,
    converter: Converter,
    *,
    increment: Decimal = Decimal(1),
) -> Decimal:
    """Largest quantity (a multiple of ``increment``) whose value stays within ``value``.

    ``value`` is in the base currency; ``price`` in ``currency``. The same size serves a long
    (buy) or a short (sell): exposure is ``+`` or ``-`` that value.
    """
    if price <= 0 or value.amount <= 0:
        return Decimal(0)
    unit = await converter.to_base(Money(price, currency))
    units = (value.amount / unit.amount / increment).to_integral_value(rounding=ROUND_FLOOR)
    return units * increment


async def gross_exposure(
    positions: Sequence[Position],
    converter: Converter,
    *,
    prices: Mapping[str, Decimal] | None = None,
    override: Mapping[str, Decimal] | None = None,
) -> Money | None:
    """Sum of ``|market value|`` of ``positions`` in the base currency (None if none).

    A position is valued at ``prices[symbol]``, else its current price, else its average price.
    ``override`` replaces quantities by symbol (the position after an order).
    """
    total: Money | None = None
    for p in positions:
        qty = (override or {}).get(p.symbol, p.quantity)
        price = (prices or {}).get(p.symbol) or p.current_price or p.avg_price
        value = await converter.to_base(Money(abs(qty * price), p.currency))
        total = value if total is None else total + value
    return total


async def order_value_in_base(order: ProposedOrder, conv: Converter, base: str) -> Money:
    """What ``order`` is worth in the base currency ``base``.

    An FX pair whose base currency is ours (AUD/USD for an AUD account) is worth exactly its
    quantity: no price and no conversion (so no FX buffer) enters it. Anything else is its
    notional at the valuation price, converted.
    """
    sym = order.symbol
    if sym.instrument_class is InstrumentClass.FX and sym.base == base:
        return Money(order.quantity, base)
    return await conv.to_base(order.notional)


def _quantities(positions: Sequence[Position], extra: set[str]) -> dict[str, Decimal]:
    """Net quantity by symbol of ``positions``, with 0 for the symbols in ``extra`` they lack."""
    out: dict[str, Decimal] = dict.fromkeys(extra, Decimal(0))
    for p in positions:
        out[p.symbol] = out.get(p.symbol, Decimal(0)) + p.quantity
    return out


class RiskManager:
    """Applies ``MAX_ORDER_VALUE``, ``MAX_TOTAL_EXPOSURE``, ``MIN_TRADE_SIZE``, ``MAX_DAILY_LOSS``
    and the kill switch to one proposed order.

    Every limit is in ``base_currency``; foreign amounts go through the converter widened by
    ``fx_buffer_bps``. Shorts are negative exposure; the cap is on gross (absolute) exposure.
    An order that only reduces ``|position|`` passes every rule here (the checks say so).
    """

    def __init__(
        self,
        limits: RiskSettings,
        base_currency: str = "AUD",
        *,
        kill_switch: KillSwitch | None = None,
        fx_buffer_bps: Decimal = Decimal(0),
    ) -> None:
        self.limits = limits
        self.base_currency = base_currency
        self.kill_switch = kill_switch or KillSwitch(forced=limits.kill_switch)
        self.fx_buffer_bps = fx_buffer_bps

    @classmethod
    def from_settings(
        cls, settings: Settings, *, kill_switch: KillSwitch | None = None
    ) -> RiskManager:
        """Limits, base currency, kill switch (setting and app-dir file, unless
        ``kill_switch`` is given) and FX buffer."""
        return cls(
            settings.risk,
            settings.base_currency,
            kill_switch=kill_switch or KillSwitch.from_settings(settings),
            fx_buffer_bps=settings.ib.fx_spread_buffer_bps,
        )

    def _money(self, amount: Decimal) -> Money:
        return Money(amount, self.base_currency)

    async def check(
        self,
        order: ProposedOrder,
        positions: Sequence[Position],
        converter: Converter,
        *,
        daily_pnl: Money | None = None,
        prices: Mapping[str, Decimal] | None = None,
        working: Sequence[Order] = (),
    ) -> RiskVerdict:
        """Every risk rule applied to ``order`` given the current ``positions``.

        ``daily_pnl`` is today's realised + unrealised PnL (a loss is negative); without it the
        daily loss rule is reported as not evaluated. ``prices`` values positions by symbol.
        ``working`` are the account's working orders: gross exposure counts them as if they
        all filled the worse way (so an order checked beside another process's working orders
        cannot pass on a position that is already spoken for).
        """
        conv: Converter = BufferedConverter(converter, self.base_currency, self.fx_buffer_bps)
        sym = str(order.symbol)
        current = sum((p.quantity for p in positions if p.symbol == sym), Decimal(0))
        reducing = is_reducing(current, order.side, order.quantity)
        value = await order_value_in_base(order, conv, self.base_currency)
        checks = [
            self._kill_switch(reducing),
            self._order_value(value, reducing),
            self._min_size(value, reducing),
            await self._exposure(order, positions, current, conv, prices, reducing, working),
            await self._daily_loss(daily_pnl, conv, reducing),
        ]
        return RiskVerdict(checks, reducing=reducing, order_value=value)

    def _kill_switch(self, reducing: bool) -> Check:
        reason = self.kill_switch.reason
        if reason is None:
            return Check("KILL_SWITCH", True, "kill switch is off", category=Category.SAFETY)
        message = f"kill switch is engaged ({reason}): only orders that reduce a position may pass"
        if reducing:
            return Check(
                "KILL_SWITCH",
                True,
                f"kill switch is engaged ({reason}); {REDUCING_NOTE}",
                value="engaged",
                category=Category.SAFETY,
                waived=True,
            )
        return Check("KILL_SWITCH", False, message, value="engaged", category=Category.SAFETY)

    def _order_value(self, value: Money, reducing: bool) -> Check:
        limit = self._money(self.limits.max_order_value)
        over = value > limit
        text = f"order value {money_text(value)}"
        if not over:
            message = f"{text} within MAX_ORDER_VALUE {money_text(limit)}"
        else:
            message = f"{text} exceeds MAX_ORDER_VALUE {money_text(limit)}"
        if over and reducing:
            message = f"{message}; {REDUCING_NOTE}"
        return Check(
            "MAX_ORDER_VALUE",
            not over or reducing,
            message,
            value.rounded(2),
            limit,
            waived=over and reducing,
        )

    def _min_size(self, value: Money, reducing: bool) -> Check:
        limit = self._money(self.limits.min_trade_size)
        under = value < limit
        text = f"order value {money_text(value)}"
        if under:
            message = f"{text} is below MIN_TRADE_SIZE {money_text(limit)}"
            if reducing:
                message = f"{message}; {REDUCING_NOTE}"
        else:
            message = f"{text} meets MIN_TRADE_SIZE {money_text(limit)}"
        return Check(
            "MIN_TRADE_SIZE",
            not under or reducing,
            message,
            value.rounded(2),
            limit,
            waived=under and reducing,
        )

    async def _exposure(
        self,
        order: ProposedOrder,
        positions: Sequence[Position],
        current: Decimal,
        conv: Converter,
        prices: Mapping[str, Decimal] | None,
        reducing: bool,
        working: Sequence[Order] = (),
    ) -> Check:
        sym = str(order.symbol)
        buys: dict[str, Decimal] = defaultdict(Decimal)
        sells: dict[str, Decimal] = defaultdict(Decimal)
        working_price: dict[str, Decimal] = {}
        for w in working:
            if w.remaining <= 0:
                continue
            (buys if w.side is Side.BUY else sells)[w.symbol] += w.remaining
            if w.price is not None:
                working_price.setdefault(w.symbol, w.price)
        worst = {  # each symbol's quantity if every working order filled the worse way
            s: max(q + buys[s], q - sells[s], key=abs)
            for s, q in _quantities(positions, set(buys) | set(sells)).items()
        }
        others = [p for p in positions if p.symbol != sym]
        rest = await gross_exposure(others, conv, prices=prices, override=worst)
        for s in sorted((set(buys) | set(sells)) - {p.symbol for p in positions} - {sym}):
            price = (prices or {}).get(s) or working_price.get(s)
            if price is not None:
                value = await conv.to_base(
                    Money(abs(worst[s] * price), parse_symbol(s).quote)
                )
                rest = value if rest is None else rest + value
        if order.side is Side.BUY:
            after_qty = max(current + buys[sym] + order.quantity, current - sells[sym], key=abs)
        else:
            after_qty = max(current + buys[sym], current - sells[sym] - order.quantity, key=abs)
        if order.symbol.instrument_class is InstrumentClass.FX and order.symbol.base == (
            self.base_currency
        ):
            mine = Money(abs(after_qty), self.base_currency)  # AUD of AUD/USD: exact
        else:
            mine = await conv.to_base(Money(abs(after_qty * order.price), order.currency))
        gross = mine if rest is None else rest + mine
        limit = self._money(self.limits.max_total_exposure)
        over = gross > limit
        counted = sum(1 for w in working if w.remaining > 0)
        with_working = f" (counting {counted} working order(s) as filled)" if counted else ""
        text = f"gross exposure after the order{with_working} {money_text(gross)}"
        if over:
            message = f"{text} exceeds MAX_TOTAL_EXPOSURE {money_text(limit)}"
            if reducing:
                message = f"{message}; {REDUCING_NOTE}"
        else:
            message = f"{text} within MAX_TOTAL_EXPOSURE {money_text(limit)}"
        return Check(
            "MAX_TOTAL_EXPOSURE",
            not over or reducing,
            message,
            gross.rounded(2),
            limit,
            waived=over and reducing,
        )

    async def _daily_loss(self, pnl: Money | None, conv: Converter, reducing: bool) -> Check:
        limit = self._money(self.limits.max_daily_loss)
        if pnl is None:
            return Check(
                "MAX_DAILY_LOSS",
                True,
                f"daily loss not evaluated: no PnL for today was given (limit {money_text(limit)})",
                None,
                limit,
                evaluated=False,
            )
        loss = -(await conv.to_base(pnl)) if pnl.amount < 0 else self._money(Decimal(0))
        hit = loss >= limit
        text = f"daily loss {money_text(loss)}"
        if hit:
            message = f"{text} reached MAX_DAILY_LOSS {money_text(limit)}: no new risk today"
            if reducing:
                message = f"{message}; {REDUCING_NOTE}"
        else:
            message = f"{text} within MAX_DAILY_LOSS {money_text(limit)}"
        return Check(
            "MAX_DAILY_LOSS",
            not hit or reducing,
            message,
            loss.rounded(2),
            limit,
            waived=hit and reducing,
        )

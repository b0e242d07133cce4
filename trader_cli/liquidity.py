"""Liquidity heuristics: tick-aware price nudging, marketable limits, spread and book checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trader_cli.domain.display import price_text
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import Quote, Side
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.domain.ticks import (
    Direction,
    asx_tick_size,
    fx_pip_size,
    fx_tick_size,
    is_on_tick,
    round_to_tick,
)
from trader_cli.errors import InvalidOrderError
from trader_cli.risk.checks import Category, Check, money_text
from trader_cli.risk.convert import Converter

if TYPE_CHECKING:
    from trader_cli.config import RiskSettings

BPS = Decimal("0.0001")

TickRule = Callable[[Decimal], Decimal]
"""The minimum price step that applies at a price (constant for FX, banded for the ASX)."""

# Defaults of MAX_SPREAD_BPS_* (basis points of the mid): liquid ASX large caps trade 1-5 bp
# wide, ETFs a little tighter, AUD/USD on IDEALPRO under 1 bp; anything far wider is a thin book.
DEFAULT_SPREAD_CAPS_BPS: Mapping[InstrumentClass, Decimal] = {
    InstrumentClass.ASX_EQUITY: Decimal("50"),
    InstrumentClass.ASX_ETF: Decimal("30"),
    InstrumentClass.US_EQUITY: Decimal("20"),
    InstrumentClass.FX: Decimal("5"),
    InstrumentClass.CRYPTO: Decimal("40"),
}
US_PENNY = Decimal("0.01")
US_SUB_PENNY = Decimal("0.0001")  # Reg NMS rule 612: quotes under USD 1.00
CRYPTO_DEFAULT_TICK = Decimal("0.01")


def us_tick_size(price: Decimal) -> Decimal:
    """US stocks: one cent at USD 1.00 and above, 0.0001 below."""
    return US_PENNY if price >= 1 else US_SUB_PENNY


def tick_rule(
    instrument_class: InstrumentClass,
    *,
    min_tick: Decimal | None = None,
    quote_currency: str = "USD",
) -> TickRule:
    """The price-step rule of an instrument class.

    ASX: the ASX price-step table (0.001 below 0.10, 0.005 below 2.00, 0.01 from 2.00), never
    a venue's single ``min_tick`` (IB reports the step at today's price only). FX: ``min_tick``
    or IDEALPRO's half pip (0.00005; 0.005 for JPY quotes). US: cent/sub-cent. Crypto:
    ``min_tick`` or 0.01.
    """
    if instrument_class in (InstrumentClass.ASX_EQUITY, InstrumentClass.ASX_ETF):
        return asx_tick_size
    if instrument_class is InstrumentClass.US_EQUITY:
        return us_tick_size
    if instrument_class is InstrumentClass.FX:
        step = min_tick or fx_tick_size(quote_currency)
    else:
        step = min_tick or CRYPTO_DEFAULT_TICK
    return lambda _price: step


def tick_rule_for(symbol: Symbol, min_tick: Decimal | None) -> TickRule:
    """The price-step rule of ``symbol``, given the venue's ``min_tick`` (e.g. an Instrument's)."""
    return tick_rule(symbol.instrument_class, min_tick=min_tick, quote_currency=symbol.quote)


def pip_size(quote_currency: str) -> Decimal:
    """One pip of an FX pair quoted in ``quote_currency`` (0.01 for JPY, else 0.0001)."""
    return fx_pip_size(quote_currency)


def _as_rule(tick: Decimal | TickRule) -> TickRule:
    if isinstance(tick, Decimal):
        step = tick
        return lambda _price: step
    return tick


def round_price(price: Decimal, tick: Decimal | TickRule, direction: Direction) -> Decimal:
    """``price`` on the step grid, moved ``direction``; re-rounded if it crossed a band edge."""
    rule = _as_rule(tick)
    out = round_to_tick(price, rule(price), direction)
    step = rule(out)
    if not is_on_tick(out, step):
        out = round_to_tick(out, step, direction)
    return out


def nudge_limit_price(side: Side, price: Decimal, tick: Decimal | TickRule) -> Decimal:
    """A limit price on the tick, never worse than asked: a buy rounds DOWN, a sell rounds UP.

    Raises :class:`InvalidOrderError` for a price that is not positive, or that rounds to zero.
    """
    if price <= 0:
        raise InvalidOrderError(f"limit price must be positive, got {price}")
    direction = Direction.DOWN if side is Side.BUY else Direction.UP
    out = round_price(price, tick, direction)
    if out <= 0:
        raise InvalidOrderError(
            f"limit price {price} is below the smallest price step",
            hint=f"the step at this price is {_as_rule(tick)(price)}",
        )
    return out


def marketable_limit_price(
    side: Side, quote: Quote, tick: Decimal | TickRule, slippage_bps: Decimal
) -> Decimal:
    """A limit that crosses the spread: the touch moved ``slippage_bps`` further, on the tick.

    A buy prices off the ask and rounds UP; a sell prices off the bid and rounds DOWN (here the
    point is to cross, so rounding goes in the marketable direction). For exits and flattens
    where a market order is not allowed or not wise. Raises :class:`InvalidOrderError` when
    the side to cross is empty.
    """
    bump = slippage_bps * BPS
    if side is Side.BUY:
        if quote.ask is None or quote.ask <= 0:
            raise InvalidOrderError(f"no ask for {quote.symbol}: cannot price a marketable buy")
        return round_price(quote.ask * (1 + bump), tick, Direction.UP)
    if quote.bid is None or quote.bid <= 0:
        raise InvalidOrderError(f"no bid for {quote.symbol}: cannot price a marketable sell")
    price = round_price(quote.bid * (1 - bump), tick, Direction.DOWN)
    if price <= 0:
        raise InvalidOrderError(f"slippage of {slippage_bps} bp prices a sell at or below zero")
    return price


def is_marketable(side: Side, price: Decimal, quote: Quote) -> bool:
    """True when a limit at ``price`` trades on arrival (buy at/above ask, sell at/below bid)."""
    if side is Side.BUY:
        return quote.ask is not None and price >= quote.ask
    return quote.bid is not None and price <= quote.bid


def spread_bps(quote: Quote) -> Decimal | None:
    """Bid-ask spread in basis points of the mid (None without both sides)."""
    if quote.bid is None or quote.ask is None or quote.bid <= 0 or quote.ask <= 0:
        return None
    mid = (quote.bid + quote.ask) / 2
    return (quote.ask - quote.bid) / mid / BPS


@dataclass(frozen=True, slots=True)
class LiquidityLimits:
    """Spread caps per class, minimum top of book (base currency notional and size), quote age."""

    max_spread_bps: Mapping[InstrumentClass, Decimal]
    min_top_of_book_notional: Decimal = Decimal("2000")
    min_top_of_book_size: Decimal = Decimal(0)
    max_quote_age_seconds: Decimal = Decimal(30)
    slippage_bps: Decimal = Decimal(20)

    @classmethod
    def from_settings(cls, risk: RiskSettings) -> LiquidityLimits:
        """``MAX_SPREAD_BPS_*``, ``MIN_TOP_OF_BOOK_*``, ``MAX_QUOTE_AGE_SECONDS``, slippage."""
        return cls(
            max_spread_bps={
                InstrumentClass.ASX_EQUITY: risk.max_spread_bps_asx_equity,
                InstrumentClass.ASX_ETF: risk.max_spread_bps_asx_etf,
                InstrumentClass.US_EQUITY: risk.max_spread_bps_us_equity,
                InstrumentClass.FX: risk.max_spread_bps_fx,
                InstrumentClass.CRYPTO: risk.max_spread_bps_crypto,
            },
            min_top_of_book_notional=risk.min_top_of_book_notional,
            min_top_of_book_size=risk.min_top_of_book_size,
            max_quote_age_seconds=risk.max_quote_age_seconds,
            slippage_bps=risk.marketable_limit_slippage_bps,
        )


def quote_sanity_checks(quote: Quote, side: Side, now: datetime, max_age: Decimal) -> list[Check]:
    """Empty book (no price on the side we take), crossed book, stale or delayed quote."""
    touch = quote.ask if side is Side.BUY else quote.bid
    touch_name = "ask" if side is Side.BUY else "bid"
    checks: list[Check] = []
    if quote.half_book:
        present = "bid" if quote.bid is not None else "ask"
        checks.append(
            Check(
                "book_not_empty",
                False,
                f"only the {present} of {quote.symbol} is known (the other side is empty or did "
                "not arrive before the market data wait ran out): not pricing from half a book",
                category=Category.LIQUIDITY,
            )
        )
    elif touch is None or touch <= 0:
        checks.append(
            Check(
                "book_not_empty",
                False,
                f"no {touch_name} for {quote.symbol}: the book is empty on the side we take",
                category=Category.LIQUIDITY,
            )
        )
    else:
        checks.append(
            Check(
                "book_not_empty",
                True,
                f"{touch_name} {touch}",
                touch,
                category=Category.LIQUIDITY,
            )
        )
    crossed = quote.bid is not None and quote.ask is not None and quote.bid > quote.ask
    shown = symbol_of(quote.symbol)
    bid, ask = (price_text(v, shown) or "none" for v in (quote.bid, quote.ask))
    checks.append(
        Check(
            "book_not_crossed",
            not crossed,
            f"crossed book: bid {bid} above ask {ask}" if crossed else f"bid {bid} / ask {ask}",
            category=Category.LIQUIDITY,
        )
    )
    age = Decimal(str(round((now - quote.timestamp).total_seconds(), 3)))
    stale = age > max_age or quote.delayed
    if quote.delayed:
        message = f"quote is delayed market data, not live ({age} s old)"
    elif stale:
        message = f"quote is {age} s old on the venue clock, over MAX_QUOTE_AGE_SECONDS {max_age}"
    else:
        message = f"quote is {age} s old (MAX_QUOTE_AGE_SECONDS {max_age})"
    checks.append(
        Check("quote_fresh", not stale, message, age, max_age, category=Category.LIQUIDITY)
    )
    return checks


async def liquidity_checks(
    quote: Quote,
    side: Side,
    instrument_class: InstrumentClass,
    limits: LiquidityLimits,
    *,
    now: datetime,
    converter: Converter,
    reducing: bool = False,
) -> list[Check]:
    """Quote sanity, spread cap and top-of-book size/notional for one order.

    Sanity always applies (no price is trusted from a broken book). The spread cap and the
    top-of-book minimums are waived for an order that only reduces a position: getting out of a
    thin market beats staying in it.
    """
    checks = quote_sanity_checks(quote, side, now, limits.max_quote_age_seconds)
    cap = limits.max_spread_bps.get(instrument_class, DEFAULT_SPREAD_CAPS_BPS[instrument_class])
    spread = spread_bps(quote)
    note = "; allowed: the order only reduces the position"
    setting = f"MAX_SPREAD_BPS_{instrument_class.value.upper()}"
    if spread is None:
        checks.append(
            Check(
                setting,
                reducing,
                "no two-sided quote: the spread cannot be measured" + (note if reducing else ""),
                None,
                cap,
                Category.LIQUIDITY,
                waived=reducing,
            )
        )
    else:
        wide = spread > cap
        shown = spread.quantize(Decimal("0.01"))
        verb = "exceeds" if wide else "within"
        message = f"spread {shown} bp {verb} {setting} {cap} bp"
        checks.append(
            Check(
                setting,
                not wide or reducing,
                message + (note if wide and reducing else ""),
                shown,
                cap,
                Category.LIQUIDITY,
                waived=wide and reducing,
            )
        )
    checks.extend(await _top_of_book(quote, side, limits, converter, reducing, note))
    return checks


async def _top_of_book(
    quote: Quote,
    side: Side,
    limits: LiquidityLimits,
    converter: Converter,
    reducing: bool,
    note: str,
) -> list[Check]:
    price = quote.ask if side is Side.BUY else quote.bid
    size = quote.ask_size if side is Side.BUY else quote.bid_size
    name = "ask" if side is Side.BUY else "bid"
    out: list[Check] = []
    if limits.min_top_of_book_size > 0:
        small = size is None or size < limits.min_top_of_book_size
        out.append(
            Check(
                "MIN_TOP_OF_BOOK_SIZE",
                not small or reducing,
                f"{name} size {size} {'is below' if small else 'meets'} MIN_TOP_OF_BOOK_SIZE "
                f"{limits.min_top_of_book_size}" + (note if small and reducing else ""),
                size,
                limits.min_top_of_book_size,
                Category.LIQUIDITY,
                waived=small and reducing,
            )
        )
    base_ccy_limit = limits.min_top_of_book_notional
    if price is None or size is None:
        out.append(
            Check(
                "MIN_TOP_OF_BOOK_NOTIONAL",
                reducing,
                f"no {name} size: top-of-book notional unknown" + (note if reducing else ""),
                None,
                base_ccy_limit,
                Category.LIQUIDITY,
                waived=reducing,
            )
        )
        return out
    value = await converter.to_base(Money(price * size, _quote_ccy(quote)))
    limit = Money(base_ccy_limit, value.currency)
    thin = value < limit
    verb = "is below" if thin else "meets"
    out.append(
        Check(
            "MIN_TOP_OF_BOOK_NOTIONAL",
            not thin or reducing,
            f"{name} notional {money_text(value)} {verb} MIN_TOP_OF_BOOK_NOTIONAL "
            f"{money_text(limit)}" + (note if thin and reducing else ""),
            value.rounded(2),
            limit,
            Category.LIQUIDITY,
            waived=thin and reducing,
        )
    )
    return out


def _quote_ccy(quote: Quote) -> str:
    return quote.symbol.rsplit("/", 1)[-1]

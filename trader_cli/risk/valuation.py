"""What an order is worth to risk, and the price band that refuses a limit far from the market.

Every risk rule (order value, gross exposure, minimum trade size, daily loss) values an order
through :func:`value_order`, never at its limit price alone:

* the **reference** is the touch on the side the order takes: the ask for a buy, the bid for a
  sell; when that side of the book is empty, the last trade price (the ``book_not_empty`` check
  refuses such an order anyway);
* a **limit** order is valued at ``max(limit, reference)``. A marketable limit executes at the
  touch or better, a resting one at its limit: a sell limit below the bid fills at about the bid,
  so it is valued at the bid; a buy limit above the ask is valued at its limit (the worst case);
* a **market** order is valued at the reference (the touch).

:func:`price_band_check` is the fat-finger guard, as IB's precautionary settings: a limit more
than ``MAX_PRICE_DEVIATION_PCT_<CLASS>`` percent away from the reference, on either side, is
refused unless the caller explicitly allows a far limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.domain.display import price_text
from trader_cli.domain.display_models import symbol_of
from trader_cli.domain.models import Quote, Side, jsonable
from trader_cli.domain.symbols import InstrumentClass
from trader_cli.risk.checks import Check

if TYPE_CHECKING:
    from trader_cli.config import RiskSettings

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Valuation:
    """The price risk values an order at, where it comes from, and why.

    ``basis`` is ``"limit"`` when the order's own limit is the valuation price, else the source
    of the reference (``"ask"``, ``"bid"`` or ``"last"``).
    """

    price: Decimal
    basis: str
    limit: Decimal | None
    reference: Decimal | None
    reference_source: str | None
    note: str
    symbol: str = ""  # what the prices are of (how they are written)

    @property
    def deviation_pct(self) -> Decimal | None:
        """How far the limit is from the reference, in percent of the reference (unsigned)."""
        if self.limit is None or self.reference is None or self.reference <= 0:
            return None
        return abs(self.limit - self.reference) / self.reference * HUNDRED

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``price``, ``basis``, ``reference``, ``referenceSource``, ``note``."""
        return {
            "price": jsonable(self.price),
            "basis": self.basis,
            "reference": jsonable(self.reference),
            "referenceSource": self.reference_source,
            "note": self.note,
        }


def reference_price(side: Side, quote: Quote) -> tuple[Decimal, str] | None:
    """The touch on the side ``side`` takes (ask for a buy, bid for a sell), else the last price.

    None when the quote has neither.
    """
    touch, name = (quote.ask, "ask") if side is Side.BUY else (quote.bid, "bid")
    if touch is not None and touch > 0:
        return touch, name
    if quote.last is not None and quote.last > 0:
        return quote.last, "last"
    return None


def value_order(side: Side, limit: Decimal | None, quote: Quote) -> Valuation | None:
    """The price an order of ``side`` at ``limit`` (None: a market order) is valued at.

    ``max(limit, reference)`` for a limit, the reference for a market order (see the module
    docstring). None only for a market order with no reference price at all.
    """
    ref = reference_price(side, quote)
    sym = symbol_of(quote.symbol)

    def shown(value: Decimal) -> str:  # a venue's price at its tick (a limit stays as given)
        return price_text(value, sym)

    def valuation(price: Decimal, basis: str, reference: Decimal | None, source: str | None,
                  note: str) -> Valuation:
        return Valuation(price, basis, limit, reference, source, note, symbol=quote.symbol)

    verb = "a buy" if side is Side.BUY else "a sell"
    if limit is None:
        if ref is None:
            return None
        price, source = ref
        return valuation(
            price, source, price, source, f"valued at {shown(price)} ({source}; a market order)"
        )
    if ref is None:
        return valuation(
            limit,
            "limit",
            None,
            None,
            f"valued at {limit} (your limit; no bid, ask or last price to compare it with)",
        )
    reference, source = ref
    if limit < reference:
        if side is Side.SELL:
            why = (
                f"your limit {limit} is below it, a sell executes at the {source} or better"
            )
        else:
            why = (
                f"your limit {limit} is below it: the buy rests; valued at the larger "
                "of the two"
            )
        return valuation(
            reference, source, reference, source,
            f"valued at {shown(reference)} ({source}; {why})",
        )
    if limit == reference:
        why = f"your limit, equal to the {source}"
    elif side is Side.BUY:
        why = (
            f"your limit; it is above the {source} {shown(reference)}: a buy executes at the "
            f"{source} or better, valued at the limit as the worst case"
        )
    else:
        why = (
            f"your limit; it is above the {source} {shown(reference)}: {verb} rests and "
            "executes at its limit or better"
        )
    return valuation(limit, "limit", reference, source, f"valued at {limit} ({why})")


def max_price_deviation_pct(risk: RiskSettings, instrument_class: InstrumentClass) -> Decimal:
    """``MAX_PRICE_DEVIATION_PCT_EQUITY`` (stocks and ETFs), ``_FX`` or ``_CRYPTO``."""
    if instrument_class is InstrumentClass.FX:
        return risk.max_price_deviation_pct_fx
    if instrument_class is InstrumentClass.CRYPTO:
        return risk.max_price_deviation_pct_crypto
    return risk.max_price_deviation_pct_equity


def band_setting_name(instrument_class: InstrumentClass) -> str:
    """The setting that bands ``instrument_class``: ``MAX_PRICE_DEVIATION_PCT_EQUITY`` etc."""
    if instrument_class is InstrumentClass.FX:
        return "MAX_PRICE_DEVIATION_PCT_FX"
    if instrument_class is InstrumentClass.CRYPTO:
        return "MAX_PRICE_DEVIATION_PCT_CRYPTO"
    return "MAX_PRICE_DEVIATION_PCT_EQUITY"


def price_band_check(
    valuation: Valuation | None,
    instrument_class: InstrumentClass,
    max_pct: Decimal,
    *,
    allow_far_limit: bool = False,
) -> Check:
    """Refuse a limit more than ``max_pct`` percent away from the reference price.

    Applies on both sides of the reference (a buy at a tenth of the price is a typo too) and to
    orders that reduce a position alike. A market order has no limit and passes. A limit with no
    reference to measure against fails (the book is empty). ``allow_far_limit`` (``place
    --allow-far-limit``) waives a failure: the check then passes, marked ``waived``.
    """
    name = band_setting_name(instrument_class)
    limit_text = f"{max_pct}%"
    if valuation is None or valuation.limit is None:
        return Check(name, True, "market order: no limit price to band", None, max_pct)
    deviation = valuation.deviation_pct
    if deviation is None:
        message = f"no bid, ask or last price to check the limit {valuation.limit} against"
        far = True
        shown: Decimal | None = None
    else:
        shown = deviation.quantize(Decimal("0.01"))
        where = "above" if valuation.limit > (valuation.reference or 0) else "below"
        if deviation == 0:
            where = "at"
        far = deviation > max_pct
        relation = f"beyond {name} {limit_text}" if far else f"within {name} {limit_text}"
        sym = symbol_of(valuation.symbol)
        # the limit as the user gave it; the venue's price at its tick
        limit, reference = valuation.limit, price_text(valuation.reference, sym)
        message = (
            f"limit {limit} is {shown}% {where} the {valuation.reference_source} "
            f"{reference}, {relation}"
        )
        if where == "at":
            message = (
                f"limit {limit} is at the {valuation.reference_source}, "
                f"within {name} {limit_text}"
            )
    if far and allow_far_limit:
        return Check(
            name,
            True,
            f"{message}; allowed by --allow-far-limit",
            shown,
            max_pct,
            waived=True,
        )
    if far:
        message = f"{message}: refused as a likely typo (--allow-far-limit sends it anyway)"
    return Check(name, not far, message, shown, max_pct)

"""The baseline: what a paper or sim account held before the bot, and the bot's part beside it.

A sandbox airdrops balances and a paper account may hold positions before the bot ever trades;
those holdings are not the bot's. A :class:`Baseline` records them once per scope, and
:func:`split_position` divides a venue position into the baseline still held and the bot's own
part (the venue position less the baseline, never pushed past zero in the baseline's direction:
a baseline sold by hand is reported as gone, not invented into a short).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_cli.domain.display import money_text, quantity_json, quantity_text, time_json
from trader_cli.domain.display_models import mid_json, money_obj_json, symbol_of
from trader_cli.domain.models import Position
from trader_cli.domain.money import Money

#: The reason of the orders ``flatten --include-baseline`` sends for the baseline's part: their
#: fills close holdings that were never the bot's, so the bot's PnL leaves them out.
FLATTEN_BASELINE_REASON = "flatten: baseline"


@dataclass(frozen=True, slots=True)
class BaselineHolding:
    """One position of a baseline: signed quantity, the price it was valued at (in
    ``currency``) and that value in the base currency (None when no price or rate was known)."""

    symbol: str
    quantity: Decimal
    price: Decimal | None
    currency: str
    value: Money | None

    @property
    def asset(self) -> str:
        """``BTC`` of ``BTC/USD``: what a user calls the holding."""
        return self.symbol.split("/")[0]

    def text(self) -> str:
        """``BTC 1 (≈ 95,000.00 AUD)``."""
        value = f" (≈ {money_text(self.value)})" if self.value is not None else ""
        return f"{self.asset} {quantity_text(self.quantity, symbol_of(self.symbol))}{value}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        sym = symbol_of(self.symbol)
        return {
            "symbol": self.symbol,
            "quantity": quantity_json(self.quantity, sym),
            "price": mid_json(self.price, sym),
            "currency": self.currency,
            "value": money_obj_json(self.value),
        }


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the account held when the baseline was taken (``taken_at``, venue clock, UTC)."""

    taken_at: datetime
    base_currency: str
    holdings: tuple[BaselineHolding, ...] = ()
    cash: tuple[Money, ...] = ()
    generation: int = 1
    fill_mark: int = 0
    reason: str = ""
    # venue fill ids the venue already listed when it was taken: in it, never the bot's
    known_fills: frozenset[str] = frozenset()

    def quantity(self, symbol: str) -> Decimal:
        """The baseline's signed quantity of ``symbol`` (0 when it holds none)."""
        return sum((h.quantity for h in self.holdings if h.symbol == symbol), Decimal(0))

    @property
    def quantities(self) -> dict[str, Decimal]:
        """Signed quantity by symbol."""
        return {h.symbol: h.quantity for h in self.holdings}

    @property
    def value(self) -> Money | None:
        """The holdings' value in the base currency when taken (None if none could be valued)."""
        values = [h.value for h in self.holdings if h.value is not None]
        if not values:
            return None
        total = Money(Decimal(0), self.base_currency)
        for v in values:
            total = total + v
        return total

    def describe(self) -> str:
        """``baseline from 2026-01-05 09:00 UTC: BTC 1 (≈ 95,000.00 AUD) kept out of PnL and
        exposure``."""
        when = self.taken_at.strftime("%Y-%m-%d %H:%M UTC")
        held = ", ".join(h.text() for h in self.holdings) or "no positions"
        return f"baseline from {when}: {held} kept out of PnL and exposure"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe baseline."""
        value = self.value
        return {
            "takenAt": time_json(self.taken_at),
            "generation": self.generation,
            "baseCurrency": self.base_currency,
            "positions": [h.to_dict() for h in self.holdings],
            "cash": [money_obj_json(m) for m in self.cash],
            "value": money_obj_json(value),
            "reason": self.reason,
            "knownFills": len(self.known_fills),
            "summary": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class PositionSplit:
    """A venue position divided into the baseline still held and the bot's own part.

    ``baseline_gone`` is how much of the baseline the venue no longer holds (sold or moved
    outside the bot, or closed by ``flatten --include-baseline``); always >= 0, in units.
    """

    symbol: str
    venue: Decimal
    baseline: Decimal
    bot: Decimal
    baseline_gone: Decimal = Decimal(0)

    @property
    def note(self) -> str:
        """What a user should know about the split ("" when the baseline is intact)."""
        if self.baseline_gone == 0:
            return ""
        return (
            f"{self.baseline_gone.normalize():f} of the baseline's {self.symbol} is no longer "
            "held (sold or moved outside the bot); the bot's part is not taken below zero"
        )


def split_position(
    symbol: str, venue: Decimal, baseline: Decimal, recorded: Decimal = Decimal(0)
) -> PositionSplit:
    """Divide ``venue`` (signed) into the baseline (signed) still held and the bot's part.

    ``recorded`` is the net of the fills recorded in the scope since the baseline (the bot's
    own trades). While the venue holds at least the baseline in the baseline's direction, the
    bot's part is ``venue - baseline``. Below that, the shortfall is the bot's only as far as
    its recorded fills sold it (a bot short against the baseline); the rest of the shortfall
    is baseline sold or moved outside the bot (``baseline_gone``), never invented into a short.
    When its recorded fills added to the baseline's side instead, those stay the bot's (as far
    as the venue holds them) and the shortfall is all baseline gone.
    A venue position on the other side of zero beyond all that is real, and the bot's.
    """
    if baseline == 0:
        return PositionSplit(symbol, venue, Decimal(0), venue)
    sign = 1 if baseline > 0 else -1
    held, base = venue * sign, abs(baseline)
    if held >= base:
        return PositionSplit(symbol, venue, baseline, venue - baseline)
    bought = recorded * sign
    if bought > 0 and held > 0:
        # the bot added to the baseline's side after part of the baseline went by hand: what
        # the bot bought (as far as the venue still holds it) stays the bot's, never absorbed
        # into the baseline
        bot_held = min(bought, held)
        return PositionSplit(symbol, venue, (held - bot_held) * sign, bot_held * sign,
                             base - (held - bot_held))
    shortfall = base - held
    explained = min(shortfall, max(Decimal(0), -recorded * sign))
    unexplained = shortfall - explained
    gone = min(unexplained, base)
    bot = -(explained + max(Decimal(0), unexplained - base)) * sign
    return PositionSplit(symbol, venue, venue - bot, bot, gone)


def split_positions(
    positions: Iterable[Position],
    baseline: Baseline | None,
    recorded: Mapping[str, Decimal] | None = None,
) -> list[PositionSplit]:
    """Every venue position and every baseline symbol, split (sorted by symbol)."""
    venue: dict[str, Decimal] = {}
    for p in positions:
        venue[p.symbol] = venue.get(p.symbol, Decimal(0)) + p.quantity
    held = baseline.quantities if baseline is not None else {}
    return [
        split_position(
            s,
            venue.get(s, Decimal(0)),
            held.get(s, Decimal(0)),
            (recorded or {}).get(s, Decimal(0)),
        )
        for s in sorted(set(venue) | set(held))
    ]


def bot_positions(
    positions: Sequence[Position],
    baseline: Baseline | None,
    recorded: Mapping[str, Decimal] | None = None,
) -> list[Position]:
    """The bot's own positions: each venue position less the baseline (zero parts dropped);
    ``recorded`` is the net of the scope's fills since the baseline, by symbol."""
    if baseline is None or not baseline.holdings:
        return list(positions)
    out = []
    for p in positions:
        part = split_position(
            p.symbol,
            p.quantity,
            baseline.quantity(p.symbol),
            (recorded or {}).get(p.symbol, Decimal(0)),
        ).bot
        if part != 0:
            out.append(replace(p, quantity=part))
    return out

"""Minimum price steps: the ASX price-step table and IDEALPRO FX increments, as plain data."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import Enum

# ASX Market Rules (Procedure 3000, "price steps") for equities and ETFs, ascending by lower bound:
# a price at or above ``lower`` (and below the next row's lower) trades in ``step``.
ASX_PRICE_STEPS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("0"), Decimal("0.001")),
    (Decimal("0.10"), Decimal("0.005")),
    (Decimal("2.00"), Decimal("0.01")),
)

# IDEALPRO minimum increments: a half pip on most pairs, 0.005 on pairs quoted in JPY.
FX_DEFAULT_TICK = Decimal("0.00005")
FX_JPY_TICK = Decimal("0.005")
FX_PIP = Decimal("0.0001")
FX_JPY_PIP = Decimal("0.01")


class Direction(Enum):
    """Which way :func:`round_to_tick` moves a price that is not on a step."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"


def asx_tick_size(price: Decimal) -> Decimal:
    """Return the ASX price step for ``price`` (equities and ETFs)."""
    if price < 0:
        raise ValueError(f"price must not be negative: {price}")
    step = ASX_PRICE_STEPS[0][1]
    for lower, row_step in ASX_PRICE_STEPS:
        if price >= lower:
            step = row_step
    return step


def fx_tick_size(quote_currency: str) -> Decimal:
    """Return the IDEALPRO minimum increment for a pair quoted in ``quote_currency``."""
    return FX_JPY_TICK if quote_currency.upper() == "JPY" else FX_DEFAULT_TICK


def fx_pip_size(quote_currency: str) -> Decimal:
    """Return one pip for a pair quoted in ``quote_currency`` (0.01 for JPY, else 0.0001)."""
    return FX_JPY_PIP if quote_currency.upper() == "JPY" else FX_PIP


def is_on_tick(price: Decimal, tick: Decimal) -> bool:
    """True when ``price`` is a whole multiple of ``tick``."""
    if tick <= 0:
        raise ValueError(f"tick must be positive: {tick}")
    return price % tick == 0


_ONE = Decimal(1)


def round_to_tick(
    price: Decimal, tick: Decimal, direction: Direction = Direction.NEAREST
) -> Decimal:
    """Round ``price`` to a multiple of ``tick`` (down, up, or nearest with ties to even)."""
    if tick <= 0:
        raise ValueError(f"tick must be positive: {tick}")
    rounding = (ROUND_HALF_EVEN if direction is Direction.NEAREST
                else ROUND_FLOOR if direction is Direction.DOWN else ROUND_CEILING)
    steps = (price / tick).quantize(_ONE, rounding=rounding)
    return (steps * tick).quantize(tick)


def asx_round(price: Decimal, direction: Direction = Direction.NEAREST) -> Decimal:
    """Round ``price`` onto the ASX step that applies at the rounded result."""
    rounded = round_to_tick(price, asx_tick_size(price), direction)
    # crossing a band edge (e.g. 1.999 -> 2.00) can change the step that applies
    return round_to_tick(rounded, asx_tick_size(rounded), direction)

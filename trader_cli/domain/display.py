"""Numbers people can read: one place that decides how prices, sizes, money, percentages and
times are written, in tables and in JSON alike.

- **Prices** at the instrument's tick precision: ASX equities by the price-step table (two
  decimals from AUD 2.00, three below), FX pairs at IDEALPRO's half pip (five decimals, three for
  JPY quotes), crypto at the venue's tick (``min_tick``; without one, two decimals or the
  price's own places where it has more, up to eight). An average price is
  rounded half-even to the same places.
- **Quantities**: whole numbers for shares and FX units, up to eight decimals (trailing zeros
  dropped) for crypto.
- **Money** at two decimals with its currency (``1,234.50 AUD``); crypto amounts keep up to
  eight decimals. A venue's own figure (a fee it charged) is padded the same way but never
  rounded below the venue's precision (``0.24853848 USD``).
- **Percentages** at three significant digits (``0.0219``, ``1.23``, ``12.3``).
- **Times** in UTC to the second (``2026-12-02 07:13:47 UTC``; ``2026-12-02T07:13:47Z`` in JSON).

The ``*_text`` functions are for people (thousands separators); the ``*_json`` functions give
exact decimal strings for scripts (no separators, never more places than the venue has).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from trader_cli.domain.money import Money, quantum
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.domain.ticks import asx_tick_size, fx_tick_size

MONEY_PLACES = 2
CRYPTO_PLACES = 8  # the finest increment Gemini trades (satoshis)
DEFAULT_PRICE_PLACES = 2
PCT_DIGITS = 3

# currencies whose amounts are crypto assets (kept to eight places, not cents)
_FIAT = frozenset({"AUD", "USD", "EUR", "GBP", "JPY", "CAD", "CHF", "NZD", "HKD", "SGD", "CNH"})


def _dec(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation as e:
        raise ValueError(f"{value!r} is not a number") from e


def places_of(step: Decimal) -> int:
    """Decimal places of a step (``0.005`` → 3, ``0.01`` → 2, ``1`` → 0)."""
    found = _PLACES.get(step)
    if found is None:
        exponent = step.normalize().as_tuple().exponent
        found = max(0, -exponent) if isinstance(exponent, int) else 0
        if len(_PLACES) < 256:  # a venue's steps are few
            _PLACES[step] = found
    return found


_PLACES: dict[Decimal, int] = {}


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(quantum(places), rounding=ROUND_HALF_EVEN)


def _group(value: Decimal, places: int, grouping: bool) -> str:
    q = _quantize(value, places)
    if q == 0:
        q = abs(q)  # never "-0.00"
    return f"{q:{',' if grouping else ''}.{places}f}"


# -- prices ----------------------------------------------------------------------------------
def price_places(symbol: Symbol | None, price: Decimal | None = None,
                 min_tick: Decimal | None = None) -> int:
    """How many decimals a price of ``symbol`` is written with (see the module docstring)."""
    if symbol is None:
        return places_of(min_tick) if min_tick else DEFAULT_PRICE_PLACES
    cls = symbol.instrument_class
    if cls in (InstrumentClass.ASX_EQUITY, InstrumentClass.ASX_ETF):
        # the finest step the price's band allows; an unknown price takes the 2-decimal band
        return places_of(asx_tick_size(abs(price) if price is not None else Decimal(2)))
    if cls is InstrumentClass.FX:
        return places_of(min_tick or fx_tick_size(symbol.quote))
    if min_tick:
        return places_of(min_tick)
    if cls is InstrumentClass.CRYPTO and price is not None:
        # no tick at hand: two places, or the price's own where it has more (up to eight), so a
        # price on a finer tick (SOL's 0.001) is never rounded away
        return max(DEFAULT_PRICE_PLACES, places_of(_quantize(price, CRYPTO_PLACES)))
    return DEFAULT_PRICE_PLACES


def price_text(value: object, symbol: Symbol | None = None, *,
               min_tick: Decimal | None = None) -> str:
    """``142.09`` / ``0.66345`` / ``97,120.55``: a price for a table ("" for None)."""
    if value is None or value == "":
        return ""
    key = (value, symbol, min_tick)
    try:
        found = _PRICE_TEXTS.get(key)
        keyed = True
    except TypeError:  # a value that cannot key a dict: written every time
        found, keyed = None, False
    if found is not None:
        return found
    d = _dec(value)
    text = _group(d, price_places(symbol, d, min_tick), True)
    if keyed:
        if len(_PRICE_TEXTS) >= 4096:
            _PRICE_TEXTS.clear()
        _PRICE_TEXTS[key] = text
    return text


# (value, symbol, min tick) -> its text: checks and notes write the same prices again and again
# (a value equal to another, 1.5 and Decimal("1.50"), is written the same: quantized to places)
_PRICE_TEXTS: dict[tuple[object, Symbol | None, Decimal | None], str] = {}


def price_json(value: object, symbol: Symbol | None = None, *,
               min_tick: Decimal | None = None) -> str | None:
    """A price as an exact decimal string at tick precision (None stays None)."""
    if value is None or value == "":
        return None
    d = _dec(value)
    return _group(d, price_places(symbol, d, min_tick), False)


# -- quantities ------------------------------------------------------------------------------
def quantity_places(symbol: Symbol | None, value: Decimal | None = None) -> int:
    """0 for shares and FX units; crypto up to eight places, trailing zeros dropped."""
    if value is None or value == value.to_integral_value():
        return 0
    return places_of(_quantize(value, CRYPTO_PLACES))


def quantity_text(value: object, symbol: Symbol | None = None) -> str:
    """``1,200`` shares, ``25,000`` AUD of a pair, ``0.0125`` BTC ("" for None)."""
    if value is None or value == "":
        return ""
    d = _dec(value)
    return _group(d, quantity_places(symbol, d), True)


def quantity_json(value: object, symbol: Symbol | None = None) -> str | None:
    """A quantity as an exact decimal string (``"1200"``, ``"0.0125"``)."""
    if value is None or value == "":
        return None
    d = _dec(value)
    return _group(d, quantity_places(symbol, d), False)


# -- money -----------------------------------------------------------------------------------
def money_places(currency: str | None) -> int:
    """Two for fiat currencies; up to eight for a crypto asset."""
    return MONEY_PLACES if currency is None or currency.upper() in _FIAT else CRYPTO_PLACES


def _money_places(d: Decimal, currency: str | None) -> tuple[Decimal, int]:
    places = money_places(currency)
    if places == CRYPTO_PLACES:  # an asset: its own precision, no trailing zeros
        d = _quantize(d, CRYPTO_PLACES)
        places = places_of(d) if d != 0 else 0
    return d, places


def money_text(amount: object, currency: str | None = None) -> str:
    """``1,234.50 AUD`` (a Money, or an amount and its currency; "" for None)."""
    if amount is None or amount == "":
        return ""
    if currency is None and isinstance(amount, Money):
        currency = amount.currency
        amount = amount.amount
    d = _dec(amount)
    text = _group(*_money_places(d, currency), True)
    return f"{text} {currency}" if currency else text


def money_json(amount: object, currency: str | None = None) -> str | None:
    """An amount of money as an exact decimal string: two places for fiat (``"156998.19"``)."""
    if amount is None or amount == "":
        return None
    if currency is None and isinstance(amount, Money):
        currency = amount.currency
        amount = amount.amount
    return _group(*_money_places(_dec(amount), currency), False)


def _exact_places(d: Decimal, currency: str | None) -> tuple[Decimal, int]:
    """At least the currency's places; more where the figure has them (up to eight)."""
    d = _quantize(d, CRYPTO_PLACES)
    floor = money_places(currency) if money_places(currency) == MONEY_PLACES else 0
    return d, max(floor, places_of(d) if d != 0 else 0)


def money_exact_text(amount: object, currency: str | None = None) -> str:
    """A venue's own figure (a fee it charged): ``6.00 AUD``, ``0.24853848 USD`` — padded to
    the currency's places, never rounded below the venue's precision (up to eight places)."""
    if amount is None or amount == "":
        return ""
    if currency is None and isinstance(amount, Money):
        currency, amount = amount.currency, amount.amount
    text = _group(*_exact_places(_dec(amount), currency), True)
    return f"{text} {currency}" if currency else text


def money_exact_json(amount: object, currency: str | None = None) -> str | None:
    """The same as :func:`money_exact_text` for scripts (``"0.24853848"``, ``"6.00"``)."""
    if amount is None or amount == "":
        return None
    if currency is None and isinstance(amount, Money):
        currency, amount = amount.currency, amount.amount
    return _group(*_exact_places(_dec(amount), currency), False)


# -- percentages -----------------------------------------------------------------------------
def pct_value(value: object, digits: int = PCT_DIGITS) -> Decimal | None:
    """``value`` rounded to ``digits`` significant digits (``0.02188…`` → ``0.0219``)."""
    if value is None or value == "":
        return None
    d = _dec(value)
    if d == 0:
        return Decimal(0)
    exponent = d.adjusted() - digits + 1
    return d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)


def pct_text(value: object, digits: int = PCT_DIGITS) -> str:
    """A percentage figure at three significant digits, with no exponent (``0.0219``)."""
    d = pct_value(value, digits)
    if d is None:
        return ""
    return f"{d:f}"


def pct_json(value: object, digits: int = PCT_DIGITS) -> str | None:
    """The same as :func:`pct_text`, None for None."""
    d = pct_value(value, digits)
    return None if d is None else f"{d:f}"


# -- times -----------------------------------------------------------------------------------
def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: times are UTC-aware")
    return at.astimezone(UTC).replace(microsecond=0)


def time_text(at: datetime | None) -> str:
    """``2026-12-02 07:13:47 UTC`` ("" for None)."""
    return "" if at is None else _utc(at).strftime("%Y-%m-%d %H:%M:%S UTC")


def time_json(at: datetime | None) -> str | None:
    """``2026-12-02T07:13:47Z`` (None for None)."""
    return None if at is None else _utc(at).strftime("%Y-%m-%dT%H:%M:%SZ")


def market_status_text(is_open: bool, note: str) -> str:
    """``OPEN until Wed 16:00 AEST``, ``CLOSED: Christmas``: the state once, then the note (a
    note that starts by saying open or closed is not prefixed again)."""
    word = "open" if is_open else "closed"
    if note.lower().startswith(word):
        return word.upper() + note[len(word):]
    return f"{word.upper()}: {note}" if note else word.upper()


def duration_text(seconds: float | None) -> str:
    """``2h 05m``, ``4m 10s``, ``35s``: how long, for people."""
    if seconds is None:
        return ""
    s = int(abs(seconds))
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {s:02d}s"
    return f"{s}s"


__all__ = [
    "duration_text",
    "market_status_text",
    "money_exact_json",
    "money_exact_text",
    "money_json",
    "money_text",
    "pct_json",
    "pct_text",
    "pct_value",
    "places_of",
    "price_json",
    "price_places",
    "price_text",
    "quantity_json",
    "quantity_text",
    "time_json",
    "time_text",
]

"""Numbers typed by a person: plain ASCII decimals only, bounded, with errors that say the fix.

``Decimal("2_0")`` and the same digits in Arabic-Indic or fullwidth forms all read as 20, and
``float`` takes ``nan``, ``inf`` and ``1e308``: fine for a program, wrong for an order size typed
at a prompt. Every number that reaches an order, a timeout or a count from the command line goes
through :func:`parse_plain_decimal` instead.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# digits, an optional fraction and an optional exponent; ASCII only (re.ASCII: \d is 0-9)
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NON_FINITE = re.compile(r"[+-]?(?:nan|snan|inf|infinity)", re.IGNORECASE)

#: The largest order quantity trader accepts (shares, or units of an FX pair's base currency).
MAX_QUANTITY = Decimal(1_000_000_000)
#: The largest limit price trader accepts, in the instrument's quote currency.
MAX_PRICE = Decimal(1_000_000_000)
#: Decimal places a quantity or price may carry.
MAX_DECIMALS = 10


class NumberInputError(ValueError):
    """A typed number is not acceptable; ``message`` names the problem, ``hint`` the fix."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _ascii_equivalent(text: str) -> str | None:
    """``٢٠`` → ``20``: the same digits in ASCII, when every character is a digit or a sign."""
    out = []
    for ch in text.strip():
        if ch.isascii():
            out.append(ch)
            continue
        value = unicodedata.decimal(ch, None)
        if value is None:
            if unicodedata.normalize("NFKC", ch) in "+-.":
                out.append(unicodedata.normalize("NFKC", ch))
                continue
            return None
        out.append(str(value))
    return "".join(out)


def _decimals(value: Decimal) -> int:
    """Decimal places ``value`` really carries (trailing zeros do not count)."""
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    count = len(digits)
    while exponent < 0 and count > 0 and digits[count - 1] == 0:
        exponent += 1
        count -= 1
    return max(0, -exponent)


def _fmt(value: Decimal) -> str:
    return f"{value:,f}" if value == value.to_integral_value() else f"{value:f}"


def parse_plain_decimal(
    text: str,
    *,
    name: str,
    example: str,
    maximum: Decimal,
    minimum: Decimal = Decimal(0),
    min_inclusive: bool = False,
    max_decimals: int = MAX_DECIMALS,
) -> Decimal:
    """``text`` as a ``Decimal`` in (``minimum``, ``maximum``], or :class:`NumberInputError`.

    Accepts ``[+-]digits[.digits][e±digits]`` in ASCII only. ``name`` ("quantity", "--timeout")
    and ``example`` ("100") go into the message. With ``min_inclusive`` the minimum itself is
    allowed.
    """
    raw = text if isinstance(text, str) else str(text)
    stripped = raw.strip()
    shown = repr(raw)
    if not stripped:
        raise NumberInputError(f"{name} is empty", f"give a number, e.g. {example}")
    if not _PLAIN.fullmatch(stripped):
        if "_" in stripped or "," in stripped or " " in stripped:
            sep = "_" if "_" in stripped else "," if "," in stripped else " "
            raise NumberInputError(
                f"{name} {shown} contains {sep!r}: digit separators are not accepted",
                f"write the digits only, e.g. {example}",
            )
        if _NON_FINITE.fullmatch(stripped):
            raise NumberInputError(
                f"{name} {shown} is not a finite number", f"give a number, e.g. {example}"
            )
        if any(not ch.isascii() for ch in stripped):
            ascii_text = _ascii_equivalent(stripped)
            fix = (
                f"type {ascii_text} instead"
                if ascii_text and _PLAIN.fullmatch(ascii_text)
                else (f"e.g. {example}")
            )
            raise NumberInputError(
                f"{name} {shown} is not plain ASCII: use the digits 0-9 only", fix
            )
        raise NumberInputError(f"{name} {shown} is not a number", f"e.g. {example}")
    try:
        value = Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise NumberInputError(f"{name} {shown} is not a number", f"e.g. {example}") from None
    if value > maximum:
        raise NumberInputError(
            f"{name} {stripped} is too large: the largest accepted is {_fmt(maximum)}",
            f"give at most {_fmt(maximum)}",
        )
    too_small = value < minimum if min_inclusive else value <= minimum
    if too_small:
        bound = f"at least {_fmt(minimum)}" if min_inclusive else f"more than {_fmt(minimum)}"
        kind = "must be positive" if minimum == 0 and not min_inclusive else f"must be {bound}"
        raise NumberInputError(f"{name} {kind}, got {stripped}", f"e.g. {example}")
    if _decimals(value) > max_decimals:
        raise NumberInputError(
            f"{name} {stripped} has more than {max_decimals} decimal places",
            f"round it, e.g. {example}",
        )
    return value

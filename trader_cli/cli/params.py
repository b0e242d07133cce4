"""Parsers for numeric command-line options: plain ASCII, finite, inside a documented range.

Typer's own coercion takes ``2_0``, ``inf`` and ``1e308`` for numbers, and ignores ``min``/``max``
when a parser is given, so every numeric option of every command uses one of these parsers
(``typer.Option(parser=seconds("--timeout", 0, 86_400))``). A bad value is a usage error: exit 2
with ``Invalid value for '--timeout': ...`` before anything connects or is sent.

typer is imported only to report a bad value: the emergency commands' own parser
(:mod:`trader_cli.cli.lean`) calls these same functions without loading typer.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import NoReturn

from trader_cli.domain.inputs import NumberInputError, parse_plain_decimal

#: The longest wait any command accepts for an order or a fill (a day).
MAX_WAIT_SECONDS = 86_400
#: ``run --cycles`` at most (a million 1-second cycles is eleven days).
MAX_CYCLES = 1_000_000
#: ``--speed`` at most (``SIM_SPEED`` has the same bound).
MAX_SIM_SPEED = 100_000
#: ``--seed`` at most.
MAX_SEED = 2**32 - 1


def _parse(
    text: object,
    name: str,
    lo: float,
    hi: float,
    *,
    lo_inclusive: bool,
    example: str,
    whole: bool,
) -> Decimal:
    try:
        value = parse_plain_decimal(
            str(text),
            name=name,
            example=example,
            maximum=Decimal(str(hi)),
            minimum=Decimal(str(lo)),
            min_inclusive=lo_inclusive,
        )
    except NumberInputError as e:
        _refuse(f"{e.message} ({e.hint})")
    if whole and value != value.to_integral_value():
        shown = str(text).strip()
        _refuse(f"{name} {shown} is not a whole number (e.g. {example})")
    return value


def _refuse(message: str) -> NoReturn:
    """A usage error (exit 2, ``Invalid value for ...``) in Typer's words."""
    import typer

    raise typer.BadParameter(message) from None


def seconds(
    name: str, lo: float, hi: float, *, lo_inclusive: bool = True, example: str = "30"
) -> Callable[[str], float]:
    """A parser for a float option in [``lo``, ``hi``] (``(lo, hi]`` without ``lo_inclusive``)."""

    def parse(text: str) -> float:
        if isinstance(text, float | int) and not isinstance(text, bool):
            return float(text)  # the declared default
        return float(
            _parse(text, name, lo, hi, lo_inclusive=lo_inclusive, example=example, whole=False)
        )

    return parse


def whole(name: str, lo: int, hi: int, *, example: str = "10") -> Callable[[str], int]:
    """A parser for an integer option in [``lo``, ``hi``]."""

    def parse(text: str) -> int:
        if isinstance(text, int) and not isinstance(text, bool):
            return text  # the declared default
        return int(_parse(text, name, lo, hi, lo_inclusive=True, example=example, whole=True))

    return parse


# The numeric options of the emergency commands: one parser each, which both Typer's option and
# the commands' own parser (trader_cli.cli.lean) call.
#: ``place --timeout``.
PLACE_TIMEOUT = seconds("--timeout", 0, MAX_WAIT_SECONDS)
#: ``flatten --reprice``.
FLATTEN_REPRICE = whole("--reprice", 0, 10, example="2")
#: ``flatten --wait``.
FLATTEN_WAIT = seconds("--wait", 0.5, MAX_WAIT_SECONDS, example="10")

"""Timeframes (``1m`` … ``1w``): parsed and validated in this one place."""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from enum import StrEnum

from trader_cli.errors import TimeframeError


class Timeframe(StrEnum):
    """A candle period, in ccxt notation."""

    M1 = "1m"
    M2 = "2m"
    M3 = "3m"
    M5 = "5m"
    M10 = "10m"
    M15 = "15m"
    M20 = "20m"
    M30 = "30m"
    H1 = "1h"
    H2 = "2h"
    H3 = "3h"
    H4 = "4h"
    H6 = "6h"
    H8 = "8h"
    D1 = "1d"
    W1 = "1w"

    @property
    def seconds(self) -> int:
        """Length of one bar in seconds."""
        return _SECONDS[self]

    @property
    def delta(self) -> timedelta:
        """Length of one bar."""
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return self.value


_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_SECONDS = {tf: int(tf.value[:-1]) * _UNIT_SECONDS[tf.value[-1]] for tf in Timeframe}
_BY_SECONDS = {s: tf for tf, s in _SECONDS.items()}
_ALIASES = {
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "t": "m",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
    "wk": "w",
    "week": "w",
    "weeks": "w",
}
_SPELLING = re.compile(r"^(\d+)\s*([a-z]+)$")

SUPPORTED = ", ".join(tf.value for tf in Timeframe)


def parse_timeframe(text: str | Timeframe) -> Timeframe:
    """Parse ``5m``, ``5min``, ``1H``, ``60m``, ``1day`` … into a :class:`Timeframe`.

    Raises :class:`TimeframeError` naming the supported values (and the nearest one).
    """
    if isinstance(text, Timeframe):
        return text
    raw = str(text)
    cleaned = raw.strip().lower()
    match = _SPELLING.match(cleaned)
    if match:
        count, unit = int(match.group(1)), match.group(2)
        unit = _ALIASES.get(unit, unit)
        if unit in _UNIT_SECONDS and count > 0:
            found = _BY_SECONDS.get(count * _UNIT_SECONDS[unit])
            if found is not None:
                return found
    near = difflib.get_close_matches(cleaned, [tf.value for tf in Timeframe], n=1)
    hint = f"use one of {SUPPORTED}" + (f" (nearest: {near[0]})" if near else "")
    raise TimeframeError(f"unsupported timeframe {raw!r}", hint=hint)

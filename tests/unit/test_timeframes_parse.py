"""Timeframes are parsed and validated in one place."""

from __future__ import annotations

import pytest

from trader_cli.domain.timeframes import Timeframe, parse_timeframe
from trader_cli.errors import ExitCode, TimeframeError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1m", Timeframe.M1),
        ("5m", Timeframe.M5),
        ("5min", Timeframe.M5),
        ("5 mins", Timeframe.M5),
        ("15M", Timeframe.M15),
        ("60m", Timeframe.H1),
        ("1h", Timeframe.H1),
        ("1hr", Timeframe.H1),
        ("4 hours", Timeframe.H4),
        ("1d", Timeframe.D1),
        ("1day", Timeframe.D1),
        ("24h", Timeframe.D1),
        ("1w", Timeframe.W1),
        (Timeframe.H2, Timeframe.H2),
    ],
)
def test_spellings_map_to_one_timeframe(text: str, expected: Timeframe) -> None:
    assert parse_timeframe(text) is expected


@pytest.mark.parametrize("text", ["7m", "0m", "1y", "", "abc", "-5m", "1.5h", "90s"])
def test_unsupported_timeframes_name_the_allowed_ones(text: str) -> None:
    with pytest.raises(TimeframeError) as info:
        parse_timeframe(text)
    assert info.value.exit_code is ExitCode.BAD_INPUT
    assert "1m" in str(info.value)
    assert "1d" in str(info.value)


def test_nearest_timeframe_is_suggested() -> None:
    with pytest.raises(TimeframeError, match="nearest: 5m"):
        parse_timeframe("5mm")


def test_seconds_are_consistent() -> None:
    assert Timeframe.M5.seconds == 300
    assert Timeframe.H4.delta.total_seconds() == 4 * 3600
    assert sorted(Timeframe, key=lambda t: t.seconds)[0] is Timeframe.M1

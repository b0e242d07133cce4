"""The bot's part of a position: the venue's less the baseline, never a short nobody sold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from trader_cli.domain.baseline import (
    Baseline,
    BaselineHolding,
    bot_positions,
    split_position,
    split_positions,
)
from trader_cli.domain.models import Position
from trader_cli.domain.money import Money

D = Decimal
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _pos(symbol: str, qty: str) -> Position:
    return Position(symbol, D(qty), D(45), D(46), T0, "AUD")


def _baseline(**held: str) -> Baseline:
    return Baseline(
        T0,
        "AUD",
        tuple(
            BaselineHolding(f"{s}/AUD", D(q), D(45), "AUD", Money(D(q) * 45, "AUD"))
            for s, q in held.items()
        ),
    )


def test_above_the_baseline_the_rest_is_the_bots() -> None:
    s = split_position("BHP/AUD", D(130), D(100))
    assert (s.baseline, s.bot, s.baseline_gone) == (100, 30, 0)
    assert s.note == ""


def test_a_baseline_sold_by_hand_is_reported_not_made_a_short() -> None:
    s = split_position("BHP/AUD", D(60), D(100))
    assert (s.baseline, s.bot, s.baseline_gone) == (60, 0, 40)
    assert "40 of the baseline's BHP/AUD is no longer held" in s.note


def test_the_bots_own_recorded_sells_below_the_baseline_are_its_short() -> None:
    # the bot sold 50 of its own accord: the venue's 50 is the baseline's 100 less the bot's 50
    s = split_position("BHP/AUD", D(50), D(100), recorded=D(-50))
    assert (s.baseline, s.bot, s.baseline_gone) == (100, -50, 0)
    # it sold 30, someone else 20: only the 30 is the bot's
    s = split_position("BHP/AUD", D(50), D(100), recorded=D(-30))
    assert (s.baseline, s.bot, s.baseline_gone) == (80, -30, 20)


def test_through_zero_the_other_side_is_real_and_the_bots() -> None:
    s = split_position("BHP/AUD", D(-20), D(100))
    assert (s.baseline, s.bot, s.baseline_gone) == (0, -20, 100)


def test_a_short_baseline_mirrors_a_long_one() -> None:
    assert split_position("NDQ/AUD", D(-130), D(-100)).bot == -30
    s = split_position("NDQ/AUD", D(-40), D(-100))
    assert (s.baseline, s.bot, s.baseline_gone) == (-40, 0, 60)


def test_without_a_baseline_everything_is_the_bots() -> None:
    positions = [_pos("BHP/AUD", "10")]
    assert bot_positions(positions, None) == positions
    assert split_position("BHP/AUD", D(10), D(0)).bot == 10


def test_bot_positions_drop_what_is_all_baseline_and_keep_the_rest() -> None:
    got = bot_positions([_pos("BHP/AUD", "100"), _pos("CBA/AUD", "25")], _baseline(BHP="100"))
    assert [(p.symbol, p.quantity) for p in got] == [("CBA/AUD", 25)]
    got = bot_positions([_pos("BHP/AUD", "120")], _baseline(BHP="100"))
    assert [(p.symbol, p.quantity, p.avg_price) for p in got] == [("BHP/AUD", 20, 45)]


def test_a_baseline_symbol_the_venue_no_longer_holds_is_split_too() -> None:
    (s,) = split_positions([], _baseline(BHP="100"))
    assert (s.symbol, s.venue, s.bot, s.baseline_gone) == ("BHP/AUD", 0, 0, 100)


def test_the_summary_names_the_holdings_and_their_value() -> None:
    text = _baseline(BHP="100").describe()
    assert text == (
        "baseline from 2026-01-05 00:00 UTC: BHP 100 (≈ 4,500.00 AUD) kept out of PnL and "
        "exposure"
    )


quantities = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)


@given(venue=quantities, baseline=quantities, recorded=quantities)
def test_the_parts_always_add_up_to_the_venue(venue, baseline, recorded) -> None:
    s = split_position("BHP/AUD", venue, baseline, recorded)
    assert s.baseline + s.bot == venue
    assert s.baseline_gone >= 0
    assert abs(s.baseline) <= abs(baseline)
    if baseline != 0:
        sign = 1 if baseline > 0 else -1
        assert s.baseline * sign >= 0  # the baseline part never changes side
        if recorded * sign >= 0 and 0 <= venue * sign <= abs(baseline):
            # no fills of the bot's explain a shortfall: never a short; the bot's part is at
            # most what its own fills added on the baseline's side
            assert 0 <= s.bot * sign <= recorded * sign


def test_the_bots_buys_stay_its_own_after_the_baseline_was_sold_by_hand() -> None:
    # baseline 1 BTC, 0.4 sold by hand, then the bot bought 0.1: the venue holds 0.7
    split = split_position("BTC/USD", D("0.7"), D(1), D("0.1"))
    assert (split.bot, split.baseline, split.baseline_gone) == (D("0.1"), D("0.6"), D("0.4"))
    # a short baseline covered by hand, then the bot sold: the mirror image
    split = split_position("AUD/USD", D(-70), D(-100), D(-10))
    assert (split.bot, split.baseline, split.baseline_gone) == (D(-10), D(-60), D(40))
    # the venue holds less than the bot bought: all of it is the bot's, the baseline is gone
    split = split_position("BTC/USD", D("0.05"), D(1), D("0.1"))
    assert (split.bot, split.baseline, split.baseline_gone) == (D("0.05"), D(0), D(1))

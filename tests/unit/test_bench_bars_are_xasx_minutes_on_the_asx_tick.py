"""bench/synthetic_bars.py: the bench's bars lie inside XASX sessions, on the ASX price step,
OHLC-consistent, the same for a seed, and load as the sim and the backtest read CSVs."""

from __future__ import annotations

import bisect
import importlib.util
import itertools
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from trader_cli.domain.ticks import asx_tick_size, is_on_tick
from trader_cli.hours import Market, sessions
from trader_cli.sim.engine.market import load_bars_csv

BENCH = Path(__file__).resolve().parents[2] / "bench"
MINUTE = timedelta(minutes=1)
# 2024-12-20 (Fri) on: Christmas Eve closes early (14:10 Sydney = 03:10 UTC), the 25th and
# 26th are holidays, New Year's Eve closes early too
START = date(2024, 12, 20)


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic_bars", BENCH / "synthetic_bars.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic_bars"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def written(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bars") / "BHP.csv"
    gen.write_csv(path, 3_000, 5, start=START)
    return path


def rows(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ts,open,high,low,close,volume"
    return [line.split(",") for line in lines[1:]]


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_bar_is_a_minute_inside_an_xasx_session_and_none_is_skipped(written: Path) -> None:
    times = [stamp(r[0]) for r in rows(written)]
    assert len(times) == 3_000
    found = sessions(Market.ASX, times[0], times[-1] + MINUTE)
    opens = [o for o, _ in found]
    for ts in times:
        i = bisect.bisect_right(opens, ts) - 1
        assert i >= 0, f"{ts} is before the first session"
        assert ts + MINUTE <= found[i][1], f"{ts} is not inside the session {found[i]}"
    # every minute of every session from the first bar to the last has its bar
    expected = 0
    for o, c in found:
        end = min(c, times[-1] + MINUTE)
        expected += int((end - o) / MINUTE)
    assert expected == len(times)
    assert times == sorted(set(times))


def test_holidays_have_no_bars_and_early_closes_end_early(written: Path) -> None:
    times = [stamp(r[0]) for r in rows(written)]
    days = {t.astimezone(UTC).date() for t in times}
    # Sydney 10:00 is the previous UTC day (23:00 in summer): the 25th and 26th open nothing
    assert datetime(2024, 12, 24, 23, 0, tzinfo=UTC) not in times
    assert datetime(2024, 12, 25, 23, 0, tzinfo=UTC) not in times
    christmas_eve = [t for t in times if t.date() == date(2024, 12, 24)]
    assert christmas_eve
    assert max(christmas_eve) == datetime(2024, 12, 24, 3, 9, tzinfo=UTC)
    assert date(2024, 12, 27) in days


def test_prices_are_on_the_asx_step_and_bars_are_consistent(written: Path) -> None:
    for row in rows(written):
        o, h, lo, c = (Decimal(x) for x in row[1:5])
        for price in (o, h, lo, c):
            assert is_on_tick(price, asx_tick_size(price)), f"{price} is off the step in {row}"
        assert lo <= min(o, c) <= max(o, c) <= h, row
        assert int(row[5]) >= 1


@pytest.mark.parametrize("price", [45.0, 1.2, 0.05])
def test_every_price_band_gets_its_own_step(gen: ModuleType, price: float) -> None:
    bars = list(gen.generate(2_000, 3, start=START, price=price))
    steps = set()
    for bar in bars:
        for millis in (bar.open, bar.high, bar.low, bar.close):
            value = Decimal(gen.price_text(millis))
            steps.add(asx_tick_size(value))
            assert is_on_tick(value, asx_tick_size(value)), value
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
    assert asx_tick_size(Decimal(str(price))) in steps


def test_the_walk_crosses_its_moving_averages_and_its_volatility_clusters(
    written: Path,
) -> None:
    bars = rows(written)
    closes = [float(r[4]) for r in bars]
    diffs = [
        sum(closes[i - 9 : i + 1]) / 10 - sum(closes[i - 29 : i + 1]) / 30
        for i in range(29, len(closes))
    ]
    crossings = sum((a > 0) != (b > 0) for a, b in itertools.pairwise(diffs))
    assert crossings >= 20
    ranges = [float(r[2]) - float(r[3]) for r in bars]
    hourly = [sum(ranges[i : i + 60]) / 60 for i in range(0, len(ranges) - 59, 60)]
    assert max(hourly) > 1.5 * min(hourly)


def test_same_seed_same_file_other_seed_other_file(gen: ModuleType, tmp_path: Path) -> None:
    first, again, other = (tmp_path / d for d in ("a", "b", "c"))
    for folder, seed in ((first, 9), (again, 9), (other, 10)):
        folder.mkdir()
        gen.write_csv(folder / "BHP.csv", 1_000, seed, start=START)
    assert (first / "BHP.csv").read_bytes() == (again / "BHP.csv").read_bytes()
    assert (first / "BHP.csv").read_bytes() != (other / "BHP.csv").read_bytes()
    sessions_file = (first / "BHP.sessions.json").read_text(encoding="utf-8")
    assert '"calendar": "XASX"' in sessions_file


def test_the_file_loads_as_bhp_bars(written: Path) -> None:
    loaded = load_bars_csv(written)
    assert list(loaded) == ["BHP"]
    bars = loaded["BHP"]
    assert len(bars) == 3_000
    first = rows(written)[0]
    assert bars[0].ts == stamp(first[0])
    assert bars[0].close == float(first[4])

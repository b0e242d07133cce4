"""Bad input on ``--venue gemini --sim``: the documented exit code, a message that says what to do,
and nothing sent (no order in the database, none at the simulator)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

G = ("--venue", "gemini", "--sim")


@pytest.fixture(autouse=True)
def pinned(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")
    monkeypatch.setenv("MIN_TRADE_SIZE", "0.01")  # the venue's own minimum is what is tested
    monkeypatch.setenv("MAX_ORDER_VALUE", "10000000")
    monkeypatch.setenv("MAX_TOTAL_EXPOSURE", "100000000")


def nothing_sent(home: Path) -> None:
    db = home / "trader-gemini-sim.sqlite"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from orders").fetchone() == (0,)
    world = home / "sim" / "gemini-world.json"
    if world.exists():
        assert json.loads(world.read_text())["world"]["orders"] == {}


READS = [
    (("bars", "BTC/USD", "-t", "4h"), 2, "Gemini has no 4h candles"),
    (("bars", "BTC/USD", "-t", "1h", "-n", "5000"), 2, "at most 1440 candles: use -n 1440"),
    (("quote", "DOGE/USD"), 2, "Gemini has no DOGE/USD market"),
    (("quote", "BHP/AUD"), 2, "BHP/AUD is an ASX equity; Gemini trades only crypto"),
    (("quote", "btcusd"), 2, "did you mean 'BTC/USD'"),
    (("resolve-symbol", "DOGE/USD"), 2, "Gemini has no DOGE/USD market"),
    (("flatten", "DOGE/USD"), 2, "Gemini has no DOGE/USD market"),
    (("flatten", "BHP/AUD"), 2, "Gemini trades only crypto"),
]
PLACES = [
    (("place", "DOGE/USD", "buy", "1", "--limit", "0.1"), 2, "no DOGE/USD market"),
    (("place", "BTC/USD", "buy", "0.000001", "--limit", "62000"), 2,
     "0.000001 BTC is below the venue's minimum order size 0.00001"),
    (("place", "BTC/USD", "buy", "0.123456789", "--limit", "62000"), 2,
     "multiples of 0.00000001; 0.123456789 is not one"),
    (("place", "BTC/USD", "buy", "0.001", "--limit", "30000"), 3,
     "MAX_PRICE_DEVIATION_PCT_CRYPTO"),
    (("place", "BTC/USD", "sell", "2", "--limit", "62000"), 3,
     "Gemini has no short selling: cannot sell 2 BTC"),
    (("place", "ETH/USD", "sell", "1", "--market"), 3, "no short selling"),
    (("place", "BTC/USD", "buy", "0.001", "--limit", "62000", "--tif", "day"), 2,
     "Gemini has no DAY orders"),
]


def _refused(trader, home: Path, args: tuple[str, ...], code: int, fragment: str) -> None:
    r = trader(*args, *G)
    assert r.code == code, r.out + r.err
    assert fragment in " ".join(r.err.split()), r.err
    assert "Traceback" not in r.err
    nothing_sent(home)


@pytest.mark.parametrize(("args", "code", "fragment"), READS)
def test_bad_market_data_and_flatten_input_exits_with_its_code(
    trader, clean_env: Path, args: tuple[str, ...], code: int, fragment: str
) -> None:
    _refused(trader, clean_env, args, code, fragment)


@pytest.mark.parametrize(("args", "code", "fragment"), PLACES)
@pytest.mark.parametrize("dry_run", [False, True])
def test_bad_order_exits_with_its_code_and_sends_nothing(
    trader, clean_env: Path, args: tuple[str, ...], code: int, fragment: str, dry_run: bool
) -> None:
    _refused(trader, clean_env, (*args, *(("--dry-run",) if dry_run else ())), code, fragment)


def test_a_typed_off_tick_limit_is_refused_naming_the_steps_either_side(
    trader, clean_env: Path
) -> None:
    for side, price, fragment in (
        ("buy", "62000.005", "use 62000.00 or 62000.01"),
        ("sell", "62200.001", "use 62200.00 or 62200.01"),
    ):
        for dry in ((), ("--dry-run",)):
            r = trader("place", "BTC/USD", side, "0.001", "--limit", price, *G, *dry)
            assert r.code == 2, r.out
            assert fragment in " ".join(r.err.split())
    nothing_sent(clean_env)

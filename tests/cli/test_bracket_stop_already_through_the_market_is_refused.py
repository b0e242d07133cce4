"""``place --stop`` refuses a stop the market has already passed: it would be elected the moment
the entry fills and sell (or buy back) at once, a round trip instead of protection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# the sim's BHP/AUD at the pinned clock: bid 42.60, ask 42.61


@pytest.fixture(autouse=True)
def pinned_sim(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("SIM_SEED", "7")


def world_orders(home: Path) -> list[dict]:
    path = home / "sim" / "ib-world.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["world"]["orders"].values())


@pytest.mark.parametrize(
    ("side", "limit", "stop", "target", "words"),
    [
        # a long's marketable entry: its stop 42.70 is above the bid 42.60 (elected at once)
        ("buy", "42.80", "42.70", "43.60", "at or above the bid 42.60"),
        # a short's marketable entry: its stop 42.50 is under the ask 42.61
        ("sell", "42.40", "42.50", "41.60", "at or below the ask 42.61"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_stop_the_market_has_passed_is_refused_and_nothing_sent(
    trader, clean_env, side, limit, stop, target, words, dry_run
) -> None:
    args = ["place", "BHP/AUD", side, "100", "--limit", limit, "--stop", stop,
            "--target", target, "--venue", "sim"]
    r = trader(*args, *(["--dry-run"] if dry_run else ["--timeout", "2"]))

    assert r.code == 2, r.out + r.err
    assert f"stop {stop}" in r.err
    assert words in r.err
    assert world_orders(clean_env) == []


def test_a_stop_under_the_bid_is_sent(trader, clean_env) -> None:
    r = trader("place", "BHP/AUD", "buy", "100", "--limit", "42.80", "--stop", "42.59",
               "--target", "43.60", "--venue", "sim", "--dry-run")
    assert r.code == 0, r.err

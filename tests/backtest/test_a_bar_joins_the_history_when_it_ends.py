"""A bar joins the history a strategy reads when it has ended — at its own end, not at the next
step of another symbol: five-minute bars beside one-minute bars, or bars of two files whose
times are offset, are never shown (with their close) before they end."""

from __future__ import annotations

import importlib
import textwrap
from datetime import datetime, timedelta

from tests.backtest.conftest import write_bars

WATCH = """
from trader_cli.strategies import api

class History:
    name = "history"
    seen = []

    async def decide(self, ctx):
        for symbol in ctx.universe:
            for tf in (api.Timeframe.M1, api.Timeframe.M5):
                try:
                    bars = await ctx.data.candles(symbol, tf, 3)
                except Exception:
                    continue  # a timeframe that symbol's bars cannot make
                if bars:
                    History.seen.append((ctx.now, str(symbol), tf.seconds, bars[-1].ts))
        return []
"""


def _plugin(tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "history.py").write_text(textwrap.dedent(WATCH))
    monkeypatch.syspath_prepend(str(plugins))


def _every(path, rows, step, shift=None):
    out = rows[::step]
    if shift is not None:
        out = [r.replace(":00Z,", f":{shift:02d}Z,", 1) for r in out]
    path.write_text("ts,open,high,low,close,volume\n" + "\n".join(out) + "\n")


def _seen_before_its_end(own: dict[str, int]):
    """What the strategy read, and the bars among it shown before their end (in each file's
    own bar size: longer ones made from them may be in progress, from ended bars only)."""
    seen = importlib.import_module("history").History.seen
    assert seen, "the strategy read bars"
    early = [(now, sym, last) for now, sym, secs, last in seen
             if secs == own[sym] and last + timedelta(seconds=secs) > now]
    return seen, early


def test_five_minute_bars_beside_one_minute_bars_are_shown_when_they_end(
        trader, tmp_path, monkeypatch):
    _plugin(tmp_path, monkeypatch)
    write_bars(tmp_path / "BHP_AUD.csv", 60)
    _every(tmp_path / "CBA_AUD.csv", write_bars(tmp_path / "cba1m.csv", 60, price=120.0), 5)
    r = trader("backtest", "--bars", str(tmp_path / "BHP_AUD.csv"), "--bars",
               str(tmp_path / "CBA_AUD.csv"), "--strategy", "history:History", "--json")
    assert r.code == 0, r.err
    seen, early = _seen_before_its_end({"BHP/AUD": 60, "CBA/AUD": 300})
    assert any(sym == "CBA/AUD" for _, sym, _, _ in seen)
    assert early == [], early[:3]


def test_bars_of_offset_files_are_shown_when_they_end(trader, tmp_path, monkeypatch):
    _plugin(tmp_path, monkeypatch)
    write_bars(tmp_path / "BHP_AUD.csv", 30)
    _every(tmp_path / "CBA_AUD.csv", write_bars(tmp_path / "cba1m.csv", 30, price=120.0), 1,
           shift=30)  # CBA's minutes start at :30
    r = trader("backtest", "--bars", str(tmp_path / "BHP_AUD.csv"), "--bars",
               str(tmp_path / "CBA_AUD.csv"), "--strategy", "history:History", "--json")
    assert r.code == 0, r.err
    seen, early = _seen_before_its_end({"BHP/AUD": 60, "CBA/AUD": 60})
    assert {sym for _, sym, _, _ in seen} == {"BHP/AUD", "CBA/AUD"}
    assert early == [], early[:3]
    # and each is shown as soon as it has ended: at the first step at or after its end
    last_of = {}
    for now, sym, secs, last in seen:
        if secs == 60:
            last_of.setdefault(sym, []).append((now, last))
    for sym, pairs in last_of.items():
        for now, last in pairs:
            assert now - (last + timedelta(minutes=1)) < timedelta(minutes=1), (sym, now, last)
    assert isinstance(seen[0][0], datetime)

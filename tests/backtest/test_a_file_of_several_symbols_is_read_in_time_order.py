"""A ``--bars`` file with a ``symbol`` column is read a line at a time and merged by time: one
symbol's block after another's would replay the second symbol's bars late (a bar of 10:00
traded at 10:09). It is refused, exit 2, naming the bars and how to fix it, nothing written."""

from __future__ import annotations

from tests.backtest.conftest import SMA, write_bars


def _with_symbol(rows: list[str], name: str) -> list[str]:
    return [f"{row},{name}" for row in rows]


def test_one_symbol_after_another_in_one_file_is_refused(trader, tmp_path):
    bhp = write_bars(tmp_path / "a.csv", 10, seed=1)
    cba = write_bars(tmp_path / "b.csv", 10, seed=2, price=120.0)
    both = tmp_path / "both.csv"
    # CBA's block starts later than BHP's last bar's time would allow: 00:10, 00:11, ... would
    # pass, the file's 00:00 to 00:09 cannot
    both.write_text("ts,open,high,low,close,volume,symbol\n"
                    + "\n".join(_with_symbol(bhp, "BHP") + _with_symbol(cba[:1], "CBA")) + "\n")
    plot = tmp_path / "equity.png"
    r = trader("backtest", "--bars", str(both), "--strategy", SMA, "--plot", str(plot))
    assert r.code == 2, (r.out, r.err)
    assert "CBA" in r.err and "time order" in r.err and "own --bars file" in r.err
    assert not plot.exists()


def test_the_same_bars_interleaved_by_time_are_accepted(trader, tmp_path):
    bhp = write_bars(tmp_path / "a.csv", 10, seed=1)
    cba = write_bars(tmp_path / "b.csv", 10, seed=2, price=120.0)
    rows = sorted(_with_symbol(bhp, "BHP") + _with_symbol(cba, "CBA"))
    both = tmp_path / "both.csv"
    both.write_text("ts,open,high,low,close,volume,symbol\n" + "\n".join(rows) + "\n")
    r = trader("backtest", "--bars", str(both), "--strategy", SMA, "--json")
    assert r.code == 0, r.err
    assert '"BHP/AUD"' in r.out and '"CBA/AUD"' in r.out

"""Every kind of bad input to ``trader backtest`` exits 2 with a message that names what is
wrong (and nothing is run or written: the ``--plot`` file never appears)."""

from __future__ import annotations

import json

import pytest

from tests.backtest.conftest import SMA, write_bars


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "BHP_AUD.csv"
    rows = write_bars(good, 60)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header_only.csv").write_text("ts,open,high,low,close,volume\n")
    (tmp_path / "bad_line.csv").write_text(
        "ts,open,high,low,close,volume\n" + "\n".join(rows[:5]) + "\nnot,a,bar\n")
    (tmp_path / "unsorted.csv").write_text(
        "ts,open,high,low,close,volume\n" + "\n".join([rows[1], rows[0], *rows[2:]]) + "\n")
    (tmp_path / "XYZ.csv").write_text(good.read_text())
    (tmp_path / "a-folder").mkdir()
    rec = tmp_path / "gemini-recording" / "golden"
    rec.mkdir(parents=True)
    (rec / "bars.json").write_text(json.dumps({"BTC/USD 1m": [
        {"ts": "2024-07-03T00:00:00Z", "open": 1, "high": 2, "low": 1, "close": 2}]}))
    (tmp_path / "no-bars-recording").mkdir()
    return tmp_path


CASES = [
    (["--bars", "a-folder"], "is a folder"),
    (["--bars", "missing.csv"], "no such file"),
    (["--bars", "empty.csv", "--symbol", "BHP/AUD"], "empty"),
    (["--bars", "header_only.csv", "--symbol", "BHP/AUD"], "no bars"),
    (["--bars", "bad_line.csv", "--symbol", "BHP/AUD"], "line 7"),
    (["--bars", "unsorted.csv", "--symbol", "BHP/AUD"], "time order"),
    (["--bars", "XYZ.csv"], "not a symbol the simulator lists"),
    (["--bars", "BHP_AUD.csv", "--symbol", "XYZ/AUD"], "knows no XYZ/AUD"),
    (["--bars", "BHP_AUD.csv", "--bars", "BHP_AUD.csv"], "two files with the same symbol"),
    (["--bars", "BHP_AUD.csv", "--symbol", "BHP/AUD", "--symbol", "CBA/AUD"], "2 --symbol"),
    (["--bars", "BHP_AUD.csv", "--from", "2030-01-01"], "no bars from --from"),
    (["--bars", "BHP_AUD.csv", "--to", "2020-01-01"], "before --to"),
    (["--bars", "BHP_AUD.csv", "--from", "2024-07-05", "--to", "2024-07-03"], "not after"),
    (["--bars", "BHP_AUD.csv", "--from", "2024-07-03T01:00:00"], "no time zone"),
    (["--bars", "BHP_AUD.csv", "--to", "yesterday"], "not a date"),
    (["--bars", "BHP_AUD.csv", "--cash", "0"], "--cash"),
    (["--bars", "BHP_AUD.csv", "--cash", "-5"], "--cash"),
    (["--bars", "BHP_AUD.csv", "--cash", "1e100"], "--cash"),
    (["--bars", "BHP_AUD.csv", "--cash", "abc"], "--cash"),
    (["--bars", "BHP_AUD.csv", "--cash", "NaN"], "--cash"),
    (["--replay", "no-bars-recording"], "holds no bars"),
    (["--replay", "gemini-recording"], "crypto"),
    (["--replay", "gemini-recording", "--bars", "BHP_AUD.csv"], "not both"),
    ([], "no bars"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(a) or "nothing" for a, _ in CASES])
def test_bad_input_exits_2_naming_the_problem(trader, files, args, said):
    plot = files / "equity.html"
    r = trader("backtest", *args, "--strategy", SMA, "--plot", str(plot))
    assert r.code == 2, (r.out, r.err)
    assert said in " ".join(r.err.split()), r.err
    assert "Traceback" not in r.err
    assert not plot.exists()


def test_gemini_is_refused_before_anything_runs(trader, files):
    r = trader("--venue", "gemini", "backtest", "--bars", str(files / "BHP_AUD.csv"),
               "--strategy", SMA, "--json")
    assert r.code == 2
    assert "IB's instruments" in json.loads(r.out)["error"]["message"]

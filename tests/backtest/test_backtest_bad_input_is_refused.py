"""Bad input to ``trader backtest`` exits 2 with what to fix, before anything runs, and writes
nothing (no plot)."""

from __future__ import annotations

import pytest

from tests.backtest.conftest import SMA, write_bars


@pytest.fixture
def bars(tmp_path):
    path = tmp_path / "BHP_AUD.csv"
    write_bars(path, 200)
    return path


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--bars", "missing.csv"], "no such file"),
        ([], "no bars"),
        (["--bars", "{bars}", "--symbol", "BHP/AUD", "--symbol", "CBA/AUD"], "2 --symbol for 1"),
        (["--bars", "{bars}", "--cash", "-5"], "--cash"),
        (["--bars", "{bars}", "--cash", "abc"], "--cash"),
        (["--bars", "{bars}", "--cash", "1e100"], "--cash"),
        (["--bars", "{bars}", "--from", "2024-07-05", "--to", "2024-07-04"], "--to is not after"),
        (["--bars", "{bars}", "--from", "2024-07-05T00:00:00"], "no time zone"),
        (["--bars", "{bars}", "--to", "yesterday"], "not a date"),
        (["--bars", "{bars}", "--plot", "{tmp}/chart.txt"], ".png or an .html"),
        (["--bars", "{bars}", "--strategy", "no.such.module:Nope"], "no.such.module"),
        (["--bars", "{bars}", "--timeframe", "5m"], "--timeframe"),
        (["--bars", "{bars}", "--from", "2030-01-01"], "no bars from --from"),
        (["--bars", "{bars}", "--to", "2020-01-01"], "no bars to replay"),
    ],
)
def test_bad_options_exit_2(trader, tmp_path, bars, args, said):
    argv = [a.format(bars=bars, tmp=tmp_path) for a in args]
    r = trader("backtest", "--strategy", SMA, *argv) if "--strategy" not in argv else trader(
        "backtest", *argv)
    assert r.code == 2, (r.code, r.out, r.err)
    assert said in r.err.replace("\n", ""), r.err
    assert "Traceback" not in r.err
    assert not (tmp_path / "chart.txt").exists()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("ts,open,high,low,close\n2024-07-03T00:00:00Z,45,44,45,45\n", "line 2"),
        ("ts,open,high,low,close\n2024-07-03T00:01:00Z,45,45,45,45\n"
         "2024-07-03T00:00:00Z,45,45,45,45\n", "time order"),
        ("", "empty"),
        ("when,price\n1,2\n", "not a bars header"),
        ("ts,open,high,low,close\n2024-07-03T00:00:00,45,45,45,45\n", "no time zone"),
    ],
)
def test_a_bad_file_names_its_line_and_plots_nothing(trader, tmp_path, text, said):
    path = tmp_path / "BHP_AUD.csv"
    path.write_text(text)
    plot = tmp_path / "equity.html"
    r = trader("backtest", "--bars", str(path), "--strategy", SMA, "--plot", str(plot))
    assert r.code == 2, (r.out, r.err)
    err = r.err.replace("\n", "")  # the console wraps long lines
    assert said in err and "BHP_AUD.csv" in err
    assert not plot.exists()


def test_a_file_for_a_symbol_the_sim_does_not_list_is_refused(trader, tmp_path):
    path = tmp_path / "NOPE.csv"
    write_bars(path, 50)
    r = trader("backtest", "--bars", str(path), "--strategy", SMA)
    assert r.code == 2 and "NOPE" in r.err and "--symbol" in r.err


def test_gemini_is_refused_for_now(trader, bars):
    r = trader("backtest", "--bars", str(bars), "--strategy", SMA, "--venue", "gemini")
    assert r.code == 2 and "IB" in r.err


def test_a_recording_without_bars_is_refused(trader, tmp_path):
    empty = tmp_path / "rec"
    empty.mkdir()
    r = trader("backtest", "--replay", str(empty), "--strategy", SMA)
    assert r.code == 2 and "golden" in r.err


def test_the_llm_strategy_needs_a_yes_before_it_asks_the_model_at_every_bar(trader, bars,
                                                                            monkeypatch):
    # a paid request a bar: never by accident (and nothing is asked: no server is listening)
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    r = trader("backtest", "--bars", str(bars), "--strategy", "llm")
    err = r.err.replace("\n", " ")
    assert r.code == 2 and "200 bars" in err and "--allow-llm" in err

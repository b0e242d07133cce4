"""``trader resolve-symbol --offline``: contract specs, exit codes and messages seen by a user."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_json_prints_the_asx_contract(trader) -> None:
    r = trader("resolve-symbol", "BHP/AUD", "--offline", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["symbol"] == "BHP/AUD"
    assert data["instrumentClass"] == "asx_equity"
    c = data["contract"]
    assert (c["secType"], c["exchange"], c["primaryExchange"], c["currency"]) == (
        "STK",
        "SMART",
        "ASX",
        "AUD",
    )
    assert data["allowed"] is True


def test_global_options_work_before_the_command_too(trader) -> None:
    r = trader("--json", "--venue", "ib", "resolve-symbol", "aud/usd", "--offline")
    assert r.code == 0, r.err
    assert r.json()["contract"]["localSymbol"] == "AUD.USD"
    assert r.json()["venue"] == "ib"


def test_table_output_for_people(trader) -> None:
    r = trader("resolve-symbol", "VAS/AUD", "--offline")
    assert r.code == 0, r.err
    assert "ASX" in r.out
    assert "STK" in r.out
    assert "asx_etf" in r.out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("BHP.AX",), "did you mean 'BHP/AUD'?"),
        (("AUDUSD",), "did you mean 'AUD/USD'?"),
        (("bhp",), "needs a currency"),
        (("USD/AUD",), "AUD/USD"),
        (("BTC/USD", "--venue", "ib"), "--venue gemini"),
        (("BHP/AUD", "--venue", "gemini"), "only crypto"),
        (("AAPL/USD",), "IB_ALLOWED_INSTRUMENTS"),
    ],
)
def test_bad_symbols_exit_2_with_a_suggestion(trader, args: tuple[str, ...], fragment: str) -> None:
    r = trader("resolve-symbol", *args, "--offline")
    assert r.code == 2
    assert fragment in r.err
    assert r.out == ""
    assert "Traceback" not in r.err


def test_errors_in_json_mode_are_json_on_stdout(trader) -> None:
    r = trader("resolve-symbol", "BHP.AX", "--offline", "--json")
    assert r.code == 2
    err = r.json()["error"]
    assert err["type"] == "SymbolError"
    assert err["exit_code"] == 2
    assert "BHP/AUD" in err["hint"]


def test_unknown_venue_is_a_usage_error(trader) -> None:
    r = trader("resolve-symbol", "BHP/AUD", "--offline", "--venue", "binance")
    assert r.code == 2
    assert "binance" in r.err


def test_bad_config_exits_2_naming_the_variable(trader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IB_EXCHANGE", "smart//asx")
    r = trader("resolve-symbol", "BHP/AUD", "--offline")
    assert r.code == 2
    assert "IB_EXCHANGE" in r.err
    assert "smart//asx" in r.err


def test_missing_env_file_exits_2(trader, tmp_path: Path) -> None:
    r = trader("resolve-symbol", "BHP/AUD", "--offline", "--env-file", str(tmp_path / "x.env"))
    assert r.code == 2
    assert "x.env" in r.err


def test_env_file_changes_the_venue(trader, tmp_path: Path) -> None:
    env = tmp_path / "g.env"
    env.write_text("ACTIVE_EXCHANGE=gemini\n")
    r = trader("--env-file", str(env), "resolve-symbol", "BTC/USD", "--offline", "--json")
    assert r.code == 0, r.err
    assert r.json()["contract"]["id"] == "btcusd"


def test_symbol_outside_allowed_symbols_warns(trader) -> None:
    r = trader("resolve-symbol", "FMG/AUD", "--offline")
    assert r.code == 0
    assert "not in ALLOWED_SYMBOLS" in r.err

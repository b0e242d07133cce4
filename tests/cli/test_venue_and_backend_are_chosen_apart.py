"""`--venue` picks where orders go, `--sim` / `--replay DIR` what answers; `sim` is an alias."""

from __future__ import annotations

from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.domain.venues import Venue
from trader_cli.services.context import command_scope


@pytest.mark.parametrize(
    ("exchange", "backend", "expected"),
    [
        (None, None, Scope("ib", Backend.SIM, Mode.SIM)),  # nothing configured: IB on the sim
        ("sim", None, Scope("ib", Backend.SIM, Mode.SIM)),
        ("ib", None, Scope("ib", Backend.API, Mode.PAPER)),
        ("ib", Backend.SIM, Scope("ib", Backend.SIM, Mode.SIM)),  # --venue ib --sim
        ("sim", Backend.SIM, Scope("ib", Backend.SIM, Mode.SIM)),
        ("gemini", Backend.SIM, Scope("gemini", Backend.SIM, Mode.SIM)),
        ("ib", Backend.REPLAY, Scope("ib", Backend.REPLAY, Mode.REPLAY)),
    ],
)
def test_venue_choice_and_backend_make_the_scope(
    clean_env: Path, exchange: str | None, backend: Backend | None, expected: Scope
) -> None:
    settings = load_settings(ACTIVE_EXCHANGE=exchange)
    settings.use_backend(backend, clean_env if backend is Backend.REPLAY else None)
    assert command_scope(settings) == expected
    assert settings.venue is Venue(expected.venue)
    assert settings.venue_name == ("sim" if expected.key.startswith("ib/sim/") else expected.venue)


def test_venue_ib_with_sim_is_the_sim_alias(trader) -> None:
    for args in (("--venue", "ib", "--sim"), ("--venue", "sim"), ("--sim",), ()):
        r = trader("quote", "BHP/AUD", *args, "--json")
        assert r.code == 0, (args, r.err)
        assert r.json()["venue"] == "sim"
        assert r.json()["simulated"] is True


def test_global_sim_option_before_the_command(trader) -> None:
    r = trader("--venue", "ib", "--sim", "quote", "BHP/AUD", "--json")
    assert r.code == 0, r.err
    assert r.json()["simulated"] is True


def test_replay_dir_is_validated_before_anything_opens(trader, tmp_path: Path) -> None:
    missing = trader("quote", "BHP/AUD", "--replay", str(tmp_path / "nowhere"))
    assert missing.code == 2
    assert "nowhere" in missing.err
    r = trader("quote", "BHP/AUD", "--replay", str(tmp_path))
    assert r.code == 2
    assert "holds no recording" in " ".join(r.err.split())  # rich wraps long paths
    assert not list((tmp_path / "home").glob("trader-ib-replay*")), "no replay state written"


def test_sim_and_replay_together_is_bad_input(trader, tmp_path: Path) -> None:
    r = trader("quote", "BHP/AUD", "--sim", "--replay", str(tmp_path))
    assert r.code == 2
    assert "--sim or --replay" in r.err


def test_base_currency_is_a_core_setting_with_the_old_name_as_fallback(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().base_currency == "AUD"
    monkeypatch.setenv("IB_BASE_CURRENCY", "usd")
    assert load_settings().base_currency == "USD"  # deprecated name still read
    monkeypatch.setenv("BASE_CURRENCY", "eur")
    assert load_settings().base_currency == "EUR"  # the core setting wins

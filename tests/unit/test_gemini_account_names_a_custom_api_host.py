"""State kept for a Gemini found at GEMINI_API_URL (a simulator, a proxy) is apart from the
sandbox's and the exchange's: the account it is scoped to names that host."""

from __future__ import annotations

from trader_cli.config import load_settings
from trader_cli.domain.scope import Backend
from trader_cli.venues.gemini.trader import GeminiTrader


def test_gemini_itself_is_the_primary_account() -> None:
    assert GeminiTrader(load_settings(None, GEMINI_SANDBOX="true")).account == "primary"
    assert GeminiTrader(load_settings(None, GEMINI_SANDBOX="false")).account == "primary"


def test_another_host_is_another_account_and_never_shows_its_credentials() -> None:
    settings = load_settings(None, GEMINI_API_URL="http://user:pw@127.0.0.1:8742")
    account = GeminiTrader(settings).account
    assert account == "primary@127.0.0.1"
    assert "pw" not in account


def test_the_in_process_simulator_keeps_its_own_backend_scope() -> None:
    settings = load_settings(None, GEMINI_API_URL="http://127.0.0.1:8742")
    assert GeminiTrader(settings, backend=Backend.SIM).account == "primary"

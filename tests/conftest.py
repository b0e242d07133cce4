"""Shared test fixtures: settings isolation and the read-only real data in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

# Settings trader reads from the environment; tests start from none of them.
SETTING_PREFIXES = ("IB_", "GEMINI_", "TRADER_HOME")
SETTING_NAMES = {
    "ACTIVE_EXCHANGE",
    "ALLOWED_SYMBOLS",
    "CLIENT_ORDER_PREFIX",
    "DATABASE_URL",
    "TELEMETRY_LOG",
    "MAX_ORDER_VALUE",
    "MAX_TOTAL_EXPOSURE",
    "MIN_TRADE_SIZE",
    "MIN_TOP_OF_BOOK_NOTIONAL",
    "MAX_DAILY_LOSS",
}

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No trader settings in the environment, no ``.env`` in the cwd, app dir in ``tmp_path``."""
    import os

    for name in list(os.environ):
        if name in SETTING_NAMES or name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("TRADER_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` next to the checkout; skips where it is absent (a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present next to this checkout")
    return SHARED_DATA

"""The repository's Gemini recording: made against the SIMULATED Gemini (seed 7, clock pinned)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trader_cli.config import Settings, load_settings
from trader_cli.domain.symbols import parse_symbols
from trader_cli.services.recording import RecordingSummary
from trader_cli.services.recording_gemini import record_gemini

ROOT = Path(__file__).resolve().parents[2]
GEMINI_FIXTURE = ROOT / "fixtures" / "gemini" / "sim-basic"
GEMINI_SYMBOLS = ("BTC/USD", "ETH/USD")
SEED = 7
CLOCK = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
#: the key pair the recording simulator accepts: neither may appear in the recording
API_KEY = "account-fixture-recorder-key"
API_SECRET = "fixture-recorder-secret-0123456789"  # a simulator key pair


def recording_settings(**overrides: Any) -> Settings:
    """USD base (no FX), the scenario's symbols, the recorder's key pair, the pinned sim."""
    values = {
        "GEMINI_API_KEY": API_KEY, "GEMINI_API_SECRET": API_SECRET, "BASE_CURRENCY": "USD",
        "CLIENT_ORDER_PREFIX": "trd", "ALLOWED_SYMBOLS": ",".join(GEMINI_SYMBOLS),
        "GEMINI_SANDBOX": "false", "SIM_SEED": str(SEED), "SIM_CLOCK": CLOCK.isoformat(),
        # the sim account starts with 1 BTC: room for it beside the far order
        "MAX_TOTAL_EXPOSURE": "200000",
    }  # fmt: skip
    values.update(overrides)
    return load_settings(None, **values)


async def record_gemini_against_sim(
    out: Path, *, with_orders: bool = True, settings: Settings | None = None
) -> RecordingSummary:
    """Record the scenario against an in-process SIMULATED Gemini into ``out``."""
    return await record_gemini(
        settings or recording_settings(), parse_symbols(list(GEMINI_SYMBOLS)), out,
        with_orders=with_orders, sim=True,
    )  # fmt: skip

"""The repository's IB recording: made against the SIMULATED gateway (seed 7, clock pinned)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from trader_cli.config import Settings, load_settings
from trader_cli.domain.symbols import parse_symbols
from trader_cli.services.recording import RecordingSummary, record_ib
from trader_cli.sim import SimClock, SimGateway

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "ib" / "sim-basic"
SYMBOLS = ("BHP/AUD", "AUD/USD")
SEED = 7
# Wednesday 3 July 2024, 11:00 in Sydney: the ASX and IDEALPRO are open
CLOCK = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
SIM_ACCOUNT = "DU1234567"


async def record_against_sim(
    out: Path,
    *,
    account: str = SIM_ACCOUNT,
    with_orders: bool = True,
    settings: Settings | None = None,
) -> RecordingSummary:
    """Record the scenario against an in-process SIMULATED gateway into ``out``."""
    async with SimGateway.start(seed=SEED, clock=SimClock.pinned(CLOCK), account=account) as gw:
        return await record_ib(
            settings or load_settings(None),
            parse_symbols(list(SYMBOLS)),
            out,
            with_orders=with_orders,
            host=gw.host,
            port=gw.port,
        )

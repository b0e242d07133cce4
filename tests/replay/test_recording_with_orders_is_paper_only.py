"""`--with-orders` records against paper accounts only; anything else sends and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.replay.fixture import record_against_sim
from trader_cli.config import load_settings
from trader_cli.domain.symbols import parse_symbols
from trader_cli.errors import SafetyRefused
from trader_cli.services.recording import record_ib


async def test_ib_paper_false_is_refused_before_connecting(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IB_PAPER", "false")
    settings = load_settings(None)
    with pytest.raises(SafetyRefused, match="paper accounts only"):
        # port 9: nothing listens there; the refusal comes before any connection
        await record_ib(
            settings, parse_symbols(["BHP/AUD"]), tmp_path / "rec", with_orders=True,
            host="127.0.0.1", port=9,
        )  # fmt: skip
    assert not (tmp_path / "rec").exists()


async def test_a_live_account_is_refused_and_no_order_is_sent(
    clean_env: Path, tmp_path: Path
) -> None:
    with pytest.raises(SafetyRefused, match="logged into a live account"):
        await record_against_sim(tmp_path / "rec", account="U7654321")
    assert not (tmp_path / "rec").exists()


async def test_without_orders_nothing_is_placed(clean_env: Path, tmp_path: Path) -> None:
    summary = await record_against_sim(tmp_path / "rec", with_orders=False)
    assert "order" not in summary.steps
    wire = (tmp_path / "rec" / "wire.jsonl").read_text()
    assert '"place_order"' not in wire and '"cancel_order"' not in wire

"""telemetry.log: one valid JSON line per event, secrets/accounts redacted, size rotation."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.models import (
    Fee,
    FeeSource,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Side,
)
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import Symbol
from trader_cli.strategies.base import Hold, TradePlan
from trader_cli.telemetry import REDACTED, Telemetry
from trader_cli.venues.base import Instrument

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


class FixedClockDouble:
    """Test double for time: a venue clock pinned to ``T0``."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def make(tmp_path: Path, **kw: Any) -> Telemetry:
    return Telemetry(
        tmp_path / "telemetry.log", venue="ib", session="s1", clock=FixedClockDouble(), **kw
    )


def ib_order() -> Order:
    return Order(
        client_order_id="trd-s1-000001",
        symbol="BHP/AUD",
        side=Side.BUY,
        type=OrderType.LIMIT,
        amount=Decimal("100"),
        price=Decimal("45.12"),
        id="17",
        status=OrderStatus.OPEN,
        fee=Fee(Decimal("6.00"), "AUD", FeeSource.ESTIMATE),
        info={"conId": 4036812, "exchange": "SMART", "account": "DU1234567"},
    )


def test_every_event_is_one_json_line_with_ts_event_venue_session(tmp_path: Path) -> None:
    tel = make(tmp_path)
    plan = TradePlan(
        symbol=Symbol("BHP", "AUD"),
        side=Side.BUY,
        stop=Decimal("44.10"),
        rationale="breakout",
        strategy="rules",
        risk_budget=Money(Decimal("100"), "AUD"),
        entry=Decimal("45.12"),
        expiry=T0 + timedelta(minutes=30),
    )
    tel.decision(plan)
    tel.decision(Hold(Symbol("CBA", "AUD"), "market closed", "rules"))
    tel.order(ib_order())
    tel.fill(
        Fill(
            id="0001f4e8.6677.01.01",
            order_id="17",
            client_order_id="trd-s1-000001",
            symbol="BHP/AUD",
            side=Side.BUY,
            price=Decimal("45.12"),
            amount=Decimal("100"),
            timestamp=T0,
            fee=Fee(Decimal("6.00"), "AUD", FeeSource.VENUE),
            liquidity=Liquidity.UNKNOWN,
        ),
        con_id=4036812,
        exchange="ASX",
    )
    tel.circuit("market_data", "closed", "open", "3 consecutive failures")

    rows = lines(tmp_path / "telemetry.log")
    assert [r["event"] for r in rows] == ["decision", "decision", "order", "fill", "circuit"]
    for r in rows:
        assert r["ts"] == "2024-07-03T01:00:00Z"
        assert r["venue"] == "ib"
        assert r["session"] == "s1"
    enter, hold, order, fill, circuit = rows
    assert enter["action"] == "enter"
    assert enter["plan"]["stop"] == "44.10"
    assert enter["plan"]["riskBudget"] == {"amount": "100", "currency": "AUD"}
    assert enter["plan"]["expiry"] == "2024-07-03T01:30:00+00:00"
    assert hold == {**hold, "action": "hold", "symbol": "CBA/AUD", "reason": "market closed"}
    assert order["conId"] == 4036812
    assert order["exchange"] == "SMART"
    assert order["commissionSource"] == "estimate"
    assert order["price"] == "45.12"  # Decimals as strings, exactly
    assert order["remaining"] == "100"
    assert fill["conId"] == 4036812
    assert fill["exchange"] == "ASX"
    assert fill["commissionSource"] == "venue"
    assert fill["fillTime"] == "2024-07-03T01:00:00Z"
    assert circuit["dependency"] == "market_data"
    assert (circuit["old"], circuit["new"]) == ("closed", "open")


def test_instrument_gives_con_id_and_exchange(tmp_path: Path) -> None:
    tel = make(tmp_path)
    inst = Instrument(
        symbol=Symbol("BHP", "AUD"),
        venue_id="4036812",
        exchange="SMART",
        currency="AUD",
        min_tick=Decimal("0.01"),
        size_increment=Decimal(1),
        order_types=frozenset({"LMT"}),
        details={"conId": 4036812, "primaryExchange": "ASX"},
    )
    order = ib_order()
    order.info = {}
    tel.order(order, inst)
    (row,) = lines(tmp_path / "telemetry.log")
    assert (row["conId"], row["exchange"]) == (4036812, "SMART")


def test_decimal_and_datetime_serialisation(tmp_path: Path) -> None:
    tel = make(tmp_path)
    sydney = datetime(2024, 7, 3, 11, 0, tzinfo=UTC).astimezone()
    tel.emit("custom", qty=Decimal("0.10"), tiny=Decimal("1E-8"), at=sydney, n=3, flag=True)
    (row,) = lines(tmp_path / "telemetry.log")
    assert row["qty"] == "0.10"
    assert row["tiny"] == "1E-8"
    assert row["at"] == "2024-07-03T11:00:00Z"
    assert row["n"] == 3
    assert row["flag"] is True


SECRET = "sk-live-9f8e7d6c5b4a39281706"
ACCOUNT = "DU1234567"
LIVE_ACCOUNT = "U7654321"


def test_secrets_and_account_ids_never_reach_the_file(tmp_path: Path) -> None:
    tel = make(tmp_path, secrets=[SECRET], accounts=[ACCOUNT])
    tel.order(ib_order())
    tel.emit(
        "debug",
        api_key=SECRET,
        headers={"Authorization": f"Bearer {SECRET}", "Accept": "application/json"},
        password="hunter2-hunter2",
        token="tok_abcdef123456",
        accountId=LIVE_ACCOUNT,
        message=f"order for {ACCOUNT} and {LIVE_ACCOUNT} rejected; key was {SECRET}",
        url="https://x.example/v1?api_key=abc123secretvalue&x=1",
        nested=[{"apiSecret": "shhh-its-a-secret"}],
    )
    text = (tmp_path / "telemetry.log").read_text()
    for raw in (
        SECRET,
        ACCOUNT,
        LIVE_ACCOUNT,
        "hunter2-hunter2",
        "tok_abcdef123456",
        "abc123secretvalue",
        "shhh-its-a-secret",
    ):
        assert raw not in text
    order, debug = lines(tmp_path / "telemetry.log")
    assert order["info"]["account"] == "DU****567"
    assert debug["api_key"] == REDACTED
    assert debug["headers"]["Authorization"] == REDACTED
    assert debug["headers"]["Accept"] == "application/json"
    assert debug["accountId"] == "U****321"
    assert "DU****567" in debug["message"]
    assert debug["nested"][0]["apiSecret"] == REDACTED


def test_from_settings_redacts_configured_secrets_and_account(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_API_KEY", SECRET)
    monkeypatch.setenv("IB_ACCOUNT_ID", "DU7777777")
    settings = load_settings()
    tel = Telemetry.from_settings(settings, session="abc", clock=FixedClockDouble())
    assert tel.path == clean_env / "telemetry.log"
    tel.emit("note", text=f"account DU7777777 key {SECRET}")
    text = tel.path.read_text()
    assert SECRET not in text
    assert "DU7777777" not in text
    assert json.loads(text)["venue"] == "sim"


def test_rotation_keeps_n_backups(tmp_path: Path) -> None:
    tel = make(tmp_path, max_bytes=1024, backups=2)
    for i in range(60):
        tel.emit("decision", n=i, pad="x" * 80)
    path = tmp_path / "telemetry.log"
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["telemetry.log", "telemetry.log.1", "telemetry.log.2"]
    for p in (path, path.with_name("telemetry.log.1"), path.with_name("telemetry.log.2")):
        assert p.stat().st_size <= 1024
        lines(p)  # every rotated file still holds whole JSON lines
    newest = lines(path)[-1]["n"]
    assert newest == 59
    assert lines(path.with_name("telemetry.log.1"))[-1]["n"] == lines(path)[0]["n"] - 1


def test_rotation_without_backups_truncates(tmp_path: Path) -> None:
    tel = make(tmp_path, max_bytes=1024, backups=0)
    for i in range(40):
        tel.emit("decision", n=i, pad="x" * 80)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["telemetry.log"]
    assert lines(tmp_path / "telemetry.log")[-1]["n"] == 39


def test_concurrent_appends_from_threads_never_interleave(tmp_path: Path) -> None:
    tel = make(tmp_path, max_bytes=10_000_000)

    def worker(k: int) -> None:
        for i in range(200):
            tel.emit("decision", worker=k, n=i, pad="y" * 50)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = lines(tmp_path / "telemetry.log")
    assert len(rows) == 8 * 200


def test_a_failing_disk_warns_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log's folder should be")
    tel = Telemetry(blocker / "telemetry.log", venue="ib", session="s", clock=FixedClockDouble())
    with caplog.at_level(logging.WARNING, logger="trader_cli.telemetry"):
        for _ in range(5):
            tel.emit("decision", n=1)
            tel.order(ib_order())
    assert tel.failures == 10
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cannot write telemetry" in warnings[0].getMessage()


def test_unserialisable_field_is_written_as_text_not_raised(tmp_path: Path) -> None:
    tel = make(tmp_path)

    class Odd:
        def __str__(self) -> str:
            return "odd-value"

    tel.emit("decision", thing=Odd(), nan=float("nan"))
    (row,) = lines(tmp_path / "telemetry.log")
    assert row["thing"] == "odd-value"
    assert row["nan"] is None

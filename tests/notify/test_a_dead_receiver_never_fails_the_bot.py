"""A notification URL that cannot be reached costs the bot nothing: the run ends as it would
have, the failure is logged with the URL masked, and the order path never waits for it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from .conftest import PASSWORD, TOKEN


async def test_the_bot_runs_and_stops_normally_with_a_dead_receiver(
    clean_env: Path, monkeypatch, dead_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from trader_cli.config import load_settings
    from trader_cli.services.bot import BotOptions, BotService

    monkeypatch.setenv("NOTIFY_URLS", dead_url)
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T00:30:00Z")
    monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    caplog.set_level(logging.WARNING, logger="trader.notify")
    summary = await BotService(load_settings(), BotOptions(cycles=2, interval=300.0)).run()
    assert (summary.cycles, summary.stopped) == (2, "after --cycles")
    failures = [r.getMessage() for r in caplog.records if r.name == "trader.notify"]
    port = dead_url.split(":")[2].split("/")[0]
    assert failures == [
        "alert 'bot stopped (after --cycles)' not delivered to "
        f"json://127.0.0.1:{port}/***: the service did not accept it (unreachable or refused)"
    ]
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_a_rejected_order_is_recorded_even_when_the_alert_cannot_go_out(
    orders, gw, dead_url: str
) -> None:
    from decimal import Decimal

    from trader_cli.domain.models import OrderStatus, OrderType, Side
    from trader_cli.domain.symbols import parse_symbol
    from trader_cli.notify.notifier import Notifier
    from trader_cli.services.orders import OrderIntent

    orders.notifier = Notifier([dead_url], label="SIMULATED sim")
    bhp = parse_symbol("BHP/AUD")
    q = await orders.venue.get_market_data(bhp)
    gw.reject_next_order("SIMULATED rejection")
    order = await orders.submit(OrderIntent(bhp, Side.BUY, Decimal(10), OrderType.LIMIT, q.ask))
    assert order.status is OrderStatus.REJECTED  # the order path returned; the send is queued
    assert orders.notifier.flush(10)
    assert (orders.notifier.sent, orders.notifier.failed) == (0, 1)
    orders.notifier.close()
    assert PASSWORD not in dead_url  # (the dead URL carries only the token)

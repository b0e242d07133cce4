"""Each alert, driven by the real code path on the IB sim, reaches a real HTTP receiver exactly
once: a repeat inside the de-duplication window is suppressed, a second distinct event arrives."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trader_cli.db import store
from trader_cli.domain.models import Order, OrderStatus, OrderType, Side
from trader_cli.domain.symbols import parse_symbol
from trader_cli.services.orders import INTENT_TTL, OrderIntent, OrderService
from trader_cli.services.resync import ResyncService

from .conftest import PASSWORD, TOKEN, Receiver

BHP = parse_symbol("BHP/AUD")
CBA = parse_symbol("CBA/AUD")


def only(receiver: Receiver, words: str) -> list[Any]:
    return [p for p in receiver.posts if words in p.title]


async def test_rejected_orders_arrive_once_each(orders: OrderService, gw, notifier, receiver
                                                ) -> None:
    q = await orders.venue.get_market_data(BHP)
    gw.reject_next_order("insufficient SIMULATED margin")
    first = await orders.submit(OrderIntent(BHP, Side.BUY, Decimal(10), OrderType.LIMIT, q.ask))
    assert first.status is OrderStatus.REJECTED
    # seeing the same rejection again (a resync, a wait) is no new event
    again = await orders.venue.get_order(first.client_order_id)
    assert again is not None
    await orders.record(again)
    gw.reject_next_order("insufficient SIMULATED margin")
    second = await orders.submit(OrderIntent(BHP, Side.BUY, Decimal(20), OrderType.LIMIT, q.ask))
    assert notifier.flush(10)
    rejected = only(receiver, "order rejected")
    assert [p.title for p in rejected] == [
        "trader [SIMULATED sim DU****567] order rejected: buy 10 BHP/AUD",
        "trader [SIMULATED sim DU****567] order rejected: buy 20 BHP/AUD",
    ]
    assert first.client_order_id in rejected[0].message
    assert "insufficient SIMULATED margin" in rejected[0].message
    assert second.client_order_id in rejected[1].message
    assert rejected[0].body["type"] == "failure"
    assert len(receiver.posts) == 2  # an accepted order alerts nobody


async def test_an_intent_expired_by_resync_arrives_once(orders: OrderService, gw, notifier,
                                                       receiver) -> None:
    stale = gw.clock.now() - INTENT_TTL - timedelta(minutes=1)
    draft = Order("trd-stale-1", "CBA/AUD", Side.SELL, OrderType.LIMIT, Decimal(5),
                  Decimal("120.00"), timestamp=stale)
    store.record_order_intent(draft, session=orders.session, created_at=stale)
    resync = ResyncService(orders)
    first = await resync.run()
    assert [e["clientOrderId"] for e in first.expired] == ["trd-stale-1"]
    second = await resync.run()
    assert second.expired == []
    assert notifier.flush(10)
    (expired,) = receiver.posts
    assert expired.title.endswith("order expired: sell 5 CBA/AUD")
    assert "trd-stale-1" in expired.message
    assert "never sent" in expired.message


async def test_unexplained_positions_arrive_once_until_they_change(orders: OrderService, gw,
                                                                  notifier, receiver) -> None:
    resync = ResyncService(orders)
    q = await orders.venue.get_market_data(BHP)
    entry = await orders.submit(OrderIntent(BHP, Side.BUY, Decimal(10), OrderType.LIMIT, q.ask))
    assert (await orders.wait(entry.client_order_id, within=10)).filled == 10
    assert (await resync.run()).unexplained == []
    con_id = next(i.con_id for i in gw.catalogue.instruments if i.local_symbol == "BHP")
    bhp = gw.world.positions[con_id]
    bhp.quantity = Decimal(7)  # 3 sold outside the bot: no fill explains it
    assert len((await resync.run()).unexplained) == 1
    assert len((await resync.run()).unexplained) == 1  # a cron resync a moment later
    bhp.quantity = Decimal(4)  # and 3 more: a new difference
    assert len((await resync.run()).unexplained) == 1
    assert notifier.flush(10)
    found = only(receiver, "unexplained position")
    assert len(found) == 2, receiver.titles()
    assert "BHP/AUD: venue holds 7, expected 10" in found[0].message
    assert "BHP/AUD: venue holds 4, expected 10" in found[1].message
    assert "--accept-positions" in found[0].message


async def test_the_kill_switch_refusal_arrives_once(notify_env: Path, monkeypatch, receiver
                                                   ) -> None:
    from trader_cli.config import load_settings
    from trader_cli.db import use_database
    from trader_cli.db.models import SessionMode
    from trader_cli.db.scope import use_scope
    from trader_cli.notify.notifier import Notifier
    from trader_cli.services.context import TradingContext
    from trader_cli.services.runner import StrategyRunner
    from trader_cli.sim import SimClock, SimGateway
    from trader_cli.strategies.llm import LLMStrategy
    from trader_cli.venues.sim.venue import SimTrader

    from .conftest import ASX_OPEN, SCOPE

    monkeypatch.setenv("KILL_SWITCH", "true")
    settings = load_settings()
    notifier = Notifier.from_settings(settings, label="SIMULATED sim DU****567")
    with use_database(f"sqlite:///{notify_env / 'bot.sqlite'}"), use_scope(SCOPE):
        async with SimGateway.start(seed=0, clock=SimClock.pinned(ASX_OPEN)) as gw:
            venue = SimTrader(settings, gw)
            await venue.connect()
            try:
                session = store.open_session(venue="sim", mode=SessionMode.SIM,
                                             base_currency="AUD", started_at=ASX_OPEN)
                orders = OrderService(venue, settings, session)
                orders.notifier = notifier
                ctx = TradingContext(settings, venue, session, orders, SCOPE)
                strategy = LLMStrategy(settings, clock=venue.clock, client=_EnterBHP())
                runner = StrategyRunner(ctx, strategy)
                for _ in range(3):  # the strategy wants in every cycle; refused every cycle
                    report = await runner.cycle()
                    (bhp,) = [d for d in report.decisions if d["symbol"] == "BHP/AUD"]
                    assert bhp["result"].startswith("refused: kill switch is engaged")
            finally:
                await venue.close()
    assert notifier.flush(10)
    notifier.close()
    (alert,) = receiver.posts
    assert alert.title == "trader [SIMULATED sim DU****567] kill switch engaged: orders refused"
    assert "KILL_SWITCH=true" in alert.message
    assert "an entry in BHP/AUD" in alert.message


class _EnterBHP:
    """The chat endpoint's answer: enter BHP (what a strategy would keep asking for)."""

    async def complete(self, messages: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        answer = {"action": "enter", "symbol": "BHP/AUD", "side": "buy", "size": 10,
                  "stop": 30, "rationale": "test"}
        content = json.dumps({"decisions": [answer]})
        return {"choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}]}


async def test_venue_down_and_circuit_open_and_close_arrive_once(
    notify_env: Path, monkeypatch, receiver, gw
) -> None:
    from trader_cli.config import load_settings
    from trader_cli.notify.notifier import Notifier
    from trader_cli.services.bot import health_manager
    from trader_cli.telemetry import Telemetry
    from trader_cli.venues.sim.venue import SimTrader

    from .conftest import SCOPE

    monkeypatch.setenv("HEALTH_FAILURE_THRESHOLD", "1")
    monkeypatch.setenv("HEALTH_RECOVERY_PROBES", "1")
    monkeypatch.setenv("HEALTH_BACKOFF_INITIAL", "30")
    # 11:00 in Sydney is outside this window: a disconnect alerts after 5 minutes
    monkeypatch.setenv("HEALTH_RESET_WINDOWS", "01:00-02:00@Australia/Sydney")
    settings = load_settings()
    notifier = Notifier.from_settings(settings, label="SIMULATED sim DU****567")
    telemetry = Telemetry(notify_env / "telemetry.log", venue="sim", clock=gw.clock)
    notifier.telemetry = telemetry  # as the trading context wires it
    venue = SimTrader(settings, gw)
    venue.conn.config.reconnect_attempts = 1
    await venue.connect()
    try:
        from trader_cli.db import use_database
        from trader_cli.db.scope import use_scope

        with use_database(f"sqlite:///{notify_env / 'h.sqlite'}"), use_scope(SCOPE):
            health = health_manager(settings, venue, telemetry, notifier)
            await gw.refuse_connections(20 * 60)  # the Gateway is gone for 20 minutes
            health.record_failure("venue_connection", "link lost")
            for _ in range(40):  # the bot's cycles probing on the circuit's backoff
                await health.reconnect(max_attempts=1)
                health.check_disconnect()
                if health.state("venue_connection") == "closed":
                    break
                gw.clock.advance(60)
                await gw._maybe_reopen()
            assert health.state("venue_connection") == "closed"
    finally:
        await venue.close()
    assert notifier.flush(10)
    notifier.close()
    titles = [t.removeprefix("trader [SIMULATED sim DU****567] ") for t in receiver.titles()]
    assert titles == [
        "circuit venue_connection opened: no new entries",
        "venue down",
        "circuit venue_connection closed: entries resume",
    ]
    down = receiver.posts[1]
    assert "ALERT: venue disconnected for" in down.message
    assert down.body["type"] == "failure"
    lines = [json.loads(x) for x in (notify_env / "telemetry.log").read_text().splitlines()]
    alerted = [(x["alertId"], x["outcome"]) for x in lines if x["event"] == "alert"]
    assert alerted == [  # the same alerts in telemetry.log
        ("circuit:venue_connection:open", "queued"),
        ("venue_down", "queued"),
        ("circuit:venue_connection:closed", "queued"),
    ]
    # every change in telemetry; half-open (a probe) was no alert
    assert [x["new"] for x in lines if x["event"] == "circuit"] == ["open", "half_open", "closed"]
    for post in receiver.posts:
        assert TOKEN not in json.dumps(post.body) and PASSWORD not in json.dumps(post.body)


@pytest.fixture
def bot_env(notify_env: Path, monkeypatch) -> Path:
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T00:30:00Z")
    monkeypatch.setenv("ACTIVE_EXCHANGE", "sim")
    return notify_env


async def test_the_bot_stopping_arrives_once_per_run(bot_env: Path, receiver) -> None:
    from trader_cli.config import load_settings
    from trader_cli.services.bot import BotOptions, BotService

    stopped_by_signal = BotService(load_settings(), BotOptions(cycles=5, interval=300.0))
    stopped_by_signal.on_cycle = lambda report: stopped_by_signal.request_stop("signal")
    summary = await stopped_by_signal.run()
    assert summary.cycles == 1
    # the context waited for the alert to go out before the run returned
    assert [t.split("] ")[1] for t in receiver.titles()] == [
        "bot stopped (on a signal (SIGINT/SIGTERM))"
    ]
    done = await BotService(load_settings(), BotOptions(cycles=2, interval=300.0)).run()
    assert done.cycles == 2
    assert [t.split("] ")[1] for t in receiver.titles()] == [
        "bot stopped (on a signal (SIGINT/SIGTERM))", "bot stopped (after --cycles)"
    ]
    assert receiver.posts[1].message == "trader run stopped after 2 cycle(s): after --cycles"


async def test_a_crash_of_the_bot_arrives_and_the_error_still_surfaces(bot_env: Path, receiver
                                                                      ) -> None:
    from trader_cli.config import load_settings
    from trader_cli.services.bot import BotOptions, BotService

    def crash(report: Any) -> None:
        raise RuntimeError(f"renderer failed (token {TOKEN} in a message)")

    bot = BotService(load_settings(), BotOptions(cycles=3, interval=300.0), on_cycle=crash)
    with pytest.raises(RuntimeError, match="renderer failed"):
        await bot.run()
    (alert,) = receiver.posts
    assert alert.title.endswith("] bot crashed")
    assert alert.message.startswith("trader run stopped after 1 cycle(s): RuntimeError: "
                                    "renderer failed")
    assert TOKEN not in alert.message  # a secret in an exception text is masked


async def test_a_bot_that_cannot_reach_its_gateway_says_it_could_not_start(
    notify_env: Path, monkeypatch, receiver
) -> None:
    import socket

    from trader_cli.config import load_settings
    from trader_cli.errors import TraderError
    from trader_cli.services.bot import BotOptions, BotService

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    monkeypatch.setenv("ACTIVE_EXCHANGE", "ib")
    monkeypatch.setenv("IB_PORT", str(port))
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "1")
    with pytest.raises(TraderError):
        await BotService(load_settings(), BotOptions(cycles=1, interval=300.0)).run()
    (alert,) = receiver.posts
    assert alert.title == "trader [PAPER ib] bot could not start"
    assert alert.message.startswith("trader run could not start: ")
    assert f"127.0.0.1:{port}" in alert.message

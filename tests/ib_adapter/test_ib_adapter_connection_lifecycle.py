"""IBTrader connection lifecycle: heartbeat, drops, Gateway restarts, reconnect and resubscribe."""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal

import pytest

from trader_cli.domain.models import OrderStatus, Side
from trader_cli.domain.orders import OrderSpec
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import NotConnectedError, SafetyRefused, TemporaryError
from trader_cli.venues.base import OrderRequest
from trader_cli.venues.ib import codes

from .conftest import until

BHP = parse_symbol("BHP/AUD")


async def test_heartbeat_notices_a_dead_link(trader, gw) -> None:
    assert await trader.conn.heartbeat()
    await gw.drop_connections()
    await until(lambda: not trader.is_connected)
    assert not await trader.conn.heartbeat()
    with pytest.raises(TemporaryError, match="not connected"):
        await trader.get_market_data(BHP)


async def test_reconnect_after_forced_drop_resubscribes_and_runs_hooks(trader, gw) -> None:
    await trader.get_market_data(BHP)
    await trader.get_market_data(parse_symbol("AUD/USD"))
    hooks: list[str] = []

    async def resync() -> None:
        hooks.append("resync")

    trader.conn.on_reconnect(resync)
    await gw.drop_connections()
    await until(lambda: not trader.is_connected)
    assert await trader.maybe_reconnect()
    assert trader.is_connected
    assert hooks == ["resync"]
    assert trader.conn.state.reconnects == 1
    (session,) = gw.all_sessions()
    await until(lambda: len(session.tickers) == 2)  # both streaming lines are back
    before = await trader.get_market_data(BHP)
    await gw.advance(30)
    after = await trader.get_market_data(BHP)
    assert after.timestamp > before.timestamp  # fresh ticks flow on the new subscription


async def test_gateway_restart_is_ridden_out_with_backoff(trader, gw) -> None:
    q = await trader.get_market_data(BHP)
    far = (q.bid * Decimal("0.9")).quantize(Decimal("0.01"))
    await trader.place_order(
        OrderRequest("trd-r-1", BHP, Side.BUY, Decimal(10), OrderSpec.limit(far))
    )
    start = gw.clock.now()
    await gw.refuse_connections(20)  # port closed for 20 sim seconds
    await until(lambda: not trader.is_connected)
    assert await trader.maybe_reconnect()  # backoff sleeps advance the sim clock
    waited = (gw.clock.now() - start).total_seconds()
    assert waited >= 20
    assert trader.conn.state.reconnects == 1
    order = await trader.get_order("trd-r-1")  # state survived the restart
    assert order is not None and order.status is OrderStatus.OPEN


async def test_reconnect_gives_up_with_an_actionable_error(trader, gw) -> None:
    trader.conn.config.reconnect_attempts = 3
    trader.conn.config.reconnect_max = 2
    await gw.refuse_connections(3600)
    await until(lambda: not trader.is_connected)
    assert not await trader.maybe_reconnect()
    with pytest.raises(NotConnectedError, match="cannot connect to TWS/IB Gateway"):
        await trader.conn.reconnect()


@pytest.mark.parametrize(
    ("code", "connected", "data_lost"),
    [(1100, False, False), (1102, True, False), (1101, True, True)],
)
async def test_connectivity_notices_update_the_link_state(
    trader, gw, code, connected, data_lost
) -> None:
    await trader.get_market_data(BHP)
    if code != 1100:
        gw.send_connectivity(1100)
        await until(lambda: not trader.conn.state.connected)
    gw.send_connectivity(code)
    await until(lambda: any(e.code == code for e in trader.conn.state.events))
    assert trader.conn.state.connected is connected
    if code == 1101:  # data lost: lines are resubscribed
        await until(lambda: not trader.conn.state.data_lost)
    assert (
        code
        in codes.CONNECTIVITY_LOST
        | codes.CONNECTIVITY_RESTORED
        | codes.CONNECTIVITY_RESTORED_DATA_LOST
    )
    assert trader.conn.state.data_lost is False or data_lost


async def test_unreachable_gateway_says_how_to_fix_it(settings) -> None:
    from trader_cli.venues.ib.trader import IBTrader

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    t = IBTrader(settings, port=port)
    with pytest.raises(NotConnectedError) as info:
        await t.connect()
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "IB_PORT" in (info.value.hint or "")
    assert info.value.exit_code == 1


async def test_client_id_in_use_is_reported(trader, gw, settings) -> None:
    from trader_cli.venues.sim.venue import SimTrader

    second = SimTrader(settings, gw)
    second.conn.config.timeout = 0.5
    with pytest.raises(NotConnectedError, match="IB_CLIENT_ID"):
        await second.connect()


async def test_live_account_with_live_settings_still_needs_live_flag(
    clock, monkeypatch, settings
) -> None:
    from trader_cli.config import load_settings
    from trader_cli.sim import SimGateway
    from trader_cli.venues.sim.venue import SimTrader

    monkeypatch.setenv("IB_PAPER", "false")
    async with SimGateway.start(seed=7, clock=clock, account="U7654321") as gw:
        t = SimTrader(load_settings(), gw)
        await t.connect()
        try:
            with pytest.raises(SafetyRefused, match="--live"):
                await t.place_order(
                    OrderRequest(
                        "trd-l-1", BHP, Side.BUY, Decimal(1), OrderSpec.limit(Decimal("45.00"))
                    )
                )
            t.conn.config.live_confirmed = True
            t.conn.check_trading_allowed()  # all three conditions met: allowed
        finally:
            await t.close()


async def test_graceful_close_is_idempotent(trader) -> None:
    await trader.get_market_data(BHP)
    await trader.close()
    await trader.close()
    assert not trader.is_connected


async def test_client_id_in_use_fails_fast_naming_326_and_the_fix(trader, gw, settings) -> None:
    from trader_cli.venues.sim.venue import SimTrader

    second = SimTrader(settings, gw)  # the same IB_CLIENT_ID as the connected adapter
    second.conn.config.timeout = 60.0  # ib_async alone would wait this long for the handshake
    # fails on IB's 326, long before the connect timeout
    with pytest.raises(NotConnectedError) as caught:
        await asyncio.wait_for(second.connect(), 5.0)
    text = str(caught.value)
    assert "326" in text
    assert f"client id {settings.ib.client_id}" in text
    assert "IB_CLIENT_ID" in (caught.value.hint or "")
    assert not second.is_connected
    assert trader.is_connected  # the connection holding the id is untouched
    await second.close()

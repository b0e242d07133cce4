"""Connecting plain ib_async to the sim gateway, qualifying contracts, and connection faults."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from ib_async import IB, Contract, Forex, Stock

from trader_cli.sim import SimClock, SimGateway

TIMEOUT = 3.0


async def test_connect_answers_every_startup_request_without_timeouts(
    gw: SimGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ib_async")  # whatever an earlier CLI run left it at
    ib = IB()
    seen: list[tuple[int, str]] = []
    ib.errorEvent += lambda req_id, code, msg, _c: seen.append((code, msg))
    await ib.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
    try:
        assert ib.isConnected()
        assert ib.managedAccounts() == ["DU1234567"]
        assert not [r for r in caplog.records if "timed out" in r.getMessage()]
        assert any("Synchronization complete" in r.getMessage() for r in caplog.records)
        assert {code for code, _ in seen} >= {2104, 2106, 2158}
        assert all("SIMULATED" in msg for _, msg in seen)
        assert ib.client.serverVersion() == 178
        assert await ib.reqCurrentTimeAsync() == datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
    finally:
        ib.disconnect()


async def test_server_version_is_a_parameter(clock) -> None:
    async with SimGateway.start(seed=1, clock=clock, server_version=176) as gw:
        ib = IB()
        await ib.connectAsync("127.0.0.1", gw.port, clientId=3, timeout=TIMEOUT)
        try:
            assert ib.client.serverVersion() == 176
            [details] = await ib.reqContractDetailsAsync(Stock("CBA", "SMART", "AUD"))
            assert details.contract.conId > 0
        finally:
            ib.disconnect()


async def test_banner_says_simulated_and_where(gw: SimGateway) -> None:
    assert "SIMULATED" in gw.banner
    assert f"127.0.0.1:{gw.port}" in gw.banner
    assert "paper account DU1234567" in gw.banner


async def test_banner_calls_a_live_account_live(clock: SimClock) -> None:
    async with SimGateway.start(seed=7, clock=clock, account="U7654321") as live:
        assert "live account U7654321" in live.banner
        assert "paper" not in live.banner


async def test_qualify_stock_and_forex(ib: IB) -> None:
    bhp = Stock("BHP", "SMART", "AUD", primaryExchange="ASX")
    audusd = Forex("AUDUSD")
    await ib.qualifyContractsAsync(bhp, audusd)
    assert bhp.conId == 4036812
    assert bhp.localSymbol == "BHP"
    assert audusd.conId == 14433401
    assert audusd.localSymbol == "AUD.USD"
    assert audusd.exchange == "IDEALPRO"


async def test_contract_details_fields(ib: IB) -> None:
    [cd] = await ib.reqContractDetailsAsync(Stock("BHP", "SMART", "AUD"))
    assert cd.minTick == 0.01
    assert cd.timeZoneId == "Australia/NSW"
    assert cd.contract.primaryExchange == "ASX"
    assert "20240703:1000-20240703:1612" in cd.tradingHours
    assert "20240703:1000-20240703:1600" in cd.liquidHours
    assert "20240706:CLOSED" in cd.liquidHours
    assert "LMT" in cd.orderTypes.split(",")
    assert "MKT" in cd.orderTypes.split(",")
    [ndq] = await ib.reqContractDetailsAsync(Stock("NDQ", "SMART", "AUD"))
    assert "MKT" not in ndq.orderTypes.split(",")
    [fx] = await ib.reqContractDetailsAsync(Forex("USDJPY"))
    assert fx.minTick == 0.005
    assert fx.timeZoneId == "US/Eastern"


async def test_ambiguous_contract_returns_several_rows(ib: IB) -> None:
    rows = await ib.reqContractDetailsAsync(Contract(symbol="AUD", secType="CASH"))
    assert sorted(r.contract.localSymbol for r in rows) == ["AUD.JPY", "AUD.NZD", "AUD.USD"]
    stock_rows = await ib.reqContractDetailsAsync(Contract(symbol="CBA", secType="STK"))
    assert {r.contract.exchange for r in stock_rows} == {"SMART", "ASX", "CHIXAU"}


async def test_unknown_contract_is_error_200(ib: IB, errors) -> None:
    rows = await ib.reqContractDetailsAsync(Stock("NOPE", "SMART", "AUD"))
    assert rows == []
    assert (200, "No security definition has been found for the request") in [
        (c, m) for _, c, m in errors.items
    ]


async def test_second_connection_with_same_client_id_gets_326(gw: SimGateway, ib: IB) -> None:
    other = IB()
    codes: list[tuple[int, str]] = []
    other.errorEvent += lambda _r, code, msg, _c: codes.append((code, msg))
    with pytest.raises((asyncio.TimeoutError, ConnectionError)):
        await other.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=0.5)
    assert (
        326,
        "Unable to connect as the client id is already in use. Retry with a unique client id.",
    ) in codes
    assert ib.isConnected()
    third = IB()
    await third.connectAsync("127.0.0.1", gw.port, clientId=2, timeout=TIMEOUT)
    third.disconnect()


async def test_connectivity_notices_1100_1101_1102(gw: SimGateway, ib: IB, errors, wait) -> None:
    for code in (1100, 1101, 1102):
        gw.send_connectivity(code)
    await wait(lambda: len([c for c in errors.codes() if c in (1100, 1101, 1102)]) == 3)
    texts = {c: m for _, c, m in errors.items}
    assert texts[1100] == "Connectivity between IB and Trader Workstation has been lost."
    assert "data lost" in texts[1101]
    assert "data maintained" in texts[1102]


async def test_refused_connections_until_sim_time_passes(gw: SimGateway, ib: IB, wait) -> None:
    await gw.refuse_connections(30)
    await wait(lambda: not ib.isConnected())
    again = IB()
    with pytest.raises(ConnectionRefusedError):
        await again.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
    await gw.advance(31, step=31)
    await again.connectAsync("127.0.0.1", gw.port, clientId=1, timeout=TIMEOUT)
    assert again.isConnected()
    again.disconnect()


async def test_delayed_replies_still_arrive(gw: SimGateway, ib: IB) -> None:
    gw.delay_replies(0.05)
    [cd] = await asyncio.wait_for(ib.reqContractDetailsAsync(Stock("WES", "SMART", "AUD")), 2)
    assert cd.contract.symbol == "WES"
    gw.delay_replies(0)

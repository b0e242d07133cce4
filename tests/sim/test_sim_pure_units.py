"""Pure unit tests: framing codec, price steps, commissions, clock, pacing and world state."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from ib_async.decoder import Decoder

from trader_cli.costs import ibkr
from trader_cli.domain.ticks import (
    Direction,
    asx_round,
    asx_tick_size,
    fx_pip_size,
    fx_tick_size,
    is_on_tick,
    round_to_tick,
)
from trader_cli.sim.engine.catalogue import Catalogue, ContractQuery
from trader_cli.sim.engine.clock import SimClock, parse_clock
from trader_cli.sim.engine.market import Level
from trader_cli.sim.engine.world import SimOrder, World
from trader_cli.sim.tws import messages
from trader_cli.sim.tws.codec import (
    FieldReader,
    FrameDecoder,
    ProtocolError,
    encode_fields,
    format_field,
    parse_version_range,
    split_fields,
)
from trader_cli.sim.tws.history import (
    Duration,
    HistoryRequestError,
    PacingKey,
    PacingTracker,
    parse_bar_size,
    validate_step,
)
from trader_cli.sim.tws.requests import PlaceOrder, decode_request

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
D = Decimal


# ----- codec ------------------------------------------------------------------------------------
def test_encode_fields_is_length_prefixed_and_nul_terminated() -> None:
    assert encode_fields([9, 1, 42]) == b"\x00\x00\x00\x079\x001\x0042\x00"
    assert (
        encode_fields([True, None, D("45.120"), 2**31 - 1])
        == b"\x00\x00\x00\x0b1\x00\x0045.120\x00\x00"
    )


def test_encode_fields_is_each_field_formatted_and_nul_terminated() -> None:
    # a history reply: numbers, then rows already formatted as text (kept from the last answer)
    fields = [17, 3, "20240703 11:00:00", 2, "1720000000", "45.1", "45.2", "", True, None,
              D("0.00001"), 1.5, float("inf"), 2**31 - 1, "", "text"]  # fmt: skip
    each = "".join(format_field(f) + "\0" for f in fields).encode()
    assert encode_fields(fields) == struct.pack(">I", len(each)) + each
    assert encode_fields(iter(fields)) == encode_fields(fields)
    assert encode_fields([]) == b"\x00\x00\x00\x00"
    assert encode_fields([""]) == b"\x00\x00\x00\x01\x00"


def test_frame_decoder_handshake_then_messages_in_pieces() -> None:
    wire = (
        b"API\0"
        + encode_fields([])[:0]
        + b"\x00\x00\x00\x09v100..178"
        + encode_fields([71, 2, 7, ""])
    )
    decoder = FrameDecoder()
    out: list[object] = []
    for i in range(len(wire)):
        out += decoder.feed(wire[i : i + 1])
    assert out == [b"v100..178", ["71", "2", "7", ""]]


def test_frame_decoder_rejects_garbage() -> None:
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(b"GET / HTTP/1.1\r\n")


def test_version_range() -> None:
    assert parse_version_range(b"v100..178") == (100, 178, "")
    assert parse_version_range(b"v157..178 +PACEAPI") == (157, 178, "+PACEAPI")
    with pytest.raises(ProtocolError):
        parse_version_range(b"hello")


def test_field_reader_and_float_noise() -> None:
    reader = FieldReader(split_fields(b"3\x000.30000000000000004\x00\x001\x00"))
    assert reader.int() == 3
    assert reader.decimal() == D("0.3")
    assert reader.decimal() is None
    assert reader.bool() is True
    assert reader.str() == ""  # past the end


def test_place_order_decoder_reads_ib_async_field_order() -> None:
    fields = ["3", "12", "0", "BHP", "STK", "", "0.0", "", "", "SMART", "ASX", "AUD", "", "",
              "", "", "BUY", "100.0", "LMT", "45.12", "", "DAY", "", "", "", "0", "REF-1", "1",
              "0", "0", "0", "0", "0", "1", "0"]  # fmt: skip
    request = decode_request(fields, 178)
    assert isinstance(request, PlaceOrder)
    assert (request.order_id, request.action, request.total_qty) == (12, "BUY", D(100))
    assert (request.lmt_price, request.order_ref, request.outside_rth) == (
        D("45.12"),
        "REF-1",
        True,
    )
    assert request.contract.primary_exchange == "ASX"


class _Recorder:
    """Stands in for ib_async's Wrapper: records what the real Decoder delivers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str):
        return lambda *args: self.calls.append((name, args))


def _decode(fields: list[object]) -> tuple[str, tuple[object, ...]]:
    recorder = _Recorder()
    decoder = Decoder(recorder, 178)  # type: ignore[arg-type]
    decoder.interpret(split_fields(encode_fields(fields)[4:]))  # type: ignore[arg-type]
    assert len(recorder.calls) == 1, recorder.calls
    return recorder.calls[0]


def _order(**overrides: object) -> SimOrder:
    values: dict[str, object] = dict(
        order_id=5, client_id=1, perm_id=77, con_id=4036812, action="BUY", total_qty=D(300),
        order_type="LMT", lmt_price=D("45.10"), tif="DAY", account="DU1234567",
        order_ref="REF-9", outside_rth=False, status="Submitted", created_at=T0,
    )  # fmt: skip
    values.update(overrides)
    return SimOrder(**values)  # type: ignore[arg-type]


def test_open_order_and_completed_order_decode_in_ib_async() -> None:
    inst = Catalogue.load().by_con_id(4036812)
    assert inst is not None
    name, (order_id, contract, order, state) = _decode(messages.open_order(_order(), inst, 178))
    assert name == "openOrder"
    assert order_id == 5
    assert (contract.symbol, order.totalQuantity, order.lmtPrice) == ("BHP", 300.0, 45.1)
    assert (order.orderRef, order.permId, order.clientId, state.status) == (
        "REF-9",
        77,
        1,
        "Submitted",
    )
    done = _order(status="Filled", filled=D(300), completed_status="Filled")
    name, (contract, order, state) = _decode(
        messages.completed_order(done, inst, "20240703 11:00:00 Australia/Sydney", 178)
    )
    assert name == "completedOrder"
    assert (order.orderRef, order.permId, order.filledQuantity, state.status) == (
        "REF-9",
        77,
        300.0,
        "Filled",
    )
    assert state.completedTime == "20240703 11:00:00 Australia/Sydney"


def test_contract_details_decode_in_ib_async() -> None:
    inst = Catalogue.load().by_local_symbol("AUD.USD")
    assert inst is not None
    name, (req_id, cd) = _decode(messages.contract_details(4, inst, "IDEALPRO", "x", "y", 178))
    assert name == "contractDetails"
    assert req_id == 4
    assert (cd.contract.conId, cd.contract.localSymbol, cd.minTick) == (14433401, "AUD.USD", 5e-05)
    assert (cd.tradingHours, cd.liquidHours, cd.timeZoneId) == ("x", "y", "US/Eastern")


# ----- price steps and commissions ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("price", "tick"),
    [("0.05", "0.001"), ("0.099", "0.001"), ("0.10", "0.005"), ("1.995", "0.005"),
     ("2.00", "0.01"), ("45.12", "0.01")],
)  # fmt: skip
def test_asx_tick_table(price: str, tick: str) -> None:
    assert asx_tick_size(D(price)) == D(tick)


def test_rounding_to_ticks() -> None:
    assert round_to_tick(D("45.127"), D("0.01"), Direction.DOWN) == D("45.12")
    assert round_to_tick(D("45.121"), D("0.01"), Direction.UP) == D("45.13")
    assert round_to_tick(D("0.65003"), fx_tick_size("USD")) == D("0.65005")
    assert asx_round(D("1.998"), Direction.UP) == D("2.00")
    assert is_on_tick(D("45.12"), D("0.01"))
    assert not is_on_tick(D("45.125"), D("0.01"))
    assert fx_tick_size("JPY") == D("0.005")
    assert fx_pip_size("JPY") == D("0.01")


def test_ibkr_commissions() -> None:
    assert ibkr.asx_commission(D("2000")) == ibkr.Commission(D("6.00"), "AUD")
    assert ibkr.asx_commission(D("20000")) == ibkr.Commission(D("16.00"), "AUD")
    tiered = ibkr.asx_commission(D("2000"), minimum=ibkr.ASX_TIERED_MINIMUM)
    assert tiered.amount == D("5.00")
    assert ibkr.fx_commission(D("50000")) == ibkr.Commission(D("2.00"), "USD")
    assert ibkr.fx_commission(D("2000000")).amount == D("40.00")
    first = ibkr.incremental_commission(D(0), D("5000"), rate=D("0.0008"), minimum=D("6"))
    second = ibkr.incremental_commission(D("5000"), D("20000"), rate=D("0.0008"), minimum=D("6"))
    assert (first, second, first + second) == (D("6.00"), D("10.00"), D("16.00"))


# ----- clock and pacing -------------------------------------------------------------------------
def test_pinned_and_running_clock() -> None:
    pinned = SimClock.pinned(T0)
    assert pinned.now() == T0
    assert not pinned.running
    assert pinned.advance(90) == T0 + timedelta(seconds=90)
    with pytest.raises(ValueError, match="backwards"):
        pinned.set(T0)
    ticks = iter([100.0, 102.0])
    running = SimClock(T0, speed=10, monotonic=lambda: next(ticks))
    assert running.now() == T0 + timedelta(seconds=20)
    assert parse_clock("2024-07-03T01:00:00Z") == T0
    with pytest.raises(ValueError, match="naive"):
        SimClock.pinned(datetime(2024, 7, 3))
    restored = SimClock.from_dict(pinned.to_dict())
    assert restored.now() == pinned.now()


def test_default_clock_starts_inside_an_asx_session() -> None:
    saturday_night = datetime(2024, 7, 6, 14, 0, tzinfo=UTC)
    clock = SimClock.default(now=saturday_night)
    assert clock.running
    assert clock.now() - datetime(2024, 7, 5, 2, 0, tzinfo=UTC) < timedelta(seconds=5)


def test_step_rules() -> None:
    assert parse_bar_size("1 min") == 60
    with pytest.raises(HistoryRequestError) as bad:
        parse_bar_size("7 mins")
    assert bad.value.code == 321
    validate_step(Duration(1, "D"), 60)
    with pytest.raises(HistoryRequestError, match="invalid step: 30"):
        validate_step(Duration(1, "D"), 30)
    with pytest.raises(HistoryRequestError, match="Time length exceed max"):
        validate_step(Duration(400, "D"), 86400)


def test_pacing_rules_on_sim_time() -> None:
    pacing = PacingTracker()
    key = PacingKey(1, "SMART", "TRADES", "", "60 S", "1 secs", True)
    pacing.check(key, 1, T0)
    with pytest.raises(HistoryRequestError, match="pacing violation"):
        pacing.check(key, 1, T0 + timedelta(seconds=14))
    pacing.check(key, 1, T0 + timedelta(seconds=15))
    big = PacingKey(1, "SMART", "TRADES", "", "1 D", "1 hour", True)
    pacing.check(big, 3600, T0 + timedelta(seconds=16))
    pacing.check(big, 3600, T0 + timedelta(seconds=16))  # large bars are not paced by default


# ----- world state ------------------------------------------------------------------------------
def test_world_partial_fills_against_depth_and_round_trip() -> None:
    cat = Catalogue.load()
    [(inst, _)] = cat.match(ContractQuery(symbol="BHP", exchange="SMART"))
    world = World()
    order = world.new_order(
        order_id=1, client_id=1, con_id=inst.con_id, action="SELL", total_qty=D(500),
        order_type="LMT", lmt_price=D("45.00"), tif="DAY", account=world.account,
        order_ref="R", outside_rth=False, status="Submitted", created_at=T0,
    )  # fmt: skip
    book = (Level(D("45.02"), D(200)), Level(D("45.01"), D(100)), Level(D("44.99"), D(900)))
    fills = world.match(order, inst, book, 1, T0, lambda _c: D(1))
    assert [(f.shares, f.price) for f in fills] == [(D(200), D("45.02")), (D(100), D("45.01"))]
    assert order.status == "Submitted"
    assert order.remaining == D(200)
    assert world.match(order, inst, book, 1, T0, lambda _c: D(1)) == []  # depth used up
    more = world.match(order, inst, book, 2, T0, lambda _c: D(1))
    assert [f.shares for f in more] == [D(200)]
    assert order.status == "Filled"
    assert world.positions[inst.con_id].quantity == D(-500)
    assert sum(f.commission for f in fills + more) == (order.filled_value * D("0.0008")).quantize(
        D("0.01")
    )
    restored = World.from_dict(world.to_dict())
    assert restored.positions[inst.con_id].quantity == D(-500)
    assert restored.orders[order.perm_id].status == "Filled"
    assert restored.next_perm_id == world.next_perm_id


def test_a_fresh_world_never_reuses_an_earlier_worlds_execution_ids() -> None:
    # a reset sim world must not hand out execution ids a database already holds for this
    # account: the fills would be dropped as duplicates
    from trader_cli.sim.engine.world import World

    first, second = World(), World()
    assert first.epoch != second.epoch
    again = World.from_dict(first.to_dict())
    assert again.epoch == first.epoch
    old = first.to_dict()
    del old["epoch"]
    assert World.from_dict(old).epoch == "0000e0d5"

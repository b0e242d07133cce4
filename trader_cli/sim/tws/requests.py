"""Incoming TWS requests: typed request objects and a table of decoders keyed by message id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from trader_cli.sim.engine.catalogue import ContractQuery
from trader_cli.sim.tws.codec import UNSET_DOUBLE, FieldReader


class In:
    """Incoming message ids (TWS ``EClient`` numbering)."""

    REQ_MKT_DATA = 1
    CANCEL_MKT_DATA = 2
    PLACE_ORDER = 3
    CANCEL_ORDER = 4
    REQ_OPEN_ORDERS = 5
    REQ_ACCT_DATA = 6
    REQ_EXECUTIONS = 7
    REQ_IDS = 8
    REQ_CONTRACT_DATA = 9
    REQ_MKT_DEPTH = 10
    CANCEL_MKT_DEPTH = 11
    REQ_AUTO_OPEN_ORDERS = 15
    REQ_ALL_OPEN_ORDERS = 16
    REQ_MANAGED_ACCTS = 17
    REQ_HISTORICAL_DATA = 20
    CANCEL_HISTORICAL_DATA = 25
    REQ_CURRENT_TIME = 49
    REQ_GLOBAL_CANCEL = 58
    REQ_MARKET_DATA_TYPE = 59
    REQ_POSITIONS = 61
    REQ_ACCOUNT_SUMMARY = 62
    CANCEL_ACCOUNT_SUMMARY = 63
    CANCEL_POSITIONS = 64
    START_API = 71
    REQ_POSITIONS_MULTI = 74
    CANCEL_POSITIONS_MULTI = 75
    REQ_ACCOUNT_UPDATES_MULTI = 76
    CANCEL_ACCOUNT_UPDATES_MULTI = 77
    REQ_HISTORICAL_TICKS = 96
    REQ_COMPLETED_ORDERS = 99


@dataclass(frozen=True, slots=True)
class Request:
    """Base of all decoded requests."""


@dataclass(frozen=True, slots=True)
class StartApi(Request):
    client_id: int
    optional_capabilities: str


@dataclass(frozen=True, slots=True)
class MktDataRequest(Request):
    req_id: int
    contract: ContractQuery
    generic_ticks: str
    snapshot: bool
    regulatory_snapshot: bool


@dataclass(frozen=True, slots=True)
class ReqIdOnly(Request):
    """Requests that carry only a request id (cancels, summaries' cancel)."""

    kind: int
    req_id: int


@dataclass(frozen=True, slots=True)
class NoArgs(Request):
    """Requests with no arguments of interest."""

    kind: int


@dataclass(frozen=True, slots=True)
class PlaceOrder(Request):
    order_id: int
    contract: ContractQuery
    action: str
    total_qty: Decimal
    order_type: str
    lmt_price: Decimal | None
    aux_price: Decimal | None
    tif: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    oca_group: str = ""
    oca_type: int = 0


@dataclass(frozen=True, slots=True)
class CancelOrder(Request):
    order_id: int
    manual_cancel_time: str


@dataclass(frozen=True, slots=True)
class AccountUpdates(Request):
    subscribe: bool
    account: str


@dataclass(frozen=True, slots=True)
class ExecutionsRequest(Request):
    req_id: int
    client_id: int
    account: str
    time: str
    symbol: str
    sec_type: str
    exchange: str
    side: str


@dataclass(frozen=True, slots=True)
class ContractDetailsRequest(Request):
    req_id: int
    contract: ContractQuery


@dataclass(frozen=True, slots=True)
class HistoricalRequest(Request):
    req_id: int
    contract: ContractQuery
    end: str
    bar_size: str
    duration: str
    use_rth: bool
    what_to_show: str
    format_date: int
    keep_up_to_date: bool


@dataclass(frozen=True, slots=True)
class MktDepthRequest(Request):
    req_id: int
    contract: ContractQuery
    num_rows: int
    is_smart_depth: bool


@dataclass(frozen=True, slots=True)
class HistoricalTicksRequest(Request):
    req_id: int
    contract: ContractQuery
    start: str
    end: str
    number_of_ticks: int
    what_to_show: str
    use_rth: bool
    ignore_size: bool


@dataclass(frozen=True, slots=True)
class MarketDataType(Request):
    data_type: int


@dataclass(frozen=True, slots=True)
class AccountSummaryRequest(Request):
    req_id: int
    group: str
    tags: str


@dataclass(frozen=True, slots=True)
class MultiRequest(Request):
    """reqPositionsMulti / reqAccountUpdatesMulti."""

    kind: int
    req_id: int
    account: str
    model_code: str


@dataclass(frozen=True, slots=True)
class CompletedOrdersRequest(Request):
    api_only: bool


def read_contract(r: FieldReader) -> ContractQuery:
    """The 12-field contract block (conId .. tradingClass)."""
    con_id = r.int()
    symbol = r.str()
    sec_type = r.str()
    r.skip(4)  # lastTradeDateOrContractMonth, strike, right, multiplier
    exchange = r.str()
    primary = r.str()
    currency = r.str()
    local_symbol = r.str()
    r.skip(1)  # tradingClass
    return ContractQuery(con_id, symbol, sec_type, exchange, primary, currency, local_symbol)


def _price(r: FieldReader) -> Decimal | None:
    value = r.decimal()
    if value is None or value >= Decimal(UNSET_DOUBLE) / 2:
        return None
    return value


def _start_api(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    return StartApi(r.int(), r.str())


def _mkt_data(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    req_id = r.int()
    contract = read_contract(r)
    if contract.sec_type == "BAG":
        for _ in range(r.int()):
            r.skip(4)
    if r.bool():
        r.skip(3)
    return MktDataRequest(req_id, contract, r.str(), r.bool(), r.bool())


def _place_order(r: FieldReader, version: int) -> Request:
    order_id = r.int()
    contract = read_contract(r)
    r.skip(2)  # secIdType, secId
    action = r.str()
    qty = r.decimal() or Decimal(0)
    order_type = r.str()
    lmt = _price(r)
    aux = _price(r)
    tif = r.str()
    oca_group = r.str()
    account = r.str()
    r.skip(2)  # openClose, origin
    order_ref = r.str()
    transmit = r.bool()
    parent_id = r.int()
    r.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = r.bool()
    oca_type = 0
    if contract.sec_type != "BAG":  # combos (which the sim does not trade) carry legs here
        # hidden, sharesAllocation, discretionaryAmt, goodAfterTime, goodTillDate, faGroup,
        # faMethod, faPercentage, [faProfile], modelCode, shortSaleSlot, designatedLocation,
        # exemptCode
        r.skip(8 + (1 if version < 177 else 0) + 4)
        oca_type = r.int(0)
    return PlaceOrder(
        order_id, contract, action, qty, order_type, lmt, aux, tif, account, order_ref,
        transmit, parent_id, outside_rth, oca_group, oca_type,
    )  # fmt: skip


def _cancel_order(r: FieldReader, version: int) -> Request:
    r.skip(1)
    order_id = r.int()
    return CancelOrder(order_id, r.str() if version >= 169 else "")


def _account_updates(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    return AccountUpdates(r.bool(), r.str())


def _executions(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    return ExecutionsRequest(r.int(), r.int(), r.str(), r.str(), r.str(), r.str(), r.str(), r.str())


def _contract_details(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    return ContractDetailsRequest(r.int(), read_contract(r))


def _historical(r: FieldReader, _v: int) -> Request:
    req_id = r.int()
    contract = read_contract(r)
    r.skip(1)  # includeExpired
    end = r.str()
    bar_size = r.str()
    duration = r.str()
    use_rth = r.bool()
    what = r.str()
    format_date = r.int(1)
    if contract.sec_type == "BAG":
        for _ in range(r.int()):
            r.skip(4)
    return HistoricalRequest(
        req_id, contract, end, bar_size, duration, use_rth, what, format_date, r.bool()
    )


def _mkt_depth(r: FieldReader, _v: int) -> Request:
    r.skip(1)  # version
    req_id = r.int()
    contract = read_contract(r)
    num_rows = r.int()
    smart = r.bool()
    return MktDepthRequest(req_id, contract, num_rows, smart)


def _historical_ticks(r: FieldReader, _v: int) -> Request:
    req_id = r.int()
    contract = read_contract(r)
    r.skip(1)  # includeExpired
    start = r.str()
    end = r.str()
    count = r.int()
    what = r.str()
    use_rth = r.bool()
    ignore_size = r.bool()
    return HistoricalTicksRequest(req_id, contract, start, end, count, what, use_rth, ignore_size)


def _req_id_only(kind: int) -> Callable[[FieldReader, int], Request]:
    def decode(r: FieldReader, _v: int) -> Request:
        r.skip(1)
        return ReqIdOnly(kind, r.int())

    return decode


def _no_args(kind: int) -> Callable[[FieldReader, int], Request]:
    return lambda _r, _v: NoArgs(kind)


def _market_data_type(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    return MarketDataType(r.int(1))


def _account_summary(r: FieldReader, _v: int) -> Request:
    r.skip(1)
    return AccountSummaryRequest(r.int(), r.str(), r.str())


def _multi(kind: int) -> Callable[[FieldReader, int], Request]:
    def decode(r: FieldReader, _v: int) -> Request:
        r.skip(1)
        return MultiRequest(kind, r.int(), r.str(), r.str())

    return decode


def _completed_orders(r: FieldReader, _v: int) -> Request:
    return CompletedOrdersRequest(r.bool())


DecoderFn = Callable[[FieldReader, int], Request]

# message id -> decoder; the reader is positioned after the message id
DECODERS: dict[int, DecoderFn] = {
    In.START_API: _start_api,
    In.REQ_MKT_DATA: _mkt_data,
    In.CANCEL_MKT_DATA: _req_id_only(In.CANCEL_MKT_DATA),
    In.PLACE_ORDER: _place_order,
    In.CANCEL_ORDER: _cancel_order,
    In.REQ_OPEN_ORDERS: _no_args(In.REQ_OPEN_ORDERS),
    In.REQ_ALL_OPEN_ORDERS: _no_args(In.REQ_ALL_OPEN_ORDERS),
    In.REQ_AUTO_OPEN_ORDERS: _no_args(In.REQ_AUTO_OPEN_ORDERS),
    In.REQ_ACCT_DATA: _account_updates,
    In.REQ_EXECUTIONS: _executions,
    In.REQ_IDS: _no_args(In.REQ_IDS),
    In.REQ_CONTRACT_DATA: _contract_details,
    In.REQ_MANAGED_ACCTS: _no_args(In.REQ_MANAGED_ACCTS),
    In.REQ_HISTORICAL_DATA: _historical,
    In.CANCEL_HISTORICAL_DATA: _req_id_only(In.CANCEL_HISTORICAL_DATA),
    In.REQ_CURRENT_TIME: _no_args(In.REQ_CURRENT_TIME),
    In.REQ_GLOBAL_CANCEL: _no_args(In.REQ_GLOBAL_CANCEL),
    In.REQ_MARKET_DATA_TYPE: _market_data_type,
    In.REQ_POSITIONS: _no_args(In.REQ_POSITIONS),
    In.CANCEL_POSITIONS: _no_args(In.CANCEL_POSITIONS),
    In.REQ_ACCOUNT_SUMMARY: _account_summary,
    In.CANCEL_ACCOUNT_SUMMARY: _req_id_only(In.CANCEL_ACCOUNT_SUMMARY),
    In.REQ_POSITIONS_MULTI: _multi(In.REQ_POSITIONS_MULTI),
    In.CANCEL_POSITIONS_MULTI: _req_id_only(In.CANCEL_POSITIONS_MULTI),
    In.REQ_ACCOUNT_UPDATES_MULTI: _multi(In.REQ_ACCOUNT_UPDATES_MULTI),
    In.CANCEL_ACCOUNT_UPDATES_MULTI: _req_id_only(In.CANCEL_ACCOUNT_UPDATES_MULTI),
    In.REQ_COMPLETED_ORDERS: _completed_orders,
    In.REQ_MKT_DEPTH: _mkt_depth,
    In.CANCEL_MKT_DEPTH: _req_id_only(In.CANCEL_MKT_DEPTH),
    In.REQ_HISTORICAL_TICKS: _historical_ticks,
}


def decode_request(fields: list[str], server_version: int) -> Request | None:
    """Decode one incoming message; None for message ids the sim does not serve."""
    if not fields:
        return None
    decoder = DECODERS.get(int(fields[0]))
    if decoder is None:
        return None
    return decoder(FieldReader(fields[1:]), server_version)

"""Outgoing TWS messages: one encoder per message id, returning the field list (server v178)."""

from __future__ import annotations

from decimal import Decimal

from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.world import SimExecution, SimOrder
from trader_cli.sim.tws.codec import Field


class Out:
    """Outgoing message ids (TWS ``EDecoder`` numbering)."""

    TICK_PRICE = 1
    TICK_SIZE = 2
    ORDER_STATUS = 3
    ERROR = 4
    OPEN_ORDER = 5
    ACCOUNT_VALUE = 6
    PORTFOLIO_VALUE = 7
    ACCOUNT_UPDATE_TIME = 8
    NEXT_VALID_ID = 9
    CONTRACT_DATA = 10
    EXECUTION_DATA = 11
    MARKET_DEPTH = 12
    MARKET_DEPTH_L2 = 13
    MANAGED_ACCOUNTS = 15
    HISTORICAL_DATA = 17
    TICK_STRING = 46
    CURRENT_TIME = 49
    CONTRACT_DATA_END = 52
    OPEN_ORDER_END = 53
    ACCOUNT_DOWNLOAD_END = 54
    EXECUTION_DATA_END = 55
    TICK_SNAPSHOT_END = 57
    MARKET_DATA_TYPE = 58
    COMMISSION_REPORT = 59
    POSITION = 61
    POSITION_END = 62
    ACCOUNT_SUMMARY = 63
    ACCOUNT_SUMMARY_END = 64
    POSITION_MULTI = 71
    POSITION_MULTI_END = 72
    ACCOUNT_UPDATE_MULTI = 73
    ACCOUNT_UPDATE_MULTI_END = 74
    TICK_REQ_PARAMS = 81
    HISTORICAL_DATA_UPDATE = 90
    HISTORICAL_TICKS = 96
    HISTORICAL_TICKS_BID_ASK = 97
    HISTORICAL_TICKS_LAST = 98
    COMPLETED_ORDER = 101
    COMPLETED_ORDERS_END = 102


class TickType:
    """Tick type ids used by the sim."""

    BID_SIZE = 0
    BID = 1
    ASK = 2
    ASK_SIZE = 3
    LAST = 4
    LAST_SIZE = 5
    VOLUME = 8
    CLOSE = 9
    LAST_TIMESTAMP = 45


def contract_short(inst: Instrument, exchange: str | None = None) -> list[Field]:
    """conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange, currency,
    localSymbol, tradingClass (the block most order/position messages carry)."""
    return [
        inst.con_id, inst.symbol, inst.sec_type, "", 0.0, "", "",
        exchange or inst.exchange, inst.currency, inst.local_symbol, inst.trading_class,
    ]  # fmt: skip


def error(req_id: int, code: int, text: str, server_version: int) -> list[Field]:
    """ERR_MSG: reqId (-1 when not tied to a request), code, text [, advancedOrderRejectJson]."""
    fields: list[Field] = [Out.ERROR, 2, req_id, code, text]
    if server_version >= 166:
        fields.append("")
    return fields


def contract_details(
    req_id: int,
    inst: Instrument,
    exchange: str,
    trading_hours: str,
    liquid_hours: str,
    server_version: int,
) -> list[Field]:
    """CONTRACT_DATA for one row (v164+ has no version field nor mdSizeMultiplier)."""
    fields: list[Field] = [Out.CONTRACT_DATA]
    if server_version < 164:
        fields.append(8)
    fields += [
        req_id, inst.symbol, inst.sec_type, "", 0.0, "", exchange, inst.currency,
        inst.local_symbol, inst.trading_class if not inst.is_fx else inst.local_symbol,
        inst.trading_class, inst.con_id, inst.min_tick,
    ]  # fmt: skip
    if server_version < 164:
        fields.append("")
    fields += [
        "",  # multiplier
        inst.order_types,
        inst.valid_exchanges,
        1,  # priceMagnifier
        0,  # underConId
        inst.long_name,
        inst.primary_exchange,
        "",  # contractMonth
        inst.industry,
        inst.category,
        inst.subcategory,
        inst.time_zone_id,
        trading_hours,
        liquid_hours,
        "",  # evRule
        "",  # evMultiplier
        0,  # secIdList count
        1 if not inst.is_fx else 4,  # aggGroup
        "",  # underSymbol
        "",  # underSecType
        "",  # marketRuleIds
        "",  # realExpirationDate
        inst.stock_type,
    ]
    if server_version >= 164:
        size_increment = Decimal(1)
        fields += [size_increment, size_increment, size_increment]
    return fields


def order_status(order: SimOrder) -> list[Field]:
    """ORDER_STATUS (no version field on modern servers)."""
    return [
        Out.ORDER_STATUS, order.order_id, order.status, order.filled, order.remaining,
        order.avg_fill_price, order.perm_id, order.parent_id, order.last_fill_price,
        order.client_id, order.why_held, "",
    ]  # fmt: skip


def open_order(
    order: SimOrder, inst: Instrument, server_version: int, exchange: str = ""
) -> list[Field]:
    """OPEN_ORDER for a plain (non-combo, non-algo) order, field for field as v178 sends it."""
    f: list[Field] = [Out.OPEN_ORDER, order.order_id]
    f += contract_short(inst, exchange or inst.exchange)
    f += [
        order.action, order.total_qty, order.order_type, order.lmt_price, order.aux_price,
        order.tif, order.oca_group, order.account, "", 0, order.order_ref, order.client_id,
        order.perm_id, order.outside_rth, False, 0.0, "", "", "", "", "",
    ]  # fmt: skip
    if server_version < 177:
        f.append("")  # faProfile
    # modelCode .. minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap, parentId, ..
    f += [
        "", "", "", "", "", 0, "", "", 0, "", "", "", "", "", 0, False, False, False, "",
        order.oca_type, False, False, "", order.parent_id, 0, "", "", "", "",
    ]  # fmt: skip
    # continuousUpdate .. comboLegsDescrip, then combo legs / order legs / smart params counts
    f += [False, "", "", "", "", "", "", 0, 0, 0]
    f += ["", "", ""]  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
    f += [""]  # hedgeType
    f += [False, "", "", False, False]  # optOutSmartRouting .. notHeld, deltaNeutral present
    f += [""]  # algoStrategy
    f += [False, False, order.status]  # solicited, whatIf, status
    f += ["", "", "", "", "", "", "", "", ""]  # margin before/change/after
    commission: Field = order.commission if order.filled else ""
    f += [commission, "", "", "AUD" if not inst.is_fx else "USD", "", False, False]
    f += [0]  # conditions
    f += ["", "", "", "", "", "", "", 0, "", "", "", "", False, False, "", False]
    if server_version >= 159:
        f.append("")  # duration
    if server_version >= 160:
        f.append(False)  # postToAts
    if server_version >= 162:
        f.append(False)  # autoCancelParent
    if server_version >= 170:
        f += ["", "", "", "", ""]
    return f


def completed_order(
    order: SimOrder, inst: Instrument, completed_time: str, server_version: int
) -> list[Field]:
    """COMPLETED_ORDER (no orderId/clientId; carries completedTime and completedStatus)."""
    f: list[Field] = [Out.COMPLETED_ORDER]
    f += contract_short(inst)
    f += [
        order.action, order.total_qty, order.order_type, order.lmt_price, order.aux_price,
        order.tif, order.oca_group, order.account, "", 0, order.order_ref, order.perm_id,
        order.outside_rth, False, 0.0, "", "", "", "",
    ]  # fmt: skip
    if server_version < 177:
        f.append("")
    f += [
        "",
        "",
        "",
        "",
        "",
        0,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        0,
        False,
        False,
        "",
        order.oca_type,  # ocaType
        0,
        "",
        "",
        "",
        "",
    ]
    f += [False, "", "", "", "", 0, 0, 0]
    f += ["", "", ""]  # scale
    f += [""]  # hedgeType
    f += ["", "", False, False]  # clearingAccount, clearingIntent, notHeld, dnc present
    f += [""]  # algoStrategy
    f += [False, order.status, False, False]
    f += [0]  # conditions
    f += [
        "", "", "", False, False, "", order.filled, 0, False, "", False, False, 0,
        completed_time, order.completed_status,
    ]  # fmt: skip
    if server_version >= 170:
        f += ["", "", "", "", ""]
    return f


def exec_details(
    req_id: int,
    ex: SimExecution,
    inst: Instrument,
    time_text: str,
    server_version: int,
    *,
    omit_liquidity: bool = False,
) -> list[Field]:
    """EXECUTION_DATA (reqId -1 for live fills); ``omit_liquidity`` leaves lastLiquidity empty."""
    f: list[Field] = [Out.EXECUTION_DATA, req_id, ex.order_id]
    f += contract_short(inst, ex.exchange)
    f += [
        ex.exec_id, time_text, ex.account, ex.exchange, ex.side, ex.shares, ex.price,
        ex.perm_id, ex.client_id, 0, ex.cum_qty, ex.avg_price, ex.order_ref, "", "", "",
        "" if omit_liquidity else ex.liquidity,
    ]  # fmt: skip
    if server_version >= 178:
        f.append(False)  # pendingPriceRevision
    return f


def commission_report(ex: SimExecution) -> list[Field]:
    """COMMISSION_REPORT; realizedPNL is unset (empty) on opening fills."""
    return [
        Out.COMMISSION_REPORT, 1, ex.exec_id, ex.commission, ex.commission_currency,
        ex.realized_pnl, "", "",
    ]  # fmt: skip


def position(account: str, inst: Instrument, qty: Decimal, avg_cost: Decimal) -> list[Field]:
    """POSITION_DATA (v3)."""
    return [Out.POSITION, 3, account, *contract_short(inst), qty, avg_cost]


def portfolio_value(
    inst: Instrument,
    qty: Decimal,
    price: Decimal,
    value: Decimal,
    avg_cost: Decimal,
    unrealized: Decimal,
    realized: Decimal,
    account: str,
) -> list[Field]:
    """PORTFOLIO_VALUE (v8): note primaryExchange where other messages carry exchange."""
    return [
        Out.PORTFOLIO_VALUE, 8, inst.con_id, inst.symbol, inst.sec_type, "", 0.0, "", "",
        inst.primary_exchange, inst.currency, inst.local_symbol, inst.trading_class,
        qty, price, value, avg_cost, unrealized, realized, account,
    ]  # fmt: skip


def tick_price(req_id: int, tick_type: int, price: Decimal, size: Decimal | int) -> list[Field]:
    """TICK_PRICE (v6) with size and an empty attribute mask."""
    return [Out.TICK_PRICE, 6, req_id, tick_type, price, size, 0]


def tick_size(req_id: int, tick_type: int, size: Decimal) -> list[Field]:
    """TICK_SIZE (v6)."""
    return [Out.TICK_SIZE, 6, req_id, tick_type, size]

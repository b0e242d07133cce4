"""What the replay needs to know of TWS messages: names, and where each carries an id."""

from __future__ import annotations

from trader_cli.sim.tws.messages import Out
from trader_cli.sim.tws.requests import In

IN_NAMES: dict[int, str] = {
    value: name.lower() for name, value in vars(In).items() if isinstance(value, int)
}
OUT_NAMES: dict[int, str] = {
    value: name.lower() for name, value in vars(Out).items() if isinstance(value, int)
}

# Field index (the message id is field 0) of the request id a client chose, per request.
REQUEST_ID_AT: dict[int, int] = {
    In.REQ_MKT_DATA: 2,
    In.CANCEL_MKT_DATA: 2,
    In.REQ_EXECUTIONS: 2,
    In.REQ_CONTRACT_DATA: 2,
    In.REQ_HISTORICAL_DATA: 1,
    In.CANCEL_HISTORICAL_DATA: 2,
    In.REQ_ACCOUNT_SUMMARY: 2,
    In.CANCEL_ACCOUNT_SUMMARY: 2,
    In.REQ_POSITIONS_MULTI: 2,
    In.CANCEL_POSITIONS_MULTI: 2,
    In.REQ_ACCOUNT_UPDATES_MULTI: 2,
    In.CANCEL_ACCOUNT_UPDATES_MULTI: 2,
}
# Field index of the order id a client chose (placeOrder, cancelOrder).
ORDER_ID_AT: dict[int, int] = {In.PLACE_ORDER: 1, In.CANCEL_ORDER: 2}
# Fields that differ between two runs of the same request and do not change its answer:
# startApi's client id, and reqExecutions' client id and start time (taken from the local clock).
VOLATILE_AT: dict[int, frozenset[int]] = {
    In.START_API: frozenset({2}),
    In.REQ_EXECUTIONS: frozenset({3, 5}),
}
# Requests a recording may not hold (a cancel of a line the recording never cancelled, a data
# type switch); with nothing recorded for them they are answered with nothing.
ANSWERLESS = frozenset(
    {
        In.CANCEL_MKT_DATA,
        In.CANCEL_HISTORICAL_DATA,
        In.CANCEL_POSITIONS,
        In.CANCEL_ACCOUNT_SUMMARY,
        In.CANCEL_POSITIONS_MULTI,
        In.CANCEL_ACCOUNT_UPDATES_MULTI,
        In.REQ_MARKET_DATA_TYPE,
    }
)
# Requests whose recorded answer must not be served twice (an order is sent once).
ONCE_ONLY = frozenset({In.PLACE_ORDER, In.CANCEL_ORDER})

_OPEN_ORDER_REQUESTS = frozenset(
    {In.REQ_OPEN_ORDERS, In.REQ_ALL_OPEN_ORDERS, In.REQ_AUTO_OPEN_ORDERS}
)
# Replies that answer a request carrying no request id, by the requests they may answer. A
# client pipelines several of these at connect (positions, open orders, completed orders,
# account updates...), so a reply belongs to the oldest such request not yet ended, never
# simply to whichever request happened to be sent last.
ANSWERS_TO: dict[int, frozenset[int]] = {
    Out.OPEN_ORDER: _OPEN_ORDER_REQUESTS,
    Out.ORDER_STATUS: _OPEN_ORDER_REQUESTS,
    Out.OPEN_ORDER_END: _OPEN_ORDER_REQUESTS,
    Out.COMPLETED_ORDER: frozenset({In.REQ_COMPLETED_ORDERS}),
    Out.COMPLETED_ORDERS_END: frozenset({In.REQ_COMPLETED_ORDERS}),
    Out.POSITION: frozenset({In.REQ_POSITIONS}),
    Out.POSITION_END: frozenset({In.REQ_POSITIONS}),
    Out.ACCOUNT_VALUE: frozenset({In.REQ_ACCT_DATA}),
    Out.PORTFOLIO_VALUE: frozenset({In.REQ_ACCT_DATA}),
    Out.ACCOUNT_UPDATE_TIME: frozenset({In.REQ_ACCT_DATA}),
    Out.ACCOUNT_DOWNLOAD_END: frozenset({In.REQ_ACCT_DATA}),
    Out.CURRENT_TIME: frozenset({In.REQ_CURRENT_TIME}),
}
# The reply that ends the answer to a request; a recorded exchange without it is no answer
# (serving it would leave the client waiting for the end forever).
ENDED_BY: dict[int, int] = {
    In.REQ_OPEN_ORDERS: Out.OPEN_ORDER_END,
    In.REQ_ALL_OPEN_ORDERS: Out.OPEN_ORDER_END,
    In.REQ_COMPLETED_ORDERS: Out.COMPLETED_ORDERS_END,
    In.REQ_POSITIONS: Out.POSITION_END,
    In.REQ_ACCT_DATA: Out.ACCOUNT_DOWNLOAD_END,
    In.REQ_EXECUTIONS: Out.EXECUTION_DATA_END,
    In.REQ_CONTRACT_DATA: Out.CONTRACT_DATA_END,
    In.REQ_ACCOUNT_SUMMARY: Out.ACCOUNT_SUMMARY_END,
    In.REQ_POSITIONS_MULTI: Out.POSITION_MULTI_END,
    In.REQ_ACCOUNT_UPDATES_MULTI: Out.ACCOUNT_UPDATE_MULTI_END,
    In.REQ_CURRENT_TIME: Out.CURRENT_TIME,
}

TICK_STRING_TYPE = 46  # tickString: same layout as the tick messages
TICK_GENERIC = 45
# Field index of the request id in replies that answer one request.
REPLY_REQUEST_ID_AT: dict[int, int] = {
    Out.TICK_PRICE: 2,
    Out.TICK_SIZE: 2,
    Out.ERROR: 2,
    Out.CONTRACT_DATA: 1,
    Out.EXECUTION_DATA: 1,
    Out.HISTORICAL_DATA: 1,
    TICK_GENERIC: 2,
    Out.TICK_STRING: 2,
    Out.CONTRACT_DATA_END: 2,
    Out.EXECUTION_DATA_END: 2,
    Out.TICK_SNAPSHOT_END: 2,
    Out.MARKET_DATA_TYPE: 2,
    Out.ACCOUNT_SUMMARY: 2,
    Out.ACCOUNT_SUMMARY_END: 2,
    Out.POSITION_MULTI: 2,
    Out.POSITION_MULTI_END: 2,
    Out.ACCOUNT_UPDATE_MULTI: 2,
    Out.ACCOUNT_UPDATE_MULTI_END: 2,
    Out.TICK_REQ_PARAMS: 1,
    Out.HISTORICAL_DATA_UPDATE: 1,
}
# Field index of the order id in replies about one order (an error's id may be either kind).
REPLY_ORDER_ID_AT: dict[int, int] = {
    Out.ORDER_STATUS: 1,
    Out.OPEN_ORDER: 1,
    Out.EXECUTION_DATA: 2,
    Out.ERROR: 2,
}


def message_id(fields: list[str]) -> int | None:
    """The message id of a decoded message (None for an empty or non-numeric first field)."""
    if not fields:
        return None
    try:
        return int(fields[0])
    except ValueError:
        return None


def request_name(fields: list[str]) -> str:
    """``reqHistoricalData``-style readable name of a request (``msg 123`` when unknown)."""
    msg = message_id(fields)
    if msg is None:
        return "an empty message"
    return IN_NAMES.get(msg, f"msg {msg}")


def reply_name(fields: list[str]) -> str:
    """A readable name of a reply."""
    msg = message_id(fields)
    if msg is None:
        return "an empty message"
    return OUT_NAMES.get(msg, f"msg {msg}")


def request_key(fields: list[str]) -> tuple[str, ...]:
    """What identifies a request across runs: its fields without ids and volatile values."""
    msg = message_id(fields)
    if msg is None:
        return tuple(fields)
    blank = set(VOLATILE_AT.get(msg, frozenset()))
    for table in (REQUEST_ID_AT, ORDER_ID_AT):
        if msg in table:
            blank.add(table[msg])
    return tuple("*" if i in blank else f for i, f in enumerate(fields))


def field_at(fields: list[str], index: int | None) -> int | None:
    """The integer at ``index`` (None when absent or not an integer)."""
    if index is None or index >= len(fields):
        return None
    try:
        return int(fields[index])
    except ValueError:
        return None

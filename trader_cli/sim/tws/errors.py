"""TWS error codes and texts the sim sends, worded as IB words them."""

from __future__ import annotations

from typing import ClassVar


class Codes:
    """Named TWS error/notice codes."""

    MAX_TICKERS = 101
    MAX_DEPTH_REQUESTS = 309
    NOT_SUBSCRIBED = 354
    ADDITIONAL_SUBSCRIPTION = 10089
    PART_NOT_SUBSCRIBED = 10090
    DEEP_BOOK_UNSUPPORTED = 10092
    DELAYED_DATA = 10167
    PRICE_NOT_ON_TICK = 110
    HISTORICAL_DATA_ERROR = 162
    NO_SECURITY_DEFINITION = 200
    ORDER_REJECTED = 201
    ORDER_CANCELLED = 202
    # IB reports every cancel it makes itself with the same 202 "Order Canceled - reason:" and an
    # orderStatus Cancelled: the rest of an OCA group after a fill, a DAY order at the close,
    # a bracket's children with their parent
    OCA_CANCELLED = ORDER_CANCELLED
    DAY_ORDER_EXPIRED = ORDER_CANCELLED
    VALIDATION_ERROR = 321
    CLIENT_ID_IN_USE = 326
    ORDER_SIZE_ZERO = 434
    CANCEL_UNKNOWN_ORDER = 10147
    CONNECTIVITY_LOST = 1100
    CONNECTIVITY_RESTORED_DATA_LOST = 1101
    CONNECTIVITY_RESTORED_DATA_KEPT = 1102
    MARKET_DATA_FARM_OK = 2104
    HMDS_FARM_OK = 2106
    SEC_DEF_FARM_OK = 2158


class Text:
    """Message texts (IB's wording; farm names say SIMULATED)."""

    MAX_TICKERS = "Max number of tickers has been reached"
    DELAYED_DATA = "Requested market data is not subscribed. Displaying delayed market data."
    PRICE_NOT_ON_TICK = (
        "The price does not conform to the minimum price variation for this contract."
    )
    NO_SECURITY_DEFINITION = "No security definition has been found for the request"
    ORDER_REJECTED = "Order rejected - reason:"
    ORDER_CANCELLED = "Order Canceled - reason:"
    CLIENT_ID_IN_USE = (
        "Unable to connect as the client id is already in use. Retry with a unique client id."
    )
    ORDER_SIZE_ZERO = "The order size cannot be zero."
    # market depth refused (the no-depth-subscription fault), by code
    DEPTH_REFUSED: ClassVar[dict[int, str]] = {
        309: "Max number (3) of market depth requests has been reached",
        354: "Requested market data is not subscribed.",
        10089: "Requested market data requires additional subscription for API. See link in "
        "'Market Data Connections' dialog for more details.",
        10090: "Part of requested market data is not subscribed.",
        10092: "Deep market data is not supported for this combination of security/exchange",
    }
    NO_TICK_PERMISSIONS = (
        "Historical Market Data Service error message:No market data permissions for "
    )
    TICKS_WHAT_TO_SHOW = "Error validating request.-'bW' : cause - Invalid whatToShow: "
    TICKS_START_OR_END = (
        "Error validating request.-'bW' : cause - Exactly one of start or end date/time must "
        "be specified"
    )
    KEEP_UP_TO_DATE_WITH_END = (
        "Error validating request.-'bX' : cause - End date not supported with live updates"
    )
    CONNECTIVITY: ClassVar[dict[int, str]] = {
        1100: "Connectivity between IB and Trader Workstation has been lost.",
        1101: "Connectivity between IB and Trader Workstation has been restored - data lost.",
        1102: "Connectivity between IB and Trader Workstation has been restored - data maintained.",
    }
    FARMS_OK: tuple[tuple[int, str], ...] = (
        (2104, "Market data farm connection is OK:simfarm (SIMULATED)"),
        (2106, "HMDS data farm connection is OK:simhmds (SIMULATED)"),
        (2158, "Sec-def data farm connection is OK:simsecdef (SIMULATED)"),
    )

    @staticmethod
    def cancel_not_found(order_id: int) -> str:
        """Text of error 10147."""
        return f"OrderId {order_id} that needs to be cancelled is not found."

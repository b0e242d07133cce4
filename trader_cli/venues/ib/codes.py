"""IB API message codes, grouped by what we do about them (never bare numbers in code).

Reference: https://interactivebrokers.github.io/tws-api/message_codes.html
"""

from __future__ import annotations

# The link between TWS/Gateway and IB's servers.
CONNECTIVITY_LOST = frozenset({1100, 2110})
CONNECTIVITY_RESTORED_DATA_LOST = frozenset({1101})  # resubscribe market data
CONNECTIVITY_RESTORED = frozenset({1102})  # data maintained
SOCKET_PORT_RESET = frozenset({1300})
# Our socket to TWS/Gateway.
NOT_CONNECTED = frozenset({502, 504, 1100})
CLIENT_ID_IN_USE = 326

# Informational: market data farm status and similar; logged at debug level only.
FARM_STATUS = frozenset({2103, 2104, 2105, 2106, 2107, 2108, 2119, 2157, 2158})
WARNINGS = FARM_STATUS | frozenset({2100, 2109, 2137, 2150, 399, 404})

# Market data.
MAX_TICKERS = 101
NOT_SUBSCRIBED = frozenset({354, 10089, 10090, 10168})
DELAYED_DATA = frozenset({10167})
# Market depth refused: not subscribed (354, 10089, 10090), no deep book for this security and
# exchange (10092), too many depth lines (309), depth permissions missing (2152, a notice).
DEPTH_UNAVAILABLE = NOT_SUBSCRIBED | frozenset({309, 2152, 10092})
NO_PERMISSIONS_TEXT = "no market data permissions"  # 162's wording when ticks are refused

# Historical data.
HISTORICAL_DATA_ERROR = 162  # covers pacing violations, bad bar sizes and "no data"
HISTORICAL_QUERY = 165
PACING_TEXT = "pacing violation"
NO_DATA_TEXT = "returned no data"

# Contracts.
NO_SECURITY_DEFINITION = 200

# Orders.
ORDER_REJECTED = 201
ORDER_CANCELED = 202
OFF_TICK_PRICE = 110
DUPLICATE_ORDER_ID = 103
ORDER_REJECTS = frozenset(
    {
        103,
        104,
        105,
        106,
        107,
        109,
        110,
        116,
        117,
        118,
        135,
        161,
        201,
        203,
        312,
        313,
        314,
        315,
        321,
        383,
        387,
        388,
        434,
        435,
        436,
    }
)


def is_pacing(code: int, message: str) -> bool:
    """True for IB's historical-data pacing violations (162 with the pacing wording, or 420)."""
    return (code == HISTORICAL_DATA_ERROR and PACING_TEXT in message.lower()) or code == 420

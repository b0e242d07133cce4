"""What Interactive Brokers can do, declared for the core: bar sizes, order types, reset windows.

Pure: no ``ib_async`` here, so the core and strategies can read IB's capabilities cheaply.

IB restarts its servers every day, and the API link to TWS/Gateway drops while it does. IBKR's
System Status page ("System Availability", e.g.
https://www.interactivebrokers.co.uk/pt/software/systemStatus.php, and the English page at
https://www.interactivebrokers.com/en/software/systemStatus.php) publishes a daily reset
schedule (Sunday-Friday) per data centre region:

* North America: 00:15-01:45 ET (the schedule published until 2024 said 23:45-00:45 ET),
* Europe: 06:25-07:45 CET (earlier 05:45-06:45 CET),
* Asia-Pacific (Hong Kong servers, where Australian accounts are usually served from): a first
  reset 04:45-06:05 HKT (earlier 16:45-17:45 ET) and a second reset 20:15-21:15 HKT,
* and for every region a weekend maintenance from Friday 23:00 ET to Saturday 03:00 ET.

The windows below cover both the current and the earlier schedule of each region;
``HEALTH_IB_SERVER_REGION`` picks the region (``HEALTH_RESET_WINDOWS`` replaces them all).
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from trader_cli.domain.models import OrderType
from trader_cli.domain.orders import TimeInForce
from trader_cli.domain.symbols import InstrumentClass
from trader_cli.domain.timeframes import Timeframe
from trader_cli.domain.windows import MaintenanceWindow
from trader_cli.venues.base import VenueCapabilities

if TYPE_CHECKING:
    from trader_cli.config import Settings

# Our timeframes → IB bar size settings. 6h has no IB bar size and is refused.
BAR_SIZE = {
    Timeframe.M1: "1 min",
    Timeframe.M2: "2 mins",
    Timeframe.M3: "3 mins",
    Timeframe.M5: "5 mins",
    Timeframe.M10: "10 mins",
    Timeframe.M15: "15 mins",
    Timeframe.M20: "20 mins",
    Timeframe.M30: "30 mins",
    Timeframe.H1: "1 hour",
    Timeframe.H2: "2 hours",
    Timeframe.H3: "3 hours",
    Timeframe.H4: "4 hours",
    Timeframe.H8: "8 hours",
    Timeframe.D1: "1 day",
    Timeframe.W1: "1 week",
}

_NY = "America/New_York"
WEEKEND_MAINTENANCE = MaintenanceWindow(
    time(23, 0), time(3, 0), _NY, "IB weekend maintenance", frozenset({4})
)
RESET_WINDOWS: dict[str, tuple[MaintenanceWindow, ...]] = {
    "north_america": (MaintenanceWindow(time(23, 45), time(1, 45), _NY, "IB nightly reset"),),
    "europe": (
        MaintenanceWindow(time(5, 45), time(7, 45), "Europe/Zurich", "IB nightly reset"),
    ),
    "asia_pacific": (
        MaintenanceWindow(time(4, 45), time(6, 45), "Asia/Hong_Kong", "IB first daily reset"),
        MaintenanceWindow(time(20, 15), time(21, 15), "Asia/Hong_Kong", "IB second daily reset"),
    ),
}

DESCRIPTION = "Interactive Brokers Australia"
# Stated plainly so a model does not ask for other products ("{base_currency}" is filled in).
TRADING_RULES = (
    "Tradable: ASX equities and ETFs (SYMBOL/AUD, whole shares only, ASX hours "
    "10:00-16:00 Sydney time on trading days) and IDEALPRO FX pairs (e.g. AUD/USD, 24/5).",
    "NO crypto: Interactive Brokers Australia offers no crypto; never propose BTC, ETH or "
    "any other crypto asset.",
    "No options, futures, CFDs or bonds; only the symbols listed in the universe.",
    "Risk limits and account figures are in the base currency {base_currency}.",
    "Orders are limit orders (entry = null means a marketable limit at the touch); IB "
    "charges commission per order with a minimum (see costs), so tiny trades are not worth it.",
    "Do not enter a symbol whose market is closed; answer hold for it.",
)


def reset_windows_for(region: str) -> tuple[MaintenanceWindow, ...]:
    """IB's daily reset windows of a server ``region``, plus the weekend maintenance."""
    return (*RESET_WINDOWS[region], WEEKEND_MAINTENANCE)


def ib_capabilities(settings: Settings | None = None) -> VenueCapabilities:
    """IB's capabilities; commission terms and reset windows follow ``settings`` when given."""
    terms: dict[str, str] = {}
    region = "asia_pacific"
    if settings is not None:
        ib = settings.ib
        region = settings.health.ib_server_region
        terms = {
            "ASX": f"{ib.commission_asx_rate} of value, min {ib.asx_commission_minimum} AUD",
            "FX": f"{ib.commission_fx_bps} bp, min {ib.commission_fx_min} USD",
        }
    return VenueCapabilities(
        connectivity_hint="check TWS/IB Gateway and the network",
        name="IB",
        description=DESCRIPTION,
        timeframes=tuple(BAR_SIZE),
        order_types=frozenset(
            {OrderType.LIMIT, OrderType.MARKET, OrderType.STOP, OrderType.STOP_LIMIT}
        ),
        market_orders=True,
        fractional_amounts=False,
        instrument_classes=frozenset(
            {InstrumentClass.ASX_EQUITY, InstrumentClass.ASX_ETF, InstrumentClass.FX,
             InstrumentClass.US_EQUITY}
        ),
        paced_history=True,
        market_depth=True,  # reqMktDepth, where the account has the exchange's depth
        public_tape=True,  # historical trade ticks (FX: midpoints)
        maintenance_windows=reset_windows_for(region),
        commission_terms=terms,
        trading_rules=TRADING_RULES,
        # IB's order.tif; no post-only for our ASX and IDEALPRO orders
        time_in_force=frozenset(TimeInForce),
        default_time_in_force=TimeInForce.DAY,
        post_only=False,
        # parent/child orders with an OCA group: IB holds a plan's stop and target
        broker_brackets=True,
    )

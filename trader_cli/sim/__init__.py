"""SIMULATED IB Gateway: the TWS API wire protocol on loopback over a deterministic market.

The names below load on first use, so one part of the sim (its clock, its hours) imports without
the gateway, its engine and their dependencies: ``trader hours --venue sim`` needs the clock only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trader_cli.lazy import lazy_exports

if TYPE_CHECKING:
    from trader_cli.sim.engine.clock import SimClock
    from trader_cli.sim.tws.server import DEFAULT_PORT, SimGateway, run_sim_gateway

__all__ = ["DEFAULT_PORT", "SimClock", "SimGateway", "run_sim_gateway"]

_HOME = {
    "DEFAULT_PORT": "trader_cli.sim.tws.server",
    "SimClock": "trader_cli.sim.engine.clock",
    "SimGateway": "trader_cli.sim.tws.server",
    "run_sim_gateway": "trader_cli.sim.tws.server",
}


__getattr__ = lazy_exports(globals(), _HOME)

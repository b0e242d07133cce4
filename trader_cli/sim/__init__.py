"""SIMULATED IB Gateway: the TWS API wire protocol on loopback over a deterministic market."""

from __future__ import annotations

from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.tws.server import DEFAULT_PORT, SimGateway, run_sim_gateway

__all__ = ["DEFAULT_PORT", "SimClock", "SimGateway", "run_sim_gateway"]

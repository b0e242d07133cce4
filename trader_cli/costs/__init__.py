"""Pure commission and cost models for the venues trader uses, and the cost tracker."""

from __future__ import annotations

from trader_cli.costs.estimate import commission_estimate, fx_conversion_buffer, fx_trade_value_usd
from trader_cli.costs.gemini import gemini_fee
from trader_cli.costs.tracker import CostEntry, CostTracker

__all__ = [
    "CostEntry",
    "CostTracker",
    "commission_estimate",
    "fx_conversion_buffer",
    "fx_trade_value_usd",
    "gemini_fee",
]

"""Risk: limits in the base currency, gross exposure, the kill switch, and check verdicts."""

from __future__ import annotations

from trader_cli.risk.checks import Category, Check, RiskVerdict, money_text
from trader_cli.risk.convert import (
    BufferedConverter,
    Converter,
    StaticRateConverter,
    venue_converter,
)
from trader_cli.risk.killswitch import KILL_SWITCH_FILE, KillSwitch
from trader_cli.risk.manager import (
    ProposedOrder,
    RiskManager,
    gross_exposure,
    is_reducing,
    signed_exposure,
    size_for_value,
)

__all__ = [
    "KILL_SWITCH_FILE",
    "BufferedConverter",
    "Category",
    "Check",
    "Converter",
    "KillSwitch",
    "ProposedOrder",
    "RiskManager",
    "RiskVerdict",
    "StaticRateConverter",
    "gross_exposure",
    "is_reducing",
    "money_text",
    "signed_exposure",
    "size_for_value",
    "venue_converter",
]

"""Risk: limits in the base currency, gross exposure, the kill switch, and check verdicts."""

from __future__ import annotations

from trader_cli.risk.checks import Category, Check, RiskVerdict, money_text
from trader_cli.risk.convert import (
    BufferedConverter,
    Converter,
    StaticRateConverter,
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
from trader_cli.risk.valuation import (
    Valuation,
    max_price_deviation_pct,
    price_band_check,
    reference_price,
    value_order,
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
    "Valuation",
    "gross_exposure",
    "is_reducing",
    "max_price_deviation_pct",
    "money_text",
    "price_band_check",
    "reference_price",
    "signed_exposure",
    "size_for_value",
    "value_order",
]

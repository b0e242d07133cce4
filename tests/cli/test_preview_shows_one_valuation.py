"""One valuation, shown once: the notional in the base currency is the value every limit saw, and
the AUD amount of an AUD/USD order is exactly its quantity (no price, no FX buffer in it)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest


@pytest.fixture
def sim(clean_env, monkeypatch):
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T01:00:00Z")
    monkeypatch.setenv("IB_FX_SPREAD_BUFFER_BPS", "25")  # a visible buffer on conversions
    return clean_env


def order_values(text: str) -> set[str]:
    return set(re.findall(r"order value ([\d,]+\.\d\d) AUD", text))


def test_an_aud_usd_order_is_worth_exactly_its_aud_quantity(trader, sim) -> None:
    r = trader("place", "AUD/USD", "buy", "4000", "--limit", "0.6370", "--dry-run", "--json",
               "--venue", "sim")
    assert r.code == 0, r.out + r.err
    preview = r.json()
    assert preview["notionalBase"] == {"amount": "4000.00", "currency": "AUD"}
    messages = " ".join(c["message"] for c in preview["checks"])
    assert order_values(messages) == {"4,000.00"}


def test_a_foreign_order_shows_the_value_the_limits_saw_once(trader, sim) -> None:
    r = trader("place", "EUR/USD", "buy", "2000", "--limit", "1.1145", "--dry-run", "--json",
               "--venue", "sim")
    assert r.code in (0, 3), r.out + r.err
    preview = r.json()
    shown = Decimal(preview["notionalBase"]["amount"]).quantize(Decimal("0.01"))
    messages = " ".join(c["message"] for c in preview["checks"])
    assert order_values(messages) == {f"{shown:,.2f}"}

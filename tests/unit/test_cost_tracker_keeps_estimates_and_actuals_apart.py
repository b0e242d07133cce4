"""CostTracker: estimates and venue commissions kept apart, in fee and base currency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from trader_cli.costs import CostTracker
from trader_cli.domain.models import Fee, FeeSource, Fill, Side
from trader_cli.domain.money import Money

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def _fill(fill_id: str, cost: str, currency: str, coid: str = "trd-1") -> Fill:
    return Fill(
        id=fill_id,
        order_id="42",
        client_order_id=coid,
        symbol="AUD/USD",
        side=Side.BUY,
        price=D("0.66"),
        amount=D(100_000),
        timestamp=T0,
        fee=Fee(D(cost), currency),
    )


def test_estimate_and_actual_are_tracked_separately_with_sources() -> None:
    tracker = CostTracker("AUD", rates={"USD": D("1.50")})
    est = tracker.record_estimate("trd-1", Fee(D("2.00"), "USD", FeeSource.ESTIMATE))
    assert est.base == Money(D("3.00"), "AUD")
    assert est.source is FeeSource.ESTIMATE
    act = tracker.record_fill(_fill("f1", "2.10", "USD"), fx_rate=D("1.60"))
    assert act is not None
    assert act.source is FeeSource.VENUE
    assert act.fee == Money(D("2.10"), "USD")
    assert act.base == Money(D("3.36"), "AUD")  # the rate passed with the fill wins
    assert tracker.total(FeeSource.ESTIMATE) == Money(D("3.00"), "AUD")
    assert tracker.total(FeeSource.VENUE) == Money(D("3.36"), "AUD")
    assert tracker.totals_by_currency(FeeSource.VENUE) == {"USD": Money(D("2.10"), "USD")}
    assert tracker.compare("trd-1")["difference"] == Money(D("0.36"), "AUD")


def test_same_fill_twice_counts_once_and_fee_less_fill_is_skipped() -> None:
    tracker = CostTracker("AUD", rate_for=lambda ccy: D("1.5"))
    tracker.record_fill(_fill("f1", "2.00", "USD"))
    tracker.record_fill(_fill("f1", "2.00", "USD"))
    assert tracker.total(FeeSource.VENUE) == Money(D("3.000"), "AUD")
    no_fee = Fill("f2", None, None, "BHP/AUD", Side.BUY, D(45), D(10), T0)
    assert tracker.record_fill(no_fee) is None


def test_base_currency_fee_needs_no_rate_and_foreign_one_does() -> None:
    tracker = CostTracker("AUD")
    assert tracker.record_fill(_fill("f1", "6.00", "AUD")).base == Money(D("6.00"), "AUD")
    with pytest.raises(ValueError, match="no rate from USD to AUD"):
        tracker.record_fill(_fill("f2", "2.00", "USD"))
    assert tracker.compare("nope") == {"estimate": None, "actual": None, "difference": None}

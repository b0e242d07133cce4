"""Session accounting: average-cost PnL and fees in the base currency, shorts included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from trader_cli.domain.models import Side
from trader_cli.services.pnl import FillRecord, session_pnl

T0 = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


def fill(
    i: int,
    side: Side,
    qty: str,
    price: str,
    *,
    symbol: str = "BHP/AUD",
    rate: str = "1",
    fee: str = "6",
) -> FillRecord:
    return FillRecord(
        symbol,
        side,
        Decimal(qty),
        Decimal(price),
        T0 + timedelta(seconds=i),
        Decimal(rate),
        Decimal(fee),
    )


def test_long_round_trip_realises_the_difference() -> None:
    r = session_pnl([fill(0, Side.BUY, "100", "45.00"), fill(1, Side.SELL, "100", "45.50")], "AUD")
    assert r.realised.amount == Decimal("50.00")
    assert r.fees.amount == Decimal("12")
    assert r.net.amount == Decimal("38.00")
    assert r.books["BHP/AUD"].quantity == 0


def test_short_profits_when_price_falls() -> None:
    r = session_pnl(
        [fill(0, Side.SELL, "100", "45.00"), fill(1, Side.BUY, "40", "44.00")],
        "AUD",
        marks={"BHP/AUD": (Decimal("44.50"), Decimal(1))},
    )
    assert r.realised.amount == Decimal("40.00")
    assert r.books["BHP/AUD"].quantity == -60
    assert r.unrealised.amount == Decimal("30.00")  # 60 short, 45.00 → 44.50


def test_average_cost_and_flip_through_flat() -> None:
    r = session_pnl(
        [
            fill(0, Side.BUY, "100", "10"),
            fill(1, Side.BUY, "100", "12"),
            fill(2, Side.SELL, "250", "13"),
        ],
        "AUD",
    )
    book = r.books["BHP/AUD"]
    assert r.realised.amount == Decimal("400")  # 200 closed at 13 against an average of 11
    assert book.quantity == -50
    assert book.avg_price == Decimal("13")


def test_fx_pnl_uses_the_rate_recorded_with_each_fill() -> None:
    r = session_pnl(
        [
            fill(0, Side.BUY, "20000", "0.6500", symbol="AUD/USD", rate="1.5385", fee="2"),
            fill(1, Side.SELL, "20000", "0.6550", symbol="AUD/USD", rate="1.5267", fee="2"),
        ],
        "AUD",
    )
    # 100 USD of profit, converted at the closing fill's rate
    assert r.realised.amount == Decimal("100.0000") * Decimal("1.5267")
    assert r.realised.currency == "AUD"


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2)
qtys = st.integers(min_value=1, max_value=10_000)


@given(prices, qtys)
def test_buy_and_sell_at_one_price_realises_nothing(price: Decimal, qty: int) -> None:
    r = session_pnl(
        [
            fill(0, Side.BUY, str(qty), str(price), fee="0"),
            fill(1, Side.SELL, str(qty), str(price), fee="0"),
        ],
        "AUD",
    )
    assert r.realised.amount == 0
    assert r.books["BHP/AUD"].quantity == 0


@given(st.lists(st.tuples(st.sampled_from([Side.BUY, Side.SELL]), qtys, prices), max_size=12))
def test_quantity_is_the_signed_sum_of_fills(trades) -> None:
    fills = [fill(i, side, str(q), str(p)) for i, (side, q, p) in enumerate(trades)]
    r = session_pnl(fills, "AUD")
    expected = sum((Decimal(q) * side.sign for side, q, _ in trades), Decimal(0))
    assert (r.books["BHP/AUD"].quantity if trades else Decimal(0)) == expected

"""The backtest's round trips realise PnL as ``trader run``'s PnL service does
(:func:`trader_cli.services.pnl.session_pnl`): random fills — adds, partial closes, flips from
long to short in one fill, FX rates that move — give the same realised PnL and fees, and every
trade opens and closes where the position leaves and comes back to zero."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trader_cli.backtest.metrics import RoundTrips
from trader_cli.domain.models import Side
from trader_cli.services.pnl import FillRecord, session_pnl


def _fills(seed: int, symbol: str, fx: bool) -> list[FillRecord]:
    rng = random.Random(seed)
    t = datetime(2024, 7, 3, tzinfo=UTC)
    price = Decimal("0.6500") if fx else Decimal("45.00")
    out = []
    for _ in range(200):
        t += timedelta(minutes=rng.randint(1, 90))
        price += Decimal(rng.randint(-20, 20)) * (Decimal("0.0001") if fx else Decimal("0.01"))
        amount = Decimal(rng.choice([100, 200, 300, 500, 1000]) * (100 if fx else 1))
        rate = (Decimal(1) / price).quantize(Decimal("0.000001")) if fx else Decimal(1)
        fee = Decimal(rng.randint(200, 900)) / 100
        out.append(FillRecord(symbol, rng.choice([Side.BUY, Side.SELL]), amount, price, t,
                              rate, fee))
    return out


@pytest.mark.parametrize(("symbol", "fx"), [("BHP/AUD", False), ("AUD/USD", True)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_realised_pnl_and_fees_match_the_pnl_service(symbol, fx, seed):
    fills = _fills(seed, symbol, fx)
    trips = RoundTrips(keep=1000)
    held = Decimal(0)
    flips = 0
    for f in fills:
        before = held
        trips.add(f)
        held += f.amount * f.side.sign
        flips += before != 0 and held != 0 and (before > 0) != (held > 0)
    assert flips >= 2, "the series flips positions in one fill"
    expected = session_pnl(fills, "AUD")
    realised = trips.total.gross + sum((t.gross for t in trips.open.values()), Decimal(0))
    assert abs(realised - expected.realised.amount) < Decimal("0.000001")
    assert trips.fees == expected.fees.amount
    assert trips.total.trades == len(trips.last)
    for t in trips.last:
        assert t.closed is not None and t.closed >= t.opened

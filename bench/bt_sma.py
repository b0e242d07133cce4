"""The SMA(10/30) crossover of ``trader_cli/strategies/examples/sma.py``, mirrored in backtrader.

Run by ``bench/backtest.py`` inside a scratch venv that has backtrader (and nothing of ours):

    python bench/bt_sma.py --bars BHP.csv --sessions BHP.sessions.json --cash 100000 \
        --max-order-value 5000 --slippage-bps 20 --commission-rate 0.0008 --commission-min 6 \
        --price-steps 0:0.001,0.10:0.005,2.00:0.01

Prints one JSON object on stdout: ``bars``, ``trades`` (round trips closed), ``orders``,
``seconds`` (cerebro's run, the CSV read included), ``pnl`` and ``fees`` (AUD), ``exits`` (by
stop, target and pre-close), ``refused`` (entries trader's checks would refuse) and, with
``--trade-list``, ``tradeList`` (each closed trade: opened, closed, side, quantity, entry, exit).

What it mirrors: an entry on the bar the 10-bar SMA crosses the 30-bar SMA (``(now > 0) !=
(before > 0)`` of their difference), when the symbol has no position and no open order; the
stop 2 ATR away and the target 3 ATR away, ATR(14) Wilder over the same 50-bar window the
strategy asks for, each put on the ASX price step towards the entry; the size is the AUD 100
risk budget over the distance from the ask to the stop, capped by ``MAX_ORDER_VALUE x 0.95``
over the worse of the entry limit and the stop, whole shares; the entry is a marketable limit
(the ask moved ``--slippage-bps`` up, a sell's bid down, on the tick) with the stop (``Stop``)
and the target (``Limit``) as its bracket children; an entry trader's bracket checks refuse is
not sent (the stop and the target must lie beyond the entry's limit, and a long's stop below the
bid, a short's above the ask: a bar's quote is its close, one step either side); every position
is closed, and every open order cancelled, once the session's close is 10 minutes away or less,
and no entry goes in then. The bar's time is its start; a decision is made at its end (start +
1 minute), on the bars up to and including it, and fills from the next bar on.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import backtrader as bt

FAST, SLOW, ATR_PERIOD, WINDOW = 10, 30, 14, 50  # WINDOW: the strategy's ``slow + 20`` candles
RISK_BUDGET = Decimal(100)
STOP_ATR, TARGET_ATR = 2, 3
SIZE_CAP_SHARE = Decimal("0.95")
CLOSE_BUFFER = timedelta(minutes=10)
BAR = timedelta(minutes=1)


def parse_steps(text: str) -> list[tuple[Decimal, Decimal]]:
    """``0:0.001,0.10:0.005,2.00:0.01`` -> ascending (lower bound, step) pairs."""
    pairs = (item.split(":") for item in text.split(","))
    return sorted((Decimal(lo), Decimal(step)) for lo, step in pairs)


class Ticks:
    """Rounding onto the price-step table, as ``trader_cli.liquidity.round_price``."""

    def __init__(self, steps: list[tuple[Decimal, Decimal]]) -> None:
        self.steps = steps

    def step(self, price: Decimal) -> Decimal:
        out = self.steps[0][1]
        for lower, step in self.steps:
            if price >= lower:
                out = step
        return out

    def round(self, price: Decimal, up: bool) -> Decimal:
        mode = ROUND_CEILING if up else ROUND_FLOOR
        step = self.step(price)
        out = (price / step).quantize(Decimal(1), rounding=mode) * step
        if out % self.step(out):
            step = self.step(out)
            out = (out / step).quantize(Decimal(1), rounding=mode) * step
        return out


def wilder_atr(highs: list[float], lows: list[float], closes: list[float]) -> float | None:
    """ATR(14) at the last bar, Wilder-smoothed, seeded with the mean of the first 14 true
    ranges of the window (``trader_cli.strategies.features.atr``)."""
    ranges = [
        max(highs[i] - lows[i], abs(highs[i] - closes[i - 1]), abs(lows[i] - closes[i - 1]))
        for i in range(1, len(closes))
    ]
    if len(ranges) < ATR_PERIOD:
        return None
    avg = sum(ranges[:ATR_PERIOD]) / ATR_PERIOD
    for x in ranges[ATR_PERIOD:]:
        avg = (avg * (ATR_PERIOD - 1) + x) / ATR_PERIOD
    return avg


class AsxFixed(bt.CommInfoBase):
    """IBKR Australia fixed: a percentage of the trade value with a minimum per order."""

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("rate", 0.0008),
        ("minimum", 6.0),
    )

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        return max(self.p.minimum, abs(size) * price * self.p.rate)


class SmaBracket(bt.Strategy):
    """The mirrored strategy and plan monitor."""

    params = (
        ("closes", ()),  # session closes, naive UTC, ascending
        ("ticks", None),
        ("max_order_value", Decimal(5000)),
        ("slippage_bps", Decimal(20)),
        ("trade_list", False),
    )

    def __init__(self) -> None:
        diff = bt.ind.SMA(self.data.close, period=FAST) - bt.ind.SMA(self.data.close, period=SLOW)
        self.diff = diff
        self.closes: list[datetime] = list(self.p.closes)
        self.session = 0
        self.open_orders: set[int] = set()
        self.exiting = False
        self.trades = 0
        self.orders = 0
        self.refused = 0
        self.opened: tuple[datetime, float, float] | None = None
        self.trade_list: list[dict[str, object]] = []
        self.pnl = 0.0
        self.fees = 0.0
        self.exits = {"stop": 0, "target": 0, "close": 0}

    def notify_order(self, order: bt.Order) -> None:
        if order.status in (order.Submitted, order.Accepted, order.Partial):
            self.open_orders.add(order.ref)
            return
        self.open_orders.discard(order.ref)
        if order.status == order.Completed:
            self.fees += order.executed.comm
            if order.parent is not None:  # a bracket child: the stop or the target
                self.exits["stop" if order.exectype == bt.Order.Stop else "target"] += 1
            elif order.exectype == bt.Order.Market:
                self.exits["close"] += 1

    def notify_trade(self, trade: bt.Trade) -> None:
        if trade.justopened:
            self.opened = (bt.num2date(trade.dtopen), trade.size, trade.price)
        if trade.isclosed:
            self.trades += 1
            self.pnl += trade.pnlcomm
            if self.p.trade_list and self.opened is not None:
                at, size, price = self.opened
                self.trade_list.append({
                    "opened": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "closed": bt.num2date(trade.dtclose).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "side": "long" if size > 0 else "short", "quantity": abs(size),
                    "entry": round(price, 4), "exit": round(price + trade.pnl / size, 4),
                    "net": round(trade.pnlcomm, 2),
                })
            if not self.position:
                self.exiting = False

    def _session_close(self, at: datetime) -> datetime:
        while self.session < len(self.closes) - 1 and self.closes[self.session] <= at:
            self.session += 1
        return self.closes[self.session]

    def next(self) -> None:
        now = self.data.datetime.datetime(0) + BAR  # the bar has ended
        if self._session_close(now - BAR) - now <= CLOSE_BUFFER:
            self._leave()
            return
        if self.position or self.open_orders or len(self) < SLOW + 1:
            return
        now_diff, before = self.diff[0], self.diff[-1]
        if (now_diff > 0) == (before > 0):
            return
        self._enter(buy=now_diff > 0)

    @staticmethod
    def _refused(buy: bool, limit: Decimal, stop: Decimal, target: Decimal,
                 far: Decimal) -> bool:
        """trader's bracket checks on the same prices: the stop and target beyond the entry's
        limit on their sides, and the stop not already passed by the far side of the touch
        (the bid for a long, the ask for a short)."""
        if buy:
            return not stop < limit < target or stop >= far
        return not target < limit < stop or stop <= far

    def _leave(self) -> None:
        """The plan monitor's pre-close exit: cancel what rests, close what is held."""
        for order in list(self.broker.get_orders_open()):
            self.cancel(order)
        if self.position and not self.exiting:
            self.exiting = True
            self.orders += 1
            self.close()

    def _enter(self, *, buy: bool) -> None:
        n = min(len(self), WINDOW)
        highs = list(self.data.high.get(size=n))
        lows = list(self.data.low.get(size=n))
        closes = list(self.data.close.get(size=n))
        atr = wilder_atr(highs, lows, closes)
        if not atr:
            return
        ticks: Ticks = self.p.ticks
        sign = 1 if buy else -1
        close = Decimal(str(closes[-1]))
        step = Decimal(str(round(atr, 8))) * sign
        # stop and target on the step, each rounded towards the entry
        stop = ticks.round(close - STOP_ATR * step, up=buy)
        target = ticks.round(close + TARGET_ATR * step, up=not buy)
        # the quote a bar gives: the close, one step either side
        touch = close + ticks.step(close) * sign
        bump = self.p.slippage_bps / Decimal(10_000)
        limit = ticks.round(touch * (1 + bump * sign), up=buy)
        if self._refused(buy, limit, stop, target, close - ticks.step(close) * sign):
            self.refused += 1
            return
        per_unit = abs(touch - stop)
        if per_unit <= 0:
            return
        cap = self.p.max_order_value / max(limit, stop) * SIZE_CAP_SHARE
        qty = int(min(RISK_BUDGET / per_unit, cap))
        if qty <= 0:
            return
        bracket = self.buy_bracket if buy else self.sell_bracket
        bracket(
            size=qty,
            exectype=bt.Order.Limit,
            price=float(limit),
            stopprice=float(stop),
            stopexec=bt.Order.Stop,
            limitprice=float(target),
            limitexec=bt.Order.Limit,
        )
        self.orders += 3


def main() -> None:
    """Run and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", required=True)
    parser.add_argument("--sessions", required=True)
    parser.add_argument("--cash", type=float, default=100_000.0)
    parser.add_argument("--max-order-value", type=Decimal, default=Decimal(5000))
    parser.add_argument("--slippage-bps", type=Decimal, default=Decimal(20))
    parser.add_argument("--commission-rate", type=float, default=0.0008)
    parser.add_argument("--commission-min", type=float, default=6.0)
    parser.add_argument("--price-steps", default="0:0.001,0.10:0.005,2.00:0.01")
    parser.add_argument("--trade-list", action="store_true", help="list every closed trade")
    args = parser.parse_args()

    with open(args.sessions, encoding="utf-8") as f:
        sessions = json.load(f)["sessions"]
    closes = [datetime.fromisoformat(c.rstrip("Z")) for _, c in sessions]

    started = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)  # no observers: backtrader at its fastest
    data = bt.feeds.GenericCSVData(
        dataname=args.bars,
        dtformat=lambda text: datetime.fromisoformat(text.rstrip("Z")),  # naive UTC
        timeframe=bt.TimeFrame.Minutes,
        compression=1,
        datetime=0, open=1, high=2, low=3, close=4, volume=5, openinterest=-1, time=-1,
    )
    cerebro.adddata(data)
    cerebro.broker.setcash(args.cash)
    cerebro.broker.addcommissioninfo(
        AsxFixed(rate=args.commission_rate, minimum=args.commission_min)
    )
    cerebro.addstrategy(
        SmaBracket,
        closes=closes,
        ticks=Ticks(parse_steps(args.price_steps)),
        max_order_value=args.max_order_value,
        slippage_bps=args.slippage_bps,
        trade_list=args.trade_list,
    )
    strategy = cerebro.run()[0]
    seconds = time.perf_counter() - started
    report = {
        "bars": len(data),
        "trades": strategy.trades,
        "orders": strategy.orders,
        "seconds": round(seconds, 3),
        "pnl": round(strategy.pnl, 2),
        "fees": round(strategy.fees, 2),
        "final_value": round(cerebro.broker.getvalue(), 2),
        "exits": strategy.exits,
        "refused": strategy.refused,
    }
    if args.trade_list:
        report["tradeList"] = strategy.trade_list
    print(json.dumps(report))


if __name__ == "__main__":
    main()

"""The SMA(10/30) crossover example on one-minute bars: the strategy ``bench/backtest.py`` runs.

    PYTHONPATH=bench trader backtest --bars BHP.csv --strategy sma_1m:SmaCrossover1m --json
"""

from __future__ import annotations

from trader_cli.strategies.api import Timeframe
from trader_cli.strategies.examples.sma import SmaCrossover


class SmaCrossover1m(SmaCrossover):
    """:class:`SmaCrossover` with ``timeframe = M1`` (the bench's bars are one minute)."""

    timeframe = Timeframe.M1

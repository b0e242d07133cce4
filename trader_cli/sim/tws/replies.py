"""TWS replies computed from the engine's state: account rows, portfolio, contract hours, bars."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from trader_cli.sim.engine import hours
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.market import Bar, MarketModel
from trader_cli.sim.engine.matching import Clock, MatchingEngine
from trader_cli.sim.tws import history, messages
from trader_cli.sim.tws.codec import Field, format_field
from trader_cli.sim.tws.errors import Codes, Text
from trader_cli.sim.tws.messages import Out
from trader_cli.sim.tws.requests import HistoricalRequest

_CENT = Decimal("0.01")
ROW_SHAPES_KEPT = 32  # history request shapes whose last answer's rows are kept


@dataclass
class BarsSub:
    """A keepUpToDate historical subscription."""

    inst: Instrument
    bar_seconds: int
    use_rth: bool
    format_date: int
    what_to_show: str


class Replies:
    """Builds the TWS messages that read the engine's world, market and clock."""

    def __init__(
        self,
        engine: MatchingEngine,
        market: MarketModel,
        clock: Clock,
        pacing: history.PacingTracker,
        tws_tz: ZoneInfo,
    ) -> None:
        self.engine = engine
        self.market = market
        self.clock = clock
        self.pacing = pacing
        self.tws_tz = tws_tz
        # request shape -> {window: (the bar, its row as sent)}: the rows of the last answer of
        # each shape, for the next request of that shape (a runner asks the same every cycle)
        self._rows: OrderedDict[tuple[Any, ...], dict[tuple[Any, ...], tuple[Bar, list[str]]]]
        self._rows = OrderedDict()

    def hours_strings(self, inst: Instrument, now: datetime) -> tuple[str, str]:
        """(tradingHours, liquidHours) in the contract's time zone."""
        tz = ZoneInfo(inst.time_zone_id)
        return (
            hours.trading_hours_string(inst.market, now, tz, use_rth=False),
            hours.trading_hours_string(inst.market, now, tz, use_rth=True),
        )

    # ----- account ------------------------------------------------------------------------------
    def account_rows(self) -> list[tuple[str, Field, str]]:
        """(key, value, currency) rows for updateAccountValue / accountUpdateMulti."""
        engine = self.engine
        world = engine.world
        rows: list[tuple[str, Field, str]] = [
            ("AccountCode", world.account, ""),
            ("AccountType", "SIMULATED", ""),
            ("Currency", "BASE", "BASE"),
        ]
        for key, value in engine.account_values().items():
            rows.append((key, value, "AUD"))
        total = Decimal(0)
        for ccy, amount in sorted(world.cash.items()):
            rate = engine.rate(ccy)
            total += amount * rate
            rows += [
                ("Currency", ccy, ccy),
                ("CashBalance", amount.quantize(_CENT), ccy),
                ("TotalCashBalance", amount.quantize(_CENT), ccy),
                ("ExchangeRate", rate.quantize(Decimal("0.0000001")), ccy),
            ]
        rows += [
            ("CashBalance", total.quantize(_CENT), "BASE"),
            ("TotalCashBalance", total.quantize(_CENT), "BASE"),
            ("NetLiquidationByCurrency", engine.account_values()["NetLiquidation"], "BASE"),
        ]
        return rows

    def portfolio_rows(self) -> list[list[Field]]:
        """updatePortfolio messages for every position."""
        engine = self.engine
        out = []
        for pos in engine.world.positions.values():
            inst = engine.catalogue.by_con_id(pos.con_id)
            if inst is None:
                continue
            mark = engine.mark(inst)
            value = (pos.quantity * mark).quantize(_CENT)
            unrealized = ((mark - pos.avg_cost) * pos.quantity).quantize(_CENT)
            out.append(
                messages.portfolio_value(
                    inst, pos.quantity, mark, value, pos.avg_cost, unrealized,
                    pos.realized_pnl.quantize(_CENT), engine.world.account,
                )
            )  # fmt: skip
        return out

    # ----- historical data ----------------------------------------------------------------------
    def historical(
        self, inst: Instrument, req: HistoricalRequest
    ) -> tuple[list[Field], BarsSub | None]:
        """The HISTORICAL_DATA message for ``req`` (raises HistoryRequestError like TWS)."""
        bar_seconds = history.parse_bar_size(req.bar_size)
        duration = history.parse_duration(req.duration)
        history.validate_step(duration, bar_seconds)
        if req.keep_up_to_date and req.end.strip():
            raise history.HistoryRequestError(Codes.VALIDATION_ERROR, Text.KEEP_UP_TO_DATE_WITH_END)
        what = req.what_to_show.upper() or "TRADES"
        if inst.is_fx and what == "TRADES":
            raise history.HistoryRequestError(
                Codes.HISTORICAL_DATA_ERROR,
                history.HMDS + f"No historical market data for {inst.symbol}/CASH@"
                f"{inst.exchange} Last {req.bar_size}",
            )
        now = self.clock.now()
        self.pacing.check(
            history.PacingKey(
                inst.con_id, inst.exchange, what, req.end, req.duration, req.bar_size, req.use_rth
            ),
            bar_seconds,
            now,
        )
        end = min(history.parse_end(req.end, now, self.tws_tz), now)
        windows = history.bar_windows(
            inst.market, end, duration, bar_seconds, use_rth=req.use_rth, tz=self.tws_tz
        )
        shape = (bar_seconds, req.duration, req.use_rth)
        self.market.make_room(inst, shape, len(windows))
        fields: list[Field] = [Out.HISTORICAL_DATA, req.req_id]
        start = end - (windows[-1][2] - windows[0][1] if windows else end - end)
        fields += [
            history.format_ib_time(windows[0][1] if windows else start, self.tws_tz),
            history.format_ib_time(end, self.tws_tz),
            len(windows),
        ]
        answer = (inst.con_id, *shape, req.format_date, what)
        last = self._rows.pop(answer, {})
        rows: dict[tuple[Any, ...], tuple[Bar, list[str]]] = {}
        for label, data_start, data_end in windows:
            keep = data_end < now
            bar = self.market.bar(inst, data_start, data_end, keep=keep)
            window = (label, data_start, data_end)
            found = last.get(window)
            if found is not None and found[0] is bar:  # the same bar kept: the same row
                row = found[1]
            else:
                row = [format_field(f) for f in self._bar_fields(
                    inst, label, bar, bar_seconds, req, what)]
            if keep:
                rows[window] = (bar, row)
            fields += row
        self._rows[answer] = rows
        while len(self._rows) > ROW_SHAPES_KEPT:
            self._rows.popitem(last=False)
        sub = None
        if req.keep_up_to_date:
            sub = BarsSub(inst, bar_seconds, req.use_rth, req.format_date, what)
        return fields, sub

    def _bar_fields(
        self,
        inst: Instrument,
        label: datetime,
        bar: Bar,
        bar_seconds: int,
        req: HistoricalRequest,
        what: str,
    ) -> list[Field]:
        stamp = history.format_bar_time(
            inst.market, label, bar_seconds, req.format_date, self.tws_tz
        )
        trades = what == "TRADES"
        return [
            stamp, bar.open, bar.high, bar.low, bar.close,
            bar.volume if trades else -1, bar.wap if trades else -1, bar.count if trades else -1,
        ]  # fmt: skip

    def bar_update(self, req_id: int, sub: BarsSub) -> list[Field] | None:
        """historicalDataUpdate for the bar containing the current sim time, if in session."""
        now = self.clock.now()
        windows = history.bar_windows(
            sub.inst.market, now, history.Duration(1, "D"), min(sub.bar_seconds, 86400),
            use_rth=sub.use_rth, tz=self.tws_tz,
        )  # fmt: skip
        if not windows:
            return None
        label, data_start, data_end = windows[-1]
        bar = self.market.bar(sub.inst, data_start, data_end, keep=data_end < now)
        stamp = history.format_bar_time(
            sub.inst.market, label, sub.bar_seconds, sub.format_date, self.tws_tz
        )
        trades = sub.what_to_show == "TRADES"
        return [
            Out.HISTORICAL_DATA_UPDATE, req_id, bar.count if trades else -1, stamp, bar.open,
            bar.close, bar.high, bar.low, bar.wap if trades else -1,
            bar.volume if trades else -1,
        ]  # fmt: skip

"""Gateway-wide operations: orders and fills, historical bars, account figures, broadcasting."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from trader_cli.sim import history, hours, messages
from trader_cli.sim.catalogue import ContractQuery, Instrument
from trader_cli.sim.codec import Field
from trader_cli.sim.errors import Codes, Text
from trader_cli.sim.market import BOOK_REFRESH_SECONDS
from trader_cli.sim.messages import Out
from trader_cli.sim.requests import HistoricalRequest, PlaceOrder
from trader_cli.sim.state import SimExecution, SimOrder

if TYPE_CHECKING:
    from trader_cli.sim.server import SimGateway
    from trader_cli.sim.session import BarsSub, ClientSession

_CENT = Decimal("0.01")
# currency -> (local symbol, True when the pair is CCY.AUD, i.e. quoted in AUD)
_AUD_CROSSES = {
    "USD": ("AUD.USD", False),
    "JPY": ("AUD.JPY", False),
    "NZD": ("AUD.NZD", False),
    "EUR": ("EUR.AUD", True),
    "GBP": ("GBP.AUD", True),
}


class Engine:
    """Business logic shared by all sessions of one :class:`SimGateway`."""

    def __init__(self, gw: SimGateway) -> None:
        self.gw = gw

    # ----- lookups ------------------------------------------------------------------------------
    def resolve(self, query: ContractQuery) -> Instrument | None:
        """The single instrument a request's contract names (first match wins)."""
        rows = self.gw.catalogue.match(query)
        return rows[0][0] if rows else None

    def hours_strings(self, inst: Instrument, now: datetime) -> tuple[str, str]:
        """(tradingHours, liquidHours) in the contract's time zone."""
        tz = ZoneInfo(inst.time_zone_id)
        return (
            hours.trading_hours_string(inst.market, now, tz, use_rth=False),
            hours.trading_hours_string(inst.market, now, tz, use_rth=True),
        )

    def rate(self, currency: str) -> Decimal:
        """AUD per one unit of ``currency`` from current SIMULATED FX mids."""
        if currency == "AUD":
            return Decimal(1)
        local, aud_quoted = _AUD_CROSSES[currency]
        inst = self.gw.catalogue.by_local_symbol(local)
        assert inst is not None
        q = self.gw.market.quote(inst, self.gw.clock.now())
        mid = (q.bid + q.ask) / 2
        return mid if aud_quoted else Decimal(1) / mid

    def mark(self, inst: Instrument) -> Decimal:
        """Mid price used to value positions."""
        q = self.gw.market.quote(inst, self.gw.clock.now())
        return (q.bid + q.ask) / 2

    # ----- orders -------------------------------------------------------------------------------
    def place_order(self, session: ClientSession, req: PlaceOrder) -> None:
        """Validate, accept and (when the market is open) match a new or modified order."""
        world = self.gw.world
        inst = self.resolve(req.contract)
        if inst is None:
            session.error(req.order_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        reason = self.gw.faults.take_order_rejection()
        if reason is None and req.order_type not in ("LMT", "MKT"):
            reason = f"The order type {req.order_type} is not supported by the SIMULATED gateway"
        if reason is None and req.order_type == "MKT" and not inst.market_orders_allowed:
            reason = Text.MKT_NOT_ALLOWED
        if reason is None and req.order_type == "LMT" and req.lmt_price is None:
            reason = "Missing limit price"
        if reason is not None:
            session.error(req.order_id, Codes.ORDER_REJECTED, Text.ORDER_REJECTED + reason)
            return
        if req.total_qty <= 0:
            session.error(req.order_id, Codes.ORDER_SIZE_ZERO, Text.ORDER_SIZE_ZERO)
            return
        price = req.lmt_price if req.order_type == "LMT" else None
        if price is not None and (price <= 0 or price % inst.tick_at(price) != 0):
            session.error(req.order_id, Codes.PRICE_NOT_ON_TICK, Text.PRICE_NOT_ON_TICK)
            return
        assert session.client_id is not None
        now = self.gw.clock.now()
        order = world.find_order(session.client_id, req.order_id)
        if order is not None and order.is_active:
            order.total_qty, order.lmt_price, order.order_ref = req.total_qty, price, req.order_ref
        else:
            order = world.new_order(
                order_id=req.order_id,
                client_id=session.client_id,
                con_id=inst.con_id,
                action=req.action.upper(),
                total_qty=req.total_qty,
                order_type=req.order_type,
                lmt_price=price,
                tif=req.tif or "DAY",
                account=req.account or world.account,
                order_ref=req.order_ref,
                outside_rth=req.outside_rth,
                status="PreSubmitted",
                created_at=now,
            )
            self.send_order_update(order, inst)
        order.status = "Submitted"
        self.send_order_update(order, inst)
        if self.gw.faults.take_drop_after_ack():
            self.gw.close_sessions()  # the acknowledgement is written, then the links go
        self.match_order(order, inst)
        self.gw.save_state()

    def cancel_order(self, session: ClientSession, order_id: int) -> None:
        """Cancel an active order of this client (orderStatus Cancelled + error 202)."""
        assert session.client_id is not None
        order = self.gw.world.find_order(session.client_id, order_id)
        if order is None or not order.is_active:
            session.error(order_id, Codes.CANCEL_UNKNOWN_ORDER, Text.cancel_not_found(order_id))
            return
        self._cancel(order)

    def global_cancel(self) -> None:
        """Cancel every active order (reqGlobalCancel)."""
        for order in list(self.gw.world.orders.values()):
            if order.is_active:
                self._cancel(order)

    def _cancel(self, order: SimOrder) -> None:
        inst = self.gw.catalogue.by_con_id(order.con_id)
        assert inst is not None
        self.gw.world.finish(order, "Cancelled", self.gw.clock.now())
        self.send_order_update(order, inst)
        for session in self.gw.sessions_for(order.client_id):
            session.error(order.order_id, Codes.ORDER_CANCELLED, Text.ORDER_CANCELLED)
        self.gw.save_state()

    def send_order_update(self, order: SimOrder, inst: Instrument) -> None:
        """openOrder + orderStatus to the order's owner."""
        for session in self.gw.sessions_for(order.client_id):
            session.send(messages.open_order(order, inst, session.server_version))
            session.send(messages.order_status(order))

    def match_order(self, order: SimOrder, inst: Instrument) -> None:
        """Fill what the book allows now; no fills while the instrument's market is closed."""
        now = self.gw.clock.now()
        if not order.is_active:
            return
        use_rth = not order.outside_rth
        if not hours.is_open(inst.market, now, use_rth=use_rth or inst.market == "FX"):
            return
        q = self.gw.market.quote(inst, now)
        book = q.asks if order.action == "BUY" else q.bids
        bucket = int(now.timestamp()) // BOOK_REFRESH_SECONDS
        fills = self.gw.world.match(order, inst, book, bucket, now, self.rate)
        if fills:
            self._report_fills(order, inst, fills)

    def match_all(self) -> None:
        """Try every resting order against the current book."""
        for order in list(self.gw.world.orders.values()):
            inst = self.gw.catalogue.by_con_id(order.con_id)
            if inst is not None and order.is_active:
                self.match_order(order, inst)

    def _report_fills(self, order: SimOrder, inst: Instrument, fills: list[SimExecution]) -> None:
        for session in self.gw.sessions_for(order.client_id):
            for ex in fills:
                stamp = history.format_ib_time(ex.time, self.gw.tws_tz)
                session.send(
                    messages.exec_details(
                        -1, ex, inst, stamp, session.server_version,
                        omit_liquidity=self.gw.faults.omit_liquidity,
                    )
                )  # fmt: skip
            session.send(messages.order_status(order))
            if not order.is_active:
                session.send(messages.open_order(order, inst, session.server_version))
            for ex in fills:
                session.send(messages.commission_report(ex))
        self.broadcast_account(inst)
        self.gw.save_state()

    def broadcast_account(self, inst: Instrument | None = None) -> None:
        """Push position and account updates to subscribed sessions."""
        world = self.gw.world
        pos = world.positions.get(inst.con_id) if inst else None
        for session in self.gw.all_sessions():
            if session.positions and inst is not None and pos is not None:
                session.send(messages.position(world.account, inst, pos.quantity, pos.avg_cost))
            if session.account_updates:
                session.send_account_download(end=False)

    # ----- account ------------------------------------------------------------------------------
    def account_values(self) -> dict[str, Decimal]:
        """Account summary tags in AUD, rounded as TWS shows them."""
        insts = {i.con_id: i for i in self.gw.catalogue.instruments}
        marks = {c: self.mark(insts[c]) for c in self.gw.world.positions}
        raw = self.gw.world.account_values(insts, marks, self.rate)
        return {
            k: v.quantize(Decimal("0.0001") if k == "Cushion" else _CENT) for k, v in raw.items()
        }

    def account_rows(self) -> list[tuple[str, Field, str]]:
        """(key, value, currency) rows for updateAccountValue / accountUpdateMulti."""
        world = self.gw.world
        rows: list[tuple[str, Field, str]] = [
            ("AccountCode", world.account, ""),
            ("AccountType", "SIMULATED", ""),
            ("Currency", "BASE", "BASE"),
        ]
        for key, value in self.account_values().items():
            rows.append((key, value, "AUD"))
        total = Decimal(0)
        for ccy, amount in sorted(world.cash.items()):
            rate = self.rate(ccy)
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
            ("NetLiquidationByCurrency", self.account_values()["NetLiquidation"], "BASE"),
        ]
        return rows

    def portfolio_rows(self) -> list[list[Field]]:
        """updatePortfolio messages for every position."""
        out = []
        for pos in self.gw.world.positions.values():
            inst = self.gw.catalogue.by_con_id(pos.con_id)
            if inst is None:
                continue
            mark = self.mark(inst)
            value = (pos.quantity * mark).quantize(_CENT)
            unrealized = ((mark - pos.avg_cost) * pos.quantity).quantize(_CENT)
            out.append(
                messages.portfolio_value(
                    inst, pos.quantity, mark, value, pos.avg_cost, unrealized,
                    pos.realized_pnl.quantize(_CENT), self.gw.world.account,
                )
            )  # fmt: skip
        return out

    # ----- historical data ----------------------------------------------------------------------
    def historical(
        self, inst: Instrument, req: HistoricalRequest
    ) -> tuple[list[Field], BarsSub | None]:
        """The HISTORICAL_DATA message for ``req`` (raises HistoryRequestError like TWS)."""
        from trader_cli.sim.session import BarsSub

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
        now = self.gw.clock.now()
        self.gw.pacing.check(
            history.PacingKey(
                inst.con_id, inst.exchange, what, req.end, req.duration, req.bar_size, req.use_rth
            ),
            bar_seconds,
            now,
        )
        end = min(history.parse_end(req.end, now, self.gw.tws_tz), now)
        windows = history.bar_windows(
            inst.market, end, duration, bar_seconds, use_rth=req.use_rth, tz=self.gw.tws_tz
        )
        fields: list[Field] = [Out.HISTORICAL_DATA, req.req_id]
        start = end - (windows[-1][2] - windows[0][1] if windows else end - end)
        fields += [
            history.format_ib_time(windows[0][1] if windows else start, self.gw.tws_tz),
            history.format_ib_time(end, self.gw.tws_tz),
            len(windows),
        ]
        for label, data_start, data_end in windows:
            fields += self._bar_fields(inst, label, data_start, data_end, bar_seconds, req, what)
        sub = None
        if req.keep_up_to_date:
            sub = BarsSub(inst, bar_seconds, req.use_rth, req.format_date, what)
        return fields, sub

    def _bar_fields(
        self,
        inst: Instrument,
        label: datetime,
        data_start: datetime,
        data_end: datetime,
        bar_seconds: int,
        req: HistoricalRequest,
        what: str,
    ) -> list[Field]:
        bar = self.gw.market.bar(inst, data_start, data_end)
        stamp = history.format_bar_time(
            inst.market, label, bar_seconds, req.format_date, self.gw.tws_tz
        )
        trades = what == "TRADES"
        return [
            stamp, bar.open, bar.high, bar.low, bar.close,
            bar.volume if trades else -1, bar.wap if trades else -1, bar.count if trades else -1,
        ]  # fmt: skip

    def bar_update(self, req_id: int, sub: BarsSub) -> list[Field] | None:
        """historicalDataUpdate for the bar containing the current sim time, if in session."""
        now = self.gw.clock.now()
        windows = history.bar_windows(
            sub.inst.market, now, history.Duration(1, "D"), min(sub.bar_seconds, 86400),
            use_rth=sub.use_rth, tz=self.gw.tws_tz,
        )  # fmt: skip
        if not windows:
            return None
        label, data_start, data_end = windows[-1]
        bar = self.gw.market.bar(sub.inst, data_start, data_end)
        stamp = history.format_bar_time(
            sub.inst.market, label, sub.bar_seconds, sub.format_date, self.gw.tws_tz
        )
        trades = sub.what_to_show == "TRADES"
        return [
            Out.HISTORICAL_DATA_UPDATE, req_id, bar.count if trades else -1, stamp, bar.open,
            bar.close, bar.high, bar.low, bar.wap if trades else -1,
            bar.volume if trades else -1,
        ]  # fmt: skip

"""One client connection: handshake, the request-handler table, and replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.sim.engine import OrderTicket
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.tws import history, messages, tape
from trader_cli.sim.tws.codec import (
    Field,
    FrameDecoder,
    ProtocolError,
    encode_fields,
    parse_version_range,
)
from trader_cli.sim.tws.errors import Codes, Text
from trader_cli.sim.tws.messages import Out, TickType
from trader_cli.sim.tws.replies import BarsSub
from trader_cli.sim.tws.requests import (
    AccountSummaryRequest,
    AccountUpdates,
    CancelOrder,
    CompletedOrdersRequest,
    ContractDetailsRequest,
    ExecutionsRequest,
    HistoricalRequest,
    HistoricalTicksRequest,
    In,
    MarketDataType,
    MktDataRequest,
    MktDepthRequest,
    MultiRequest,
    NoArgs,
    PlaceOrder,
    Request,
    StartApi,
    decode_request,
)

if TYPE_CHECKING:
    from trader_cli.sim.tws.server import SimGateway

log = logging.getLogger(__name__)


@dataclass
class TickerSub:
    """A streaming market-data subscription and what was last sent on it."""

    inst: Instrument
    sent: dict[int, Decimal] = field(default_factory=dict)
    # the ask side is held back until this sim time (the split-book fault)
    ask_due: datetime | None = None


class ClientSession:
    """Serves one TWS API client over one socket."""

    def __init__(
        self, gw: SimGateway, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.gw = gw
        self.reader = reader
        self.writer = writer
        self.server_version = 0
        self.client_id: int | None = None
        self.tickers: dict[int, TickerSub] = {}
        self.bars: dict[int, BarsSub] = {}
        self.depth: dict[int, tape.DepthSub] = {}
        self.account_updates = False
        self.positions = False
        self.market_data_type = 1
        self._outbox: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        self._closed = False
        self._handlers: dict[type[Request] | int, Callable[[Any], None]] = {
            StartApi: self._start_api,
            MktDataRequest: self._req_mkt_data,
            PlaceOrder: self._place_order,
            CancelOrder: self._cancel_order,
            AccountUpdates: self._req_account_updates,
            ExecutionsRequest: self._req_executions,
            ContractDetailsRequest: self._req_contract_details,
            HistoricalRequest: self._req_historical,
            MktDepthRequest: self._req_mkt_depth,
            HistoricalTicksRequest: self._req_historical_ticks,
            MarketDataType: self._req_market_data_type,
            AccountSummaryRequest: self._req_account_summary,
            CompletedOrdersRequest: self._req_completed_orders,
            In.CANCEL_MKT_DATA: lambda r: self._forget(self.tickers, r.req_id),
            In.CANCEL_HISTORICAL_DATA: lambda r: self._forget(self.bars, r.req_id),
            In.CANCEL_MKT_DEPTH: lambda r: self._forget(self.depth, r.req_id),
            In.REQ_OPEN_ORDERS: lambda _r: self._send_open_orders(all_clients=False),
            In.REQ_ALL_OPEN_ORDERS: lambda _r: self._send_open_orders(all_clients=True),
            In.REQ_AUTO_OPEN_ORDERS: lambda _r: None,
            In.REQ_IDS: lambda _r: self.send([Out.NEXT_VALID_ID, 1, gw.world.next_order_id]),
            In.REQ_MANAGED_ACCTS: lambda _r: self.send([Out.MANAGED_ACCOUNTS, 1, gw.world.account]),
            In.REQ_CURRENT_TIME: lambda _r: self.send(
                [Out.CURRENT_TIME, 1, int(gw.clock.now().timestamp())]
            ),
            In.REQ_GLOBAL_CANCEL: lambda _r: gw.engine.cancel_all(),
            In.REQ_POSITIONS: self._req_positions,
            In.CANCEL_POSITIONS: lambda _r: setattr(self, "positions", False),
            In.CANCEL_ACCOUNT_SUMMARY: lambda _r: None,
            In.REQ_POSITIONS_MULTI: self._req_positions_multi,
            In.CANCEL_POSITIONS_MULTI: lambda _r: None,
            In.REQ_ACCOUNT_UPDATES_MULTI: self._req_account_updates_multi,
            In.CANCEL_ACCOUNT_UPDATES_MULTI: lambda _r: None,
        }

    # ----- transport ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Read and serve until the peer or the gateway closes the connection."""
        writer_task = asyncio.create_task(self._write_loop())
        decoder = FrameDecoder()
        try:
            while not self._closed:
                data = await self.reader.read(65536)
                if not data:
                    break
                for message in decoder.feed(data):
                    if isinstance(message, bytes):
                        self._handshake(message)
                    else:
                        self._dispatch(message)
                # what these requests changed is saved before their replies are written
                self.gw.save_if_changed()
        except (ProtocolError, ConnectionError) as e:
            log.info("sim gateway: closing connection: %s", e)
        finally:
            self.gw.save_if_changed()  # a request served before a bad one: saved first
            self._closed = True
            self._outbox.put_nowait(None)
            with contextlib.suppress(Exception):
                await writer_task
            self.gw.forget(self)
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while (item := await self._outbox.get()) is not None:
            due, payload = item
            wait = due - loop.time()
            if wait > 0:  # a reply delay armed when the message was queued
                await asyncio.sleep(wait)
            self.writer.write(payload)
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()
        self.writer.close()

    def send(self, fields: list[Field], *, later: float = 0.0) -> None:
        """Queue one message for this client (held back by the reply delay in force now, plus
        ``later`` seconds; messages still go out in the order they were queued)."""
        if not self._closed:
            due = asyncio.get_running_loop().time() + self.gw.faults.reply_delay + later
            self._outbox.put_nowait((due, encode_fields(fields)))

    def error(self, req_id: int, code: int, text: str) -> None:
        """Send an error/notice message."""
        self.send(messages.error(req_id, code, text, self.server_version))

    def close(self) -> None:
        """Close the connection once queued replies are written."""
        if not self._closed:
            self._closed = True
            self._outbox.put_nowait(None)

    # ----- protocol -----------------------------------------------------------------------------
    def _handshake(self, payload: bytes) -> None:
        low, high, _options = parse_version_range(payload)
        if high < self.gw.min_client_version or low > self.gw.server_version:
            raise ProtocolError(f"unsupported client versions {low}..{high}")
        self.server_version = min(high, self.gw.server_version)
        now = self.gw.clock.now()
        self.send([self.server_version, history.format_ib_time(now, self.gw.tws_tz)])

    def _dispatch(self, fields: list[str]) -> None:
        if self._closed:  # the rest of a batch read before the link was dropped
            return
        if fields and fields[0].isdigit() and self.gw.faults.take_drop_on(int(fields[0])):
            self.close()
            return
        if fields and fields[0].isdigit() and self.gw.faults.take_swallow(int(fields[0])):
            return  # lost inside the Gateway: never served, never answered
        try:
            request = decode_request(fields, self.server_version)
        except (ValueError, ArithmeticError) as e:
            log.warning("sim gateway: bad request %s: %s", fields[:3], e)
            return
        if request is None:
            log.info("sim gateway: ignoring unsupported message id %s", fields[:1])
            return
        if self.client_id is None and not isinstance(request, StartApi):
            return
        kind = getattr(request, "kind", None)
        handler = self._handlers.get(kind if kind is not None else type(request))
        if handler is None:
            handler = self._handlers.get(type(request))
        if handler is not None:
            handler(request)

    def _start_api(self, req: StartApi) -> None:
        if not self.gw.claim_client_id(self, req.client_id):
            self.error(-1, Codes.CLIENT_ID_IN_USE, Text.CLIENT_ID_IN_USE)
            self.close()
            return
        self.client_id = req.client_id
        self.send([Out.MANAGED_ACCOUNTS, 1, self.gw.world.account])
        self.send([Out.NEXT_VALID_ID, 1, self.gw.world.next_order_id])
        for code, text in Text.FARMS_OK:
            self.error(-1, code, text)

    # ----- contracts and market data ------------------------------------------------------------
    def _req_contract_details(self, req: ContractDetailsRequest) -> None:
        rows = self.gw.catalogue.match(req.contract)
        if not rows:
            self.error(req.req_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        now = self.gw.clock.now()
        for inst, exchange in rows:
            trading, liquid = self.gw.replies.hours_strings(inst, now)
            self.send(
                messages.contract_details(
                    req.req_id, inst, exchange, trading, liquid, self.server_version
                )
            )
        self.send([Out.CONTRACT_DATA_END, 1, req.req_id])

    def _req_market_data_type(self, req: MarketDataType) -> None:
        self.market_data_type = req.data_type

    def _req_mkt_data(self, req: MktDataRequest) -> None:
        inst = self.gw.engine.resolve(req.contract)
        if inst is None:
            self.error(req.req_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        if not req.snapshot and len(self.tickers) >= self.gw.market_data_lines:
            self.error(req.req_id, Codes.MAX_TICKERS, Text.MAX_TICKERS)
            return
        quote = self.gw.market.quote(inst, self.gw.clock.now())
        self.send([Out.TICK_REQ_PARAMS, req.req_id, inst.min_tick, "9c0001", 3])
        data_type = 1 if quote.open_market or self.market_data_type in (1, 3) else 2
        if self.gw.faults.no_live_subscription:
            # IB without a live data subscription: a 10167 notice, then delayed (3) data
            self.error(req.req_id, Codes.DELAYED_DATA, Text.DELAYED_DATA)
            data_type = 3 if data_type == 1 else 4
        self.send([Out.MARKET_DATA_TYPE, 1, req.req_id, data_type])
        sub = TickerSub(inst)
        split = self.gw.faults.split_book
        if split > 0:
            sub.ask_due = self.gw.clock.now() + timedelta(seconds=split)
        self.push_ticks(req.req_id, sub)
        if req.snapshot:
            self.send([Out.TICK_SNAPSHOT_END, 1, req.req_id])
        else:
            self.tickers[req.req_id] = sub

    def push_ticks(self, req_id: int, sub: TickerSub) -> None:
        """Send the ticks that changed since the last push on ``sub``."""
        now = self.gw.clock.now()
        q = self.gw.market.quote(sub.inst, now)
        sent = sub.sent
        pairs = (
            (TickType.BID, q.bid, TickType.BID_SIZE, q.bid_size),
            (TickType.ASK, q.ask, TickType.ASK_SIZE, q.ask_size),
            (TickType.LAST, q.last, TickType.LAST_SIZE, q.last_size),
        )
        held = sub.ask_due is not None and now < sub.ask_due
        for price_type, price, size_type, size in pairs:
            if held and price_type == TickType.ASK:
                continue
            if sent.get(price_type) != price:
                self.send(messages.tick_price(req_id, price_type, price, size))
                sent[price_type], sent[size_type] = price, size
            elif sent.get(size_type) != size:
                self.send(messages.tick_size(req_id, size_type, size))
                sent[size_type] = size
        if not sub.inst.is_fx and sent.get(TickType.VOLUME) != q.volume:
            self.send(messages.tick_size(req_id, TickType.VOLUME, q.volume))
            sent[TickType.VOLUME] = q.volume
        if sent.get(TickType.CLOSE) != q.close:
            self.send(messages.tick_price(req_id, TickType.CLOSE, q.close, 0))
            sent[TickType.CLOSE] = q.close

    def _req_mkt_depth(self, req: MktDepthRequest) -> None:
        inst = self.gw.engine.resolve(req.contract)
        if inst is None:
            self.error(req.req_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        refusal = self.gw.faults.depth_refusal
        if refusal is not None:
            self.error(req.req_id, refusal, Text.DEPTH_REFUSED[refusal])
            return
        sub = tape.DepthSub(inst, max(1, req.num_rows))
        self.depth[req.req_id] = sub
        self.push_depth(req.req_id, sub)

    def push_depth(self, req_id: int, sub: tape.DepthSub) -> None:
        """Send the depth rows that changed since the last push on ``sub``."""
        q = self.gw.market.quote(sub.inst, self.gw.clock.now())
        for fields in tape.depth_updates(req_id, sub, q.bids, q.asks):
            self.send(fields)

    def _req_historical_ticks(self, req: HistoricalTicksRequest) -> None:
        inst = self.gw.engine.resolve(req.contract)
        if inst is None:
            self.error(req.req_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        if self.gw.faults.no_tick_permissions:
            self.error(
                req.req_id,
                Codes.HISTORICAL_DATA_ERROR,
                Text.NO_TICK_PERMISSIONS + f"{inst.exchange} {inst.sec_type}",
            )
            return
        try:
            fields = tape.historical_ticks(
                self.gw.market, inst, req, self.gw.clock.now(), self.gw.tws_tz
            )
        except history.HistoryRequestError as e:
            self.error(req.req_id, e.code, e.message)
            return
        self.send(fields)

    def _req_historical(self, req: HistoricalRequest) -> None:
        inst = self.gw.engine.resolve(req.contract)
        if inst is None:
            self.error(req.req_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        try:
            payload, sub = self.gw.replies.historical(inst, req)
        except history.HistoryRequestError as e:
            self.error(req.req_id, e.code, e.message)
            return
        self.send(payload)
        if sub is not None:
            self.bars[req.req_id] = sub

    def push_bar_update(self, req_id: int, sub: BarsSub) -> None:
        """Send historicalDataUpdate for the bar in progress on a keepUpToDate request."""
        fields = self.gw.replies.bar_update(req_id, sub)
        if fields:
            self.send(fields)

    # ----- orders, executions, positions, account -----------------------------------------------
    def _place_order(self, req: PlaceOrder) -> None:
        inst = self.gw.engine.resolve(req.contract)
        if inst is None:
            self.error(req.order_id, Codes.NO_SECURITY_DEFINITION, Text.NO_SECURITY_DEFINITION)
            return
        assert self.client_id is not None
        self.gw.engine.submit(
            OrderTicket(
                client_id=self.client_id, order_id=req.order_id, inst=inst, action=req.action,
                total_qty=req.total_qty, order_type=req.order_type, lmt_price=req.lmt_price,
                tif=req.tif, account=req.account, order_ref=req.order_ref,
                outside_rth=req.outside_rth, aux_price=req.aux_price, parent_id=req.parent_id,
                oca_group=req.oca_group, oca_type=req.oca_type, transmit=req.transmit,
            )
        )  # fmt: skip

    def _cancel_order(self, req: CancelOrder) -> None:
        assert self.client_id is not None
        self.gw.engine.cancel(self.client_id, req.order_id)

    @staticmethod
    def _forget(subscriptions: dict[int, Any], req_id: int) -> None:
        """Cancel a streaming subscription (unknown ids are ignored, as IB does)."""
        subscriptions.pop(req_id, None)

    def _send_open_orders(self, *, all_clients: bool) -> None:
        for order in self.gw.world.orders.values():
            if order.is_active and (all_clients or order.client_id == self.client_id):
                inst = self.gw.catalogue.by_con_id(order.con_id)
                if inst is not None:
                    self.send(messages.open_order(order, inst, self.server_version))
                    self.send(messages.order_status(order))
        self.send([Out.OPEN_ORDER_END, 1])

    def _req_completed_orders(self, _req: CompletedOrdersRequest) -> None:
        for order in self.gw.world.orders.values():
            inst = self.gw.catalogue.by_con_id(order.con_id)
            if order.completed_at is not None and inst is not None:
                stamp = history.format_ib_time(order.completed_at, self.gw.tws_tz)
                self.send(messages.completed_order(order, inst, stamp, self.server_version))
        self.send([Out.COMPLETED_ORDERS_END])

    def _req_executions(self, req: ExecutionsRequest) -> None:
        since: datetime | None = None
        if req.time:
            with contextlib.suppress(history.HistoryRequestError):
                since = history.parse_end(req.time, self.gw.clock.now(), self.gw.tws_tz)
        side = {"BUY": "BOT", "SELL": "SLD"}.get(req.side.upper(), req.side.upper())
        for ex in self.gw.world.executions:
            inst = self.gw.catalogue.by_con_id(ex.con_id)
            if inst is None:
                continue
            if (
                (req.client_id and ex.client_id != req.client_id)
                or (req.account and ex.account != req.account)
                or (since is not None and ex.time < since)
                or (req.symbol and req.symbol.upper() != inst.symbol)
                or (req.sec_type and req.sec_type.upper() != inst.sec_type)
                or (req.exchange and req.exchange.upper() not in (ex.exchange, inst.exchange))
                or (side and ex.side != side)
            ):
                continue
            stamp = history.format_ib_time(ex.time, self.gw.tws_tz)
            self.send(
                messages.exec_details(
                    req.req_id, ex, inst, stamp, self.server_version,
                    omit_liquidity=self.gw.faults.omit_liquidity,
                )
            )  # fmt: skip
            self.send(messages.commission_report(ex))
        self.send([Out.EXECUTION_DATA_END, 1, req.req_id])

    def _req_positions(self, _req: NoArgs) -> None:
        self.positions = True
        world = self.gw.world
        for pos in world.positions.values():
            inst = self.gw.catalogue.by_con_id(pos.con_id)
            if inst is not None:
                self.send(messages.position(world.account, inst, pos.quantity, pos.avg_cost))
        self.send([Out.POSITION_END, 1])

    def _req_positions_multi(self, req: MultiRequest) -> None:
        world = self.gw.world
        for pos in world.positions.values():
            inst = self.gw.catalogue.by_con_id(pos.con_id)
            if inst is not None:
                self.send(
                    [Out.POSITION_MULTI, 1, req.req_id, world.account,
                     *messages.contract_short(inst), pos.quantity, pos.avg_cost, req.model_code]
                )  # fmt: skip
        self.send([Out.POSITION_MULTI_END, 1, req.req_id])

    def _req_account_updates(self, req: AccountUpdates) -> None:
        self.account_updates = req.subscribe
        if req.subscribe:
            self.send_account_download()

    def send_account_download(self, *, end: bool = True) -> None:
        """updateAccountValue rows, updatePortfolio per position, time, and download end."""
        replies = self.gw.replies
        account = self.gw.world.account
        for key, value, currency in replies.account_rows():
            self.send([Out.ACCOUNT_VALUE, 2, key, value, currency, account])
        for fields in replies.portfolio_rows():
            self.send(fields)
        self.send(
            [Out.ACCOUNT_UPDATE_TIME, 1, f"{self.gw.clock.now().astimezone(self.gw.tws_tz):%H:%M}"]
        )
        if end:
            self.send([Out.ACCOUNT_DOWNLOAD_END, 1, account])

    def _req_account_updates_multi(self, req: MultiRequest) -> None:
        account = self.gw.world.account
        for key, value, currency in self.gw.replies.account_rows():
            self.send(
                [Out.ACCOUNT_UPDATE_MULTI, 1, req.req_id, account, req.model_code, key, value,
                 currency]
            )  # fmt: skip
        self.send([Out.ACCOUNT_UPDATE_MULTI_END, 1, req.req_id])

    def _req_account_summary(self, req: AccountSummaryRequest) -> None:
        values = self.gw.engine.account_values()
        wanted = {t.strip() for t in req.tags.split(",") if t.strip()}
        account = self.gw.world.account
        self.send([Out.ACCOUNT_SUMMARY, 1, req.req_id, account, "AccountType", "SIMULATED", ""])
        for tag, value in values.items():
            if tag in wanted or "All" in wanted:
                self.send([Out.ACCOUNT_SUMMARY, 1, req.req_id, account, tag, value, "AUD"])
        self.send([Out.ACCOUNT_SUMMARY_END, 1, req.req_id])

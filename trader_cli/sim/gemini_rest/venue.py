"""The Gemini exchange over the sim's matching engine: Gemini's payload shapes, no wire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from trader_cli.sim.engine import MatchingEngine, OrderTicket, RequestError
from trader_cli.sim.engine.catalogue import Catalogue, Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel
from trader_cli.sim.engine.world import CryptoFees, SimExecution, SimOrder, World
from trader_cli.sim.gemini_rest import errors as e

ACCOUNT = "primary"
CLIENT_ID = 0  # every Gemini order lives under one engine client
STARTING_BALANCES = {"USD": Decimal("100000"), "BTC": Decimal("1")}
#: Gemini's API fee schedule, default tier (0.20% maker, 0.40% taker)
DEFAULT_FEES = CryptoFees(maker=Decimal("0.0020"), taker=Decimal("0.0040"))
ORDER_TYPE = "exchange limit"
MAKER_OR_CANCEL = "maker-or-cancel"
IMMEDIATE_OR_CANCEL = "immediate-or-cancel"
#: Gemini option -> the engine order's tif (and back)
OPTION_TIF = {MAKER_OR_CANCEL: "MOC", IMMEDIATE_OR_CANCEL: "IOC"}
TIF_OPTION = {v: k for k, v in OPTION_TIF.items()}
KNOWN_OPTIONS = ("fill-or-kill", "auction-only", "indication-of-interest")
CANCEL_REQUESTED = "Requested"
CANCEL_MAKER_WOULD_TAKE = "MakerOrCancelWouldTake"
CANCEL_IOC_WOULD_POST = "ImmediateOrCancelWouldPost"
#: Gemini's candle frames, in seconds
FRAMES = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1hr": 3600,
    "6hr": 21600,
    "1day": 86400,
}
CANDLES_PER_REPLY = 500
PUBLIC_TRADE_SECONDS = 10  # one simulated public trade per this many sim seconds
DEFAULT_LIMIT, MAX_LIMIT = 50, 500


def text(value: Decimal) -> str:
    """A Decimal as Gemini writes numbers in strings: plain notation, no trailing zeros."""
    if value == 0:
        return "0"
    out = format(value.normalize(), "f")
    return out


def ms(when: datetime) -> int:
    """Epoch milliseconds."""
    return int(when.timestamp() * 1000)


@dataclass
class GeminiNotifier:
    """Collects what the engine reports; the venue turns it into Gemini replies."""

    venue: GeminiVenue | None = None
    errors: list[RequestError] = field(default_factory=list)

    def order_status(self, order: SimOrder, inst: Instrument) -> None:
        """Order changes are read back from the world; nothing to push over REST."""

    def executions(self, order: SimOrder, inst: Instrument, fills: Sequence[SimExecution]) -> None:
        """Fills are read back from the world (``/v1/mytrades``)."""

    def account_changed(self, inst: Instrument) -> None:
        """Balances are read back from the world (``/v1/balances``)."""

    def request_error(self, client_id: int, req_id: int, error: RequestError) -> None:
        """Keep the refusal for the request being served."""
        self.errors.append(error)

    def world_changed(self) -> None:
        """Ask the venue to persist."""
        if self.venue is not None:
            self.venue.changed()


class GeminiVenue:
    """Gemini's endpoints as methods returning JSON-ready data (or raising GeminiError)."""

    def __init__(
        self,
        *,
        world: World,
        clock: SimClock,
        market: MarketModel,
        fees: CryptoFees = DEFAULT_FEES,
        catalogue: Catalogue | None = None,
        cancel_reasons: dict[int, str] | None = None,
    ) -> None:
        self.world = world
        self.clock = clock
        self.market = market
        self.fees = fees
        self.catalogue = catalogue or Catalogue.load("crypto.json")
        self.cancel_reasons: dict[int, str] = dict(cancel_reasons or {})
        self.notifier = GeminiNotifier()
        self.engine = MatchingEngine(
            world=world, catalogue=self.catalogue, market=market, clock=clock,
            notifier=self.notifier, fees=fees,
        )  # fmt: skip
        self.on_change: list[Any] = []

    def changed(self) -> None:
        """Run the persistence hooks."""
        for hook in self.on_change:
            hook()

    # ----- lookups ------------------------------------------------------------------------------
    def instrument(self, symbol: object) -> Instrument:
        """The pair a Gemini symbol (``btcusd``, any case) names."""
        inst = self.catalogue.by_local_symbol(str(symbol).upper())
        if inst is None:
            raise e.GeminiError(
                e.INVALID_SYMBOL, f"Supplied value '{symbol}' is not a valid symbol"
            )
        return inst

    def now(self) -> datetime:
        """Sim time."""
        return self.clock.now()

    # ----- public -------------------------------------------------------------------------------
    def symbols(self) -> list[str]:
        """``/v1/symbols``."""
        return [i.local_symbol.lower() for i in self.catalogue.instruments]

    def symbol_details(self, symbol: str) -> dict[str, Any]:
        """``/v1/symbols/details/:symbol``."""
        inst = self.instrument(symbol)
        return {
            "symbol": inst.local_symbol,
            "base_currency": inst.symbol,
            "quote_currency": inst.currency,
            "tick_size": float(inst.amount_increment or 1),
            "quote_increment": float(inst.tick_at(inst.base_price)),
            "min_order_size": text(inst.min_order_size or Decimal(0)),
            "status": "open",
            "wrap_enabled": False,
        }

    def web_currency_data(self) -> dict[str, Any]:
        """What Gemini's web page embeds as ``currencyData`` (ccxt reads precisions from it)."""
        pairs = []
        currencies: dict[str, list[Any]] = {}
        for inst in self.catalogue.instruments:
            price_dp = -(inst.tick_at(inst.base_price).as_tuple().exponent)  # type: ignore[operator]
            amount_dp = -((inst.amount_increment or Decimal(1)).as_tuple().exponent)  # type: ignore[operator]
            min_size = text(inst.min_order_size or Decimal(0))
            pairs.append([inst.local_symbol, price_dp, amount_dp, min_size, 10, True])
            name = inst.long_name.split(" / ")[0]
            network = name.lower()
            currencies[inst.symbol] = [
                inst.symbol, name, len(currencies) + 1, amount_dp, 0, amount_dp, 8, False, None,
                network,
            ]  # fmt: skip
        currencies["USD"] = ["USD", "US Dollar", 0, 2, 2, 2, 2, True, "$", None]
        return {"tradingPairs": pairs, "currencies": list(currencies.values()), "networks": []}

    def pubticker(self, symbol: str) -> dict[str, Any]:
        """``/v1/pubticker/:symbol``."""
        inst = self.instrument(symbol)
        now = self.now()
        q = self.market.quote(inst, now)
        mid = (q.bid + q.ask) / 2
        return {
            "bid": text(q.bid),
            "ask": text(q.ask),
            "volume": {
                inst.symbol: text(q.volume),
                inst.currency: text((q.volume * mid).quantize(Decimal("0.01"))),
                "timestamp": str(ms(now)),
            },
            "last": text(q.last),
        }

    def ticker_v2(self, symbol: str) -> dict[str, Any]:
        """``/v2/ticker/:symbol``: 24 hours of open/high/low/close and hourly changes."""
        inst = self.instrument(symbol)
        now = self.now()
        q = self.market.quote(inst, now)
        hourly = [self.market.price(inst, now - timedelta(hours=h)) for h in range(24)]
        day = self.market.bar(inst, now - timedelta(days=1), now, keep=False)
        return {
            "symbol": inst.local_symbol,
            "open": text(day.open),
            "high": text(max(day.high, *hourly)),
            "low": text(min(day.low, *hourly)),
            "close": text(q.last),
            "changes": [text(p) for p in hourly],
            "bid": text(q.bid),
            "ask": text(q.ask),
        }

    def book(self, symbol: str, query: dict[str, str]) -> dict[str, Any]:
        """``/v1/book/:symbol`` (``limit_bids``, ``limit_asks``; 0 means all levels)."""
        inst = self.instrument(symbol)
        now = self.now()
        q = self.market.quote(inst, now)
        stamp = str(int(now.timestamp()))

        def side(levels: Sequence[Any], limit_key: str) -> list[dict[str, str]]:
            limit = _int(query.get(limit_key), DEFAULT_LIMIT)
            rows = [
                {"price": text(lv.price), "amount": text(lv.size), "timestamp": stamp}
                for lv in levels
            ]
            return rows[:limit] if limit > 0 else rows

        return {"bids": side(q.bids, "limit_bids"), "asks": side(q.asks, "limit_asks")}

    def candles(self, symbol: str, frame: str) -> list[list[float]]:
        """``/v2/candles/:symbol/:frame``: newest first, the current (partial) one included."""
        inst = self.instrument(symbol)
        seconds = FRAMES.get(frame)
        if seconds is None:
            raise e.GeminiError(e.INVALID_TIMEFRAME, f"Unknown time frame {frame!r}")
        now = self.now()
        start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
        out = []
        for n in range(CANDLES_PER_REPLY):
            begin = start - timedelta(seconds=seconds * n)
            end = (
                min(begin + timedelta(seconds=seconds), now)
                if n == 0
                else begin + timedelta(seconds=seconds)
            )
            if end <= begin:
                end = begin + timedelta(seconds=1)
            bar = self.market.bar(inst, begin, end, keep=end < now)
            out.append(
                [
                    ms(begin), float(bar.open), float(bar.high), float(bar.low),
                    float(bar.close), float(bar.volume),
                ]
            )  # fmt: skip
        return out

    def trades(self, symbol: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """``/v1/trades/:symbol``: simulated public prints, newest first."""
        inst = self.instrument(symbol)
        limit = min(max(_int(query.get("limit_trades"), DEFAULT_LIMIT), 1), MAX_LIMIT)
        since = _since(query.get("timestamp") or query.get("since"))
        now = self.now()
        step = PUBLIC_TRADE_SECONDS
        t = int(now.timestamp()) // step * step
        out: list[dict[str, Any]] = []
        while len(out) < limit:
            when = datetime.fromtimestamp(t, UTC)
            if since is not None and when < since:
                break
            q = self.market.quote(inst, when)
            out.append(
                {
                    # strings, as the recorded replies have them
                    "timestamp": str(t),
                    "timestampms": str(t * 1000),
                    "tid": str(t * 1000 + inst.con_id % 1000),
                    "price": text(q.last),
                    "amount": text(q.last_size),
                    "exchange": "gemini",
                    "type": "buy" if q.last == q.ask else "sell",
                }
            )
            t -= step
        return out

    # ----- private: orders ----------------------------------------------------------------------
    def new_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``/v1/order/new``: a limit order, with at most one execution option."""
        self.engine.match_all()
        inst = self.instrument(payload.get("symbol", ""))
        side = str(payload.get("side", "")).lower()
        if side not in ("buy", "sell"):
            raise e.GeminiError(e.INVALID_SIDE, f"Invalid side for symbol {inst.local_symbol}")
        if payload.get("type") != ORDER_TYPE:
            raise e.GeminiError(e.INVALID_ORDER_TYPE, f"Invalid order type {payload.get('type')!r}")
        amount = _decimal(payload.get("amount"), e.INVALID_QUANTITY, "quantity")
        step = inst.amount_increment or Decimal(1)
        if amount <= 0 or amount % step != 0:
            raise e.GeminiError(
                e.INVALID_QUANTITY,
                f"Invalid quantity for symbol {inst.local_symbol}: {payload.get('amount')}",
            )
        if inst.min_order_size is not None and amount < inst.min_order_size:
            raise e.GeminiError(
                e.INVALID_QUANTITY,
                f"Invalid quantity for symbol {inst.local_symbol}: {payload.get('amount')} "
                f"is below the minimum order size {text(inst.min_order_size)}",
            )
        price = _decimal(payload.get("price"), e.INVALID_PRICE, "price")
        if price <= 0 or price % inst.tick_at(price) != 0:
            raise e.GeminiError(
                e.INVALID_PRICE,
                f"Invalid price for symbol {inst.local_symbol}: {payload.get('price')}",
            )
        client_order_id = payload.get("client_order_id")
        if client_order_id is not None and not isinstance(client_order_id, str):
            raise e.GeminiError(
                e.CLIENT_ORDER_ID_MUST_BE_STRING, "client_order_id must be a string"
            )
        if client_order_id is not None and len(client_order_id) >= 100:
            raise e.GeminiError(
                e.CLIENT_ORDER_ID_TOO_LONG, "client_order_id is 100 characters or more"
            )
        option = _option(payload.get("options", []))
        self._check_funds(inst, side, amount, price)
        order_id = self.world.next_order_id
        ticket = OrderTicket(
            client_id=CLIENT_ID, order_id=order_id, inst=inst, action=side.upper(),
            total_qty=amount, order_type="LMT", lmt_price=price,
            tif=OPTION_TIF.get(option or "", "GTC"), account=self.world.account,
            order_ref=client_order_id or "",
        )  # fmt: skip
        if option == MAKER_OR_CANCEL and self._would_take(inst, side, price):
            order = self.world.new_order(
                order_id=order_id, client_id=CLIENT_ID, con_id=inst.con_id, action=ticket.action,
                total_qty=amount, order_type="LMT", lmt_price=price, tif=ticket.tif,
                account=self.world.account, order_ref=ticket.order_ref, outside_rth=True,
                status="Submitted", created_at=self.now(),
            )  # fmt: skip
            self.world.finish(order, "Cancelled", self.now())
            self.cancel_reasons[order.perm_id] = CANCEL_MAKER_WOULD_TAKE
            self.changed()
            return self.order_json(order)
        self.notifier.errors.clear()
        placed = self.engine.submit(ticket)
        if placed is None:
            refusal = self.notifier.errors[-1] if self.notifier.errors else None
            raise e.GeminiError(e.SYSTEM, refusal.detail if refusal else "order refused")
        if option == IMMEDIATE_OR_CANCEL and placed.status == "Cancelled":
            # the engine cancelled the rest on arrival, as Gemini does
            self.cancel_reasons[placed.perm_id] = CANCEL_IOC_WOULD_POST
            self.changed()
        return self.order_json(placed)

    def cancel(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``/v1/order/cancel``."""
        order = self._order(payload)
        if not order.is_active:
            raise e.GeminiError(
                e.ORDER_NOT_FOUND, f"Order {order.perm_id} is already {self._state(order)}"
            )
        self.engine.cancel(order.client_id, order.order_id)
        self.cancel_reasons[order.perm_id] = CANCEL_REQUESTED
        return self.order_json(order)

    def status(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``/v1/order/status`` (by ``order_id`` or ``client_order_id``)."""
        self.engine.match_all()
        return self.order_json(self._order(payload))

    def active_orders(self) -> list[dict[str, Any]]:
        """``/v1/orders``."""
        self.engine.match_all()
        live = [o for o in self.world.orders.values() if o.is_active]
        return [self.order_json(o) for o in sorted(live, key=lambda o: o.perm_id)]

    def my_trades(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """``/v1/mytrades`` for one symbol, newest first."""
        self.engine.match_all()
        inst = self.instrument(payload.get("symbol", ""))
        limit = min(max(_int(payload.get("limit_trades"), DEFAULT_LIMIT), 1), MAX_LIMIT)
        since = _since(payload.get("timestamp"))
        rows = [
            x
            for x in self.world.executions
            if x.con_id == inst.con_id and (since is None or x.time >= since)
        ]
        return [self.trade_json(x, inst) for x in reversed(rows)][:limit]

    # ----- private: account ---------------------------------------------------------------------
    def balances(self) -> list[dict[str, Any]]:
        """``/v1/balances``: totals and what open orders leave available."""
        self.engine.match_all()
        held = self._held()
        out = []
        for ccy, amount in sorted(self.world.cash.items()):
            available = amount - held.get(ccy, Decimal(0))
            out.append(
                {
                    "type": "exchange",
                    "currency": ccy,
                    "amount": text(amount),
                    "available": text(available),
                    "availableForWithdrawal": text(available),
                }
            )
        return out

    def notional_volume(self) -> dict[str, Any]:
        """``/v1/notionalvolume``: the fee tier this account pays and its 30-day volume."""
        now = self.now()
        maker = int(self.fees.maker * 10000)
        taker = int(self.fees.taker * 10000)
        days: dict[str, Decimal] = {}
        total = Decimal(0)
        for x in self.world.executions:
            if x.time >= now - timedelta(days=30):
                value = x.shares * x.price
                total += value
                key = x.time.date().isoformat()
                days[key] = days.get(key, Decimal(0)) + value
        return {
            "web_maker_fee_bps": 25,
            "web_taker_fee_bps": 35,
            "web_auction_fee_bps": 25,
            "api_maker_fee_bps": maker,
            "api_taker_fee_bps": taker,
            "api_auction_fee_bps": maker,
            "fix_maker_fee_bps": maker,
            "fix_taker_fee_bps": taker,
            "fix_auction_fee_bps": maker,
            "block_maker_fee_bps": 0,
            "block_taker_fee_bps": 50,
            "notional_30d_volume": float(total),
            "last_updated_ms": ms(now),
            "date": now.date().isoformat(),
            "notional_1d_volume": [
                {"date": d, "notional_volume": float(v)} for d, v in sorted(days.items())
            ],
        }

    # ----- shapes -------------------------------------------------------------------------------
    def order_json(self, order: SimOrder) -> dict[str, Any]:
        """An order as Gemini reports it."""
        inst = self.catalogue.by_con_id(order.con_id)
        assert inst is not None
        cancelled = order.status == "Cancelled"
        price_tick = inst.tick_at(inst.base_price)
        avg = order.avg_fill_price.quantize(price_tick) if order.filled else Decimal(0)
        out: dict[str, Any] = {
            "order_id": str(order.perm_id),
            "id": str(order.perm_id),
            "symbol": inst.local_symbol.lower(),
            "exchange": "gemini",
            "avg_execution_price": format(avg.quantize(price_tick), "f"),
            "side": order.action.lower(),
            "type": ORDER_TYPE,
            "timestamp": str(int(order.created_at.timestamp())),
            "timestampms": ms(order.created_at),
            "is_live": order.is_active,
            "is_cancelled": cancelled,
            "is_hidden": False,
            "was_forced": False,
            "executed_amount": text(order.filled),
            "options": [TIF_OPTION[order.tif]] if order.tif in TIF_OPTION else [],
            "price": format((order.lmt_price or Decimal(0)).quantize(price_tick), "f"),
            "original_amount": text(order.total_qty),
            "remaining_amount": text(order.remaining),
        }
        if order.order_ref:
            out["client_order_id"] = order.order_ref
        if cancelled:
            out["reason"] = self.cancel_reasons.get(order.perm_id, CANCEL_REQUESTED)
        return out

    def trade_json(self, x: SimExecution, inst: Instrument) -> dict[str, Any]:
        """One of our fills as ``/v1/mytrades`` reports it."""
        out: dict[str, Any] = {
            "price": format(x.price, "f"),
            "amount": text(x.shares),
            "timestamp": int(x.time.timestamp()),
            "timestampms": ms(x.time),
            "type": "Buy" if x.side == "BOT" else "Sell",
            "aggressor": x.liquidity == 2,
            "fee_currency": x.commission_currency,
            "fee_amount": text(x.commission),
            "tid": _tid(x),
            "order_id": str(x.perm_id),
            "exchange": "gemini",
            "is_auction_fill": False,
            "is_clearing_fill": False,
            "symbol": inst.local_symbol,
        }
        if x.order_ref:
            out["client_order_id"] = x.order_ref
        return out

    # ----- helpers ------------------------------------------------------------------------------
    def _order(self, payload: dict[str, Any]) -> SimOrder:
        raw_id = payload.get("order_id")
        cid = payload.get("client_order_id")
        if raw_id is None and cid is None:
            raise e.GeminiError(e.MISSING_ORDER_FIELD, "order_id or client_order_id is required")
        found = None
        for order in self.world.orders.values():
            if raw_id is not None and str(order.perm_id) == str(raw_id):
                found = order
            elif raw_id is None and cid is not None and order.order_ref == cid:
                found = order  # the latest with this client order id wins
        if found is None:
            raise e.GeminiError(e.ORDER_NOT_FOUND, f"Order {raw_id or cid} not found")
        return found

    @staticmethod
    def _state(order: SimOrder) -> str:
        return "cancelled" if order.status == "Cancelled" else "filled"

    def _would_take(self, inst: Instrument, side: str, price: Decimal) -> bool:
        q = self.market.quote(inst, self.now())
        return price >= q.ask if side == "buy" else price <= q.bid

    def _held(self) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {}
        for order in self.world.orders.values():
            inst = self.catalogue.by_con_id(order.con_id)
            if inst is None or not order.is_active:
                continue
            if order.action == "BUY":
                cost = order.remaining * (order.lmt_price or Decimal(0)) * (1 + self.fees.taker)
                held[inst.currency] = held.get(inst.currency, Decimal(0)) + cost
            else:
                held[inst.symbol] = held.get(inst.symbol, Decimal(0)) + order.remaining
        return held

    def _check_funds(self, inst: Instrument, side: str, amount: Decimal, price: Decimal) -> None:
        held = self._held()
        if side == "buy":
            ccy, need = inst.currency, amount * price * (1 + self.fees.taker)
        else:
            ccy, need = inst.symbol, amount
        available = self.world.cash.get(ccy, Decimal(0)) - held.get(ccy, Decimal(0))
        if need > available:
            raise e.GeminiError(
                e.INSUFFICIENT_FUNDS,
                f"Failed to place {side} order on symbol '{inst.local_symbol}' for price "
                f"${text(price)} and quantity {text(amount)} due to insufficient funds",
            )


def _tid(x: SimExecution) -> int:
    return 7_000_000_000 + int(x.exec_id.split(".")[1], 16)


def _int(raw: object, default: int) -> int:
    try:
        return int(str(raw)) if raw is not None else default
    except ValueError:
        return default


def _since(raw: object) -> datetime | None:
    """A ``timestamp`` parameter (epoch seconds or milliseconds) as a UTC datetime."""
    if raw is None or raw == "":
        return None
    value = _int(raw, 0)
    if value > 10_000_000_000:
        value //= 1000
    return datetime.fromtimestamp(value, UTC)


def _decimal(raw: object, reason: str, what: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise e.GeminiError(reason, f"Invalid {what} {raw!r}") from None
    if not value.is_finite():
        raise e.GeminiError(reason, f"Invalid {what} {raw!r}")
    return value


def _option(raw: object) -> str | None:
    if not isinstance(raw, list):
        raise e.GeminiError(e.OPTIONS_MUST_BE_ARRAY, "The options parameter must be an array")
    if len(raw) > 1:
        raise e.GeminiError(e.CONFLICTING_OPTIONS, "Only one order execution option is supported")
    if not raw:
        return None
    option = str(raw[0])
    if option not in OPTION_TIF:
        raise e.GeminiError(
            e.UNSUPPORTED_OPTION, f"Option {option!r} is not supported by the SIMULATED venue"
        )
    return option

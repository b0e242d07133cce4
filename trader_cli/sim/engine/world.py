"""The SIMULATED paper world: orders, executions, positions and cash. Pure: no sockets, no clock."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from trader_cli.costs import ibkr
from trader_cli.sim.engine.catalogue import Instrument
from trader_cli.sim.engine.market import Level

DEFAULT_ACCOUNT = "DU1234567"
BASE_CURRENCY = "AUD"
STARTING_CASH = Decimal("1000000")
ACTIVE = ("PreSubmitted", "Submitted")
# an order placed with transmit=False: kept, never working, never reported (see matching.py)
UNTRANSMITTED = "Untransmitted"
STOP_TYPES = ("STP", "STP LMT")
# margin rates for the simple SIMULATED margin model (fractions of gross position value)
STK_INIT, STK_MAINT = Decimal("0.50"), Decimal("0.25")
FX_INIT, FX_MAINT = Decimal("0.03"), Decimal("0.025")

RateFn = Callable[[str], Decimal]  # units of AUD per one unit of a currency
FEE_QUANTUM = Decimal("0.00000001")
# How long a finished order and its executions stay in the world after the order finished (sim
# time). IB answers reqExecutions with the current day's executions and reqCompletedOrders with
# recent completed orders only; a rolling day keeps at least the current day's whatever the
# time zone, far beyond a client's own look-back (resync's overlap, its settled retention).
FINISHED_RETENTION = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CryptoFees:
    """A crypto venue's fee rates (fractions of notional, charged in the quote currency)."""

    maker: Decimal
    taker: Decimal


@dataclass
class SimOrder:
    """An order as TWS tracks it."""

    order_id: int
    client_id: int
    perm_id: int
    con_id: int
    action: str
    total_qty: Decimal
    order_type: str
    lmt_price: Decimal | None
    tif: str
    account: str
    order_ref: str
    outside_rth: bool
    status: str
    created_at: datetime
    filled: Decimal = Decimal(0)
    avg_fill_price: Decimal = Decimal(0)
    last_fill_price: Decimal = Decimal(0)
    filled_value: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    completed_at: datetime | None = None
    completed_status: str = ""
    aux_price: Decimal | None = None  # a stop's trigger price
    parent_id: int = 0  # the parent's order id (same client) for a bracket child
    oca_group: str = ""
    oca_type: int = 0
    triggered: bool = False  # a stop whose trigger the market has reached
    awaiting_parent: bool = False  # a child held until its parent fills
    expires_at: datetime | None = None  # a DAY order's session close

    @property
    def remaining(self) -> Decimal:
        """Quantity still to fill."""
        return self.total_qty - self.filled

    @property
    def is_active(self) -> bool:
        """True while the order can still fill or be cancelled."""
        return self.status in ACTIVE

    @property
    def is_stop(self) -> bool:
        """True for STP and STP LMT orders."""
        return self.order_type in STOP_TYPES

    @property
    def why_held(self) -> str:
        """IB's ``whyHeld``: ``child`` until the parent fills, ``trigger`` until a stop elects."""
        if not self.is_active:
            return ""
        reasons = []
        if self.awaiting_parent:
            reasons.append("child")
        if self.is_stop and not self.triggered:
            reasons.append("trigger")
        return ",".join(reasons)


@dataclass
class SimExecution:
    """One fill."""

    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    con_id: int
    side: str  # BOT / SLD
    shares: Decimal
    price: Decimal
    time: datetime
    exchange: str
    account: str
    cum_qty: Decimal
    avg_price: Decimal
    order_ref: str
    liquidity: int  # 1 added, 2 removed
    commission: Decimal
    commission_currency: str
    realized_pnl: Decimal | None


@dataclass
class SimPosition:
    """A position; ``avg_cost`` includes commissions, as IB reports it."""

    con_id: int
    quantity: Decimal = Decimal(0)
    avg_cost: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)


@dataclass
class World:
    """Everything that must survive reconnects (and can be saved as JSON)."""

    account: str = DEFAULT_ACCOUNT
    # a new world's execution ids never repeat an earlier world's (IB's are unique per account)
    epoch: str = field(default_factory=lambda: secrets.token_hex(4))
    next_order_id: int = 1
    next_perm_id: int = 1_600_000_001
    next_exec_seq: int = 1
    orders: dict[int, SimOrder] = field(default_factory=dict)  # by perm_id
    executions: list[SimExecution] = field(default_factory=list)
    positions: dict[int, SimPosition] = field(default_factory=dict)
    cash: dict[str, Decimal] = field(default_factory=lambda: {BASE_CURRENCY: STARTING_CASH})
    consumed: dict[int, tuple[int, dict[str, Decimal]]] = field(default_factory=dict)

    # ----- orders -------------------------------------------------------------------------------
    def find_order(self, client_id: int, order_id: int) -> SimOrder | None:
        """The order placed by ``client_id`` with ``order_id``."""
        for order in self.orders.values():
            if order.client_id == client_id and order.order_id == order_id:
                return order
        return None

    def new_order(self, **kwargs: Any) -> SimOrder:
        """Create and register an order with the next permId."""
        order = SimOrder(perm_id=self.next_perm_id, **kwargs)
        self.next_perm_id += 1
        self.next_order_id = max(self.next_order_id, order.order_id + 1)
        self.orders[order.perm_id] = order
        return order

    def forget_finished(self, before: datetime) -> int:
        """Drop the orders that finished before ``before``, with their executions; returns how
        many orders went (see :data:`FINISHED_RETENTION`).

        A working or untransmitted order is never dropped, and neither is any order of a
        bracket (parent and children) or OCA group that still has such a member: the engine
        follows those links when a member fills or is cancelled. An execution goes when it is
        older than ``before`` and its order is gone.
        """
        # finished: a final status and its time (working and untransmitted orders have none)
        held = {key for o in self.orders.values() if o.completed_at is None
                for key in _group_keys(o)}  # fmt: skip
        gone = {
            perm for perm, o in self.orders.items()
            if o.completed_at is not None and o.completed_at < before
            and not any(key in held for key in _group_keys(o))
        }  # fmt: skip
        if not gone:
            return 0
        for perm in gone:
            del self.orders[perm]
        self.executions = [
            x for x in self.executions
            if x.time >= before or x.perm_id in self.orders
        ]  # fmt: skip
        return len(gone)

    def finish(self, order: SimOrder, status: str, when: datetime) -> None:
        """Move ``order`` to a final status."""
        order.status = status
        order.completed_at = when
        order.completed_status = status

    def match(
        self,
        order: SimOrder,
        inst: Instrument,
        book: tuple[Level, ...],
        bucket: int,
        when: datetime,
        rates: RateFn,
        *,
        fees: CryptoFees | None = None,
        maker: bool = False,
    ) -> list[SimExecution]:
        """Fill what ``order`` can take from ``book`` (the opposite side), level by level.

        Depth taken is remembered per instrument until ``bucket`` changes (the book refreshes).
        Crypto fills pay ``fees`` (maker when ``maker``: the order rested before it filled).
        """
        if not order.is_active or order.remaining <= 0:
            return []
        seen_bucket, used = self.consumed.get(inst.con_id, (bucket, {}))
        if seen_bucket != bucket:
            used = {}
        buying = order.action == "BUY"
        out: list[SimExecution] = []
        for level in book:
            if order.remaining <= 0:
                break
            if order.lmt_price is not None and (
                (buying and level.price > order.lmt_price)
                or (not buying and level.price < order.lmt_price)
            ):
                break
            side_key = ("A" if buying else "B") + str(level.price)
            available = level.size - used.get(side_key, Decimal(0))
            take = min(available, order.remaining)
            if take <= 0:
                continue
            used[side_key] = used.get(side_key, Decimal(0)) + take
            if inst.is_crypto:
                out.append(self._crypto_fill(order, inst, take, level.price, when, fees, maker))
            else:
                out.append(self._fill(order, inst, take, level.price, when, rates))
        self.consumed[inst.con_id] = (bucket, used)
        if order.remaining <= 0:
            self.finish(order, "Filled", when)
        return out

    def _fill(
        self,
        order: SimOrder,
        inst: Instrument,
        qty: Decimal,
        price: Decimal,
        when: datetime,
        rates: RateFn,
    ) -> SimExecution:
        before_value = order.filled_value
        order.filled += qty
        order.filled_value += qty * price
        order.avg_fill_price = order.filled_value / order.filled
        order.last_fill_price = price
        if inst.is_fx:
            # trade value in USD: quote-currency value converted through AUD
            usd_value = order.filled_value * rates(inst.currency) / rates("USD")
            usd_before = before_value * rates(inst.currency) / rates("USD")
            commission = ibkr.incremental_commission(
                usd_before,
                usd_value,
                rate=ibkr.FX_RATE,
                minimum=ibkr.FX_MINIMUM_USD,
                quantum=Decimal("0.00000001"),
            )
            currency = "USD"
        else:
            commission = ibkr.incremental_commission(
                before_value,
                order.filled_value,
                rate=ibkr.ASX_FIXED_RATE,
                minimum=ibkr.ASX_FIXED_MINIMUM,
            )
            currency = inst.currency
        order.commission += commission
        signed = qty if order.action == "BUY" else -qty
        realized = self._apply_position(
            inst, signed, price, commission * rates(currency) / rates(inst.currency)
        )
        self._apply_cash(inst, signed, price, commission, currency)
        exchange = "IDEALPRO" if inst.is_fx else "ASX"
        return self._record_execution(
            order, inst, qty, price, when, exchange, 2, commission, currency, realized
        )

    def _crypto_fill(
        self,
        order: SimOrder,
        inst: Instrument,
        qty: Decimal,
        price: Decimal,
        when: datetime,
        fees: CryptoFees | None,
        maker: bool,
    ) -> SimExecution:
        """A crypto fill: base and quote balances move, the fee is charged in the quote."""
        order.filled += qty
        order.filled_value += qty * price
        order.avg_fill_price = order.filled_value / order.filled
        order.last_fill_price = price
        rate = Decimal(0) if fees is None else fees.maker if maker else fees.taker
        fee = (qty * price * rate).quantize(FEE_QUANTUM)
        order.commission += fee
        signed = qty if order.action == "BUY" else -qty
        realized = self._apply_position(inst, signed, price, fee)
        self.cash[inst.currency] = self.cash.get(inst.currency, Decimal(0)) - signed * price - fee
        self.cash[inst.symbol] = self.cash.get(inst.symbol, Decimal(0)) + signed
        return self._record_execution(
            order, inst, qty, price, when, inst.exchange, 1 if maker else 2, fee, inst.currency,
            realized,
        )

    def _record_execution(
        self,
        order: SimOrder,
        inst: Instrument,
        qty: Decimal,
        price: Decimal,
        when: datetime,
        exchange: str,
        liquidity: int,
        commission: Decimal,
        commission_currency: str,
        realized: Decimal | None,
    ) -> SimExecution:
        """Append the execution of one fill (``liquidity``: 1 added, 2 removed, as IB reports)."""
        execution = SimExecution(
            exec_id=f"{self.epoch}.{self.next_exec_seq:08x}.01.01",
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            con_id=inst.con_id,
            side="BOT" if order.action == "BUY" else "SLD",
            shares=qty,
            price=price,
            time=when,
            exchange=exchange,
            account=order.account,
            cum_qty=order.filled,
            avg_price=order.avg_fill_price,
            order_ref=order.order_ref,
            liquidity=liquidity,
            commission=commission,
            commission_currency=commission_currency,
            realized_pnl=realized,
        )
        self.next_exec_seq += 1
        self.executions.append(execution)
        return execution

    def _apply_position(
        self, inst: Instrument, signed: Decimal, price: Decimal, commission: Decimal
    ) -> Decimal | None:
        pos = self.positions.setdefault(inst.con_id, SimPosition(inst.con_id))
        old = pos.quantity
        realized: Decimal | None = None
        if old == 0 or (old > 0) == (signed > 0):
            # commissions raise a long's cost and lower a short's proceeds: either way the
            # signed cost grows by the commission (a short of 32 at 145.30 paying 6 averages
            # 145.1125, as IB reports it)
            cost = old * pos.avg_cost + signed * price + commission
            pos.quantity = old + signed
            pos.avg_cost = cost / pos.quantity
        else:
            closing = min(abs(signed), abs(old))
            direction = Decimal(1) if old > 0 else Decimal(-1)
            realized = (price - pos.avg_cost) * closing * direction - commission
            pos.realized_pnl += realized
            pos.quantity = old + signed
            if pos.quantity == 0:
                pos.avg_cost = Decimal(0)
            elif (pos.quantity > 0) != (old > 0):
                pos.avg_cost = price  # flipped: the remainder opened at this price
        return realized

    def _apply_cash(
        self, inst: Instrument, signed: Decimal, price: Decimal, commission: Decimal, ccy: str
    ) -> None:
        self.cash[inst.currency] = self.cash.get(inst.currency, Decimal(0)) - signed * price
        if inst.is_fx:
            self.cash[inst.symbol] = self.cash.get(inst.symbol, Decimal(0)) + signed
        self.cash[ccy] = self.cash.get(ccy, Decimal(0)) - commission

    # ----- account ------------------------------------------------------------------------------
    def account_values(
        self, instruments: dict[int, Instrument], marks: dict[int, Decimal], rates: RateFn
    ) -> dict[str, Decimal]:
        """Account summary figures in the base currency (AUD)."""
        cash_base = sum((amount * rates(ccy) for ccy, amount in self.cash.items()), Decimal(0))
        stock_value = Decimal(0)
        gross_stk = Decimal(0)
        unrealized = Decimal(0)
        realized = Decimal(0)
        for con_id, pos in self.positions.items():
            inst = instruments[con_id]
            realized += pos.realized_pnl * rates(inst.currency)
            if inst.is_fx or pos.quantity == 0:
                continue
            value = pos.quantity * marks[con_id] * rates(inst.currency)
            stock_value += value
            gross_stk += abs(value)
            unrealized += (marks[con_id] - pos.avg_cost) * pos.quantity * rates(inst.currency)
        gross_fx = sum(
            (abs(amount * rates(ccy)) for ccy, amount in self.cash.items() if ccy != BASE_CURRENCY),
            Decimal(0),
        )
        net_liq = cash_base + stock_value
        init = gross_stk * STK_INIT + gross_fx * FX_INIT
        maint = gross_stk * STK_MAINT + gross_fx * FX_MAINT
        available = net_liq - init
        excess = net_liq - maint
        return {
            "NetLiquidation": net_liq,
            "TotalCashValue": cash_base,
            "SettledCash": cash_base,
            "AccruedCash": Decimal(0),
            "BuyingPower": max(available, Decimal(0)) / STK_INIT,
            "EquityWithLoanValue": net_liq,
            "GrossPositionValue": gross_stk,
            "StockMarketValue": stock_value,
            "RegTEquity": net_liq,
            "RegTMargin": init,
            "SMA": max(available, Decimal(0)),
            "InitMarginReq": init,
            "MaintMarginReq": maint,
            "FullInitMarginReq": init,
            "FullMaintMarginReq": maint,
            "AvailableFunds": available,
            "FullAvailableFunds": available,
            "ExcessLiquidity": excess,
            "FullExcessLiquidity": excess,
            "Cushion": (excess / net_liq) if net_liq else Decimal(0),
            "LookAheadInitMarginReq": init,
            "LookAheadMaintMarginReq": maint,
            "LookAheadAvailableFunds": available,
            "LookAheadExcessLiquidity": excess,
            "UnrealizedPnL": unrealized,
            "RealizedPnL": realized,
        }

    # ----- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready snapshot (Decimals and datetimes as strings; ``consumed`` left out)."""
        data: dict[str, Any] = _jsonable(self)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> World:
        """Inverse of :meth:`to_dict`."""
        world = cls(
            account=data["account"],
            epoch=str(data.get("epoch", "0000e0d5")),  # worlds saved before epochs
            next_order_id=int(data["next_order_id"]),
            next_perm_id=int(data["next_perm_id"]),
            next_exec_seq=int(data["next_exec_seq"]),
        )
        world.orders = {int(k): _load(SimOrder, v) for k, v in data["orders"].items()}
        world.executions = [_load(SimExecution, v) for v in data["executions"]]
        world.positions = {int(k): _load(SimPosition, v) for k, v in data["positions"].items()}
        world.cash = {k: Decimal(v) for k, v in data["cash"].items()}
        return world


def _group_keys(order: SimOrder) -> tuple[tuple[str, str, int], ...]:
    """The links that tie ``order`` to others: its bracket (the parent's order id, per client)
    and its OCA group (per account)."""
    bracket = ("bracket", str(order.client_id), order.parent_id or order.order_id)
    if not order.oca_group:
        return (bracket,)
    return bracket, ("oca", f"{order.account}|{order.oca_group}", 0)


_PLAIN = frozenset({str, int, bool, float, type(None)})


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: what ``asdict`` gives, walked once (no deep copy)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Decimal:
        return str(value)
    if kind in _FIELDS or is_dataclass(value):
        names = _FIELDS.get(kind) or _FIELDS.setdefault(kind, tuple(f.name for f in fields(value)))
        return {name: _jsonable(getattr(value, name)) for name in names if name != "consumed"}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if k != "consumed"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, by class


def _load(kind: type[Any], data: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in fields(kind):
        if f.name not in data:
            continue  # a field added after the world was saved: its default
        raw = data.get(f.name)
        hint = str(f.type)
        if raw is None:
            values[f.name] = None
        elif "Decimal" in hint:
            values[f.name] = Decimal(raw)
        elif "datetime" in hint:
            values[f.name] = datetime.fromisoformat(raw)
        else:
            values[f.name] = raw
    return kind(**values)

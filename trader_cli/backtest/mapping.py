"""The engine's orders and executions as our models, the way the IB adapter maps ib_async's
(``venues/ib/mapping.py``): the same statuses, types, sides and fees."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trader_cli.domain.models import Fee, FeeSource, Fill, Order, OrderStatus, OrderType
from trader_cli.domain.symbols import Symbol
from trader_cli.sim.engine.catalogue import Instrument as SimInstrument
from trader_cli.sim.engine.world import UNTRANSMITTED, SimExecution, SimOrder
from trader_cli.venues.base import Instrument, OrderRequest
from trader_cli.venues.ib.order_rules import (
    LIQUIDITY,
    ORDER_STATUS,
    ORDER_TYPE,
    SIDE_OF_ACTION,
    SIDE_OF_EXEC,
)


def instrument_from_sim(symbol: Symbol, found: SimInstrument, exchange: str) -> Instrument:
    """``symbol`` as the IB adapter qualifies it on the sim (contract details' fields)."""
    return Instrument(
        symbol=symbol,
        venue_id=str(found.con_id),
        exchange="IDEALPRO" if found.is_fx else exchange,
        currency=found.currency,
        min_tick=found.min_tick,
        size_increment=Decimal(1),  # whole shares; IDEALPRO takes whole currency units
        order_types=frozenset(t for t in found.order_types.split(",") if t),
        time_zone=found.time_zone_id,
        details={
            "conId": found.con_id,
            "secType": found.sec_type,
            "primaryExchange": found.primary_exchange or None,
            "longName": found.long_name or None,
            "instrumentClass": symbol.instrument_class.value,
        },
    )


def order_from_sim(o: SimOrder, inst: SimInstrument, symbol: Symbol) -> Order:
    """Our order from the engine's: an untransmitted leg is pending, a fee in the currency IB
    charges it (USD on IDEALPRO)."""
    status = ORDER_STATUS.get(o.status, OrderStatus.OPEN)
    if o.status == UNTRANSMITTED:
        status = OrderStatus.PENDING
    fee = None
    if o.commission:
        fee = Fee(o.commission, "USD" if inst.is_fx else inst.currency, FeeSource.VENUE)
    return Order(
        client_order_id=o.order_ref,
        symbol=str(symbol),
        side=SIDE_OF_ACTION[o.action],
        type=ORDER_TYPE.get(o.order_type, OrderType.LIMIT),
        amount=o.total_qty,
        price=o.lmt_price,
        id=str(o.perm_id),
        status=status,
        filled=o.filled,
        average=o.avg_fill_price if o.filled else None,
        fee=fee,
        timestamp=o.created_at,
        info={"orderId": o.order_id, "permId": o.perm_id, "clientId": o.client_id,
              "ibStatus": o.status, "conId": o.con_id, "lastError": None},
    )


def fill_from_sim(ex: SimExecution, symbol: Symbol) -> Fill:
    """Our fill from an execution of the engine, its commission as the venue's fee."""
    return Fill(
        id=ex.exec_id,
        order_id=str(ex.perm_id),
        client_order_id=ex.order_ref or None,
        symbol=str(symbol),
        side=SIDE_OF_EXEC[ex.side],
        price=ex.price,
        amount=ex.shares,
        timestamp=ex.time,
        fee=Fee(ex.commission, ex.commission_currency, FeeSource.VENUE),
        liquidity=LIQUIDITY.get(ex.liquidity, LIQUIDITY[2]),
        info={"conId": ex.con_id, "exchange": ex.exchange},
    )


def refused_order(request: OrderRequest, why: str, now: datetime) -> Order:
    """The order the engine refused, as IB reports a rejection (``lastError`` says why)."""
    return Order(
        client_order_id=request.client_order_id,
        symbol=str(request.symbol),
        side=request.side,
        type=request.spec.type.recorded,
        amount=request.amount,
        price=request.spec.limit_price,
        status=OrderStatus.REJECTED,
        timestamp=now,
        info={"lastError": why},
    )

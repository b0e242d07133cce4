"""What ib_async keeps of finished orders, and letting it go once they are settled.

ib_async's wrapper keeps every ``Trade`` (``trades``, ``permId2Trade``) and every execution
(``fills``) it has seen for the life of the connection: a bot that runs for days would hold
all of them. :func:`forget` drops the finished orders the caller has settled, with their fills,
and nothing else: a working order, or one with a fill the caller has not recorded, stays.
An order let go is still found by :meth:`IBTrader.get_order` (IB's completed orders) and its
executions by ``reqExecutions``. A request that brings back an execution of an order already
let go (resync reads the executions of its overlap, ``get_order`` those of an order it looks for)
leaves a fill without its trade; its orderRef counts as done, so the next pass lets it go too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def done_refs(wrapper: Any) -> set[str]:
    """The client order ids (``orderRef``) of the finished trades ``wrapper`` keeps, and of the
    fills it keeps without their trade (an order already let go)."""
    trades = list(wrapper.trades.values()) + list(wrapper.permId2Trade.values())
    done = {t.order.orderRef for t in trades if t.order.orderRef and t.isDone()}
    kept = {t.order.orderRef for t in trades}
    orphans = {f.execution.orderRef for f in wrapper.fills.values()} - kept
    return done | {ref for ref in orphans if ref}


def _settled(trade: Any, settled: Mapping[str, frozenset[str]]) -> bool:
    recorded = settled.get(trade.order.orderRef)
    if recorded is None or not trade.isDone():
        return False
    return all(f.execution.execId in recorded for f in trade.fills)


def _release(trade: Any) -> None:
    """Let ``trade``'s events drop the arguments of their last emit. eventkit keeps them, and
    they hold the trade itself (``statusEvent`` emits ``(trade,)``): without this a trade let
    go lives on, with its order's ~150 fields, until Python's next full garbage collection,
    and a long run's heap grows by what many of them leave between two such collections."""
    for name in getattr(trade, "events", ()):
        event = getattr(trade, name, None)
        if event is not None and hasattr(event, "_value"):
            event._value = event.NO_VALUE


def forget(wrapper: Any, settled: Mapping[str, frozenset[str]]) -> set[str]:
    """Drop from ``wrapper`` the finished trades whose orderRef ``settled`` names and whose
    every fill is among its recorded fill ids, and those fills; returns the orderRefs let go."""
    gone: dict[int, Any] = {}
    refs: set[str] = set()
    for key, trade in list(wrapper.trades.items()):
        if _settled(trade, settled):
            del wrapper.trades[key]
            gone[id(trade)] = trade
            refs.add(trade.order.orderRef)
    for perm, trade in list(wrapper.permId2Trade.items()):
        if id(trade) in gone or _settled(trade, settled):
            del wrapper.permId2Trade[perm]
            gone[id(trade)] = trade
            refs.add(trade.order.orderRef)
    for trade in gone.values():
        _release(trade)
    # a fill goes with its order: never one of an order still kept (working, or not settled);
    # one a later reqExecutions brought back after its order went, goes on the next pass
    alive = {t.order.orderRef for t in wrapper.trades.values()}
    alive |= {t.order.orderRef for t in wrapper.permId2Trade.values()}
    for exec_id, fill in list(wrapper.fills.items()):
        ref = fill.execution.orderRef
        if ref not in alive and exec_id in settled.get(ref, ()):
            del wrapper.fills[exec_id]
    return refs

"""Contract: a link that dies in the middle of any call is trader's error, never the SDK's.

For every public coroutine of ``BaseTrader`` the backend kills the link while the call waits on
the venue. The call must end with :class:`TemporaryError` (retryable; raised ``from`` what the
SDK or the socket raised, with a hint), promptly, and the adapter must reconnect afterwards.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from trader_cli.domain.models import Side
from trader_cli.domain.money import Money
from trader_cli.domain.timeframes import Timeframe
from trader_cli.errors import NotConnectedError, TemporaryError
from trader_cli.venues.base import BaseTrader

from .backends import Backend, Harness
from .helpers import bracket_request, request, resting_buy_price

# Bound on a call that should end at once: a call still waiting past it is a failure, not a hang.
GUARD_SECONDS = 10.0
LIFECYCLE = frozenset({"connect", "close", "maybe_reconnect"})

Arm = Callable[[], None]


@dataclass(frozen=True)
class DropCase:
    """Set up what the call needs, ``arm()`` the drop, then make the call."""

    run: Callable[[Harness, Arm], Awaitable[object]]
    foreign_base: bool = False  # needs a base currency other than the account's


async def _resolve(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.resolve(v.other_symbol)


async def _quote(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_market_data(v.symbol)


async def _bars(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.fetch_ohlcv(v.symbol, Timeframe.M5, 10)


async def _depth(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.fetch_order_book(v.symbol, 5)


async def _tape(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.fetch_public_trades(v.symbol, 10)


async def _place(v: Harness, arm: Arm) -> object:
    req = request(v, "drop-place", Side.BUY, 10, await resting_buy_price(v.trader, v.symbol))
    arm()
    return await v.trader.place_order(req)


async def _bracket(v: Harness, arm: Arm) -> object:
    if not v.trader.capabilities.broker_brackets:
        pytest.skip(f"{v.trader.capabilities.name} declares no brackets: nothing to drop")
    req = await bracket_request(v, "drop-bracket", await resting_buy_price(v.trader, v.symbol))
    arm()
    return await v.trader.place_bracket(req)


async def _cancel(v: Harness, arm: Arm) -> object:
    req = request(v, "drop-cancel", Side.BUY, 10, await resting_buy_price(v.trader, v.symbol))
    await v.trader.place_order(req)
    arm()
    return await v.trader.cancel_order(req.client_order_id)


async def _open_orders(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_open_orders()


async def _order(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_order(f"{v.prefix}-contract-not-in-this-session")


async def _order_by_venue_id(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_order_by_venue_id("999999999")


async def _positions(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_positions()


async def _my_trades(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_my_trades(v.symbol)


async def _trades_since(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_trades_from_timestamp(v.now())


async def _summary(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_account_summary()


async def _equity(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.get_equity()


async def _fx_rate(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.fx_rate(v.priced_currency, v.base_currency)


async def _to_base(v: Harness, arm: Arm) -> object:
    arm()
    return await v.trader.to_base(Money(Decimal(100), v.priced_currency))


class _HeldClock:
    """The venue's clock with every sleep held: only the order's news (or a drop) ends a wait."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def now(self) -> object:
        return self.inner.now()  # type: ignore[attr-defined]

    async def sleep(self, seconds: float) -> None:
        await asyncio.Event().wait()


async def _order_update(v: Harness, arm: Arm) -> object:
    adapter = getattr(v.trader, "_trader", v.trader)  # a replay harness wraps the adapter
    if type(adapter).wait_for_order_update is BaseTrader.wait_for_order_update:
        pytest.skip(f"{v.trader.capabilities.name} streams no order events: its wait is a sleep "
                    "on its clock, with no link to drop (the next request meets the drop)")
    req = request(v, "drop-wait", Side.BUY, 10, await resting_buy_price(v.trader, v.symbol))
    order = await v.trader.place_order(req)
    clock = v.trader.clock
    v.trader.clock = _HeldClock(clock)  # type: ignore[assignment]
    try:
        waiting = asyncio.ensure_future(
            v.trader.wait_for_order_update(req.client_order_id, order, 60)
        )
        await asyncio.sleep(0)
        await v.drop_link_now()  # no request to drop it on: the link dies while it waits
        return await waiting
    finally:
        v.trader.clock = clock


DROP_CASES: dict[str, DropCase] = {
    "resolve": DropCase(_resolve),
    "get_market_data": DropCase(_quote),
    "fetch_ohlcv": DropCase(_bars),
    "fetch_order_book": DropCase(_depth),
    "fetch_public_trades": DropCase(_tape),
    "place_order": DropCase(_place),
    "place_bracket": DropCase(_bracket),
    "cancel_order": DropCase(_cancel),
    "get_open_orders": DropCase(_open_orders),
    "get_order": DropCase(_order),
    "wait_for_order_update": DropCase(_order_update),
    "get_order_by_venue_id": DropCase(_order_by_venue_id),
    "get_positions": DropCase(_positions),
    "get_my_trades": DropCase(_my_trades),
    "get_trades_from_timestamp": DropCase(_trades_since),
    "get_account_summary": DropCase(_summary, foreign_base=True),
    "get_equity": DropCase(_equity, foreign_base=True),
    "fx_rate": DropCase(_fx_rate),
    "to_base": DropCase(_to_base),
}


def test_every_public_method_of_the_contract_has_a_drop_case() -> None:
    public = {
        name
        for name, member in vars(BaseTrader).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }
    assert public == set(DROP_CASES) | LIFECYCLE


@pytest.mark.parametrize("method", sorted(DROP_CASES))
async def test_a_link_dropped_mid_call_is_a_temporary_error(backend: Backend, method: str) -> None:
    case = DROP_CASES[method]
    base = backend.foreign_base_currency if case.foreign_base else backend.account_currency
    async with backend.open(base) as venue:
        with pytest.raises(TemporaryError) as raised:
            await asyncio.wait_for(
                case.run(venue, lambda: venue.drop_link_during(method)), GUARD_SECONDS
            )
        error = raised.value
        assert error.__cause__ is not None, "translated with `raise ... from e`"
        assert not isinstance(error.__cause__, TemporaryError)
        assert error.hint
        assert not venue.trader.is_connected
        assert await venue.trader.maybe_reconnect()
        assert await venue.trader.get_positions() is not None  # usable again


async def test_a_link_dropped_during_connect_is_not_connected(venue: Harness) -> None:
    await venue.trader.close()
    venue.drop_link_during("connect")
    with pytest.raises(NotConnectedError) as raised:
        await asyncio.wait_for(venue.trader.connect(), GUARD_SECONDS)
    assert raised.value.hint
    await venue.trader.connect()
    assert venue.trader.is_connected


async def test_a_link_dropped_during_a_reconnect_is_ridden_out(venue: Harness) -> None:
    await venue.drop_link_now()
    venue.drop_link_during("maybe_reconnect")
    assert await asyncio.wait_for(venue.trader.maybe_reconnect(), GUARD_SECONDS)
    assert venue.trader.is_connected


async def test_close_after_a_dropped_link_is_quiet_and_idempotent(venue: Harness) -> None:
    await venue.drop_link_now()
    await venue.trader.close()
    await venue.trader.close()
    assert not venue.trader.is_connected

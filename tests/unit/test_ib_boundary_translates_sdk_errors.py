"""The IB adapter's error boundary: what it translates, what it lets through untouched."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import RequestError

from trader_cli.errors import RateLimitError, SymbolError, TemporaryError, VenueError
from trader_cli.venues.ib.boundary import LinkDropped, venue_call


class FakeLink:
    def __init__(self) -> None:
        self.waiters: list[asyncio.Future[None]] = []

    def next_drop(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(future)
        return future

    def drop(self) -> None:
        for w in self.waiters:
            if not w.done():
                w.set_result(None)


class Adapter:
    def __init__(self, raise_: BaseException | None = None) -> None:
        self.conn = FakeLink()
        self.raise_ = raise_
        self.hang = asyncio.Event()

    @venue_call()
    async def call(self) -> str:
        if self.raise_ is not None:
            raise self.raise_
        return "ok"

    @venue_call()
    async def wait_forever(self) -> str:
        await self.hang.wait()
        return "never"

    @venue_call(hint="resync settles it")
    async def send(self) -> str:
        raise ConnectionError("Socket disconnect")


@pytest.mark.parametrize(
    "raised",
    [ConnectionError("Socket disconnect"), TimeoutError(), OSError(104, "reset"), EOFError()],
)
async def test_link_failures_become_temporary_errors_from_the_original(
    raised: BaseException,
) -> None:
    with pytest.raises(TemporaryError) as info:
        await Adapter(raised).call()
    assert info.value.__cause__ is raised
    assert info.value.hint and "reconnects" in info.value.hint
    assert "call" in info.value.message


async def test_an_unmapped_ib_code_is_a_venue_error_with_the_code() -> None:
    with pytest.raises(VenueError) as info:
        await Adapter(RequestError(7, 321, "Error validating request")).call()
    assert not isinstance(info.value, TemporaryError)
    assert info.value.code == 321


async def test_ib_not_connected_codes_are_temporary() -> None:
    with pytest.raises(TemporaryError) as info:
        await Adapter(RequestError(7, 504, "Not connected")).call()
    assert info.value.code == 504


@pytest.mark.parametrize(
    "ours", [SymbolError("no such contract"), RateLimitError("pacing", code=162)]
)
async def test_our_own_errors_pass_through_unwrapped(ours: Exception) -> None:
    with pytest.raises(type(ours)) as info:
        await Adapter(ours).call()
    assert info.value is ours


@pytest.mark.parametrize("bug", [TypeError("bad argument"), KeyError("x"), AttributeError("y")])
async def test_programming_errors_propagate_as_bugs(bug: Exception) -> None:
    with pytest.raises(type(bug)) as info:
        await Adapter(bug).call()
    assert info.value is bug


async def test_a_call_waiting_when_the_link_drops_ends_at_once() -> None:
    adapter = Adapter()
    call = asyncio.ensure_future(adapter.wait_forever())
    await asyncio.sleep(0)
    adapter.conn.drop()
    with pytest.raises(TemporaryError) as info:
        await asyncio.wait_for(call, 1.0)
    assert isinstance(info.value.__cause__, LinkDropped)


async def test_cancelling_a_call_cancels_its_work() -> None:
    adapter = Adapter()
    call = asyncio.ensure_future(adapter.wait_forever())
    await asyncio.sleep(0)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def test_a_method_can_give_its_own_hint_for_a_failed_link() -> None:
    with pytest.raises(TemporaryError, match="resync settles it"):
        await Adapter().send()


async def test_answers_pass_through() -> None:
    assert await Adapter().call() == "ok"

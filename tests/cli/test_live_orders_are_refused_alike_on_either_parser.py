"""The live-trading guard holds whichever parser reads the command line: against a gateway
logged into a live account (the TWS sim, reached as the real API on loopback), ``place``
without ``--live``, or with paper settings, is refused with exit 3 and the same words through
the emergency path (:func:`trader_cli.cli.entry.main`) and through Typer
(:func:`trader_cli.cli.app.main`), and nothing reaches the venue; with ``IB_PAPER=false`` and
``--live`` the order goes out through either."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trader_cli.cli import app, entry
from trader_cli.sim import SimClock, SimGateway

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)


class Served:
    """A sim gateway on its own thread and loop (the commands run ``asyncio.run`` here)."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.gateway: SimGateway | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),))

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        clock = SimClock.pinned(ASX_OPEN)
        async with SimGateway.start(seed=7, clock=clock, account=self.account) as gw:
            self.gateway = gw
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> Served:
        self._thread.start()
        assert self._ready.wait(10), "the sim gateway did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()

    def orders(self) -> int:
        """How many orders the gateway has been sent."""
        assert self.gateway is not None
        return len(self.gateway.world.orders)


@pytest.fixture
def live_account(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with Served("U7654321") as served:
        assert served.gateway is not None
        monkeypatch.setenv("ACTIVE_EXCHANGE", "ib")
        monkeypatch.setenv("IB_PORT", str(served.gateway.port))
        monkeypatch.setenv("IB_CONNECT_TIMEOUT", "5")
        yield served


def _run(main: Callable[[list[str]], None], args: list[str],
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


PLACE = ["place", "BHP/AUD", "buy", "20", "--market"]


@pytest.mark.parametrize(
    ("paper", "args", "code", "words"),
    [
        ("false", PLACE, 3, "live orders need an explicit --live"),
        ("false", ["--json", *PLACE], 3, "live orders need an explicit --live"),
        ("false", ["--live", *PLACE], 2, "No such option: --live"),  # a command's option only
        ("true", [*PLACE, "--live"], 3, "IB_PAPER=true but the Gateway is logged into live"),
        ("true", PLACE, 3, "IB_PAPER=true but the Gateway is logged into live account U****321"),
    ],
    ids=["place", "place-json", "live-before-the-command", "paper-settings-live",
         "paper-settings"],
)
def test_live_orders_are_refused_the_same_through_either_parser(
    live_account: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    paper: str, args: list[str], code: int, words: str,
) -> None:
    monkeypatch.setenv("IB_PAPER", paper)
    ours = _run(entry.main, args, capsys)
    theirs = _run(app.main, args, capsys)
    assert ours == theirs
    assert ours[0] == code, ours
    assert words in ours[1] + ours[2]
    assert live_account.orders() == 0


def test_live_settings_and_live_flag_send_through_either_parser(
    live_account: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from trader_cli.cli import lean

    monkeypatch.setenv("IB_PAPER", "false")
    args = [*PLACE, "--live"]
    parsed = lean.parse(args)
    assert parsed is not None and parsed.params["live"] is True  # the emergency path reads it
    for main, sent in ((entry.main, 1), (app.main, 2)):
        code, out, err = _run(main, args, capsys)
        assert code == 0, (out, err)
        assert live_account.orders() == sent

"""The asyncio TWS API server: listening, sessions, the sim clock's ticks, faults, persistence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from trader_cli.redaction import is_paper_account
from trader_cli.sim.engine import Faults, MatchingEngine
from trader_cli.sim.engine.catalogue import Catalogue, Instrument
from trader_cli.sim.engine.clock import SimClock
from trader_cli.sim.engine.market import MarketModel, load_bars_csv
from trader_cli.sim.engine.world import DEFAULT_ACCOUNT, FINISHED_RETENTION, World
from trader_cli.sim.owner import DEFAULT_WAIT_SECONDS, serving_world, write_atomically
from trader_cli.sim.tws.errors import Codes, Text
from trader_cli.sim.tws.history import PacingTracker
from trader_cli.sim.tws.notifier import TwsNotifier
from trader_cli.sim.tws.replies import Replies
from trader_cli.sim.tws.session import ClientSession

log = logging.getLogger(__name__)

DEFAULT_SERVER_VERSION = 178
MIN_CLIENT_VERSION = 100
DEFAULT_PORT = 4002
# How often (sim time) the gateway lets go of orders finished longer than FINISHED_RETENTION ago
FORGET_EVERY = timedelta(minutes=10)


class SimGateway:
    """A SIMULATED IB Gateway speaking the TWS API on loopback.

    In tests::

        async with SimGateway.start(seed=1, clock=SimClock.pinned(when)) as gw:
            await ib.connectAsync("127.0.0.1", gw.port, clientId=1)
            await gw.advance(5)          # move the sim clock 5 s, pushing ticks and fills
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: SimClock | None = None,
        bars_csv: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        server_version: int = DEFAULT_SERVER_VERSION,
        account: str = DEFAULT_ACCOUNT,
        market_data_lines: int = 100,
        tws_timezone: str = "Australia/Sydney",
        state_path: Path | None = None,
        pace_all_bar_sizes: bool = False,
        tick_interval: float = 0.25,
    ) -> None:
        self.clock = clock or SimClock.default()
        self.catalogue = Catalogue.load()
        self.market = MarketModel(seed, load_bars_csv(bars_csv) if bars_csv else None)
        self.host = host
        self.port = port
        self.server_version = server_version
        self.min_client_version = MIN_CLIENT_VERSION
        self.market_data_lines = market_data_lines
        self.tws_tz = ZoneInfo(tws_timezone)
        self.state_path = state_path
        self.pacing = PacingTracker(pace_all=pace_all_bar_sizes)
        self.faults = Faults()
        self.tick_interval = tick_interval
        self._account = account
        self.world = self._load_state() or World(account=account)
        self.engine = MatchingEngine(
            world=self.world, catalogue=self.catalogue, market=self.market, clock=self.clock,
            notifier=TwsNotifier(self), faults=self.faults,
        )  # fmt: skip
        self.replies = Replies(self.engine, self.market, self.clock, self.pacing, self.tws_tz)
        self._sessions: set[ClientSession] = set()
        self._client_ids: dict[int, ClientSession] = {}
        self._server: asyncio.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._forgot_at: datetime | None = None
        self._unsaved = False  # the world changed since it was last saved

    # ----- lifecycle ----------------------------------------------------------------------------
    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, **kwargs: object) -> AsyncIterator[SimGateway]:
        """Run a gateway on a free loopback port for the duration of the block."""
        gw = cls(**kwargs)  # type: ignore[arg-type]
        await gw.serve()
        try:
            yield gw
        finally:
            await gw.close()

    @classmethod
    @contextlib.asynccontextmanager
    async def serve_world(
        cls, state_path: Path, *, wait: float = DEFAULT_WAIT_SECONDS, **kwargs: object
    ) -> AsyncIterator[SimGateway]:
        """Own and serve the world at ``state_path`` for the block, as ``trader sim-gateway``.

        A test hook, stable for tests of other layers: ``state_path`` is the app dir's
        ``sim/ib-world.json`` (``TRADER_HOME``). ``trader`` processes started beside it on that
        home (``run``, ``place``, ``status``, ``resync``, ``flatten`` with ``--venue sim``)
        connect to this in-process gateway on loopback instead of opening the world, so the
        test can move its market (:meth:`move_market`) and clock (:meth:`advance`) while they
        run, or after one was killed. The world is saved when the block ends; ``kwargs`` go to
        the constructor (``clock``, ``seed``...).
        """
        async with serving_world(state_path, fresh=False, wait=wait) as publish:
            gw = cls(state_path=state_path, **kwargs)  # type: ignore[arg-type]
            await gw.serve()
            publish(gw.port)
            try:
                yield gw
            finally:
                await gw.close()

    async def serve(self) -> None:
        """Start listening (and, on a running clock, ticking)."""
        await self._listen()
        if self.clock.running and self._ticker is None:
            self._ticker = asyncio.create_task(self._tick_loop())

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, drop every client and save state."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self._stop_listening()
        await self.drop_connections()
        self.save_state()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        await self.serve()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    @property
    def banner(self) -> str:
        """One line saying where the SIMULATED gateway listens and what it serves."""
        clock = self.clock.now().isoformat(timespec="seconds")
        speed = f"x{self.clock.speed:g}" if self.clock.running else "pinned"
        kind = "paper" if is_paper_account(self.world.account) else "live"
        return (
            f"SIMULATED IB Gateway (TWS API server v{self.server_version}) listening on "
            f"{self.host}:{self.port} - {kind} account {self.world.account} - "
            f"sim clock {clock} ({speed}) - no real orders, no real market data"
        )

    # ----- sessions -----------------------------------------------------------------------------
    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.faults.refuse_until is not None and self.clock.now() < self.faults.refuse_until:
            writer.close()
            return
        session = ClientSession(self, reader, writer)
        self._sessions.add(session)
        await session.run()

    def claim_client_id(self, session: ClientSession, client_id: int) -> bool:
        """Register ``client_id`` for ``session``; False when another connection holds it."""
        holder = self._client_ids.get(client_id)
        if holder is not None and holder is not session:
            return False
        self._client_ids[client_id] = session
        return True

    def forget(self, session: ClientSession) -> None:
        """Called when a session ends."""
        self._sessions.discard(session)
        if session.client_id is not None and self._client_ids.get(session.client_id) is session:
            del self._client_ids[session.client_id]

    def sessions_for(self, client_id: int) -> list[ClientSession]:
        """Connected sessions of ``client_id``."""
        session = self._client_ids.get(client_id)
        return [session] if session is not None else []

    def all_sessions(self) -> list[ClientSession]:
        """Every session past startApi."""
        return list(self._client_ids.values())

    # ----- the clock ----------------------------------------------------------------------------
    async def advance(
        self, seconds: float, step: float = 1.0, *, jump_when_quiet: bool = False
    ) -> None:
        """Move the sim clock forward in ``step``-second steps, ticking after each.

        ``jump_when_quiet``: the steps at which nothing can happen are made in one (see
        :meth:`quiet_for`): the market is a function of time, so the clock lands where the
        steps would have, the same orders filled at the same times, and one tick pushes what
        subscribers would see there. Only for a caller whose own orders are already in (the
        in-process adapter waiting on its clock): an order still on its way from a client
        would otherwise arrive after the jump.
        """
        remaining = seconds
        while remaining > 1e-9:
            delta = min(step, remaining)
            if jump_when_quiet:
                delta = max(delta, self.quiet_for(step, remaining))
            self.clock.advance(delta)
            remaining -= delta
            await self.tick()

    def quiet_for(self, step: float, seconds: float) -> float:
        """How much of the next ``seconds`` (in ``step``-second steps) the clock may skip with
        nothing happening: 0 unless the clock is pinned, no client follows bars as they form (a
        bar's last update before the next starts would be lost) and no fault waits on the clock;
        then up to the last step before one at which a working order of any client could fill,
        be elected or expire (:meth:`MatchingEngine.quiet_for`; all of it when none works or
        every one rests in a closed market)."""
        if self.clock.running or self.faults.refuse_until is not None:
            return 0.0
        if any(session.bars for session in self.all_sessions()):
            return 0.0
        return self.engine.quiet_for(step, seconds)

    def quiet(self) -> bool:
        """True when the clock is pinned, no order of any client is working and no client
        follows bars as they form: any wait may be made in one step."""
        if self.clock.running or self.engine.has_working_orders():
            return False
        return not any(session.bars for session in self.all_sessions())

    async def tick(self) -> None:
        """Push market data, bar updates and fills for the current sim time."""
        await self._maybe_reopen()
        self.engine.match_all()
        self._maybe_forget()
        for session in self.all_sessions():
            for req_id, sub in list(session.tickers.items()):
                session.push_ticks(req_id, sub)
            for req_id, bars in list(session.bars.items()):
                session.push_bar_update(req_id, bars)
            for req_id, depth in list(session.depth.items()):
                session.push_depth(req_id, depth)
        self.save_if_changed()  # before the messages queued above are written
        await asyncio.sleep(0)

    def forget_finished(self, retention: timedelta = FINISHED_RETENTION) -> int:
        """Let go of the orders that finished more than ``retention`` of sim time ago, with
        their executions, as IB's reqExecutions and reqCompletedOrders stop reporting them
        (:meth:`World.forget_finished`: working orders and their brackets and OCA groups stay);
        returns how many went. Each tick does it every :data:`FORGET_EVERY` of sim time."""
        now = self.clock.now()
        self._forgot_at = now
        gone = self.world.forget_finished(now - retention)
        if gone:
            log.debug("the sim let go of %d orders finished before %s", gone, now - retention)
            self.save_state()
        return gone

    def _maybe_forget(self) -> None:
        last, now = self._forgot_at, self.clock.now()
        if last is None or not last <= now < last + FORGET_EVERY:
            self.forget_finished()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                await self.tick()
            except Exception:
                log.exception("sim gateway tick failed")

    async def _maybe_reopen(self) -> None:
        until = self.faults.refuse_until
        if until is not None and self.clock.now() >= until:
            self.faults.refuse_until = None
            if self._server is None:
                await self._listen()

    # ----- fault injection ----------------------------------------------------------------------
    def close_sessions(self) -> None:
        """Close every client connection once its queued replies are written (no waiting)."""
        for session in list(self._sessions):
            session.close()

    async def drop_connections(self) -> None:
        """Close every client connection at once (as a Gateway crash would)."""
        self.close_sessions()
        for _ in range(50):
            if not self._sessions:
                break
            await asyncio.sleep(0.01)

    async def refuse_connections(self, seconds: float) -> None:
        """Emulate a Gateway restart: drop clients, close the port for ``seconds`` of sim time."""
        self.faults.refuse_until = self.clock.now() + timedelta(seconds=seconds)
        await self._stop_listening()
        await self.drop_connections()

    def send_connectivity(self, code: int) -> None:
        """Send 1100 (lost), 1101 (restored, data lost) or 1102 (restored, data kept)."""
        text = Text.CONNECTIVITY[code]
        for session in self.all_sessions():
            session.error(-1, code, text)

    def reject_next_order(self, reason: str = "SIMULATED rejection") -> None:
        """Make the next placeOrder fail with error 201 and ``reason``."""
        self.faults.reject_next_order = reason

    def drop_links_after_next_ack(self) -> None:
        """Accept the next new order, acknowledge it (Submitted), then drop every connection.

        The order stays live in the sim's world: the client saw the acknowledgement and then
        lost the link, as when a Gateway or network dies right after an order went out.
        """
        self.faults.drop_after_next_ack = True

    def drop_link_on_next(self, message_id: int) -> None:
        """Drop the connection that sends the next request with ``message_id`` (an ``In`` id).

        The request is not served: the client sees its link die mid-call, as when a Gateway
        or network dies while a request is in flight.
        """
        self.faults.drop_on_request = message_id

    def omit_liquidity(self, omit: bool = True) -> None:
        """Report executions without the lastLiquidity field (0), as IB often does."""
        self.faults.omit_liquidity = omit

    def withhold_live_data(self, withhold: bool = True) -> None:
        """Act as an account without live market data: 10167 and delayed (type 3) quotes."""
        self.faults.no_live_subscription = withhold

    def swallow_next(self, message_id: int, count: int = 1) -> None:
        """Never serve (nor answer) the next ``count`` requests with ``message_id`` (an ``In``
        id), keeping the link: a cancel IB has not acted on yet, as seen from the client."""
        self.faults.swallow_request, self.faults.swallow_count = message_id, count

    def refuse_depth(self, code: int | None = Codes.NOT_SUBSCRIBED) -> None:
        """Refuse market depth requests with IB's ``code`` (354 not subscribed, 10092 no deep
        book, 10089/10090 subscription needed, 309 too many depth lines); None serves depth."""
        if code is not None and code not in Text.DEPTH_REFUSED:
            raise ValueError(f"no IB depth refusal with code {code}")
        self.faults.depth_refusal = code

    def refuse_ticks(self, refuse: bool = True) -> None:
        """Refuse historical ticks as an account without market data permissions (162)."""
        self.faults.no_tick_permissions = refuse

    def split_book(self, seconds: float) -> None:
        """Send a new market data line's bid at once and its ask ``seconds`` of sim time later.

        A real Gateway sends bid, ask and last as separate messages; this makes the gap between
        them as long as a test needs (0 turns it off).
        """
        self.faults.split_book = seconds

    def delay_fills(self, seconds: float) -> None:
        """Report executions ``seconds`` of wall time after the order's acknowledgement (0: at
        once), as a real Gateway does: ``PreSubmitted``/``Submitted`` arrive in one read and the
        fills, their ``Filled`` status and commissions in a later one. For benches; tests move
        the pinned clock instead of waiting."""
        self.faults.fill_latency = seconds

    def delay_replies(self, seconds: float) -> None:
        """Delay every outgoing message by ``seconds`` of wall time (0 turns it off)."""
        self.faults.reply_delay = seconds

    async def move_market(self, symbol_or_con_id: str | int, price: Decimal | str | None) -> None:
        """Make an instrument trade at ``price`` from the current sim time on, then tick.

        A test hook, stable for tests of other layers: ``symbol_or_con_id`` is a conId, a
        localSymbol (``BHP``, ``AUD.USD``) or a symbol; ``price`` must be on the tick. The last
        print becomes ``price``, the bid one tick below and the ask at or one tick above it, so
        moving through a stop's trigger elects it and resting orders that now cross fill, all
        before this returns (their messages queued to every connected client, a separate
        ``trader run`` process included). ``None`` hands the price back to the model. While the
        market is closed nothing trades; the moved price shows once it opens. Not saved with
        the world.
        """
        inst = self._instrument(symbol_or_con_id)
        value = None if price is None else Decimal(str(price))
        if value is not None and (value <= 0 or value % inst.tick_at(value) != 0):
            raise ValueError(f"{value} is not a price on {inst.local_symbol}'s tick")
        self.market.move(inst, value, self.clock.now())
        await self.tick()

    def _instrument(self, symbol_or_con_id: str | int) -> Instrument:
        if isinstance(symbol_or_con_id, int):
            found = self.catalogue.by_con_id(symbol_or_con_id)
        else:
            found = self.catalogue.by_local_symbol(symbol_or_con_id) or next(
                (i for i in self.catalogue.instruments if i.symbol == symbol_or_con_id), None
            )
        if found is None:
            raise ValueError(f"no SIMULATED instrument {symbol_or_con_id!r}")
        return found

    def force_pacing_violation(self) -> None:
        """Answer the next historical data request with a pacing violation (162)."""
        self.pacing.force_next = True

    # ----- persistence --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        """The world and clock as JSON-ready data; the account id is stored as a placeholder."""
        world = _swap_text(self.world.to_dict(), self.world.account, ACCOUNT_PLACEHOLDER)
        return {"version": 1, "clock": self.clock.to_dict(), "world": world}

    def world_changed(self) -> None:
        """The engine changed the world: it is saved before any message leaves the gateway.

        A session saves once it has served the requests it read together, and a tick once it
        has matched and queued its messages (:meth:`save_if_changed`), both before yielding to
        the loop, so before the session's writer can send a reply: a change is on disk before
        any client can see it, as when each change was saved on its own, and a bracket's three
        orders (one read) or a fill and the OCA cancels it causes (one tick) make one save.
        Anything else that changes the world is saved on the loop's next turn.
        """
        if not self._unsaved:
            self._unsaved = True
            with contextlib.suppress(RuntimeError):  # no loop: saved by close() or the caller
                asyncio.get_running_loop().call_soon(self.save_if_changed)

    def save_if_changed(self) -> None:
        """:meth:`save_state` if the world changed since it was last saved."""
        if self._unsaved:
            self.save_state()

    def save_state(self) -> None:
        """Write :meth:`snapshot` to ``state_path`` (if given): temp file, fsync, rename.

        Only the world's owner (see :mod:`trader_cli.sim.owner`) saves; a kill at any point
        leaves the previous world or the new one, never a truncated file.
        """
        self._unsaved = False
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_path, json.dumps(self.snapshot(), separators=(",", ":")))

    def _load_state(self) -> World | None:
        if self.state_path is None or not self.state_path.exists():
            return None
        world = json.loads(self.state_path.read_text())["world"]
        saved = world.get("account")
        if saved and saved != ACCOUNT_PLACEHOLDER:  # a file written before the placeholder
            world = _swap_text(world, saved, ACCOUNT_PLACEHOLDER)
        return World.from_dict(_swap_text(world, ACCOUNT_PLACEHOLDER, self._account))


#: What the saved paper world holds instead of the account id (which is never written to disk).
ACCOUNT_PLACEHOLDER = "<account>"


def _swap_text(data: Any, old: str, new: str) -> Any:
    """``data`` (JSON-ready) with every string equal to ``old`` replaced by ``new``."""
    if isinstance(data, dict):
        return {k: _swap_text(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_swap_text(v, old, new) for v in data]
    return new if data == old else data


async def run_sim_gateway(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    seed: int = 0,
    bars_csv: Path | None = None,
    clock: datetime | None = None,
    speed: float = 1.0,
    state_path: Path | None = None,
    fresh: bool = False,
    lock_timeout: float = DEFAULT_WAIT_SECONDS,
    account: str | None = None,
) -> None:
    """Serve a SIMULATED gateway until cancelled, printing its banner first.

    ``clock`` pins the start time (it then runs at ``speed``); by default the clock starts inside
    the most recent ASX session. With a ``state_path`` the gateway owns that world while it runs
    (one writer; other commands go through this gateway); ``fresh`` starts it anew. ``account``
    is the paper account it reports (default DU1234567).
    """
    async with serving_world(state_path, fresh=fresh, wait=lock_timeout) as publish:
        sim_clock = SimClock(clock, speed=speed) if clock else SimClock.default(speed=speed)
        gw = SimGateway(
            seed=seed, clock=sim_clock, bars_csv=bars_csv, host=host, port=port,
            state_path=state_path, account=account or DEFAULT_ACCOUNT,
        )  # fmt: skip
        await gw.serve()
        publish(gw.port)
        print(gw.banner, flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await gw.close()

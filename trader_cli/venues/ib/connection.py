"""The IB connection: connect with paper/live routing, heartbeat, reconnect with backoff, errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ib_async import IB

from trader_cli.clock import REAL_CLOCK, Clock
from trader_cli.errors import NotConnectedError, SafetyRefused, TemporaryError
from trader_cli.redaction import is_paper_account, redact_account, register_account
from trader_cli.venues.ib import codes

log = logging.getLogger("trader.ib")


class ClientIdInUse(Exception):
    """IB answered the handshake with error 326: another connection holds our client id."""


@dataclass
class LinkEvent:
    """One message from TWS/Gateway that we keep for diagnostics and the status view."""

    time: datetime
    code: int
    message: str
    req_id: int


@dataclass
class ConnectionConfig:
    """Where and how to connect; built from ``IBSettings`` by the trader."""

    host: str
    port: int
    client_id: int
    account: str | None
    paper: bool
    timeout: float = 10.0
    live_confirmed: bool = False
    reconnect_attempts: int = 6
    reconnect_initial: float = 1.0
    reconnect_max: float = 30.0
    heartbeat_timeout: float = 5.0


@dataclass
class LinkState:
    """What we know of the link: up/down, IB's own connectivity notices, delayed data."""

    connected: bool = False
    farm_ok: bool = True
    data_lost: bool = False
    reconnects: int = 0
    last_heartbeat: datetime | None = None
    events: deque[LinkEvent] = field(default_factory=lambda: deque(maxlen=50))
    delayed_req_ids: set[int] = field(default_factory=set)


class IBConnection:
    """Owns the ``ib_async.IB`` instance; reconnects and tells listeners when the link is back."""

    def __init__(self, config: ConnectionConfig, *, clock: Clock = REAL_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.ib = IB()
        self.ib.RaiseRequestErrors = True
        self.ib.errorEvent += self._on_error
        self.ib.disconnectedEvent += self._on_disconnected
        self.state = LinkState()
        self.account: str = ""
        self._on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self._lock = asyncio.Lock()
        self._closing = False
        self._drop_waiters: set[asyncio.Future[None]] = set()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        """Socket up and API handshake done."""
        return self.ib.isConnected()

    def next_drop(self) -> asyncio.Future[None]:
        """A future that completes when the link next goes down (cancel it when done)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drop_waiters.add(future)
        future.add_done_callback(self._drop_waiters.discard)
        return future

    def on_reconnect(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` after every successful reconnect (resubscribe, resync)."""
        self._on_reconnect.append(callback)

    async def connect(self) -> None:
        """Connect once; raise :class:`NotConnectedError` with a fix if nobody answers."""
        cfg = self.config
        self._closing = False
        try:
            await self._connect_or_refused()
        except ClientIdInUse as e:
            self.ib.disconnect()
            raise NotConnectedError(
                f"TWS/IB Gateway at {cfg.host}:{cfg.port} refused client id {cfg.client_id}: "
                f"IB error {codes.CLIENT_ID_IN_USE}, {e}",
                hint=f"another program (or another trader) is connected as client id "
                f"{cfg.client_id}: set a different IB_CLIENT_ID, or stop the other connection",
            ) from e
        except (ConnectionError, OSError, TimeoutError) as e:
            self.ib.disconnect()
            raise NotConnectedError(
                f"cannot connect to TWS/IB Gateway at {cfg.host}:{cfg.port} "
                f"(client id {cfg.client_id}): {type(e).__name__}{': ' + str(e) if str(e) else ''}",
                hint="start TWS or IB Gateway with the API enabled on that port (IB_HOST/IB_PORT), "
                "use another IB_CLIENT_ID if one is in use, or try --venue sim",
            ) from e
        if not self.ib.isConnected():
            raise NotConnectedError(
                f"TWS/IB Gateway at {cfg.host}:{cfg.port} closed the connection during start-up",
                hint=f"client id {cfg.client_id} may be in use: set another IB_CLIENT_ID",
            )
        accounts = self.ib.managedAccounts()
        for managed in accounts:  # masked in every output from now on (DESIGN §5)
            register_account(managed)
        if cfg.account and cfg.account not in accounts:
            await self.close()
            raise NotConnectedError(
                f"account {redact_account(cfg.account)} is not managed by this login",
                hint="check IB_ACCOUNT_ID against the accounts of the logged-in user",
            )
        self.account = cfg.account or (accounts[0] if accounts else "")
        self.state.connected = True
        self.state.last_heartbeat = self.clock.now()
        log.info(
            "connected to IB at %s:%s as client %s, account %s",
            cfg.host,
            cfg.port,
            cfg.client_id,
            redact_account(self.account),
        )

    async def _connect_or_refused(self) -> None:
        """``connectAsync``, but give up at once when IB answers 326 (client id in use).

        ib_async itself waits for the API to start until the connect timeout; IB sends error
        326 and closes the socket straight away, so we listen for it during the handshake.
        """
        cfg = self.config
        refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def on_error(req_id: int, code: int, message: str, contract: Any) -> None:
            if code == codes.CLIENT_ID_IN_USE and not refused.done():
                refused.set_result(message)

        self.ib.errorEvent += on_error
        connecting = asyncio.ensure_future(
            self.ib.connectAsync(
                cfg.host,
                cfg.port,
                clientId=cfg.client_id,
                timeout=cfg.timeout,
                account=cfg.account or "",
            )
        )
        try:
            await asyncio.wait({connecting, refused}, return_when=asyncio.FIRST_COMPLETED)
            if refused.done() and not (connecting.done() and self.ib.isConnected()):
                connecting.cancel()
                with contextlib.suppress(BaseException):
                    await connecting
                raise ClientIdInUse(refused.result())
            await connecting
        finally:
            self.ib.errorEvent -= on_error
            if not connecting.done():
                connecting.cancel()
            if not refused.done():
                refused.cancel()

    async def close(self) -> None:
        """Disconnect gracefully; idempotent."""
        self._closing = True
        if self.ib.isConnected():
            self.ib.disconnect()
        self.state.connected = False

    async def heartbeat(self) -> bool:
        """``reqCurrentTime`` round trip; False when the link is dead or too slow."""
        if not self.ib.isConnected():
            return False
        try:
            await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), self.config.heartbeat_timeout)
        except (TimeoutError, ConnectionError, OSError):
            log.warning("IB heartbeat failed")
            return False
        self.state.last_heartbeat = self.clock.now()
        return True

    async def maybe_reconnect(self) -> bool:
        """If the link is down (or a heartbeat fails), reconnect with backoff; True when up."""
        if self.ib.isConnected() and await self.heartbeat():
            return True
        try:
            await self.reconnect()
        except NotConnectedError:
            return False
        return True

    async def reconnect(self) -> None:
        """Reconnect with exponential backoff and jitter, then run the on-reconnect hooks."""
        async with self._lock:
            if self.ib.isConnected() and await self.heartbeat():
                return
            self.ib.disconnect()
            cfg = self.config
            from tenacity import (  # only a reconnect retries: not loaded to connect once
                AsyncRetrying,
                retry_if_exception_type,
                stop_after_attempt,
                wait_exponential_jitter,
            )

            retrying = AsyncRetrying(
                stop=stop_after_attempt(cfg.reconnect_attempts),
                wait=wait_exponential_jitter(
                    multiplier=cfg.reconnect_initial, max=cfg.reconnect_max
                ),
                retry=retry_if_exception_type(NotConnectedError),
                sleep=self.clock.sleep,
                reraise=True,
            )
            async for attempt in retrying:
                with attempt:
                    await self.connect()
            self.state.reconnects += 1
            log.warning("reconnected to IB (reconnect #%d)", self.state.reconnects)
        for callback in self._on_reconnect:
            await callback()

    def require_connected(self) -> None:
        """Raise before sending anything when the link is down."""
        if not self.ib.isConnected():
            raise TemporaryError(
                "not connected to TWS/IB Gateway", hint="the link dropped; it will reconnect"
            )

    def check_trading_allowed(self) -> None:
        """Refuse orders when paper/live settings and the account disagree, or live lacks --live."""
        acct = self.account
        paper_acct = is_paper_account(acct)
        if self.config.paper and not paper_acct:
            raise SafetyRefused(
                f"IB_PAPER=true but account {redact_account(acct)} is a live account",
                hint="log the Gateway into your paper account, or IB_PAPER=false with --live",
            )
        if not self.config.paper and paper_acct:
            raise SafetyRefused(
                f"IB_PAPER=false but account {redact_account(acct)} is a paper account",
                hint="set IB_PAPER=true for paper trading",
            )
        if not self.config.paper and not self.config.live_confirmed:
            raise SafetyRefused(
                "live orders need an explicit --live", hint="add --live to the command"
            )

    # -- events ---------------------------------------------------------------------------
    def _on_error(self, req_id: int, code: int, message: str, contract: Any) -> None:
        event = LinkEvent(self.clock.now(), code, message, req_id)
        if code in codes.FARM_STATUS:
            log.debug("IB %s: %s", code, message)
            self.state.farm_ok = code not in {2103, 2105, 2157}
            return
        self.state.events.append(event)
        if code in codes.CONNECTIVITY_LOST:
            self.state.connected = False
            log.warning("IB lost its connection to IB servers (%s)", code)
        elif code in codes.CONNECTIVITY_RESTORED_DATA_LOST:
            self.state.connected = True
            self.state.data_lost = True
            log.warning("IB connectivity restored, market data lost: resubscribing")
            asyncio.get_event_loop().create_task(self._run_reconnect_hooks())
        elif code in codes.CONNECTIVITY_RESTORED:
            self.state.connected = True
        elif code in codes.DELAYED_DATA:
            self.state.delayed_req_ids.add(req_id)

    async def _run_reconnect_hooks(self) -> None:
        for callback in self._on_reconnect:
            await callback()
        self.state.data_lost = False

    def _on_disconnected(self) -> None:
        self.state.connected = False
        for waiter in list(self._drop_waiters):
            if not waiter.done():
                waiter.set_result(None)
        if not self._closing:
            log.warning("disconnected from TWS/IB Gateway")

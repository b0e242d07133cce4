"""A real HTTP receiver on loopback for apprise's ``json://`` URLs, and the IB sim around it."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from trader_cli.config import load_settings
from trader_cli.db import store, use_database
from trader_cli.db.models import SessionMode, TradingSession
from trader_cli.db.scope import use_scope
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.notify.notifier import Notifier
from trader_cli.services.orders import OrderService
from trader_cli.sim import SimClock, SimGateway
from trader_cli.venues.sim.venue import SimTrader

# Wednesday 3 July 2024, 11:00 in Sydney: the ASX is open.
ASX_OPEN = datetime(2024, 7, 3, 1, 0, tzinfo=UTC)
SCOPE = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
# what a user's webhook URL carries: a password and a token that must never be shown
PASSWORD = "pa55w0rdHookSecret"
TOKEN = "T0kenXYZ98765abc"


@dataclass
class Received:
    """One POST the receiver got: its path, headers and JSON body (apprise's json:// format)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.body.get("title", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


@dataclass
class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records every POST."""

    port: int
    posts: list[Received] = field(default_factory=list)

    def url(self, path: str = f"hooks/{TOKEN}") -> str:
        """An apprise URL posting JSON here, with a password and a token in it."""
        return f"json://alerts:{PASSWORD}@127.0.0.1:{self.port}/{path}"

    def titles(self) -> list[str]:
        return [p.title for p in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    posts: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(size) or b"{}")
            posts.append(Received(self.path, dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(server.server_address[1], posts)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dead_url() -> str:
    """A json:// URL at a loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"json://127.0.0.1:{port}/hooks/{TOKEN}"


@pytest.fixture
def notify_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Path:
    """NOTIFY_URLS pointing at the receiver; the app dir as ``clean_env`` gives it."""
    monkeypatch.setenv("NOTIFY_URLS", receiver.url())
    monkeypatch.setenv("IB_CONNECT_TIMEOUT", "2")
    return clean_env


@pytest.fixture
def settings(notify_env: Path) -> Any:
    return load_settings()


@pytest.fixture
def notifier(settings: Any) -> Iterator[Notifier]:
    n = Notifier.from_settings(settings, label="SIMULATED sim DU****567")
    yield n
    n.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[None]:
    with use_database(f"sqlite:///{tmp_path / 'trader.sqlite'}"), use_scope(SCOPE):
        yield


@pytest.fixture
async def gw() -> AsyncIterator[SimGateway]:
    async with SimGateway.start(seed=7, clock=SimClock.pinned(ASX_OPEN)) as gateway:
        yield gateway


@pytest.fixture
async def venue(gw: SimGateway, settings: Any) -> AsyncIterator[SimTrader]:
    t = SimTrader(settings, gw)
    t.market_data_timeout = 1.0
    t.order_ack_timeout = 2.0
    t.conn.config.reconnect_initial = 0.5
    await t.connect()
    try:
        yield t
    finally:
        await t.close()


@pytest.fixture
def session(db: None, gw: SimGateway) -> TradingSession:
    return store.open_session(
        venue="sim", mode=SessionMode.SIM, base_currency="aud", account_id="DU1234567",
        started_at=gw.clock.now(),
    )


@pytest.fixture
def orders(venue: SimTrader, settings: Any, session: TradingSession, notifier: Notifier
           ) -> OrderService:
    service = OrderService(venue, settings, session)
    service.notifier = notifier
    return service

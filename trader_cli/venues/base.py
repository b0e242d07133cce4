"""The one async protocol every venue implements, in venue-neutral, ccxt-shaped models.

Services use a venue only through :class:`BaseTrader`: what a venue can do is declared in its
:class:`VenueCapabilities`, never probed with ``getattr`` or ``isinstance``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_cli.clock import Clock
from trader_cli.domain.book import OrderBook, PublicTrade
from trader_cli.domain.models import (
    AccountSummary,
    Candle,
    Fill,
    Order,
    OrderType,
    Position,
    Quote,
    Side,
)
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.domain.timeframes import Timeframe
from trader_cli.domain.venues import Venue, venue_name
from trader_cli.domain.windows import MaintenanceWindow
from trader_cli.errors import DataUnavailableError, InvalidOrderError


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order to send: the client order id makes a retry of the same request idempotent."""

    client_order_id: str
    symbol: Symbol
    side: Side
    amount: Decimal
    spec: OrderSpec


@dataclass(frozen=True, slots=True)
class BracketRequest:
    """An entry with its protection, held by the venue (:meth:`BaseTrader.place_bracket`).

    ``children`` (a stop and/or a target, on the exit side) form one OCA group named
    ``oca_group``: when one fills, the venue cancels the others. With an ``entry`` they are its
    children, working only once it fills and transmitted together with it; without one (the
    position is already held) they are a stand-alone OCA group.
    """

    oca_group: str
    children: tuple[OrderRequest, ...]
    entry: OrderRequest | None = None

    @property
    def legs(self) -> tuple[OrderRequest, ...]:
        """Every order of the bracket, the entry first."""
        return self.children if self.entry is None else (self.entry, *self.children)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A symbol qualified by its venue: ids, increments, hours, allowed order types."""

    symbol: Symbol
    venue_id: str
    exchange: str
    currency: str
    min_tick: Decimal | None
    size_increment: Decimal
    order_types: frozenset[str]
    time_zone: str | None = None
    trading_hours: str | None = None
    liquid_hours: str | None = None
    min_amount: Decimal | None = None  # the smallest order the venue takes (None: no minimum)
    details: dict[str, Any] | None = None

    @property
    def market_orders_allowed(self) -> bool:
        """Whether the venue accepts market orders for this instrument."""
        return "MKT" in self.order_types or "market" in self.order_types

    @property
    def stop_orders_allowed(self) -> bool:
        """Whether the venue takes a plain stop (a market order once triggered) here; where it
        does not, a stop is sent as a stop limit (IB lists ``STPLMT`` alone for such contracts).
        """
        return self.market_orders_allowed and (
            "STP" in self.order_types or "stop" in self.order_types
        )

    @property
    def stop_limit_orders_allowed(self) -> bool:
        """Whether the venue takes a stop limit here (IB spells it ``STPLMT``)."""
        return bool({"STPLMT", "STP LMT", "stop_limit"} & self.order_types)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields."""
        return {
            "symbol": str(self.symbol),
            "venueId": self.venue_id,
            "exchange": self.exchange,
            "currency": self.currency,
            "minTick": None if self.min_tick is None else str(self.min_tick),
            "sizeIncrement": str(self.size_increment),
            "marketOrdersAllowed": self.market_orders_allowed,
            "orderTypes": sorted(self.order_types),
            "timeZoneId": self.time_zone,
            "tradingHours": self.trading_hours,
            "liquidHours": self.liquid_hours,
            **({} if self.min_amount is None else {"minAmount": str(self.min_amount)}),
            **(self.details or {}),
        }


#: ``progress(requests_done, requests_planned, estimated_seconds)`` while history is fetched.
HistoryProgress = Callable[[int, int, float], None]


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """What fetching some bars costs: requests to the venue and the time its pacing needs."""

    requests: int
    seconds: float  # estimated, pacing waits included
    note: str = ""


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    """What a venue can do, declared by its adapter so the core never has to know the venue.

    Price and size increments are per instrument: they come from :meth:`BaseTrader.resolve`.
    """

    name: str  # short, for messages: "IB"
    description: str  # for people and prompts: "Interactive Brokers Australia"
    timeframes: tuple[Timeframe, ...]  # bar sizes fetch_ohlcv serves, shortest first
    order_types: frozenset[OrderType]
    market_orders: bool  # whether a market order may be sent (else marketable limits)
    fractional_amounts: bool  # whether amounts may have a fractional part (crypto) or not
    instrument_classes: frozenset[InstrumentClass]  # what may be traded there at all
    short_selling: bool = True  # whether a sell may open a short (spot crypto: balances >= 0)
    paced_history: bool = False  # whether history requests are paced (long fetches take time)
    # whether fetch_order_book serves the venue's depth (else only the top of book), and
    # fetch_public_trades the venue's tape; an account may still lack the subscription, which
    # the venue says at run time (DataUnavailableError)
    market_depth: bool = False
    public_tape: bool = False
    maintenance_windows: tuple[MaintenanceWindow, ...] = ()  # expected daily disconnects
    # commission terms by market, in words, for strategies and telemetry: {"ASX": "0.08% ..."}
    commission_terms: Mapping[str, str] = field(default_factory=dict)
    # what may be traded and how, stated plainly for a strategy's prompt; "{base_currency}"
    # is filled in with the base currency
    trading_rules: tuple[str, ...] = ()
    # what a person should check when the link stays down (said in the disconnect alert)
    connectivity_hint: str = "check the venue's status and the network"
    # the times in force an order may ask for, and what an order asking for none works for
    time_in_force: frozenset[TimeInForce] = frozenset({TimeInForce.DAY})
    default_time_in_force: TimeInForce = TimeInForce.DAY
    post_only: bool = False  # whether a limit may be sent maker-only (cancelled if it would take)
    # whether stops and targets can be held by the venue as a bracket (parent, children in one
    # OCA group): they then survive our process. Without it protection stays in-process.
    broker_brackets: bool = False

    def check_spec(self, spec: OrderSpec) -> None:
        """Refuse (``InvalidOrderError``, exit 2) a time in force or post-only the venue lacks."""
        tif = spec.time_in_force
        if tif is not None and tif not in self.time_in_force:
            offered = ", ".join(t.value.lower() for t in sorted(self.time_in_force))
            raise InvalidOrderError(
                f"{self.name} has no {tif.value} orders",
                hint=f"use --tif {offered.replace(', ', ' or --tif ')} (or none: "
                f"{self.default_time_in_force.value})",
            )
        if spec.post_only and not self.post_only:
            raise InvalidOrderError(
                f"{self.name} takes no post-only orders here",
                hint="drop --post-only (a limit away from the touch rests as a maker anyway)",
            )

    def supports(self, timeframe: Timeframe) -> bool:
        """Whether the venue serves bars of ``timeframe``."""
        return timeframe in self.timeframes

    def nearest_timeframe(self, timeframe: Timeframe) -> Timeframe | None:
        """The longest served timeframe not longer than ``timeframe`` (None: none is)."""
        shorter = [tf for tf in self.timeframes if tf.seconds <= timeframe.seconds]
        return max(shorter, key=lambda tf: tf.seconds) if shorter else None

    def trades(self, instrument_class: InstrumentClass) -> bool:
        """Whether instruments of ``instrument_class`` may be traded on the venue."""
        return instrument_class in self.instrument_classes


class BaseTrader(ABC):
    """A venue: coroutines run inside one event loop; failures are ``TraderError``s.

    ``venue`` says where orders go and ``backend`` what answers (the real API, the sim or a
    replay); together they name the venue in outputs (:attr:`name`).
    """

    venue: Venue
    backend: Backend = Backend.API
    clock: Clock  # the venue's time: wall clock, or the sim's

    @property
    def name(self) -> str:
        """The venue as outputs name it: ``ib``, ``gemini``, or ``sim`` for IB on the sim."""
        return venue_name(self.venue, self.backend)

    @property
    def simulated(self) -> bool:
        """Whether the simulator answers: every price and fill is SIMULATED."""
        return self.backend is Backend.SIM

    @property
    def clock_speed(self) -> float | None:
        """How many times faster than real time the venue's clock runs (None: real time)."""
        return None

    @property
    @abstractmethod
    def capabilities(self) -> VenueCapabilities:
        """What this venue can do (timeframes, order types, windows, commission terms...)."""

    @property
    @abstractmethod
    def account(self) -> str | None:
        """The account orders go to (None before the venue has said)."""

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection; raises ``NotConnectedError`` if the venue cannot be reached."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connection gracefully (idempotent)."""

    @property
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether the link to the venue is up."""

    @abstractmethod
    async def maybe_reconnect(self) -> bool:
        """Reconnect if the link is down; True when connected afterwards. For circuit managers."""

    @abstractmethod
    async def resolve(self, symbol: Symbol) -> Instrument:
        """Qualify ``symbol`` with the venue (cached)."""

    @abstractmethod
    async def get_market_data(self, symbol: Symbol) -> Quote:
        """Top of book for ``symbol``."""

    @abstractmethod
    async def fetch_ohlcv(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        limit: int,
        *,
        progress: HistoryProgress | None = None,
    ) -> list[Candle]:
        """Up to ``limit`` most recent bars, oldest first; ``progress`` hears of each request."""

    async def fetch_order_book(self, symbol: Symbol, depth: int = 10) -> OrderBook:
        """Up to ``depth`` levels a side, best first.

        A venue that declares ``market_depth`` serves its depth (``DataUnavailableError`` when
        the account lacks the subscription); by default this is the top of book from
        :meth:`get_market_data`, marked ``top_of_book``.
        """
        del depth
        quote = await self.get_market_data(symbol)
        return OrderBook.from_quote(quote, f"{self.capabilities.name} serves no depth")

    async def fetch_public_trades(self, symbol: Symbol, limit: int = 100) -> list[PublicTrade]:
        """The venue's most recent public prints, oldest first (at most ``limit``).

        Only a venue that declares ``public_tape`` has them; by default this raises
        ``DataUnavailableError``.
        """
        del limit
        raise DataUnavailableError(
            f"{self.capabilities.name} serves no public trades for {symbol}",
            hint="use the quote's last price",
        )

    def history_plan(self, symbol: Symbol, timeframe: Timeframe, limit: int) -> HistoryPlan:
        """Requests and time :meth:`fetch_ohlcv` will need (pure; by default one quick request)."""
        del symbol, timeframe, limit
        return HistoryPlan(requests=1, seconds=0.0)

    @abstractmethod
    async def place_order(self, request: OrderRequest) -> Order:
        """Send an order; returns it as acknowledged (or pending if the outcome is ambiguous)."""

    async def place_bracket(self, request: BracketRequest) -> list[Order]:
        """Send an entry with its stop and target children in one OCA group (or, without an
        entry, a stand-alone OCA group protecting a position already held); returns every leg
        as acknowledged, in the order of ``request.legs``. Idempotent by client order id: a leg
        the venue already knows is returned, not sent again.

        Only a venue that declares ``broker_brackets`` has them; by default this raises
        ``InvalidOrderError`` and sends nothing.
        """
        raise InvalidOrderError(
            f"{self.capabilities.name} holds no stops or targets for us: no bracket orders",
            hint="PROTECTION=local: trader run watches the stop and target itself",
        )

    @abstractmethod
    async def cancel_order(self, client_order_id: str) -> Order:
        """Cancel one of our working orders."""

    @abstractmethod
    async def get_open_orders(self, *, ours_only: bool = True) -> list[Order]:
        """Working orders (by default only those carrying our client order id prefix)."""

    @abstractmethod
    async def get_order(self, client_order_id: str) -> Order | None:
        """Look an order up by client order id: open, completed, or known from executions."""

    async def wait_for_order_update(
        self, client_order_id: str, seen: Order, at_most: float
    ) -> None:
        """Return once order ``client_order_id`` may differ from ``seen`` (its status or filled
        amount), or after ``at_most`` seconds of the venue's clock, whichever comes first.

        The caller then asks :meth:`get_order`. This default polls: it waits ``at_most`` on the
        venue's clock (a pinned sim clock advances instead). A venue that streams order events
        returns as soon as one arrives, and at once if it already knows more than ``seen``.
        """
        await self.clock.sleep(at_most)

    def done_orders(self) -> set[str]:
        """Client order ids of the finished orders (filled, cancelled, rejected) this adapter
        still keeps in memory with their fills; a venue that keeps none returns nothing."""
        return set()

    def forget_orders(self, settled: Mapping[str, frozenset[str]]) -> int:
        """Let go of what this adapter keeps of finished orders the caller has settled:
        ``settled`` maps a client order id to the ids of its fills recorded for good. An order
        still working, or with a fill not among those ids, is kept, as is every fill of it.
        Returns how many orders were let go (none by default: nothing is kept)."""
        del settled
        return 0

    @abstractmethod
    async def get_order_by_venue_id(self, venue_order_id: str) -> Order | None:
        """Look an order up by the venue's own id (for orders placed outside the bot)."""

    @abstractmethod
    async def get_positions(self) -> list[Position]:
        """Current positions; shorts have negative quantity."""

    @abstractmethod
    async def get_my_trades(
        self, symbol: Symbol | None = None, since: datetime | None = None
    ) -> list[Fill]:
        """Our fills, oldest first, optionally for one symbol and since a time."""

    async def get_trades_from_timestamp(self, since: datetime) -> list[Fill]:
        """All fills since ``since`` (used by resync with an overlap)."""
        return await self.get_my_trades(since=since)

    @abstractmethod
    async def get_account_summary(self) -> AccountSummary:
        """Cash, margin and equity in the base currency."""

    @abstractmethod
    async def fx_rate(self, base: str, quote: str) -> Decimal:
        """Units of ``quote`` per unit of ``base`` from the venue's quotes (1 for one currency)."""

    @abstractmethod
    async def to_base(self, amount: Money) -> Money:
        """``amount`` in the base currency (``BASE_CURRENCY``), at the venue's rates."""

    async def get_equity(self) -> Money:
        """Net liquidation value in the base currency."""
        return (await self.get_account_summary()).net_liquidation

    async def __aenter__(self) -> BaseTrader:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

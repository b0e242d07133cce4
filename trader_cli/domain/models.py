"""Venue-neutral, ccxt-shaped models: quotes, candles, orders, fills, positions, accounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from trader_cli.domain.money import Money, to_decimal


def utc(ts: datetime) -> datetime:
    """Return ``ts`` in UTC; a naive datetime is a bug and raises ``ValueError``."""
    if ts.tzinfo is UTC:
        return ts
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts!r}: attach a timezone where it is parsed")
    return ts.astimezone(UTC)


def utc_from_ms(ms: int | float) -> datetime:
    """UTC datetime from epoch milliseconds (ccxt's timestamp unit)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(utc(ts).timestamp() * 1000)


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, -1 for sell: the change in position per unit."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """The side that closes a position opened on this side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """Order type; ``marketable_limit`` is a limit priced through the touch.

    A marketable limit reaches the venue, and the records, as a plain ``limit``
    (:attr:`recorded`); only the order spec that priced it knows it was meant to cross.
    """

    LIMIT = "limit"
    MARKET = "market"
    MARKETABLE_LIMIT = "marketable_limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"

    @property
    def recorded(self) -> OrderType:
        """The type an order of this type is recorded as (a marketable limit is a limit)."""
        return OrderType.LIMIT if self is OrderType.MARKETABLE_LIMIT else self


class OrderStatus(StrEnum):
    """ccxt order status, plus ``pending`` (written, not yet acknowledged by the venue)."""

    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """No further fills can arrive."""
        return self in (
            OrderStatus.CLOSED,
            OrderStatus.CANCELED,
            OrderStatus.REJECTED,
            OrderStatus.EXPIRED,
        )


class Liquidity(StrEnum):
    """Whether a fill added or removed liquidity."""

    MAKER = "maker"
    TAKER = "taker"
    UNKNOWN = "unknown"


class FeeSource(StrEnum):
    """Where a commission figure came from."""

    ESTIMATE = "estimate"
    VENUE = "venue"


def jsonable(value: Any) -> Any:
    """JSON-safe form of our values: Decimal → str, datetime → ISO UTC ``Z``, enums → value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Money):
        return value.to_json()
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class Model:
    """Mixin: JSON-safe dict (Decimals as strings, datetimes as ISO-8601 UTC with ``Z``)."""

    def to_dict(self) -> dict[str, Any]:
        """Fields as JSON-safe values."""
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Fee(Model):
    """A commission or fee: ccxt's ``fee{cost,currency}`` plus where the number came from."""

    cost: Decimal
    currency: str
    source: FeeSource = FeeSource.VENUE

    def __post_init__(self) -> None:
        object.__setattr__(self, "cost", to_decimal(self.cost, field="fee.cost"))
        object.__setattr__(self, "currency", self.currency.upper())

    @property
    def money(self) -> Money:
        """The fee as :class:`Money`."""
        return Money(self.cost, self.currency)


@dataclass(frozen=True, slots=True)
class Quote(Model):
    """Top of book. Sizes are ``Decimal`` (integral for equities); ``None`` where unknown."""

    symbol: str
    timestamp: datetime
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    volume: Decimal | None = None
    delayed: bool = False
    # one side of the book never arrived within the venue's wait: not a book to price from
    half_book: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", utc(self.timestamp))

    @property
    def price(self) -> Decimal | None:
        """Mid if both sides are quoted, else last."""
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        return self.last

    @property
    def spread_pct(self) -> Decimal | None:
        """(ask - bid) / mid, in percent."""
        mid = self.price
        if self.bid is None or self.ask is None or not mid:
            return None
        return (self.ask - self.bid) / mid * 100

    @property
    def ob_imbalance(self) -> Decimal | None:
        """(bid_size - ask_size) / (bid_size + ask_size), in [-1, 1]."""
        if self.bid_size is None or self.ask_size is None:
            return None
        total = self.bid_size + self.ask_size
        return (self.bid_size - self.ask_size) / total if total else None

    def to_dict(self) -> dict[str, Any]:
        """ccxt-like market data dict including the derived fields."""
        data = Model.to_dict(self)
        data.update(
            price=jsonable(self.price),
            spread_pct=jsonable(self.spread_pct),
            ob_imbalance=jsonable(self.ob_imbalance),
        )
        return data


@dataclass(frozen=True, slots=True)
class Candle(Model):
    """One OHLCV bar; ``ts`` is the bar's open time in UTC."""

    ts: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", utc(self.ts))

    def as_row(self) -> list[Any]:
        """ccxt row ``[ts_ms, o, h, l, c, v]``."""
        return [to_ms(self.ts), self.open, self.high, self.low, self.close, self.volume]


@dataclass(slots=True)
class Order(Model):
    """An order in ccxt's shape. ``id`` is the venue's id as a string (None before it knows)."""

    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    id: str | None = None
    status: OrderStatus = OrderStatus.PENDING
    filled: Decimal = Decimal(0)
    average: Decimal | None = None
    fee: Fee | None = None
    timestamp: datetime | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def remaining(self) -> Decimal:
        """Amount not yet filled."""
        return self.amount - self.filled

    def to_dict(self) -> dict[str, Any]:
        """ccxt order dict (``clientOrderId``, ``remaining`` included)."""
        data = Model.to_dict(self)
        data["clientOrderId"] = data.pop("client_order_id")
        data["remaining"] = str(self.remaining)
        return data


@dataclass(frozen=True, slots=True)
class Fill(Model):
    """One execution (ccxt ``trade``): ``id`` is the venue's unique fill id."""

    id: str
    order_id: str | None
    client_order_id: str | None
    symbol: str
    side: Side
    price: Decimal
    amount: Decimal
    timestamp: datetime
    fee: Fee | None = None
    liquidity: Liquidity = Liquidity.UNKNOWN
    # venue extras (IB: conId, and the exchange that executed)
    info: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", utc(self.timestamp))


@dataclass(frozen=True, slots=True)
class Position(Model):
    """A holding; ``quantity`` < 0 is a short."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal
    current_price: Decimal | None
    timestamp: datetime
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", utc(self.timestamp))

    @property
    def market_value(self) -> Money | None:
        """Signed market value in the instrument's currency."""
        if self.current_price is None:
            return None
        return Money(self.quantity * self.current_price, self.currency)


@dataclass(frozen=True, slots=True)
class AccountSummary(Model):
    """Account figures in ``base_currency``, plus cash per currency."""

    account_id: str
    base_currency: str
    net_liquidation: Money
    total_cash: Money
    available_funds: Money | None = None
    buying_power: Money | None = None
    excess_liquidity: Money | None = None
    init_margin: Money | None = None
    maint_margin: Money | None = None
    cash_by_currency: dict[str, Money] = field(default_factory=dict)
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))

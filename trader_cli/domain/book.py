"""Venue-neutral order book (depth) and public trade prints (the tape), in ccxt shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from trader_cli.domain.models import Model, Quote, Side, jsonable, to_ms, utc
from trader_cli.domain.money import to_decimal


class BookSource(StrEnum):
    """Where a book's levels came from."""

    DEPTH = "depth"  # the venue's depth of book (several levels a side when it has them)
    TOP_OF_BOOK = "top_of_book"  # fallback: only the best bid and ask, from the quote


class TapeKind(StrEnum):
    """What a public print is: a trade, or a quote-derived stand-in where there are no trades."""

    TRADE = "trade"  # a trade on the venue's tape
    MIDPOINT = "midpoint"  # IDEALPRO FX has no trade prints: the midpoint of bid and ask
    LAST = "last"  # fallback: the quote's last price, no size


@dataclass(frozen=True, slots=True)
class BookLevel(Model):
    """One price level: the price and the size resting there (both ``Decimal``)."""

    price: Decimal
    size: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", to_decimal(self.price, field="level.price"))
        object.__setattr__(self, "size", to_decimal(self.size, field="level.size"))


@dataclass(frozen=True, slots=True)
class OrderBook(Model):
    """Bids (best, i.e. highest, first) and asks (best, i.e. lowest, first) at ``timestamp``.

    ``source`` says whether the levels are the venue's depth or a top-of-book fallback, and
    ``note`` why a fallback was used.
    """

    symbol: str
    timestamp: datetime
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    source: BookSource = BookSource.DEPTH
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", utc(self.timestamp))
        bids = tuple(sorted(self.bids, key=lambda lv: lv.price, reverse=True))
        asks = tuple(sorted(self.asks, key=lambda lv: lv.price))
        object.__setattr__(self, "bids", bids)
        object.__setattr__(self, "asks", asks)

    @classmethod
    def from_quote(cls, quote: Quote, note: str) -> OrderBook:
        """The top-of-book fallback: one level a side from ``quote`` (a side without size is
        left out: a level is never invented)."""
        bids = (
            (BookLevel(quote.bid, quote.bid_size),)
            if quote.bid is not None and quote.bid_size is not None
            else ()
        )
        asks = (
            (BookLevel(quote.ask, quote.ask_size),)
            if quote.ask is not None and quote.ask_size is not None
            else ()
        )
        return cls(quote.symbol, quote.timestamp, bids, asks, BookSource.TOP_OF_BOOK, note)

    @property
    def best_bid(self) -> BookLevel | None:
        """The highest bid (None: no bids)."""
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        """The lowest ask (None: no asks)."""
        return self.asks[0] if self.asks else None

    def to_ccxt(self) -> dict[str, Any]:
        """ccxt's order book: ``bids``/``asks`` as ``[price, size]`` Decimals, ms timestamp."""
        return {
            "symbol": self.symbol,
            "bids": [[lv.price, lv.size] for lv in self.bids],
            "asks": [[lv.price, lv.size] for lv in self.asks],
            "timestamp": to_ms(self.timestamp),
            "datetime": jsonable(self.timestamp),
            "nonce": None,
            "source": self.source.value,
            "note": self.note,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ccxt shape (Decimals as strings)."""
        data: dict[str, Any] = jsonable(self.to_ccxt())
        return data


@dataclass(frozen=True, slots=True)
class PublicTrade(Model):
    """One print on the venue's public tape (anyone's trade, not only ours).

    ``side`` is the aggressor's side when the venue says (None: unknown); ``amount`` is None
    where the venue gives no size (FX midpoints, the last-price fallback); ``id`` is the
    venue's trade id when it has one.
    """

    symbol: str
    price: Decimal
    amount: Decimal | None
    timestamp: datetime
    side: Side | None = None
    id: str | None = None
    kind: TapeKind = TapeKind.TRADE

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", utc(self.timestamp))
        object.__setattr__(self, "price", to_decimal(self.price, field="trade.price"))
        if self.amount is not None:
            object.__setattr__(self, "amount", to_decimal(self.amount, field="trade.amount"))

    def to_ccxt(self) -> dict[str, Any]:
        """ccxt's public trade shape (Decimals kept), plus ``kind``."""
        return {
            "id": self.id,
            "symbol": self.symbol,
            "timestamp": to_ms(self.timestamp),
            "datetime": jsonable(self.timestamp),
            "side": None if self.side is None else self.side.value,
            "price": self.price,
            "amount": self.amount,
            "cost": None if self.amount is None else self.price * self.amount,
            "kind": self.kind.value,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ccxt shape."""
        data: dict[str, Any] = jsonable(self.to_ccxt())
        return data

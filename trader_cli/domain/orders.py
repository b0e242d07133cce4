"""Order specs: what kind of order to send, at which prices, for how long — validated once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from trader_cli.domain.models import OrderType
from trader_cli.errors import InvalidOrderError


class TimeInForce(StrEnum):
    """How long an order works: the session, until cancelled, or at once and cancel the rest.

    A spec without one (None) works for the venue's default
    (``VenueCapabilities.default_time_in_force``: IB's DAY, Gemini's GTC).
    """

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"


class Protection(StrEnum):
    """Where a plan's stop and target are held (``PROTECTION``).

    ``broker``: at the venue, as the children of a bracket (one OCA group), so they survive our
    process; used only where the venue declares ``broker_brackets`` (IB), else ``local``.
    ``local``: watched by ``trader run``'s plan monitor once per cycle.
    """

    BROKER = "broker"
    LOCAL = "local"


# Which prices each type carries: (limit price, stop price).
_PRICES: dict[OrderType, tuple[bool, bool]] = {
    OrderType.LIMIT: (True, False),
    OrderType.MARKETABLE_LIMIT: (True, False),
    OrderType.MARKET: (False, False),
    OrderType.STOP: (False, True),
    OrderType.STOP_LIMIT: (True, True),
}
_NAMES = {
    OrderType.LIMIT: "a limit order",
    OrderType.MARKETABLE_LIMIT: "a marketable limit",
    OrderType.MARKET: "a market order",
    OrderType.STOP: "a stop order",
    OrderType.STOP_LIMIT: "a stop limit",
}


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """An order's type, limit and stop prices, time in force and post-only flag; invalid ones
    cannot be built.

    A limit or marketable limit has a limit price only; a market order has no price; a stop has
    a stop (trigger) price only; a stop limit has both. Prices are positive. ``time_in_force``
    None means the venue's default. ``post_only`` (maker only: cancelled at once instead of
    taking) is for a plain limit that may rest, so never with IOC. Raises
    :class:`~trader_cli.errors.InvalidOrderError` (exit 2) otherwise.
    """

    type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    post_only: bool = False

    def __post_init__(self) -> None:
        wants_limit, wants_stop = _PRICES[self.type]
        name = _NAMES[self.type]
        _check_price(name, "limit", self.limit_price, wants_limit)
        _check_price(name, "stop", self.stop_price, wants_stop)
        if self.post_only:
            if self.type is not OrderType.LIMIT:
                raise InvalidOrderError(
                    f"{name} cannot be post-only: only a limit order can wait as a maker",
                    hint="give --limit PRICE with --post-only",
                )
            if self.time_in_force is TimeInForce.IOC:
                raise InvalidOrderError(
                    "a post-only order cannot be IOC: one must rest, the other never does",
                    hint="drop --post-only or --tif ioc",
                )

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def limit(
        cls, price: Decimal, tif: TimeInForce | None = None, *, post_only: bool = False
    ) -> OrderSpec:
        """A limit order at ``price`` (``post_only``: a maker, or cancelled rather than take)."""
        return cls(OrderType.LIMIT, limit_price=price, time_in_force=tif, post_only=post_only)

    @classmethod
    def market(cls, tif: TimeInForce | None = None) -> OrderSpec:
        """A market order."""
        return cls(OrderType.MARKET, time_in_force=tif)

    @classmethod
    def marketable_limit(cls, price: Decimal, tif: TimeInForce | None = None) -> OrderSpec:
        """A limit priced through the touch to trade at once (where a market order is not used)."""
        return cls(OrderType.MARKETABLE_LIMIT, limit_price=price, time_in_force=tif)

    @classmethod
    def stop(cls, stop_price: Decimal, tif: TimeInForce | None = None) -> OrderSpec:
        """A stop: a market order once the price trades through ``stop_price``."""
        return cls(OrderType.STOP, stop_price=stop_price, time_in_force=tif)

    @classmethod
    def stop_limit(
        cls, stop_price: Decimal, limit_price: Decimal, tif: TimeInForce | None = None
    ) -> OrderSpec:
        """A stop limit: a limit at ``limit_price`` once the price trades through ``stop_price``."""
        return cls(
            OrderType.STOP_LIMIT, limit_price=limit_price, stop_price=stop_price, time_in_force=tif
        )

    @classmethod
    def of(
        cls,
        type_: OrderType,
        price: Decimal | None,
        *,
        stop_price: Decimal | None = None,
        tif: TimeInForce | None = None,
    ) -> OrderSpec:
        """A spec from an order record's ``type`` and ``price`` (its limit price)."""
        return cls(type_, limit_price=price, stop_price=stop_price, time_in_force=tif)

    # -- reading -----------------------------------------------------------------------------
    @property
    def recorded_type(self) -> OrderType:
        """The type the order is recorded as: a marketable limit is a limit."""
        return self.type.recorded

    @property
    def is_market(self) -> bool:
        """No limit price: the order takes whatever the book gives (market, stop)."""
        return self.limit_price is None

    def with_limit(self, price: Decimal) -> OrderSpec:
        """The same spec at another limit price (e.g. nudged onto the tick)."""
        return OrderSpec(self.type, price, self.stop_price, self.time_in_force, self.post_only)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields (prices as strings)."""
        return {
            "type": self.type.value,
            "limitPrice": None if self.limit_price is None else str(self.limit_price),
            "stopPrice": None if self.stop_price is None else str(self.stop_price),
            "timeInForce": None if self.time_in_force is None else self.time_in_force.value,
            "postOnly": self.post_only,
        }


def _check_price(order: str, kind: str, price: Decimal | None, wanted: bool) -> None:
    if not wanted:
        if price is not None:
            raise InvalidOrderError(f"{order} takes no {kind} price (got {price})")
        return
    if price is None or not price.is_finite() or price <= 0:
        got = "none" if price is None else str(price)
        raise InvalidOrderError(f"{order} needs a positive {kind} price (got {got})")


def no_price_given() -> InvalidOrderError:
    """The error for an order with neither ``--limit`` nor ``--market``."""
    return InvalidOrderError(
        "no price given", hint="add --limit PRICE for a limit order, or --market"
    )


def spec_from_flags(
    limit_price: Decimal | None,
    market: bool,
    tif: TimeInForce | None = None,
    *,
    post_only: bool = False,
) -> OrderSpec:
    """The spec ``--limit P`` or ``--market`` (with ``--tif``, ``--post-only``) asks for;
    exactly one of ``--limit`` and ``--market`` must be given."""
    if market and limit_price is not None:
        raise InvalidOrderError("give either --limit PRICE or --market, not both")
    if market:
        if post_only:
            raise InvalidOrderError(
                "a market order cannot be post-only: it always takes",
                hint="give --limit PRICE with --post-only",
            )
        return OrderSpec.market(tif)
    if limit_price is None:
        raise no_price_given()
    return OrderSpec.limit(limit_price, tif, post_only=post_only)

"""The sim's instrument catalogue (package data) and IB-style contract matching."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from trader_cli.domain.ticks import asx_tick_size, fx_tick_size

_DECIMALS = ("base_price", "price_increment", "amount_increment", "min_order_size")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable contract as the sim knows it."""

    symbol: str
    sec_type: str
    exchange: str
    primary_exchange: str
    currency: str
    local_symbol: str
    trading_class: str
    con_id: int
    long_name: str
    industry: str
    category: str
    subcategory: str
    stock_type: str
    valid_exchanges: str
    market: str  # "ASX", "FX" or "CRYPTO": which hours and price steps apply
    market_orders_allowed: bool
    base_price: Decimal
    daily_volume: int
    order_types: str
    time_zone_id: str
    # crypto only (a venue's own steps): price and amount increments, minimum order amount
    price_increment: Decimal | None = None
    amount_increment: Decimal | None = None
    min_order_size: Decimal | None = None

    @property
    def is_fx(self) -> bool:
        """True for IDEALPRO cash pairs."""
        return self.sec_type == "CASH"

    @property
    def is_crypto(self) -> bool:
        """True for crypto pairs (24/7, fractional amounts, the venue's own increments)."""
        return self.market == "CRYPTO"

    def tick_at(self, price: Decimal) -> Decimal:
        """Minimum price step at ``price``."""
        if self.price_increment is not None:
            return self.price_increment
        return fx_tick_size(self.currency) if self.is_fx else asx_tick_size(abs(price))

    @property
    def min_tick(self) -> Decimal:
        """``minTick`` as reported in contract details (the step at the reference price)."""
        return self.tick_at(self.base_price)

    def exchanges(self) -> list[str]:
        """Exchanges this contract can be routed to."""
        return self.valid_exchanges.split(",")


@dataclass(frozen=True, slots=True)
class ContractQuery:
    """The identifying fields of a contract in a request (empty = not given)."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""


class Catalogue:
    """All instruments, looked up by conId or by IB's contract fields."""

    def __init__(self, instruments: list[Instrument]) -> None:
        self.instruments = instruments
        self._by_con_id = {i.con_id: i for i in instruments}

    @classmethod
    def load(cls, name: str = "instruments.json") -> Catalogue:
        """Load a catalogue shipped as package data (``sim/data/instruments.json`` by default;
        ``crypto.json`` holds the Gemini simulator's pairs)."""
        text = resources.files("trader_cli.sim").joinpath(f"data/{name}").read_text()
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Catalogue:
        """Build from the JSON document format of ``instruments.json``."""
        zones: dict[str, str] = doc["time_zone_ids"]
        order_types: dict[str, str] = doc["order_types"]
        out = []
        for row in doc["instruments"]:
            types = order_types[row["sec_type"]].split(",")
            if not row["market_orders_allowed"]:
                types = [t for t in types if t != "MKT"]
            out.append(
                Instrument(
                    **{k: v for k, v in row.items() if k not in _DECIMALS},
                    **_decimals(row),
                    order_types=",".join(types),
                    time_zone_id=zones[row["market"]],
                )
            )
        return cls(out)

    def by_con_id(self, con_id: int) -> Instrument | None:
        """The instrument with ``con_id``, if any."""
        return self._by_con_id.get(con_id)

    def by_local_symbol(self, local_symbol: str) -> Instrument | None:
        """The instrument whose localSymbol is ``local_symbol`` (e.g. ``AUD.USD``)."""
        for inst in self.instruments:
            if inst.local_symbol == local_symbol:
                return inst
        return None

    def match(self, query: ContractQuery) -> list[tuple[Instrument, str]]:
        """Instruments matching ``query``, each with the exchange to report.

        Like TWS: a conId wins; otherwise every given field must match. A stock query without
        an exchange matches once per valid exchange (several rows, i.e. ambiguous).
        """
        if query.con_id:
            inst = self._by_con_id.get(query.con_id)
            if inst is None:
                return []
            if query.exchange and query.exchange not in inst.exchanges():
                return []
            return [(inst, query.exchange or inst.exchange)]
        rows: list[tuple[Instrument, str]] = []
        for inst in self.instruments:
            if query.local_symbol and query.local_symbol.upper() != inst.local_symbol:
                continue
            if query.symbol and query.symbol.upper() != inst.symbol:
                continue
            if not (query.symbol or query.local_symbol):
                continue
            if query.sec_type and query.sec_type.upper() != inst.sec_type:
                continue
            if query.currency and query.currency.upper() != inst.currency:
                continue
            if query.primary_exchange and query.primary_exchange.upper() not in (
                inst.primary_exchange,
                inst.exchange,
            ):
                continue
            if query.exchange:
                if query.exchange.upper() not in inst.exchanges():
                    continue
                rows.append((inst, query.exchange.upper()))
            elif inst.is_fx:
                rows.append((inst, inst.exchange))
            else:
                rows.extend((inst, exchange) for exchange in inst.exchanges())
        return rows


def _decimals(row: dict[str, Any]) -> dict[str, Any]:
    """The Decimal-valued fields of a catalogue row that it gives."""
    return {k: Decimal(row[k]) for k in _DECIMALS if row.get(k) is not None}

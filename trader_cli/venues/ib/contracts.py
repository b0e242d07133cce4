"""Canonical symbol → IB contract specification, offline (no ib_async import, no connection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trader_cli.domain.symbols import InstrumentClass, Symbol
from trader_cli.errors import SymbolError

# Market convention for which currency is the base of an FX pair; IDEALPRO lists pairs this way.
FX_PRIORITY = (
    "EUR",
    "GBP",
    "AUD",
    "NZD",
    "USD",
    "CAD",
    "CHF",
    "NOK",
    "SEK",
    "DKK",
    "SGD",
    "HKD",
    "CNH",
    "MXN",
    "ZAR",
    "PLN",
    "CZK",
    "HUF",
    "ILS",
    "TRY",
    "KRW",
    "JPY",
)

SEC_TYPE = {
    InstrumentClass.ASX_EQUITY: "STK",
    InstrumentClass.ASX_ETF: "STK",
    InstrumentClass.US_EQUITY: "STK",
    InstrumentClass.FX: "CASH",
}


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """What IB needs to identify a contract; ``con_id`` and details arrive once qualified."""

    symbol: str
    canonical: str
    instrument_class: InstrumentClass
    sec_type: str
    exchange: str
    currency: str
    primary_exchange: str | None = None
    local_symbol: str | None = None
    con_id: int | None = None
    min_tick: str | None = None
    trading_hours: str | None = None
    liquid_hours: str | None = None
    time_zone: str | None = None
    order_types: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe fields, IB's names in camelCase where IB has one."""
        return {
            "symbol": self.canonical,
            "instrumentClass": self.instrument_class.value,
            "secType": self.sec_type,
            "ibSymbol": self.symbol,
            "exchange": self.exchange,
            "primaryExchange": self.primary_exchange,
            "currency": self.currency,
            "localSymbol": self.local_symbol,
            "conId": self.con_id,
            "minTick": self.min_tick,
            "tradingHours": self.trading_hours,
            "liquidHours": self.liquid_hours,
            "timeZoneId": self.time_zone,
        }


def fx_convention(base: str, quote: str) -> tuple[str, str]:
    """The (base, quote) order IDEALPRO quotes a currency pair in."""

    def rank(ccy: str) -> int:
        return FX_PRIORITY.index(ccy) if ccy in FX_PRIORITY else len(FX_PRIORITY)

    return (base, quote) if rank(base) <= rank(quote) else (quote, base)


def contract_spec(
    symbol: Symbol,
    *,
    routing_exchange: str = "SMART",
    primary_exchange: str = "ASX",
    allowed: frozenset[InstrumentClass] | None = None,
) -> ContractSpec:
    """The IB contract for a canonical symbol: ``BHP/AUD`` → STK BHP SMART/ASX AUD.

    Raises :class:`SymbolError` for crypto (IB Australia has none), for classes not in
    ``allowed`` (``IB_ALLOWED_INSTRUMENTS``), and for FX pairs written against IDEALPRO's
    convention (``USD/AUD`` → use ``AUD/USD``).
    """
    cls = symbol.instrument_class
    if cls is InstrumentClass.CRYPTO:
        raise SymbolError(
            f"{symbol} is crypto, which Interactive Brokers Australia does not offer",
            hint="use --venue gemini for crypto",
        )
    if allowed is not None and cls not in allowed:
        names = ", ".join(sorted(c.value for c in allowed))
        raise SymbolError(
            f"{symbol} is a {cls.label}, which IB_ALLOWED_INSTRUMENTS ({names}) does not allow",
            hint=f"add {cls.value} to IB_ALLOWED_INSTRUMENTS to trade it",
        )
    if cls is InstrumentClass.FX:
        base, quote = fx_convention(symbol.base, symbol.quote)
        if (base, quote) != (symbol.base, symbol.quote):
            raise SymbolError(
                f"IDEALPRO quotes this pair as {base}.{quote}, not {symbol.base}.{symbol.quote}",
                suggestion=f"{base}/{quote}",
            )
        return ContractSpec(
            symbol=base,
            canonical=str(symbol),
            instrument_class=cls,
            sec_type="CASH",
            exchange="IDEALPRO",
            currency=quote,
            local_symbol=f"{base}.{quote}",
        )
    if cls is InstrumentClass.US_EQUITY:
        return ContractSpec(
            symbol=symbol.base.replace(".", " "),
            canonical=str(symbol),
            instrument_class=cls,
            sec_type="STK",
            exchange="SMART",
            currency="USD",
        )
    return ContractSpec(
        symbol=symbol.base,
        canonical=str(symbol),
        instrument_class=cls,
        sec_type="STK",
        exchange=routing_exchange,
        primary_exchange=primary_exchange,
        currency="AUD",
        local_symbol=symbol.base,
    )

"""Canonical symbol → IB contract spec without a connection."""

from __future__ import annotations

import pytest

from trader_cli.domain.symbols import InstrumentClass, parse_symbol
from trader_cli.errors import SymbolError
from trader_cli.venues.gemini.markets import market_spec
from trader_cli.venues.ib.contracts import contract_spec, fx_convention


def test_asx_stock_routes_smart_with_asx_primary() -> None:
    spec = contract_spec(parse_symbol("BHP/AUD"))
    assert (spec.sec_type, spec.symbol, spec.exchange, spec.primary_exchange, spec.currency) == (
        "STK",
        "BHP",
        "SMART",
        "ASX",
        "AUD",
    )


def test_ib_exchange_setting_is_honoured() -> None:
    spec = contract_spec(parse_symbol("CBA/AUD"), routing_exchange="ASX", primary_exchange="ASX")
    assert spec.exchange == "ASX"


def test_fx_pair_is_idealpro_cash() -> None:
    spec = contract_spec(parse_symbol("AUD/USD"))
    assert (spec.sec_type, spec.symbol, spec.currency, spec.exchange, spec.local_symbol) == (
        "CASH",
        "AUD",
        "USD",
        "IDEALPRO",
        "AUD.USD",
    )


def test_fx_pair_against_convention_suggests_the_listed_direction() -> None:
    with pytest.raises(SymbolError) as info:
        contract_spec(parse_symbol("USD/AUD"))
    assert info.value.suggestion == "AUD/USD"
    assert fx_convention("JPY", "AUD") == ("AUD", "JPY")


def test_crypto_and_disallowed_classes_are_refused() -> None:
    with pytest.raises(SymbolError, match="--venue gemini"):
        contract_spec(parse_symbol("BTC/USD"))
    with pytest.raises(SymbolError, match="IB_ALLOWED_INSTRUMENTS"):
        contract_spec(
            parse_symbol("AAPL/USD"),
            allowed=frozenset({InstrumentClass.ASX_EQUITY, InstrumentClass.FX}),
        )


def test_gemini_market_ids() -> None:
    assert market_spec(parse_symbol("BTC/USD")).venue_id == "btcusd"
    assert market_spec(parse_symbol("eth/btc")).venue_id == "ethbtc"
    with pytest.raises(SymbolError, match="only crypto"):
        market_spec(parse_symbol("BHP/AUD"))

"""Canonical symbols: parsing, formatting, classification, and mistakes turned into suggestions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader_cli.domain.symbols import (
    ASX_ETFS,
    CRYPTO_ASSETS,
    CRYPTO_QUOTES,
    FIAT_CURRENCIES,
    InstrumentClass,
    Symbol,
    format_symbol,
    parse_symbol,
    parse_symbols,
)
from trader_cli.errors import ExitCode, SymbolError


@pytest.mark.parametrize(
    ("text", "expected", "cls"),
    [
        ("BHP/AUD", Symbol("BHP", "AUD"), InstrumentClass.ASX_EQUITY),
        ("bhp/aud", Symbol("BHP", "AUD"), InstrumentClass.ASX_EQUITY),
        ("  Bhp /  aud ", Symbol("BHP", "AUD"), InstrumentClass.ASX_EQUITY),
        ("VAS/AUD", Symbol("VAS", "AUD"), InstrumentClass.ASX_ETF),
        ("A200/AUD", Symbol("A200", "AUD"), InstrumentClass.ASX_ETF),
        ("AUD/USD", Symbol("AUD", "USD"), InstrumentClass.FX),
        ("eur/aud", Symbol("EUR", "AUD"), InstrumentClass.FX),
        ("BTC/USD", Symbol("BTC", "USD"), InstrumentClass.CRYPTO),
        ("eth/btc", Symbol("ETH", "BTC"), InstrumentClass.CRYPTO),
        ("AAPL/USD", Symbol("AAPL", "USD"), InstrumentClass.US_EQUITY),
        ("BRK.B/USD", Symbol("BRK.B", "USD"), InstrumentClass.US_EQUITY),
    ],
)
def test_valid_symbols_normalise_and_classify(
    text: str, expected: Symbol, cls: InstrumentClass
) -> None:
    sym = parse_symbol(text)
    assert sym == expected
    assert sym.instrument_class is cls
    assert str(sym) == f"{expected.base}/{expected.quote}"


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("BHP.AX", "BHP/AUD"),
        ("bhp.ax", "BHP/AUD"),
        ("BHP.AX/AUD", "BHP/AUD"),
        ("ASX:BHP", "BHP/AUD"),
        ("AUDUSD", "AUD/USD"),
        ("aud.usd", "AUD/USD"),
        ("BTCUSD", "BTC/USD"),
        ("btc-usd", "BTC/USD"),
        ("BHP-AUD", "BHP/AUD"),
        ("bhp", "BHP/AUD"),
        ("BTC", "BTC/USD"),
        ("BHP/EUR", "BHP/AUD"),
        ("BTC/AUD", "BTC/USD"),
    ],
)
def test_common_mistakes_suggest_the_canonical_form(text: str, suggestion: str) -> None:
    with pytest.raises(SymbolError) as info:
        parse_symbol(text)
    assert info.value.suggestion == suggestion
    assert suggestion in str(info.value)
    assert info.value.exit_code is ExitCode.BAD_INPUT


def test_bare_code_says_it_needs_a_currency() -> None:
    with pytest.raises(SymbolError, match="needs a currency"):
        parse_symbol("bhp")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty symbol"),
        ("   ", "empty symbol"),
        ("BHP/XYZ", "unknown currency 'XYZ'"),
        ("A/B/C", "exactly one '/'"),
        ("/AUD", "exactly one '/'"),
        ("BHP/", "exactly one '/'"),
        ("B$P/AUD", "not a valid symbol code"),
        ("AUD/AUD", "pairs a currency with itself"),
        ("%%%", "not a canonical symbol"),
    ],
)
def test_malformed_symbols_are_rejected_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(SymbolError, match=message):
        parse_symbol(text)


def test_parse_symbols_reports_every_bad_entry_and_dedupes() -> None:
    assert parse_symbols(["BHP/AUD", "bhp/aud", "AUD/USD"]) == [
        Symbol("BHP", "AUD"),
        Symbol("AUD", "USD"),
    ]
    with pytest.raises(SymbolError) as info:
        parse_symbols(["BHP.AX", "CBA/AUD", "AUDUSD"])
    text = str(info.value)
    assert "BHP/AUD" in text
    assert "AUD/USD" in text


def test_format_symbol_round_trips() -> None:
    assert format_symbol("bhp", "aud") == "BHP/AUD"


_codes = st.from_regex(r"[A-Z][A-Z0-9]{0,9}", fullmatch=True)
_equities = st.builds(
    Symbol,
    _codes.filter(lambda c: c not in FIAT_CURRENCIES and c not in CRYPTO_ASSETS),
    st.sampled_from(["AUD", "USD"]),
)
_fx = st.tuples(st.sampled_from(sorted(FIAT_CURRENCIES)), st.sampled_from(sorted(FIAT_CURRENCIES)))
_fx_symbols = _fx.filter(lambda p: p[0] != p[1]).map(lambda p: Symbol(*p))
_crypto = st.builds(
    Symbol,
    st.sampled_from(sorted(CRYPTO_ASSETS - FIAT_CURRENCIES)),
    st.sampled_from(sorted(CRYPTO_QUOTES)),
)


@given(st.one_of(_equities, _fx_symbols, _crypto))
def test_format_then_parse_is_identity(sym: Symbol) -> None:
    assert parse_symbol(str(sym)) == sym


@given(st.one_of(_equities, _fx_symbols, _crypto), st.randoms())
def test_case_and_whitespace_never_change_the_symbol(sym: Symbol, rnd) -> None:
    text = "".join(c.lower() if rnd.random() < 0.5 else c for c in str(sym))
    text = " " * rnd.randint(0, 2) + text.replace("/", " " * rnd.randint(0, 2) + "/") + " "
    assert parse_symbol(text) == sym


@given(st.text(max_size=20))
def test_any_text_parses_or_raises_symbol_error(text: str) -> None:
    try:
        sym = parse_symbol(text)
    except SymbolError as e:
        message = e.message
        assert message
        return
    assert parse_symbol(str(sym)) == sym


def test_known_etfs_are_etfs() -> None:
    for code in ("VAS", "IOZ", "STW", "NDQ", "VGS"):
        assert code in ASX_ETFS
        assert parse_symbol(f"{code}/AUD").instrument_class is InstrumentClass.ASX_ETF

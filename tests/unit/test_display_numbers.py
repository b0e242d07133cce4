"""Numbers people can read: tick-precision prices, whole shares, 2-decimal money, 3-digit pcts."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from trader_cli.domain import display
from trader_cli.domain.money import Money
from trader_cli.domain.symbols import parse_symbol

BHP = parse_symbol("BHP/AUD")
AUDUSD = parse_symbol("AUD/USD")
USDJPY = parse_symbol("USD/JPY")
BTC = parse_symbol("BTC/USD")


@pytest.mark.parametrize(
    ("value", "symbol", "tick", "text", "json"),
    [
        (D("142.09181818181818"), BHP, None, "142.09", "142.09"),
        (D("47.2"), BHP, None, "47.20", "47.20"),  # never 47.2 beside 47.32
        (D("1.2375"), BHP, None, "1.238", "1.238"),  # the 0.005 band: three decimals
        (D("0.0815"), BHP, None, "0.082", "0.082"),
        (D("0.663451"), AUDUSD, None, "0.66345", "0.66345"),
        (D("151.2"), USDJPY, None, "151.200", "151.200"),
        (D("97120.5"), BTC, D("0.01"), "97,120.50", "97120.50"),
        (D("3.14159"), BTC, D("0.001"), "3.142", "3.142"),
        (D("12345.6"), None, None, "12,345.60", "12345.60"),
    ],
)
def test_prices_at_the_instruments_tick_precision(value, symbol, tick, text, json):
    assert display.price_text(value, symbol, min_tick=tick) == text
    assert display.price_json(value, symbol, min_tick=tick) == json


def test_missing_values_stay_missing():
    assert display.price_text(None, BHP) == ""
    assert display.price_json(None, BHP) is None
    assert display.quantity_json(None) is None
    assert display.money_json(None) is None
    assert display.pct_json(None) is None
    assert display.time_json(None) is None


@pytest.mark.parametrize(
    ("value", "symbol", "text", "json"),
    [
        (D("1200"), BHP, "1,200", "1200"),
        (D("1200.000"), BHP, "1,200", "1200"),
        (D("-300"), BHP, "-300", "-300"),
        (D("25000.0"), AUDUSD, "25,000", "25000"),
        (D("0.01250000"), BTC, "0.0125", "0.0125"),
        (D("0.123456789"), BTC, "0.12345679", "0.12345679"),
        (D("2"), BTC, "2", "2"),
    ],
)
def test_quantities_whole_for_shares_and_exact_for_crypto(value, symbol, text, json):
    assert display.quantity_text(value, symbol) == text
    assert display.quantity_json(value, symbol) == json


def test_a_fractional_share_count_is_shown_not_hidden():
    # a fractional equity position is a defect somewhere: show it, never round it away
    assert display.quantity_text(D("10.5"), BHP) == "10.5"


def test_money_at_two_decimals_with_its_currency():
    assert display.money_text(D("156998.1945"), "AUD") == "156,998.19 AUD"
    assert display.money_text(Money(D("6"), "AUD")) == "6.00 AUD"
    assert display.money_text(D("-0.001"), "AUD") == "0.00 AUD"  # never -0.00
    assert display.money_text(D("-1234.567"), "USD") == "-1,234.57 USD"
    assert display.money_json(D("156998.1945"), "AUD") == "156998.19"
    assert display.money_json(Money(D("6"), "AUD")) == "6.00"
    # half-even, as ledgers round
    assert display.money_json(D("0.125"), "AUD") == "0.12"
    assert display.money_json(D("0.135"), "AUD") == "0.14"


def test_crypto_amounts_keep_their_precision():
    assert display.money_text(D("0.50000000"), "BTC") == "0.5 BTC"
    assert display.money_json(D("1.000000001"), "BTC") == "1"
    assert display.money_json(D("0"), "ETH") == "0"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("0.02188423241054820002188423241"), "0.0219"),
        (D("1.23456"), "1.23"),
        (D("12.3456"), "12.3"),
        (D("-0.5"), "-0.500"),
        (D("0"), "0"),
        (D("1234.5"), "1230"),
    ],
)
def test_percentages_at_three_significant_digits(value, text):
    assert display.pct_text(value) == text
    assert "E" not in display.pct_text(value)


def test_times_in_utc_to_the_second():
    at = datetime(2026, 12, 2, 7, 13, 47, 123456, tzinfo=UTC)
    assert display.time_text(at) == "2026-12-02 07:13:47 UTC"
    assert display.time_json(at) == "2026-12-02T07:13:47Z"
    sydney = at.astimezone(timezone(timedelta(hours=11)))
    assert display.time_json(sydney) == "2026-12-02T07:13:47Z"
    with pytest.raises(ValueError, match="naive"):
        display.time_text(datetime(2026, 12, 2, 7, 13, 47))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(35, "35s"), (250, "4m 10s"), (7500, "2h 05m"), (90000, "1d 01h"), (None, "")],
)
def test_durations_for_people(seconds, text):
    assert display.duration_text(seconds) == text


@pytest.mark.parametrize(
    ("is_open", "note", "text"),
    [
        (False, "closed: Christmas", "CLOSED: Christmas"),  # never "CLOSED: closed: Christmas"
        (True, "open until Wed 16:00 AEST", "OPEN until Wed 16:00 AEST"),
        (True, "open; early close at 14:10 AEDT", "OPEN; early close at 14:10 AEDT"),
        (False, "closed for the weekend", "CLOSED for the weekend"),
        (False, "halted", "CLOSED: halted"),
        (True, "", "OPEN"),
    ],
)
def test_market_status_says_open_or_closed_once(is_open, note, text):
    assert display.market_status_text(is_open, note) == text


@pytest.mark.parametrize(
    ("amount", "currency", "text", "json"),
    [
        (D("6"), "AUD", "6.00 AUD", "6.00"),  # IB's commission: padded to cents
        (D("0.24853848"), "USD", "0.24853848 USD", "0.24853848"),  # Gemini's fee: kept whole
        (D("1234.5"), "AUD", "1,234.50 AUD", "1234.50"),
        (D("0.000012300"), "BTC", "0.0000123 BTC", "0.0000123"),
        (D("0.123456789"), "USD", "0.12345679 USD", "0.12345679"),  # eight places at most
    ],
)
def test_a_venues_own_figure_is_padded_but_never_rounded_below_its_precision(
    amount, currency, text, json
):
    assert display.money_exact_text(amount, currency) == text
    assert display.money_exact_json(amount, currency) == json
    assert display.money_exact_json(None) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("62134.6"), "62,134.60"),
        (D("145.123"), "145.123"),  # SOL's 0.001 tick is never rounded to cents
        (D("145.12345678912"), "145.12345679"),  # eight places at most
    ],
)
def test_crypto_without_a_tick_keeps_its_own_places(value, text):
    sol = parse_symbol("SOL/USD")
    assert display.price_text(value, sol) == text
    assert display.price_json(value, sol) == text.replace(",", "")

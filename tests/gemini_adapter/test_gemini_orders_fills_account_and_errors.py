"""Orders, fills, balances, FX into the base currency and ccxt errors at the Gemini boundary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from trader_cli.domain.models import Liquidity, OrderStatus, Side
from trader_cli.domain.money import Money
from trader_cli.domain.orders import OrderSpec, TimeInForce
from trader_cli.domain.symbols import parse_symbol
from trader_cli.errors import (
    ConfigError,
    ExitCode,
    InvalidOrderError,
    OrderRejected,
    RateLimitError,
    RefusedError,
    TemporaryError,
)
from trader_cli.venues.base import OrderRequest

BTC = parse_symbol("BTC/USD")


def order_json(cid: str, *, live: bool = True, executed: str = "0", oid: str = "1001",
               options: list[str] | None = None) -> dict[str, Any]:
    return {
        "order_id": oid, "id": oid, "symbol": "btcusd", "exchange": "gemini",
        "avg_execution_price": "0.00" if executed == "0" else "100.00", "side": "buy",
        "type": "exchange limit", "timestamp": "1710328245", "timestampms": 1710328245000,
        "is_live": live, "is_cancelled": False, "is_hidden": False, "was_forced": False,
        "executed_amount": executed, "client_order_id": cid, "options": options or [],
        "price": "100.00", "original_amount": "0.5", "remaining_amount": "0.5",
    }


def request(cid: str = "trd-s1-1", spec: OrderSpec | None = None,
            amount: str = "0.5") -> OrderRequest:
    return OrderRequest(cid, BTC, Side.BUY, Decimal(amount),
                        spec or OrderSpec.limit(Decimal("100.00")))


async def test_limit_order_carries_client_order_id_and_ioc(gemini, canned) -> None:
    canned["/v1/order/new"] = lambda p: order_json(p["client_order_id"],
                                                   options=p.get("options"))
    trader = await gemini()
    order = await trader.place_order(
        request(spec=OrderSpec.marketable_limit(Decimal("100.00"), TimeInForce.IOC)))
    path, payload, headers = canned.requests[-1]
    assert path == "/v1/order/new"
    assert payload["client_order_id"] == "trd-s1-1"
    assert payload["type"] == "exchange limit"
    assert payload["options"] == ["immediate-or-cancel"]
    assert (payload["amount"], payload["price"], payload["side"]) == ("0.5", "100", "buy")
    assert order.client_order_id == "trd-s1-1" and order.status is OrderStatus.OPEN
    assert order.id == "1001"
    # the key travels only in Gemini's header, never in the order
    assert headers["X-GEMINI-APIKEY"] == "account-testkey123"


async def test_post_only_is_maker_or_cancel_and_gemini_says_why_it_cancelled(
    gemini, canned
) -> None:
    canned["/v1/order/new"] = lambda p: {
        **order_json(p["client_order_id"], live=False, options=p.get("options")),
        "is_cancelled": True, "reason": "MakerOrCancelWouldTake",
    }
    trader = await gemini()
    order = await trader.place_order(
        request(spec=OrderSpec.limit(Decimal("100.00"), TimeInForce.GTC, post_only=True)))
    _, payload, _ = canned.requests[-1]
    assert payload["options"] == ["maker-or-cancel"]
    assert order.status is OrderStatus.CANCELED
    assert order.info["lastError"] == "cancelled by Gemini: MakerOrCancelWouldTake"
    # a plain limit (GTC, Gemini's default) carries no option at all
    canned["/v1/order/new"] = lambda p: order_json(p["client_order_id"], options=p.get("options"))
    await trader.place_order(request("trd-s1-2"))
    assert canned.requests[-1][1].get("options", []) == []


@pytest.mark.parametrize(
    ("spec", "amount", "fragment"),
    [
        (OrderSpec.market(), "0.5", "limit orders only"),
        (OrderSpec.stop(Decimal("90")), "0.5", "limit orders only"),
        (OrderSpec.limit(Decimal("100.005")), "0.5", "price tick 0.01"),
        (OrderSpec.limit(Decimal("100")), "0.000001", "minimum order size 0.00001"),
        (OrderSpec.limit(Decimal("100")), "0.123456789", "amount increment"),
        (OrderSpec.limit(Decimal("100"), TimeInForce.DAY), "0.5", "Gemini has no DAY orders"),
    ],
)
async def test_orders_gemini_cannot_take_are_refused_before_sending(
    gemini, canned, spec, amount, fragment
) -> None:
    trader = await gemini()
    with pytest.raises(InvalidOrderError) as e:
        await trader.place_order(request(spec=spec, amount=amount))
    assert fragment in str(e.value)
    assert all(p != "/v1/order/new" for p, _, _ in canned.requests)


async def test_open_orders_are_filtered_by_our_prefix(gemini, canned) -> None:
    canned["/v1/orders"] = [order_json("trd-s1-1", oid="1"), order_json("manual-7", oid="2")]
    trader = await gemini()
    assert [o.client_order_id for o in await trader.get_open_orders()] == ["trd-s1-1"]
    assert len(await trader.get_open_orders(ours_only=False)) == 2


async def test_order_found_by_client_order_id_and_cancelled(gemini, canned) -> None:
    canned["/v1/order/status"] = lambda p: [order_json(p["client_order_id"], oid="77")]
    canned["/v1/order/cancel"] = lambda p: {**order_json("trd-s1-1", oid=str(p["order_id"])),
                                            "is_live": False, "is_cancelled": True}
    trader = await gemini()
    found = await trader.get_order("trd-s1-1")
    assert found is not None and found.id == "77"
    cancelled = await trader.cancel_order("trd-s1-1")
    assert cancelled.status is OrderStatus.CANCELED
    assert canned.requests[-1][1]["order_id"] == "77"


async def test_my_trades_carry_fee_and_maker_or_taker(gemini, canned) -> None:
    def trade(tid: int, aggressor: bool) -> dict[str, Any]:
        return {"price": "100.00", "amount": "0.25", "timestamp": 1710328245 + tid,
                "timestampms": (1710328245 + tid) * 1000, "type": "Buy",
                "aggressor": aggressor, "fee_currency": "USD", "fee_amount": "0.10",
                "tid": tid, "order_id": "77", "exchange": "gemini",
                "is_auction_fill": False, "is_clearing_fill": False, "symbol": "BTCUSD",
                "client_order_id": "trd-s1-1"}

    canned["/v1/mytrades"] = [trade(2, False), trade(1, True)]
    trader = await gemini()
    fills = await trader.get_my_trades(BTC)
    assert [f.id for f in fills] == ["1", "2"]
    assert [f.liquidity for f in fills] == [Liquidity.TAKER, Liquidity.MAKER]
    assert fills[0].fee is not None and fills[0].fee.money == Money(Decimal("0.10"), "USD")
    assert fills[0].client_order_id == "trd-s1-1" and fills[0].order_id == "77"


def balances() -> list[dict[str, Any]]:
    return [
        {"type": "exchange", "currency": "USD", "amount": "1000.00", "available": "900.00"},
        {"type": "exchange", "currency": "BTC", "amount": "0.5", "available": "0.5"},
    ]


def market(canned: Any) -> None:
    canned["/v1/balances"] = balances()
    canned["/v1/pubticker/btcusd"] = {"bid": "100", "ask": "102", "last": "101",
                                      "volume": {"BTC": "1", "timestamp": 1710328245000}}
    canned["/v1/book/btcusd"] = {"bids": [{"price": "100", "amount": "1"}],
                                 "asks": [{"price": "102", "amount": "1"}]}
    canned["/v1/mytrades"] = []


async def test_equity_in_usd_base(gemini, canned) -> None:
    market(canned)
    trader = await gemini()
    summary = await trader.get_account_summary()
    assert summary.net_liquidation == Money(Decimal("1050.50"), "USD")  # 1000 + 0.5 x 101
    assert summary.total_cash == Money(Decimal("1000.00"), "USD")
    assert summary.available_funds == Money(Decimal("900.00"), "USD")
    [pos] = await trader.get_positions()
    assert (pos.symbol, pos.quantity, pos.current_price) == ("BTC/USD", Decimal("0.5"),
                                                             Decimal("101"))


async def test_equity_in_aud_uses_the_configured_rate(gemini, canned) -> None:
    market(canned)
    trader = await gemini(BASE_CURRENCY="AUD", GEMINI_USD_PER_BASE="0.5")
    summary = await trader.get_account_summary()
    assert summary.base_currency == "AUD"
    assert summary.net_liquidation == Money(Decimal("2101"), "AUD")
    assert await trader.to_base(Money(Decimal("10"), "USD")) == Money(Decimal("20"), "AUD")


async def test_non_usd_base_without_a_rate_exits_2_saying_what_to_set(gemini, canned) -> None:
    market(canned)
    trader = await gemini(BASE_CURRENCY="AUD")
    with pytest.raises(ConfigError) as e:
        await trader.to_base(Money(Decimal("10"), "USD"))
    assert e.value.exit_code is ExitCode.BAD_INPUT
    assert "GEMINI_USD_PER_BASE" in str(e.value) and "GEMINI_FX_FROM_IB" in str(e.value)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ccxt.RequestTimeout("gemini GET timed out"), TemporaryError),
        (ccxt.NetworkError("gemini connection reset"), TemporaryError),
        (ccxt.RateLimitExceeded("gemini RateLimit"), RateLimitError),
        (ccxt.InsufficientFunds("gemini InsufficientFunds"), RefusedError),
        (ccxt.InvalidOrder("gemini InvalidPrice"), OrderRejected),
    ],
)
async def test_ccxt_errors_are_translated_at_the_boundary(gemini, canned, raised,
                                                          expected) -> None:
    canned["/v1/order/new"] = raised
    trader = await gemini()
    with pytest.raises(expected) as e:
        await trader.place_order(request())
    assert e.value.__cause__ is raised


async def test_rejected_credentials_exit_2_naming_the_settings_not_the_values(
    gemini, canned
) -> None:
    canned["/v1/balances"] = ccxt.AuthenticationError(
        "gemini InvalidSignature for key account-testkey123")
    trader = await gemini()
    with pytest.raises(ConfigError) as e:
        await trader.get_account_summary()
    text = str(e.value)
    assert "GEMINI_API_KEY" in text and "GEMINI_API_SECRET" in text
    assert "account-testkey123" not in text and "s3cretvalue99" not in text


async def test_a_master_key_is_refused_as_a_config_error(gemini, canned) -> None:
    canned["/v1/balances"] = balances()
    trader = await gemini(GEMINI_API_KEY="master-abc12345")
    with pytest.raises(ConfigError):
        await trader.get_account_summary()


async def test_fee_tier_from_notionalvolume_else_configured(gemini, canned) -> None:
    canned["/v1/notionalvolume"] = {"api_maker_fee_bps": 10, "api_taker_fee_bps": 35}
    trader = await gemini()
    assert await trader.fee_rates() == (Decimal("0.001"), Decimal("0.0035"), "notionalvolume")
    canned["/v1/notionalvolume"] = ccxt.PermissionDenied("gemini MissingRole")
    assert await trader.fee_rates() == (Decimal("0.0020"), Decimal("0.0040"), "config")


def test_api_url_and_sandbox_point_ccxt(settings_for) -> None:
    from trader_cli.venues.gemini.trader import make_exchange

    ex = make_exchange(settings_for(GEMINI_API_URL="http://127.0.0.1:8765/"))
    assert ex.urls["api"]["public"] == ex.urls["api"]["private"] == "http://127.0.0.1:8765"
    assert ex.enableRateLimit
    ex = make_exchange(settings_for(GEMINI_SANDBOX="true"))
    assert ex.urls["api"]["private"] == "https://api.sandbox.gemini.com"
    ex = make_exchange(settings_for(GEMINI_SANDBOX="false"))
    assert ex.urls["api"]["private"] == "https://api.gemini.com"


async def test_an_order_already_placed_with_the_client_order_id_is_not_sent_again(
    gemini, canned
) -> None:
    canned["/v1/order/status"] = lambda p: [order_json(p["client_order_id"], oid="55")]
    trader = await gemini()
    order = await trader.place_order(request())
    assert order.id == "55"
    assert all(p != "/v1/order/new" for p, _, _ in canned.requests)


def test_unreachable_gemini_exits_1_naming_the_url(trader, monkeypatch) -> None:
    monkeypatch.setenv("GEMINI_API_URL", "http://127.0.0.1:9")
    r = trader("quote", "BTC/USD", "--venue", "gemini")
    assert r.code == 1, r.err
    assert "GEMINI_API_URL" in r.err
    assert "Traceback" not in r.err

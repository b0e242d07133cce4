"""The status service's assembly from the database alone, on SQLite and PostgreSQL: the scope
of the account used last, nothing of another account or the sim, figures as recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trader_cli.config import load_settings
from trader_cli.db import store
from trader_cli.db.connection import use_database
from trader_cli.db.scope import use_scope
from trader_cli.db.views import record_account, record_health
from trader_cli.domain.models import AccountSummary, Position
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.services.status import collect_status

pytestmark = pytest.mark.db

EARLY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _account(account: str, nlv: str, cash_usd: str) -> AccountSummary:
    return AccountSummary(
        account_id=account, base_currency="AUD", net_liquidation=Money(Decimal(nlv), "AUD"),
        total_cash=Money(Decimal(nlv), "AUD"), available_funds=Money(Decimal(nlv), "AUD"),
        cash_by_currency={
            "AUD": Money(Decimal(nlv), "AUD"), "USD": Money(Decimal(cash_usd), "USD"),
        },
    )


def _seed(scope: Scope, account: str, *, at: datetime, nlv: str, positions: list[Position],
          equity: list[str]) -> None:
    with use_scope(scope):
        session = store.open_session(venue="ib", mode=scope.mode.value, base_currency="AUD",
                                     account_id=account, strategy="rules", started_at=at)
        for i, value in enumerate(equity):
            store.record_equity(session, equity=Decimal(value), cash=Decimal(value),
                                currency="AUD", at=at.replace(minute=i))
        record_account(_account(account, nlv, "-2723.80"), positions, at=at)
        record_health({
            "allowsEntries": False, "allowsExits": True, "alert": True,
            "circuits": {
                "market_data": {"state": "closed", "consecutiveFailures": 0},
                "venue_connection": {
                    "state": "open", "consecutiveFailures": 3, "totalFailures": 7,
                    "lastError": f"login refused for {account} with token=s3cr3t-{account}",
                    "openedAt": at.isoformat(),
                },
            },
            "venueDisconnect": {"since": at.isoformat(), "expected": False, "alert": True,
                                "message": f"{account} down for 12 min"},
        }, at=at)
        store.record_decision(strategy="rules", action="enter", accepted=False, symbol="BHP/AUD",
                              reason=f"refused for {account}", session=session, at=at)


@pytest.fixture
def paper_db(db_url: str, clean_env, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ACTIVE_EXCHANGE", "ib")
    monkeypatch.setenv("ALLOWED_SYMBOLS", "BHP/AUD,AUD/USD")
    paper = Scope("ib", Backend.API, Mode.PAPER)
    sim = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
    bhp = Position("BHP/AUD", Decimal(100), Decimal("47.16"), Decimal("47.50"), LATE, "AUD")
    fx = Position("AUD/USD", Decimal(4000), Decimal("0.68095"), Decimal("0.70000"), LATE, "USD")
    with use_database(db_url):
        _seed(paper.with_account("DU7654321"), "DU7654321", at=EARLY, nlv="50000.00",
              positions=[bhp], equity=["50000.00"])
        _seed(paper.with_account("DU1111222"), "DU1111222", at=LATE, nlv="1000000.125",
              positions=[bhp, fx], equity=["999990.00", "1000000.125"])
        _seed(sim, "DU1234567", at=LATE.replace(hour=4), nlv="5.00", positions=[],
              equity=["5.00"])
    return db_url


def test_the_account_used_last_is_shown_with_its_own_figures(paper_db: str) -> None:
    report = asyncio.run(collect_status(load_settings(), connect=False))
    assert report.source == "database" and report.stale
    assert report.badge == "PAPER"
    assert report.account == "DU****222"
    assert any("2 accounts" in note for note in report.notes)
    assert report.data_as_of == LATE
    assert report.account_view is not None
    assert report.account_view.net_liquidation == Money(Decimal("1000000.125"), "AUD")
    assert report.account_view.cash_by_currency["USD"] == Money(Decimal("-2723.80"), "USD")
    # this account's equity curve and decisions only: never the other account's, nor the sim's
    assert [p.equity.amount for p in report.equity_curve] == [Decimal("999990.00"),
                                                             Decimal("1000000.125")]
    assert [d.reason for d in report.decisions] == ["refused for DU****222"]  # redacted
    assert [p.symbol for p in report.positions] == ["BHP/AUD", "AUD/USD"]


def test_positions_are_marked_into_the_base_currency(paper_db: str) -> None:
    report = asyncio.run(collect_status(load_settings(), connect=False))
    bhp, fx = report.positions
    assert bhp.unrealised == Money(Decimal("34.00"), "AUD")
    assert bhp.unrealised_base == Money(Decimal("34.00"), "AUD")
    assert fx.unrealised == Money(Decimal("76.20000"), "USD")
    # USD into AUD at the recorded AUD/USD price (0.70 USD per AUD)
    assert fx.unrealised_base is not None
    assert fx.unrealised_base.currency == "AUD"
    assert fx.unrealised_base.amount == Decimal("76.20000") / Decimal("0.70000")


def test_commission_estimates_follow_the_published_schedules(paper_db: str) -> None:
    report = asyncio.run(collect_status(load_settings(), connect=False))
    settings = load_settings()
    bhp = [c for c in report.commissions if c.symbol == "BHP/AUD"]
    # typical sizes: AUD 1,000 and 10,000 and MAX_ORDER_VALUE, in whole shares at the last price
    notionals = sorted({Decimal(1000), Decimal(10000), settings.risk.max_order_value})
    assert [c.quantity for c in bhp] == [(n / Decimal("47.50")) // 1 for n in notionals]
    for c in bhp:
        assert c.price == Decimal("47.50") and c.price_source == "position"
        assert c.quantity == (c.notional.amount / c.price)
        # IBKR fixed, ASX: 0.08% of value, minimum AUD 6.00
        assert c.commission == Money(max(Decimal("6.00"), c.notional.amount * Decimal("0.0008")),
                                     "AUD")
    fx = [c for c in report.commissions if c.symbol == "AUD/USD"]
    assert fx
    for c in fx:
        assert c.commission.currency == "USD"
        assert c.commission_base is not None and c.commission_base.currency == "AUD"


def test_the_json_is_exact_and_readable(paper_db: str) -> None:
    data = asyncio.run(collect_status(load_settings(), connect=False)).to_dict()
    summary = data["accountSummary"]
    assert summary["netLiquidation"] == {"amount": "1000000.12", "currency": "AUD"}  # half-even
    assert summary["cashByCurrency"]["USD"] == {"amount": "-2723.80", "currency": "USD"}
    assert data["positions"][1]["avgPrice"] == "0.68095"
    assert data["positions"][0]["quantity"] == "100"
    assert data["equityCurve"][-1]["equity"] == "1000000.12"


def test_circuits_as_the_bot_left_them_with_secrets_redacted(paper_db: str) -> None:
    report = asyncio.run(collect_status(load_settings(), connect=False))
    bot = report.bot
    assert bot is not None
    assert bot.allows_entries is False and bot.alert is True
    assert bot.last_cycle_at == LATE
    circuits = {c.dependency: c for c in bot.circuits}
    link = circuits["venue_connection"]
    assert (link.state, link.failures, link.opened_at) == ("open", 3, LATE)
    assert link.last_error is not None
    assert "s3cr3t" not in link.last_error and "DU1111222" not in link.last_error
    assert "DU****222" in link.last_error
    assert bot.disconnect == "DU****222 down for 12 min"
    assert circuits["market_data"].state == "closed"


def test_a_position_in_a_contract_we_do_not_trade_is_shown_not_a_crash(paper_db: str) -> None:
    odd = Position("XJO 20261217 7800 C", Decimal(2), Decimal("41.5"), None, LATE, "AUD")
    scope = Scope("ib", Backend.API, Mode.PAPER).with_account("DU1111222")
    with use_database(paper_db), use_scope(scope):
        record_account(_account("DU1111222", "1000.00", "0"), [odd], at=LATE)
    report = asyncio.run(collect_status(load_settings(), connect=False))
    [shown] = report.positions
    assert shown.symbol == "XJO 20261217 7800 C" and shown.quantity == 2
    assert shown.unrealised is None  # no price: not marked, not guessed
    assert report.to_dict()["positions"][0]["avgPrice"] == "41.50"

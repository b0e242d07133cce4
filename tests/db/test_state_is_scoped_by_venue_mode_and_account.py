"""Scoped state: one scope's orders, fills, plans and sync state are invisible from another.

Runs on SQLite and PostgreSQL (one database, rows told apart by their scope), plus the upgrade of
an old database (rows attributed from their session) and the split of the old single SQLite file
into one file per venue and mode.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import peewee
import pytest

from trader_cli.db import migrations, store, use_database
from trader_cli.db.migrations import migrate
from trader_cli.db.models import FillRow, OrderRow, Plan, ScopeRow
from trader_cli.db.scope import current_scope_id, unbind_scope, use_scope
from trader_cli.db.split import split_legacy_database
from trader_cli.domain.models import Fill, Liquidity, Order, OrderStatus, OrderType, Side
from trader_cli.domain.scope import Backend, Mode, Scope, account_fingerprint
from trader_cli.errors import ConfigError, TraderError

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
SIM = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
PAPER = Scope("ib", Backend.API, Mode.PAPER).with_account("DU1234567")
OTHER_PAPER = Scope("ib", Backend.API, Mode.PAPER).with_account("DU7777777")


def _order(cid: str, symbol: str = "BHP/AUD", **kw: object) -> Order:
    values: dict[str, object] = {"client_order_id": cid, "symbol": symbol, "side": Side.BUY,
                                 "type": OrderType.LIMIT, "amount": Decimal(10),
                                 "price": Decimal("45.10")}
    values.update(kw)
    return Order(**values)  # type: ignore[arg-type]


def _fill(fill_id: str, cid: str) -> Fill:
    return Fill(id=fill_id, order_id="1", client_order_id=cid, symbol="BHP/AUD", side=Side.BUY,
                price=Decimal("45.10"), amount=Decimal(10), timestamp=T0,
                liquidity=Liquidity.TAKER)


def test_nothing_is_read_or_written_without_a_bound_scope(db: peewee.Database) -> None:
    unbind_scope()
    with pytest.raises(TraderError, match="no scope is bound"):
        store.find_order_by_client_id("x")
    with pytest.raises(TraderError, match="no scope is bound"):
        store.open_plans()


def test_one_scope_never_sees_another_scopes_rows(db: peewee.Database) -> None:
    with use_scope(SIM):
        session = store.open_session(venue="sim", mode="sim", base_currency="AUD")
        store.record_order_intent(_order("trd-1", status=OrderStatus.OPEN), session=session)
        store.insert_fill_if_new(_fill("0000e0d5.00000001.01.01", "trd-1"))
        plan = store.create_plan(symbol="BHP/AUD", side="buy", size=Decimal(10),
                                 stop=Decimal(44), session=session)
        store.set_sync_state("resync:last", "sim-time")
    for other in (PAPER, OTHER_PAPER):
        with use_scope(other):
            assert store.find_order_by_client_id("trd-1") is None
            assert store.open_orders() == []
            assert store.open_plans() == []
            assert store.fills_since(T0 - timedelta(days=1)) == []
            assert store.all_fills() == []
            assert store.last_fill_id() == 0
            assert store.get_sync_state("resync:last") is None
            # a plan id of another scope cannot be closed or re-linked from here
            store.close_plan(plan.id)
            store.set_plan_exit(plan.id, "trd-x")
            with pytest.raises(TraderError, match="no order"):
                store.update_order("trd-1", status=OrderStatus.CANCELED)
    with use_scope(SIM):
        assert [p.id for p in store.open_plans()] == [plan.id]
        assert Plan.get_by_id(plan.id).exit_client_order_id is None
        row = store.find_order_by_client_id("trd-1")
        assert row is not None
        assert row.status is OrderStatus.OPEN
        assert store.get_sync_state("resync:last") == "sim-time"


def test_the_same_client_order_id_and_fill_id_live_in_two_scopes(db: peewee.Database) -> None:
    with use_scope(SIM):
        sim_row, created_sim = store.record_order_intent(_order("trd-same"))
        _, new_sim = store.insert_fill_if_new(_fill("0000e0d5.00000001.01.01", "trd-same"))
    with use_scope(PAPER):
        # a different order under the same id is a new order in this scope, not a "reuse"
        paper_row, created_paper = store.record_order_intent(_order("trd-same", "CBA/AUD"))
        _, new_paper = store.insert_fill_if_new(_fill("0000e0d5.00000001.01.01", "trd-same"))
    assert (created_sim, created_paper, new_sim, new_paper) == (True, True, True, True)
    assert sim_row.id != paper_row.id
    assert OrderRow.select().count() == 2
    assert FillRow.select().count() == 2
    with use_scope(SIM):
        again, created = store.record_order_intent(_order("trd-same"))
        assert (again.id, created) == (sim_row.id, False)


def test_unique_ids_still_hold_within_one_scope(db: peewee.Database) -> None:
    with use_scope(PAPER):
        scope = current_scope_id()
        FillRow.create(scope=scope, venue_fill_id="f1", symbol="BHP/AUD", side="buy",
                       price=1, amount=1, timestamp=T0)
        with pytest.raises(peewee.IntegrityError), db.atomic():
            FillRow.create(scope=scope, venue_fill_id="f1", symbol="BHP/AUD", side="buy",
                           price=2, amount=1, timestamp=T0)


# --- upgrading an old database --------------------------------------------------------------


def _old_database(db: peewee.Database) -> dict[str, int]:
    """A version-2 database as older traders left it: the sim and an IB paper account mixed."""
    assert migrate(db, target=2) == [1, 2]
    v1 = {m.__name__: m for m in migrations._v1_models()}
    _, paper_hash = account_fingerprint("DU1234567")
    ids: dict[str, int] = {}
    with db.bind_ctx(list(v1.values())):
        sim = v1["Session"].create(venue="sim", mode="sim", base_currency="AUD",
                                   account_hash=paper_hash, started_at=T0)
        paper = v1["Session"].create(venue="ib", mode="paper", base_currency="AUD",
                                     account_hash=paper_hash, started_at=T0)
        common = {"symbol": "BHP/AUD", "side": "buy", "type": "limit", "amount": Decimal(10),
                  "status": "open", "filled": Decimal(0), "created_at": T0, "updated_at": T0}
        sim_order = v1["Order"].create(client_order_id="trd-1abcd-1", session=sim, **common)
        paper_order = v1["Order"].create(client_order_id="trd-2abcd-1", session=paper, **common)
        # written by an older resync without a session: the id still names session 2
        orphan = v1["Order"].create(client_order_id=f"trd-{paper.id}beef-2", **common)
        external = v1["Order"].create(client_order_id="ext-9", **common)
        v1["Fill"].create(venue_fill_id="f-sim", order=sim_order, symbol="BHP/AUD", side="buy",
                          price=Decimal(45), amount=Decimal(10), liquidity="taker", timestamp=T0)
        v1["Plan"].create(session=sim, symbol="BHP/AUD", side="buy", size=Decimal(10),
                          status="open", created_at=T0)
        v1["Plan"].create(session=paper, symbol="CBA/AUD", side="buy", size=Decimal(5),
                          status="open", created_at=T0)
        v1["SyncState"].create(key="resync:sim:last", value="old", updated_at=T0)
        ids.update(sim=sim.id, paper=paper.id, sim_order=sim_order.id,
                   paper_order=paper_order.id, orphan=orphan.id, external=external.id)
    return ids


def test_upgrade_attributes_every_old_row_to_its_scope(empty_db: peewee.Database) -> None:
    ids = _old_database(empty_db)
    migrate(empty_db)

    def scope_of(table: str, row_id: int) -> tuple[str, str, str]:
        found = empty_db.execute_sql(
            f"SELECT s.venue, s.backend, s.mode FROM {table} t JOIN scopes s "
            f"ON s.id = t.scope_id WHERE t.id = {int(row_id)}"
        ).fetchone()
        return tuple(found)

    assert scope_of("sessions", ids["sim"]) == ("ib", "sim", "sim")
    assert scope_of("sessions", ids["paper"]) == ("ib", "api", "paper")
    assert scope_of("orders", ids["sim_order"]) == ("ib", "sim", "sim")
    assert scope_of("orders", ids["paper_order"]) == ("ib", "api", "paper")
    assert scope_of("orders", ids["orphan"]) == ("ib", "api", "paper")
    # an order nothing ties to a venue is kept where no command reads it
    assert scope_of("orders", ids["external"]) == ("ib", "unknown", "unknown")
    with use_scope(SIM):
        assert [p.symbol for p in store.open_plans()] == ["BHP/AUD"]
        assert [f.venue_fill_id for f in store.all_fills()] == ["f-sim"]
        assert store.get_sync_state("resync:sim:last") is None
    with use_scope(PAPER):
        assert [p.symbol for p in store.open_plans()] == ["CBA/AUD"]
        assert {o.client_order_id for o in store.open_orders()} == {
            "trd-2abcd-1", f"trd-{ids['paper']}beef-2"}
        assert store.all_fills() == []


# --- one SQLite file per venue and mode -----------------------------------------------------


def _legacy_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    with use_database(f"sqlite:///{home / 'trader.sqlite'}", migrate=False) as db:
        _old_database(db)
    return home


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_the_old_single_file_is_split_per_venue_and_mode(tmp_path: Path) -> None:
    home = _legacy_home(tmp_path)
    written = split_legacy_database(home)
    assert sorted(p.name for p in written) == ["trader-ib-paper.sqlite", "trader-ib-sim.sqlite"]
    assert not (home / "trader.sqlite").exists()
    assert (home / "trader.sqlite.pre-scopes").exists()
    sim, paper = home / "trader-ib-sim.sqlite", home / "trader-ib-paper.sqlite"
    assert _count(sim, "SELECT COUNT(*) FROM orders") == 1
    assert _count(sim, "SELECT COUNT(*) FROM fills") == 1
    assert _count(sim, "SELECT COUNT(*) FROM plans") == 1
    assert _count(paper, "SELECT COUNT(*) FROM orders") == 2
    assert _count(paper, "SELECT COUNT(*) FROM fills") == 0
    assert _count(paper, "SELECT COUNT(*) FROM plans") == 1
    assert _count(sim, "SELECT COUNT(*) FROM orders WHERE client_order_id = 'ext-9'") == 0
    with use_database(f"sqlite:///{sim}"), use_scope(SIM):
        assert [p.symbol for p in store.open_plans()] == ["BHP/AUD"]
        assert ScopeRow.select().count() == 1
    assert split_legacy_database(home) == []  # once only


def test_the_split_refuses_to_merge_into_a_file_that_holds_orders(tmp_path: Path) -> None:
    home = _legacy_home(tmp_path)
    with use_database(f"sqlite:///{home / 'trader-ib-sim.sqlite'}"), use_scope(SIM):
        store.record_order_intent(_order("trd-new"))
    with pytest.raises(ConfigError, match="both hold orders"):
        split_legacy_database(home)
    assert (home / "trader.sqlite").exists()  # nothing was changed


def test_a_split_interrupted_part_way_finishes_on_the_next_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from trader_cli.db import split

    home = _legacy_home(tmp_path)
    real_replace = os.replace
    calls: list[object] = []

    def die_on_the_second(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed mid-split")  # as a kill between two files
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(split.os, "replace", die_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        split_legacy_database(home)
    monkeypatch.setattr(split.os, "replace", real_replace)
    assert (home / "trader.sqlite").exists()  # not renamed: the split is not finished
    assert len(list(home.glob("trader-*.sqlite"))) == 1
    assert list(home.glob("*.partial"))  # the half-built second file never took a real name

    written = split_legacy_database(home)  # the next command finishes it
    assert sorted(p.name for p in written) == ["trader-ib-paper.sqlite", "trader-ib-sim.sqlite"]
    assert not (home / "trader.sqlite").exists()
    assert not list(home.glob("*.partial"))
    assert _count(home / "trader-ib-sim.sqlite", "SELECT COUNT(*) FROM orders") == 1
    assert _count(home / "trader-ib-paper.sqlite", "SELECT COUNT(*) FROM orders") == 2

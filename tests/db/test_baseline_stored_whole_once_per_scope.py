"""Baselines: one per scope, written whole in one transaction, invisible from another scope.

On SQLite and PostgreSQL. A process killed between writing a baseline's header and its parts
leaves no baseline at all (the next command takes it again); two commands racing to take the
first baseline of a scope end with one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from decimal import Decimal

import peewee
import pytest

from trader_cli.db import baselines, use_database
from trader_cli.db.models import BaselineItemRow, BaselineRow
from trader_cli.db.scope import use_scope
from trader_cli.domain.baseline import Baseline, BaselineHolding
from trader_cli.domain.money import Money
from trader_cli.domain.scope import Backend, Mode, Scope

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
SIM = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
PAPER = Scope("ib", Backend.API, Mode.PAPER).with_account("DU1234567")


def _baseline(qty: str = "1", *, at: datetime = T0) -> Baseline:
    return Baseline(
        taken_at=at,
        base_currency="AUD",
        holdings=(
            BaselineHolding(
                "BTC/USD", Decimal(qty), Decimal("64000.5"), "USD",
                Money(Decimal("95827.60"), "AUD"),
            ),
        ),
        cash=(Money(Decimal("100000"), "USD"),),
        known_fills=frozenset({"f-1", "f-2"}),
        reason="first session in this scope",
    )


def test_a_baseline_reads_back_exactly_as_written(db: peewee.Database) -> None:
    stored = baselines.record_baseline(_baseline("0.12345678"))
    assert stored == baselines.current_baseline()
    assert stored.generation == 1
    (h,) = stored.holdings
    assert (h.symbol, h.quantity, h.price, h.currency) == (
        "BTC/USD", Decimal("0.12345678"), Decimal("64000.5"), "USD"
    )
    assert h.value == Money(Decimal("95827.60"), "AUD")
    assert stored.cash == (Money(Decimal("100000"), "USD"),)
    assert stored.known_fills == frozenset({"f-1", "f-2"})
    assert stored.taken_at == T0


def test_the_first_baseline_is_kept_and_a_reset_is_the_next_generation(
    db: peewee.Database,
) -> None:
    first = baselines.record_baseline(_baseline("1"))
    again = baselines.record_baseline(_baseline("5"), first_only=True)
    assert again == first  # the first one stays: a later session's holdings are not a baseline
    reset = baselines.record_baseline(_baseline("5"), first_only=False)
    assert reset.generation == 2
    assert baselines.current_baseline() == reset
    assert reset.holdings[0].quantity == 5
    assert baselines.baseline_generations() == 2


def test_sim_and_paper_scopes_never_see_each_others_baseline(db: peewee.Database) -> None:
    with use_scope(SIM):
        baselines.record_baseline(_baseline("1"))
    with use_scope(PAPER):
        assert baselines.current_baseline() is None
        baselines.record_baseline(_baseline("7"))
    with use_scope(SIM):
        found = baselines.current_baseline()
        assert found is not None and found.holdings[0].quantity == 1
    with use_scope(PAPER):
        found = baselines.current_baseline()
        assert found is not None and found.holdings[0].quantity == 7
        assert found.generation == 1


def test_losing_the_race_for_the_first_baseline_returns_the_winners(
    db: peewee.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = baselines.record_baseline(_baseline("1"))
    real = baselines.current_baseline
    calls = iter([None])  # the loser looked before the winner committed: it saw none

    def stale() -> Baseline | None:
        return next(calls, real())

    monkeypatch.setattr(baselines, "current_baseline", stale)
    got = baselines.record_baseline(_baseline("9"), first_only=True)
    assert got == winner  # generation 1 already taken: the insert failed, theirs is used
    assert BaselineRow.select().count() == 1


_KILL_BETWEEN_PARTS = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from decimal import Decimal
    from trader_cli.db import baselines, use_database
    from trader_cli.db.models import BaselineItemRow
    from trader_cli.db.scope import use_scope
    from trader_cli.domain.baseline import Baseline, BaselineHolding
    from trader_cli.domain.scope import Backend, Mode, Scope

    def die(*args, **kwargs):  # the header row is written; its parts never are
        sys.stdout.write("header written\\n"); sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    BaselineItemRow.insert_many = die
    scope = Scope("ib", Backend.SIM, Mode.SIM).with_account("DU1234567")
    with use_database(sys.argv[1]), use_scope(scope):
        baselines.record_baseline(Baseline(
            taken_at=datetime(2026, 1, 5, tzinfo=UTC), base_currency="AUD",
            holdings=(BaselineHolding("BHP/AUD", Decimal(100), Decimal(45), "AUD", None),),
        ))
    """
)


def test_a_process_killed_between_the_parts_leaves_no_half_baseline(db_url: str) -> None:
    with use_database(db_url):
        pass  # migrated before the child starts
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run(
        [sys.executable, "-c", _KILL_BETWEEN_PARTS, db_url],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "header written" in child.stdout
    with use_database(db_url), use_scope(SIM):
        assert BaselineRow.select().count() == 0
        assert BaselineItemRow.select().count() == 0
        assert baselines.current_baseline() is None
        taken = baselines.record_baseline(_baseline("1"))  # the next command takes it whole
        assert taken.generation == 1 and taken.holdings

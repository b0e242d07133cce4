"""A ``trader place --stop --target`` process SIGKILLed mid-bracket: the retry sends each leg once.

Real processes against a standalone SIMULATED gateway; the kill comes from the order service's
test-only crash points: after the three legs are committed (nothing sent yet), and after the
bracket was handed to the venue but before its acknowledgement was recorded.
"""

from __future__ import annotations

import json
import signal

import pytest

from .test_process_killed_mid_order import db, trader, venue_refs, world

__all__ = ["world"]  # the standalone gateway fixture

# the entry rests 30% under the market (past the price band on purpose): its children wait
BRACKET = ("place", "BHP/AUD", "buy", "20", "--limit", "30.00", "--allow-far-limit",
           "--stop", "29.00", "--target", "31.00", "--timeout", "1")


@pytest.mark.parametrize("crash", ["after-bracket-intent", "after-bracket-submit"])
def test_killed_mid_bracket_then_the_retry_leaves_one_of_each_leg(world, crash) -> None:
    env, _ = world
    stem = f"trd-kb-{crash.removeprefix('after-bracket-')}"
    killed = trader(env, *BRACKET, "--client-order-id", stem, crash=crash)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    legs = [f"{stem}-{leg}" for leg in "EST"]
    rows = db(env, "select client_order_id, status, submitted_at is null from orders "
                   "order by id")
    assert [(cid, status) for cid, status, _ in rows] == [(cid, "pending") for cid in legs]
    assert {unsent for *_, unsent in rows} == {crash == "after-bracket-intent"}

    # another API client id: IB's own session cannot recognise the legs, only our records can
    again = trader({**env, "IB_CLIENT_ID": "5"}, *BRACKET, "--client-order-id", stem, "--json")
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert result["resumed"] is True
    assert result["order"]["status"] == "open"
    assert [c["clientOrderId"] for c in result["children"]] == legs[1:]

    assert [venue_refs(env, cid) for cid in legs] == [1, 1, 1]
    assert db(env, "select count(*) from orders where status = 'open'") == [(3,)]

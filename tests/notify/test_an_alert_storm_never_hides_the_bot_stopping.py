"""An alert storm (a burst of rejected orders) fills the per-minute cap; the alerts dropped by it
must still reach a person when the command ends: above all "bot stopped", after which no later
alert would ever carry the "N suppressed" note. Sent to a real HTTP receiver on loopback."""

from __future__ import annotations

from trader_cli.notify.alerts import bot_stopped, order_final
from trader_cli.notify.notifier import Notifier


def test_alerts_dropped_by_the_cap_are_summed_up_when_the_command_ends(receiver) -> None:
    n = Notifier([receiver.url()], label="SIMULATED sim DU****567", max_per_minute=2)
    storm = [
        order_final(f"trd-x-{i}", "BHP/AUD", "buy", "100", "rejected", "SIMULATED rejection")
        for i in range(4)
    ]
    admitted = [n.notify(a) for a in storm if a is not None]
    assert admitted == [True, True, False, False]
    assert n.notify(bot_stopped("the venue stayed down", 12)) is False  # over the cap

    n.close(timeout=10)

    assert len(receiver.posts) == 3, receiver.titles()
    summary = receiver.posts[-1]
    assert "suppressed" in summary.title
    assert "bot stopped" in summary.message
    assert summary.message.count("order rejected") == 2

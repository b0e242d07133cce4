"""The badge: one colour per mode, and LIVE larger, framed and saying it is real money."""

from __future__ import annotations

import re

import pytest


def _header(badge: str) -> None:
    from datetime import UTC, datetime

    from trader_cli.dashboard.page import header
    from trader_cli.services.status_model import StatusReport

    header(StatusReport(
        venue="ib", backend="api", mode=badge.lower(), badge=badge, account="U****567",
        base_currency="AUD", as_of=datetime(2026, 11, 30, 1, tzinfo=UTC), source="venue",
    ))


def _badge_html(badge: str) -> str:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_header, kwargs={"badge": badge}, default_timeout=60).run()
    assert not at.exception
    [html] = [m.value for m in at.markdown if "trader-badge" in m.value]
    return html


def _style(html: str, prop: str) -> str:
    found = re.search(rf"{prop}:([^;\"]+)", html)
    assert found, html
    return found.group(1)


def test_each_mode_has_its_own_colour_and_live_stands_out() -> None:
    pytest.importorskip("streamlit")
    shown = {b: _badge_html(b) for b in ("LIVE", "PAPER", "SIMULATED", "REPLAY")}
    colours = {b: _style(h, "background") for b, h in shown.items()}
    assert len(set(colours.values())) == 4, colours
    assert ">LIVE: real money, real orders<" in shown["LIVE"]
    assert 'data-badge="LIVE"' in shown["LIVE"]
    assert _style(shown["LIVE"], "border") != "none"
    red, green, blue = (int(colours["LIVE"][i : i + 2], 16) for i in (1, 3, 5))
    assert red > 2 * max(green, blue), f"LIVE is not red: {colours['LIVE']}"
    live_size = float(_style(shown["LIVE"], "font-size").removesuffix("rem"))
    for badge in ("PAPER", "SIMULATED", "REPLAY"):
        assert "LIVE" not in shown[badge]
        assert _style(shown[badge], "border") == "none"
        assert float(_style(shown[badge], "font-size").removesuffix("rem")) < live_size

"""The dashboard's commission estimator: ``trader place SYMBOL SIDE QTY --market --dry-run``.

It builds the order spec as ``place`` does (:func:`~trader_cli.services.place.check_place_input`
with ``--market``: a marketable limit where the venue takes no market orders) and calls the same
:func:`~trader_cli.services.preview.place_dry_run`, which never sends.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import streamlit as st

from trader_cli.dashboard.widgets import VENUE_LOCK, show_error, table
from trader_cli.domain import display as d
from trader_cli.domain.models import Side
from trader_cli.errors import TraderError
from trader_cli.redaction import redact

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.risk import Check
    from trader_cli.services.preview import OrderPreview


def estimate(settings: Settings, symbol: str, side: Side, quantity: str) -> OrderPreview:
    """The dry-run preview of a market (or marketable-limit) order; nothing is sent."""
    from trader_cli.services.place import check_place_input
    from trader_cli.services.preview import place_dry_run

    spec = check_place_input(settings, symbol, quantity, None, True)
    with VENUE_LOCK:
        return asyncio.run(place_dry_run(settings, symbol, side, quantity, spec))


def check_result(check: Check) -> str:
    """A check's result as ``place --dry-run`` shows it: one that did not run never passes."""
    if not check.evaluated:
        return "not run"
    return "waived" if check.waived else "pass" if check.passed else "FAIL"


def estimator_section(settings: Settings) -> None:
    """A form (symbol, side, quantity) and the preview it gives."""
    st.subheader("Commission estimator")
    st.caption(
        "What `trader place SYMBOL SIDE QTY --market --dry-run` shows: the price it would "
        "trade at, its commission and every check. Nothing is sent."
    )
    symbols = [str(s) for s in settings.allowed_symbols]
    with st.form("estimator"):
        cols = st.columns(3)
        symbol = cols[0].selectbox("symbol", symbols, key="est_symbol")
        side = cols[1].selectbox("side", [s.value for s in Side], key="est_side")
        quantity = cols[2].text_input("quantity", key="est_qty", placeholder="e.g. 100")
        asked = st.form_submit_button("Estimate (sends nothing)")
    if not asked or symbol is None:
        return
    try:
        preview = estimate(settings, symbol, Side(side), quantity.strip())
    except TraderError as e:
        show_error(e)
        return
    show_preview(preview, settings.base_currency)


def show_preview(p: OrderPreview, base: str) -> None:
    """The estimate: commission, value, price and the checks."""
    sym = p.symbol
    cols = st.columns(4)
    cols[0].metric("commission (est.)",
                   d.money_text(p.commission.money) if p.commission else "unknown")
    cols[1].metric(f"commission ({base})", d.money_text(p.commission_base) or "unknown")
    cols[2].metric("notional", d.money_text(p.notional) or "unknown")
    cols[3].metric(f"notional ({base})", d.money_text(p.notional_base) or "unknown")
    price = f"at {d.price_text(p.price, sym)}" if p.price is not None else "at the market"
    st.markdown(
        f"{p.side.value} {d.quantity_text(p.quantity, sym)} {sym} as a **{p.order_type.value}** "
        f"order {price} ({p.price_note}); bid {d.price_text(p.quote.bid, sym)} / ask "
        f"{d.price_text(p.quote.ask, sym)}; market {'OPEN' if p.market_open else 'CLOSED'}: "
        f"{p.market.note}"
    )
    table([(c.name, check_result(c), redact(c.message)) for c in p.checks],
          ("check", "result", "detail"))
    if not p.allowed:
        failed = [c.name for c in p.checks if not c.passed and not c.waived]
        st.error(f"place would refuse this order ({', '.join(failed)}); nothing was sent")
    else:
        st.success("every check passes; nothing was sent (estimate only)")
    for note in p.notes:
        st.warning(redact(note))

"""``trader place`` for real: preview (every check), then the order service, then wait for fills."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trader_cli.db import store
from trader_cli.domain.display import money_exact_json, price_json, quantity_json, time_json
from trader_cli.domain.display_models import order_json, symbol_of
from trader_cli.domain.models import Fee, FeeSource, Liquidity, Order, Side
from trader_cli.domain.orders import OrderSpec, TimeInForce, no_price_given, spec_from_flags
from trader_cli.errors import InputError, InvalidOrderError, TemporaryError
from trader_cli.services.context import TradingContext
from trader_cli.services.orders import ORDER_LOCK_WAIT, OrderIntent
from trader_cli.services.pnl import daily_pnl
from trader_cli.services.preview import OrderPreview, parse_price, parse_quantity, preview_order

if TYPE_CHECKING:
    from trader_cli.config import Settings
    from trader_cli.db.models import FillRow

_CID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")


@dataclass
class PlaceResult:
    """The preview (None when resuming an existing order), the order and its fills."""

    preview: OrderPreview | None
    order: Order
    fills: list[dict[str, str]] = field(default_factory=list)
    resumed: bool = False
    # maker, taker, "maker+taker" across fills; None before a fill (or where the venue
    # does not say)
    liquidity: str | None = None
    # a bracket's stop and target children as the venue acknowledged them (none: no bracket)
    children: list[Order] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe result."""
        fee = self.order.fee
        data: dict[str, Any] = {
            "ok": True,
            "dryRun": False,
            "resumed": self.resumed,
            "order": order_json(self.order),
            "fills": self.fills,
            "commission": None
            if fee is None
            else {
                "cost": money_exact_json(fee.cost, fee.currency),
                "currency": fee.currency,
                "source": fee.source.value,
                "liquidity": self.liquidity,
            },
        }
        if self.preview is not None:
            data["preview"] = self.preview.to_dict()
        if self.children:
            data["children"] = [order_json(o) for o in self.children]
        return data


def check_client_order_id(cid: str, prefix: str) -> str:
    """A caller-chosen client order id must carry our prefix (else resync calls it external)."""
    if not _CID_RE.match(cid) or not cid.startswith(f"{prefix}-"):
        raise InputError(
            f"client order id {cid!r} must start with '{prefix}-' and use letters, digits, '.', "
            "'_' or '-' (at most 48 characters)",
            hint=f"e.g. {prefix}-manual-1; CLIENT_ORDER_PREFIX sets the prefix",
        )
    return cid


def check_place_input(
    settings: Settings,
    symbol: str,
    quantity: str,
    limit_price: str | None,
    market: bool,
    client_order_id: str | None = None,
    *,
    tif: TimeInForce | None = None,
    post_only: bool = False,
    stop: str | None = None,
    target: str | None = None,
) -> OrderSpec | None:
    """Every check of ``place``'s own input, before the database or the venue is opened.

    Returns the order spec ``--limit``/``--market`` (with ``--tif``, ``--post-only``) ask for:
    None only when neither is given and a ``client_order_id`` names the order to resume. Raises
    ``InputError`` (exit 2): so a bad symbol, quantity, price, time in force or client order id
    never gets as far as a session row or a connection.
    """
    from trader_cli.domain.symbols import parse_symbol

    sym = parse_symbol(symbol)
    if market and limit_price is not None:
        raise InvalidOrderError("give either --limit PRICE or --market, not both")
    if not market and limit_price is None and client_order_id is None:
        raise no_price_given()
    parse_quantity(quantity, sym)
    price = parse_price(limit_price)
    if client_order_id is not None:
        check_client_order_id(client_order_id, settings.core.client_order_prefix)
    if stop is not None or target is not None:
        parse_bracket_prices(stop, target)
        if market:
            raise InvalidOrderError(
                "a bracket's entry is a limit: --stop and --target go with --limit",
                hint="give --limit PRICE instead of --market",
            )
    if not market and price is None:
        if tif is not None or post_only:
            raise InvalidOrderError(
                "--tif and --post-only describe a new order: a resumed order keeps its own",
                hint="add --limit PRICE or --market, or drop --tif/--post-only",
            )
        return None
    return spec_from_flags(price, market, tif, post_only=post_only)


def parse_bracket_prices(
    stop: str | None, target: str | None
) -> tuple[Decimal | None, Decimal | None]:
    """``--stop`` and ``--target`` as positive prices (None where not given); exit 2 if bad."""
    from trader_cli.domain.inputs import MAX_PRICE, NumberInputError, parse_plain_decimal

    out: list[Decimal | None] = []
    for flag, text in (("--stop", stop), ("--target", target)):
        if text is None:
            out.append(None)
            continue
        try:
            out.append(parse_plain_decimal(
                text, name=f"{flag} price", example=f"{flag} 45.10", maximum=MAX_PRICE))
        except NumberInputError as e:
            raise InvalidOrderError(e.message, hint=e.hint) from None
    return out[0], out[1]


def retry_hint(cid: str) -> str:
    """How to settle an order whose outcome we did not see, and how to retry it safely."""
    return (
        f"run `trader resync` to settle it; to retry safely, run the same command again with "
        f"--client-order-id {cid}: that resumes this order instead of sending a second one"
    )


def may_be_live(cid: str | None, error: TemporaryError) -> TemporaryError:
    """``error`` reworded when order ``cid`` was already sent: it may be live at the venue."""
    row = store.find_order_by_client_id(cid) if cid else None
    if cid is None or row is None or row.submitted_at is None:
        return error  # nothing left this process: the plain error says it all
    return TemporaryError(
        f"order {cid} may be live at the venue: it was sent, then the link failed "
        f"({error.message})",
        code=error.code,
        hint=retry_hint(cid),
    )


async def place(
    ctx: TradingContext,
    symbol: str,
    side: Side,
    quantity: str,
    spec: OrderSpec | None,
    *,
    client_order_id: str | None = None,
    wait_seconds: float = 30.0,
    on_update: Callable[[Order], None] | None = None,
    allow_far_limit: bool = False,
    stop: Decimal | None = None,
    target: Decimal | None = None,
) -> PlaceResult:
    """Check, record, send once, and wait up to ``wait_seconds`` for the order to finish.

    ``spec`` is the order asked for (:func:`check_place_input` builds it from ``--limit`` or
    ``--market``). With ``client_order_id`` of an order already recorded, nothing is re-checked
    or re-sent blindly: the existing order is resumed (sent only if it provably never left);
    only then may ``spec`` be None.
    ``allow_far_limit`` lets a limit outside the price band through to the other checks.

    With a ``stop`` and/or ``target`` the order is a bracket held by the venue: the entry
    (``<id>-E``) with its stop (``<id>-S``) and target (``<id>-T``) children in one OCA group,
    through the same checks (the stop valued at its trigger); ``client_order_id`` is then the
    bracket's id, and re-running with it resumes the bracket.
    """
    if stop is not None or target is not None:
        return await _place_bracket(
            ctx, symbol, side, quantity, spec, stop, target, client_order_id=client_order_id,
            wait_seconds=wait_seconds, on_update=on_update, allow_far_limit=allow_far_limit,
        )
    from trader_cli.domain.symbols import parse_symbol

    sym = parse_symbol(symbol)
    qty = parse_quantity(quantity, sym)
    cid = None
    if client_order_id is not None:
        cid = check_client_order_id(client_order_id, ctx.settings.core.client_order_prefix)
    preview: OrderPreview | None = None
    existing = store.find_order_by_client_id(cid) if cid is not None else None
    resumed = existing is not None
    if existing is not None:
        # the order as recorded decides; the order service resumes it
        intent = OrderIntent(sym, side, qty, existing.type, existing.price, cid, reason="place")
    else:
        if spec is None:
            raise no_price_given()
        preview = await preview_order(
            ctx.venue,
            ctx.settings,
            sym,
            side,
            qty,
            spec,
            daily_pnl=daily_pnl(ctx),
            allow_far_limit=allow_far_limit,
            exact_price=True,
            baseline=ctx.baseline,
        )
        preview.raise_if_refused()
        spec = preview.require_spec()
        # named before anything is sent, so a failure below can say which order may be live
        cid = cid or ctx.orders.next_client_order_id()
        intent = OrderIntent.of(sym, side, qty, spec, client_order_id=cid, reason="place")
    try:
        # a concurrent command with the same id may have created it first: then it is resumed
        submission = await ctx.orders.submit_once(
            intent, lock_wait=max(wait_seconds, ORDER_LOCK_WAIT)
        )
        order = submission.order
        resumed = resumed or submission.resumed
        if on_update is not None:
            on_update(order)
        if not order.status.is_final and wait_seconds > 0:
            order = await ctx.orders.wait(
                order.client_order_id, within=wait_seconds, on_update=on_update
            )
    except TemporaryError as e:
        raise may_be_live(intent.client_order_id, e) from e
    return _result(preview, order, resumed)


def _result(
    preview: OrderPreview | None, order: Order, resumed: bool, children: list[Order] | None = None
) -> PlaceResult:
    rows = store.fills_for_order(order.client_order_id)
    shown = symbol_of(order.symbol)
    fills = [
        {
            "id": f.venue_fill_id,
            "price": price_json(f.price, shown) or "",
            "amount": quantity_json(f.amount, shown) or "",
            "commission": ""
            if f.commission is None
            else money_exact_json(f.commission, f.commission_currency) or "",
            "commissionCurrency": f.commission_currency or "",
            "liquidity": f.liquidity.value,
            "timestamp": time_json(f.timestamp) or "",
        }
        for f in rows
    ]
    if order.fee is None:
        order.fee = fee_of_fills(rows)  # Gemini's orders carry no fee: their fills do
    return PlaceResult(preview, order, fills, resumed, liquidity_of_fills(rows), children or [])


async def _place_bracket(
    ctx: TradingContext,
    symbol: str,
    side: Side,
    quantity: str,
    spec: OrderSpec | None,
    stop: Decimal | None,
    target: Decimal | None,
    *,
    client_order_id: str | None,
    wait_seconds: float,
    on_update: Callable[[Order], None] | None,
    allow_far_limit: bool,
) -> PlaceResult:
    """``place`` of a bracket: preview with the bracket's checks, record the legs, send once."""
    from trader_cli.domain.symbols import parse_symbol
    from trader_cli.services.brackets import ENTRY, leg_id, oca_group
    from trader_cli.services.orders import BracketIntent
    from trader_cli.services.protection import intent_of_row, submit_bracket_entry

    sym = parse_symbol(symbol)
    qty = parse_quantity(quantity, sym)
    stem = None
    if client_order_id is not None:
        stem = check_client_order_id(client_order_id, ctx.settings.core.client_order_prefix)
    existing = store.find_order_by_client_id(leg_id(stem, ENTRY)) if stem else None
    preview: OrderPreview | None = None
    try:
        if existing is not None and stem is not None:
            # the bracket as recorded decides; the order service resumes it
            group = oca_group(stem)
            rows = [existing, *store.orders_in_oca_group(group)]
            intents = [intent_of_row(r) for r in rows]
            legs = await ctx.orders.submit_bracket(
                BracketIntent(stem, group, tuple(intents[1:]), intents[0]),
                lock_wait=max(wait_seconds, ORDER_LOCK_WAIT),
            )
        else:
            if spec is None:
                raise no_price_given()
            preview = await preview_order(
                ctx.venue, ctx.settings, sym, side, qty, spec, daily_pnl=daily_pnl(ctx),
                allow_far_limit=allow_far_limit, exact_price=True, baseline=ctx.baseline,
                stop=stop, target=target,
            )
            preview.raise_if_refused()
            stem = stem or ctx.orders.next_client_order_id()
            legs = await submit_bracket_entry(
                ctx, sym, side, qty, preview.require_spec(), stop, target, stem=stem,
                reason="place",
            )
        entry = legs[0]
        if on_update is not None:
            on_update(entry)
        if not entry.status.is_final and wait_seconds > 0:
            entry = await ctx.orders.wait(
                entry.client_order_id, within=wait_seconds, on_update=on_update
            )
    except TemporaryError as e:
        raise may_be_live(leg_id(stem, ENTRY) if stem else None, e) from e
    children = []
    for leg in legs[1:]:
        row = store.find_order_by_client_id(leg.client_order_id)
        if row is not None:
            child = store.order_from_row(row)
            if row.stop_price is not None:  # the trigger: an order model has no field for it
                trigger = price_json(row.stop_price, symbol_of(row.symbol))
                child.info = {**(child.info or {}), "stopPrice": trigger}
            children.append(child)
    return _result(preview, entry, existing is not None, children)


def fee_of_fills(rows: list[FillRow]) -> Fee | None:
    """The fills' commissions added up, when every fill has one in one currency (else None)."""
    costs: list[Decimal] = [r.commission for r in rows if r.commission is not None]
    currencies: set[str] = {r.commission_currency for r in rows if r.commission_currency}
    if not rows or len(costs) != len(rows) or len(currencies) != 1:
        return None
    sources = {r.commission_source for r in rows}
    source = FeeSource.VENUE if sources == {FeeSource.VENUE} else FeeSource.ESTIMATE
    return Fee(sum(costs, Decimal(0)), currencies.pop(), source)


def liquidity_of_fills(rows: list[FillRow]) -> str | None:
    """``maker``, ``taker`` or ``maker+taker`` from the fills (None: no fill says)."""
    known = {r.liquidity for r in rows} - {Liquidity.UNKNOWN}
    if not known:
        return None
    return "+".join(sorted(v.value for v in known))

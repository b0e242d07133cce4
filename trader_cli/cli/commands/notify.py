"""``trader notify --test``: one test alert to every ``NOTIFY_URLS`` URL, each outcome shown."""

from __future__ import annotations

from typing import Annotated

import typer

from trader_cli.cli.app import EnvFileOpt, JsonOpt, VenueOpt, VerboseOpt, state


def notify(
    ctx: typer.Context,
    test: Annotated[
        bool, typer.Option("--test", help="Send one test alert to every configured URL.")
    ] = False,
    venue: VenueOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Check that alerts reach you: send a test alert to every NOTIFY_URLS URL.

    Prints each URL (its tokens masked) with the outcome. Exit 1 if any URL failed, 2 if
    NOTIFY_URLS is not set. Connects to no venue and sends no order.
    """
    from trader_cli.errors import ExitCode, InputError
    from trader_cli.services.alerting import send_test_alert

    st = state(ctx, venue, json_mode, env_file, verbose)
    if not test:
        raise InputError(
            "nothing to do", hint="trader notify --test sends a test alert to NOTIFY_URLS"
        )
    results = send_test_alert(st.settings())
    out = st.output
    if st.json_mode:
        out.json({"results": [{"url": r.url, "ok": r.ok, "error": r.error} for r in results]})
    else:
        out.table(
            [(r.url, "sent" if r.ok else f"FAILED: {r.error}") for r in results],
            ("url", "result"),
            title="test alert",
        )
    if not all(r.ok for r in results):
        raise typer.Exit(int(ExitCode.FAILURE))


def register(app: typer.Typer) -> None:
    """Add ``notify`` to ``app``."""
    app.command("notify")(notify)

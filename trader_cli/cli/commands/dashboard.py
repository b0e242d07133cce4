"""``trader dashboard``: ``trader status`` as a Streamlit web page (the ``dashboard`` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from trader_cli.cli.app import (
    EnvFileOpt,
    ReplayOpt,
    SimOpt,
    VenueOpt,
    VerboseOpt,
    state,
)
from trader_cli.cli.params import seconds, whole
from trader_cli.dashboard import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_REFRESH,
    MAX_REFRESH,
    MIN_REFRESH,
)


def dashboard(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to serve on. Anything but loopback needs DASHBOARD_PASSWORD set.",
        ),
    ] = DEFAULT_HOST,
    port: Annotated[
        int,
        typer.Option("--port", parser=whole("--port", 1, 65535, example="8501"), help="TCP port."),
    ] = DEFAULT_PORT,
    refresh: Annotated[
        float,
        typer.Option(
            "--refresh",
            parser=seconds("--refresh", MIN_REFRESH, MAX_REFRESH, example="15"),
            metavar="SECONDS",
            help=f"Seconds between refreshes of the page ({MIN_REFRESH:g}-{MAX_REFRESH:g}).",
        ),
    ] = DEFAULT_REFRESH,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Read the database only; never contact the venue (e.g. beside a running bot).",
        ),
    ] = False,
    venue: VenueOpt = None,
    sim: SimOpt = False,
    replay: ReplayOpt = None,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Serve `trader status` as a web page that refreshes itself, with a commission estimator.

    Read-only: the page never sends, cancels or changes an order. Binds 127.0.0.1 by default;
    any other --host is refused (exit 2) unless DASHBOARD_PASSWORD is set, and then the page asks
    for it. Needs the dashboard extra: pip install 'trader-cli[dashboard]'. Ctrl-C stops it.
    """
    import sys

    from trader_cli.dashboard.launch import (
        DashboardOptions,
        check_host,
        require_streamlit,
        serve,
    )
    from trader_cli.services.venue import check_backend_available

    st = state(ctx, venue, False, env_file, verbose, sim=sim, replay=replay)
    settings = st.settings()
    host = host.strip()
    check_host(host, settings)
    check_backend_available(settings)
    require_streamlit()
    backend, replay_dir = st.backend()
    options = DashboardOptions(
        venue=None if st.venue is None else st.venue.value,
        backend=backend,
        replay_dir=replay_dir,
        env_file=st.env_file,
        refresh=refresh,
        offline=offline,
    )
    shown = f"[{host}]" if ":" in host else host
    out = st.output

    name, chosen = settings.venue_name, settings.backend.value
    scope = name if chosen in ("api", name) else f"{name} {chosen}"

    def started() -> None:
        out.info(
            f"dashboard of {scope} at "
            f"http://{shown}:{port}, refreshing every {refresh:g}s; read-only; Ctrl-C stops it"
        )

    code = serve(options, host, port, echo=sys.stderr, on_start=started)
    if code != 0:
        from trader_cli.errors import TraderError

        raise TraderError(
            f"the dashboard server stopped with exit code {code} (its output is above)",
            hint=f"if port {port} is in use, pick another with --port",
        )


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` to ``app``."""
    app.command("dashboard")(dashboard)

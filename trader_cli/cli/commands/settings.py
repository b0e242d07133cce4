"""``trader config``: the effective settings, each with its source, secrets masked."""

from __future__ import annotations

from typing import Any

import typer

from trader_cli.cli.app import EnvFileOpt, JsonOpt, VenueOpt, VerboseOpt, state


def config(
    ctx: typer.Context,
    venue: VenueOpt = None,
    json_mode: JsonOpt = False,
    env_file: EnvFileOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Show the effective settings, where each comes from, and where state is kept.

    Sources: --venue, environment, the .env file (--env-file, TRADER_ENV_FILE, ./.env or the
    app dir's .env, the first that exists), default. Secrets and URL passwords show as ***,
    account ids masked. Also the app dir, the database and the sim world this venue and mode
    use. Connects to nothing; exit 2 if a setting is invalid or a named env file is missing.
    """
    from trader_cli.services.settings_report import settings_report

    st = state(ctx, venue, json_mode, env_file, verbose)
    report = settings_report(st.settings())
    out = st.output
    if st.json_mode:
        out.json(report.to_dict())
        return
    groups: dict[str, list[Any]] = {}
    for line in report.lines:
        value = "(unset)" if line.value is None else line.value
        if isinstance(value, bool):
            value = str(value).lower()
        groups.setdefault(line.group, []).append((line.name, value, line.source))
    for group, rows in groups.items():
        out.table(rows, ("setting", "value", "source"), title=group)
    derived = report.derived
    out.fields(
        {
            ".env file": (
                f"{report.env_file} (from {derived['envFileFrom']})"
                if report.env_file is not None
                else "none (no --env-file, TRADER_ENV_FILE unset, no ./.env, no .env in the "
                "app dir)"
            ),
            "app dir": derived["appDir"],
            "venue / mode": derived["scope"],
            "database": derived["database"],
            "sim world": derived["simWorld"] or "not saved (SIM_PERSIST=false)",
        },
        title="where this invocation reads and keeps state",
    )


def register(app: typer.Typer) -> None:
    """Add ``config`` to ``app``."""
    app.command("config")(config)

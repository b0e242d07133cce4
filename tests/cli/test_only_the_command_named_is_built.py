"""A run builds the parser of the one command it names (Typer builds every registered command's
on each run); root help, unknown names and their suggestions still see the whole app."""

from __future__ import annotations

import pytest

from trader_cli.cli.app import app, app_for


def _built(args: list[str]) -> list[str] | None:
    """The commands ``args`` get (None: the whole app)."""
    found = app_for(args)
    return None if found is app else [c.name or "" for c in found.registered_commands]


@pytest.mark.parametrize(
    ("args", "built"),
    [
        (["place", "AUD/USD", "buy", "25000", "--market"], ["place"]),
        (["--venue", "ib", "flatten", "AUD/USD"], ["flatten"]),
        (["--venue=ib", "--json", "resync"], ["resync"]),
        (["-vv", "--env-file", "resync", "status"], ["status"]),  # a value that names a command
        (["--replay", "rec", "--log-file", "x.log", "quote", "BHP/AUD"], ["quote"]),
        (["place", "--help"], ["place"]),  # the command's own help needs only the command
        (["--help", "place"], None),  # root help lists every command
        (["-h"], None),
        (["--version", "place"], None),
        (["plac", "AUD/USD"], None),  # "No such command" and its suggestions
        ([], None),
        (["--json"], None),
    ],
)
def test_the_command_named_is_the_one_built(args: list[str], built: list[str] | None) -> None:
    assert _built(args) == built


def test_the_one_command_app_keeps_the_root_options_and_the_whole_app_is_untouched() -> None:
    import typer.main

    one = app_for(["resync"])
    group = typer.main.get_command(one)
    assert sorted(group.commands) == ["resync"]  # type: ignore[attr-defined]
    assert {"--venue", "--json", "--env-file", "--log-file"} <= {
        opt for p in group.params for opt in p.opts
    }
    assert len(typer.main.get_command(app).commands) > 10  # type: ignore[attr-defined]


def test_a_misspelt_command_still_gets_suggestions(trader) -> None:
    r = trader("plac", "AUD/USD")
    assert r.code == 2
    assert "place" in r.err


def test_root_options_before_the_command_still_apply(trader, clean_env) -> None:
    r = trader("--json", "--venue", "sim", "place", "AUD/USD", "buy", "0.5", "--market")
    assert r.code == 2
    assert '"ok": false' in r.out  # --json given before the command

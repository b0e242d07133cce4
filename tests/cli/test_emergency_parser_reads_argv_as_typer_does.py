"""``place``, ``flatten`` and ``resync`` have their own parser (no typer on the emergency path):
for every command line it reads, it gives exactly the values Typer passes the command (the root
options and every parameter, types included); every command line it declines goes to Typer.

Typer's side is the real app (what the program runs) with the commands' bodies replaced by a
recorder; a corpus of command lines per command, then hypothesis over the option tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trader_cli.cli import lean
from trader_cli.cli.app import app_for
from trader_cli.cli.commands import books, place_order
from trader_cli.cli.state import AppState

BODIES = {
    "place": (place_order, "place_command"),
    "flatten": (books, "flatten_command"),
    "resync": (books, "resync_command"),
}

Call = tuple[str, dict[str, Any], dict[str, Any]]


def _typed(values: dict[str, Any]) -> dict[str, tuple[type, Any]]:
    """Values with their types: 30 and 30.0, or "ib" and VenueChoice.IB, are not the same."""
    return {k: (type(v), v) for k, v in values.items()}


def typer_call(args: list[str]) -> Call | None:
    """What the Typer app passes the command's body for ``args`` (None: it never calls it)."""
    import typer
    import typer._click.exceptions as click_errors

    seen: list[Call] = []

    def recorder(name: str) -> Any:
        def record(root: AppState, **params: Any) -> None:
            state = {f.name: getattr(root, f.name) for f in fields(AppState)
                     if not f.name.startswith("_")}
            seen.append((name, state, params))

        return record

    with (
        mock.patch.object(place_order, "place_command", recorder("place")),
        mock.patch.object(books, "flatten_command", recorder("flatten")),
        mock.patch.object(books, "resync_command", recorder("resync")),
    ):
        try:
            app_for(args)(args=args, prog_name="trader", standalone_mode=False)
        except (click_errors.ClickException, typer.Exit, typer.Abort):
            return None
    return seen[0] if seen else None


def lean_call(args: list[str]) -> Call | None:
    parsed = lean.parse(args)
    return None if parsed is None else (parsed.command, parsed.root, parsed.params)


def assert_same(args: list[str]) -> Call | None:
    """The two parsers agree on ``args``; returns the call (None: declined, and Typer too)."""
    ours, theirs = lean_call(args), typer_call(args)
    if ours is None:
        assert theirs is None, f"declined {args}, which Typer runs as {theirs}"
        return None
    assert theirs is not None, f"read {args}, which Typer refuses"
    assert ours[0] == theirs[0]
    assert _typed(ours[1]) == _typed(theirs[1]), args
    assert _typed(ours[2]) == _typed(theirs[2]), args
    return ours


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A directory, a file and a missing path; the cwd is their folder (relative paths too)."""
    base = tmp_path_factory.mktemp("argv")
    (base / "rec").mkdir()
    (base / "trader.env").write_text("MAX_ORDER_VALUE=1\n")
    cwd = Path.cwd()
    os.chdir(base)
    try:
        yield {"dir": str(base / "rec"), "file": str(base / "trader.env"),
               "missing": str(base / "nothing" / "x.log"), "base": str(base)}
    finally:
        os.chdir(cwd)


PLACE = ["place", "AUD/USD", "buy", "25000"]

CORPUS = [
    # every option alone
    [*PLACE],
    [*PLACE, "--market"],
    [*PLACE, "--limit", "0.65"],
    [*PLACE, "--limit=0.65"],
    [*PLACE, "--limit", "-1"],  # a value, however it looks
    [*PLACE, "--limit="],
    [*PLACE, "--tif", "ioc"],
    [*PLACE, "--tif", "GTC"],
    [*PLACE, "--tif=Day"],
    [*PLACE, "--post-only"],
    [*PLACE, "--stop", "0.6", "--target", "0.7"],
    [*PLACE, "--allow-far-limit"],
    [*PLACE, "--dry-run"],
    [*PLACE, "--client-order-id", "trd-x-1"],
    [*PLACE, "--timeout", "0"],
    [*PLACE, "--timeout", "86400"],
    [*PLACE, "--timeout", "2.5"],
    [*PLACE, "--timeout=7"],
    [*PLACE, "--live"],
    [*PLACE, "--venue", "ib"],
    [*PLACE, "--venue", "gemini"],
    [*PLACE, "--sim"],
    [*PLACE, "--json"],
    [*PLACE, "-v"],
    [*PLACE, "-vvv"],
    [*PLACE, "--verbose", "-v", "-vv"],
    ["place", "BHP/AUD", "SELL", "10"],
    ["place", "BHP/AUD", "Sell", "10", "--market"],
    ["place", "", "buy", ""],
    # options between the arguments, repeated, root and command copies both
    ["place", "--market", "AUD/USD", "--json", "buy", "-v", "25000"],
    [*PLACE, "--limit", "1", "--limit", "2"],
    [*PLACE, "--market", "--market"],
    ["--venue", "sim", "--json", "-vv", *PLACE, "--venue", "ib", "-v"],
    ["--verbose", "--sim", *PLACE],
    # flatten
    ["flatten", "AUD/USD"],
    ["flatten", "AUD/USD", "BHP/AUD", "ETH/USD"],
    ["flatten", "--all"],
    ["flatten"],
    ["flatten", "--all", "--include-baseline", "--market", "--live"],
    ["flatten", "AUD/USD", "--reprice", "0"],
    ["flatten", "AUD/USD", "--reprice", "10"],
    ["flatten", "AUD/USD", "--reprice=3"],
    ["flatten", "AUD/USD", "--wait", "0.5"],
    ["flatten", "AUD/USD", "--wait", "86400"],
    ["flatten", "--wait=2", "AUD/USD", "--json", "BHP/AUD"],
    ["--venue", "gemini", "flatten", "BTC/USD", "--venue", "sim", "-vv"],
    ["-v", "--json", "flatten", "--all", "--sim"],
    # resync
    ["resync"],
    ["resync", "--accept-positions"],
    ["resync", "--json", "-v"],
    ["--json", "resync"],
    ["-vv", "--venue", "ib", "resync", "--venue", "sim", "--verbose"],
    ["--sim", "resync", "--sim"],
]

# Typer refuses these, or does something else than run the command: the parser declines them
REFUSED = [
    ["place", "AUD/USD", "buy"],  # missing argument
    [*PLACE, "extra"],
    ["place", "AUD/USD", "hold", "25000"],
    [*PLACE, "--timeout", "-1"],
    [*PLACE, "--timeout", "86401"],
    [*PLACE, "--timeout", "inf"],
    [*PLACE, "--timeout"],  # no value
    [*PLACE, "--tif", "fok"],
    [*PLACE, "--venue", "IB"],  # the venue is case-sensitive
    [*PLACE, "--venue", "binance"],
    [*PLACE, "--log-file", "x.log"],  # place and flatten have it only before their name
    [*PLACE, "--market=yes"],
    [*PLACE, "--no-market"],
    [*PLACE, "--mark"],
    [*PLACE, "-x"],
    [*PLACE, "-vx"],
    [*PLACE, "-h"],
    [*PLACE, "--help"],
    ["place", "--help"],
    ["place", "-h", "AUD/USD"],
    ["resync", "-h"],
    ["resync", "--help"],
    ["--help", "resync"],
    ["-h", "flatten"],
    ["--version", "resync"],
    ["resync", "--version"],
    ["resync", "--bad-option"],
    ["resync", "extra"],
    ["flatten", "--bad-option"],
    ["flatten", "AUD/USD", "--reprice", "11"],
    ["flatten", "AUD/USD", "--reprice", "1.5"],
    ["flatten", "AUD/USD", "--wait", "0.4"],
    ["flatten", "AUD/USD", "--wait", "nan"],
    ["flatten", "AUD/USD", "--log-file", "x.log"],
    ["flatten", "-5"],
    ["--venue", "flatten", "resync"],  # "flatten" is the venue's (bad) value
    ["--bogus", "resync"],
    ["--sim=1", "resync"],
]


@pytest.mark.parametrize("args", CORPUS, ids=" ".join)
def test_each_command_line_gives_what_typer_passes(args: list[str], paths: dict[str, str]) -> None:
    assert assert_same(args) is not None, f"{args} was declined"


@pytest.mark.parametrize("args", REFUSED, ids=" ".join)
def test_what_typer_refuses_is_declined(args: list[str], paths: dict[str, str]) -> None:
    assert lean_call(args) is None
    assert typer_call(args) is None


def test_path_options_are_checked_as_typer_checks_them(paths: dict[str, str]) -> None:
    d, f, missing = paths["dir"], paths["file"], paths["missing"]
    read = [
        ["--replay", d, "resync"],
        ["resync", "--replay", d],
        ["resync", f"--replay={d}/"],
        ["--replay", "rec", "resync"],  # relative: resolved
        ["--env-file", f, *PLACE],
        ["--env-file", "trader.env", *PLACE],
        [*PLACE, "--env-file", missing],
        [*PLACE, "--env-file", d],  # a directory passes Typer's check (the settings refuse it)
        ["--log-file", missing, "resync"],
        ["resync", "--log-file", f],
        ["--log-file", "new.log", "flatten", "--all"],
    ]
    for args in read:
        assert assert_same(args) is not None, args
    refused = [
        ["--replay", missing, "resync"],
        ["--replay", f, "resync"],  # a file, not a directory
        ["resync", "--log-file", d],  # a directory
        ["resync", "--log-file", ""],
        [*PLACE, "--env-file", ""],
    ]
    for args in refused:
        assert lean_call(args) is None, args
    for args in refused[:3]:
        assert typer_call(args) is None, args


def test_what_the_parser_leaves_to_typer_on_purpose() -> None:
    """Forms Typer reads but this parser does not: Typer runs them, with the same result."""
    for args in (["flatten", "--", "AUD/USD"], ["flatten", "-"], [*PLACE[:-1], "--", "-5"]):
        assert lean_call(args) is None
    with mock.patch.dict(os.environ, {lean.COMPLETE_VAR: "bash_complete"}):
        assert lean_call([*PLACE]) is None  # shell completion is Typer's


# --- hypothesis: command lines built from the option tables --------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6
)
_NUMBER = st.one_of(
    st.sampled_from(["0", "0.5", "2", "10", "11", "86400", "86400.0", "86401", "-1", "1.5",
                     "1_0", "inf", "nan", "1e2", " 3", "", "abc", "\uff10", "0.4999"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.integers(-5, 100).map(str),
)
_VALUES: dict[str, st.SearchStrategy[str]] = {
    "venue": st.sampled_from(["ib", "gemini", "sim", "IB", "Sim", "", "bogus"]),
    "tif": st.sampled_from(["day", "gtc", "ioc", "DAY", "Gtc", "fok", "", "\u0131oc"]),
    "timeout": _NUMBER,
    "reprice": _NUMBER,
    "wait": _NUMBER,
}
_POSITIONAL = _TEXT.filter(lambda t: t not in ("-", "--"))
_SIDE = st.one_of(st.sampled_from(["buy", "sell", "BUY", "Sell", "\u017fell", "hold", ""]), _TEXT)


@st.composite
def _option(draw: st.DrawFn, opts: tuple[lean.Opt, ...], paths: dict[str, str]) -> list[str]:
    opt = draw(st.sampled_from(opts))
    if opt.kind is lean.Kind.COUNT:
        return [draw(st.sampled_from(["-v", "-vv", "-vvv", "--verbose"]))]
    if opt.kind is lean.Kind.FLAG:
        return [opt.names[0]]
    if opt.param in ("replay", "env_file", "log_file"):
        value = draw(st.sampled_from([paths["dir"], paths["file"], paths["missing"], "rec",
                                      "trader.env", "new.log"]))
    else:
        value = draw(_VALUES.get(opt.param, _TEXT))
    if draw(st.booleans()):
        return [f"{opt.names[0]}={value}"]
    return [opt.names[0], value]


@st.composite
def command_lines(draw: st.DrawFn, paths: dict[str, str]) -> list[str]:
    name = draw(st.sampled_from(sorted(lean.COMMANDS)))
    spec = lean.COMMANDS[name]
    before = draw(st.lists(_option(tuple(lean.ROOT.values()), paths), max_size=3))
    if spec.variadic:
        positionals = draw(st.lists(_POSITIONAL, max_size=3))
    elif name == "place":
        positionals = [draw(_POSITIONAL), draw(_SIDE), draw(_POSITIONAL)]
    else:
        positionals = []
    if positionals and draw(st.integers(0, 9)) == 0:  # now and then one too many or too few
        positionals = positionals[:-1] if draw(st.booleans()) else [*positionals, "x"]
    options = draw(st.lists(_option(spec.options, paths), max_size=5))
    tail = list(options)  # positionals go anywhere between the options, in their order
    at = 0
    for word in positionals:
        at = draw(st.integers(at, len(tail)))
        tail.insert(at, [word])
        at += 1
    return [arg for group in before for arg in group] + [name] + [a for w in tail for a in w]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_command_line_from_the_option_tables_reads_as_typer_reads_it(
    data: st.DataObject, paths: dict[str, str]
) -> None:
    assert_same(data.draw(command_lines(paths)))


def test_the_parser_knows_every_option_typer_declares_with_its_kind_and_default() -> None:
    """A new option on Typer's side would otherwise send every use of it to Typer (correct, but
    slow): the tables must list exactly Typer's options, kinds and defaults."""
    import typer.main

    from trader_cli.cli.app import app

    def kind(p: Any) -> lean.Kind:
        if getattr(p, "count", False):
            return lean.Kind.COUNT
        return lean.Kind.FLAG if getattr(p, "is_flag", False) else lean.Kind.VALUE

    def table(params: Any) -> dict[str, tuple[list[str], lean.Kind, Any]]:
        return {p.name: (sorted(p.opts + p.secondary_opts), kind(p), p.default)
                for p in params if p.param_type_name == "option" and p.name != "version"}

    def ours(opts: Any) -> dict[str, tuple[list[str], lean.Kind, Any]]:
        return {o.param: (sorted(o.names), o.kind, o.default) for o in opts}

    group = typer.main.get_command(app)
    assert table(group.params) == ours(lean.ROOT.values())
    for name, spec in lean.COMMANDS.items():
        command = group.commands[name]  # type: ignore[attr-defined]
        assert table(command.params) == ours(spec.options), name
        arguments = [p.name for p in command.params if p.param_type_name == "argument"]
        assert arguments == ([spec.variadic] if spec.variadic else [a for a, _ in spec.arguments])

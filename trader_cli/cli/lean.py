"""``place``, ``flatten`` and ``resync`` parsed without typer: the emergency path.

When seconds matter, loading Typer (its click, and pydantic for its option adapters) costs more
than the command's own parsing. :func:`parse` reads exactly these three commands' options and
the root options (before or after the command's name, as Typer takes them) and gives the
values Typer would pass to the command, or None for anything it is not certain of: help,
``--version``, an unknown option, a missing or extra argument, a value a parser refuses,
``--`` or ``-``, shell completion. None means Typer runs it, so every usage text, error message
and exit code stays Typer's; Typer stays the one definition of the command line (help,
completion, errors). Values go through the same converters as Typer's options (the parsers in
:mod:`trader_cli.cli.params`, the same enum rule), and tests pin every value to Typer's.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

from trader_cli.cli import program

# Typer answers shell completion when this is set (the program's name is ``trader``)
COMPLETE_VAR = "_TRADER_COMPLETE"

E = TypeVar("E", bound=Enum)


class Declined(Exception):
    """argv that Typer, not this parser, must read."""


class Kind(StrEnum):
    """How an option reads the command line."""

    FLAG = "flag"  # present: True
    COUNT = "count"  # each -v or --verbose adds one; -vv is two
    VALUE = "value"  # takes the next word, or the part after ``=``


@dataclass(frozen=True)
class Opt:
    """One option: the parameter it sets, its names, its kind, default and converter."""

    param: str
    names: tuple[str, ...]
    kind: Kind
    default: Any = None
    convert: Callable[[str], Any] | None = None  # VALUE only; raising declines the argv


@dataclass(frozen=True)
class Command:
    """One command: its options (the root ones it repeats among them) and positionals."""

    module: str  # where its typer-free body is
    body: str
    options: tuple[Opt, ...]
    arguments: tuple[tuple[str, Callable[[str], Any]], ...] = ()
    variadic: str | None = None  # the parameter that takes every positional (None if none)


@dataclass(frozen=True)
class Parsed:
    """What Typer would have passed: the root options and the command's parameters."""

    command: str
    root: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)

    def run(self) -> None:
        """Call the command's body with these values."""
        from trader_cli.cli.state import AppState

        spec = COMMANDS[self.command]
        body = getattr(import_module(spec.module), spec.body)
        body(AppState(**self.root), **self.params)


def choice(enum: type[E], *, case_sensitive: bool) -> Callable[[str], E]:
    """The member whose value is ``text`` (compared casefolded without ``case_sensitive``):
    the rule of Typer's enum options."""

    def norm(text: str) -> str:
        return text if case_sensitive else text.casefold()

    def convert(text: str) -> E:
        for member in enum:
            if norm(str(member.value)) == norm(text):
                return member
        raise Declined(text)

    return convert


def path(
    *, resolve: bool = False, exists: bool = False, file_okay: bool = True, dir_okay: bool = True
) -> Callable[[str], Path]:
    """A path option as Typer checks it (readable when it exists); anything it would refuse,
    or an empty or odd value, declines."""

    def convert(text: str) -> Path:
        if not text or "\0" in text:
            raise Declined(text)
        found: Path | str = Path(text)
        if resolve:
            found = os.path.realpath(found)
        try:
            st = os.stat(found)
        except OSError:
            if exists:
                raise Declined(text) from None
            return Path(found)
        if not file_okay and stat.S_ISREG(st.st_mode):
            raise Declined(text)
        if not dir_okay and stat.S_ISDIR(st.st_mode):
            raise Declined(text)
        if not os.access(found, os.R_OK):
            raise Declined(text)
        return Path(found)

    return convert


def text(value: str) -> str:
    """A plain string option or argument: as given."""
    return value


def _root_options() -> dict[str, Opt]:
    from trader_cli.domain.venues import VenueChoice

    opts = (
        Opt("venue", ("--venue",), Kind.VALUE, None, choice(VenueChoice, case_sensitive=True)),
        Opt("sim", ("--sim",), Kind.FLAG, False),
        Opt("replay", ("--replay",), Kind.VALUE, None,
            path(resolve=True, exists=True, file_okay=False)),
        Opt("json_mode", ("--json",), Kind.FLAG, False),
        Opt("env_file", ("--env-file",), Kind.VALUE, None, path()),
        Opt("verbose", ("--verbose", "-v"), Kind.COUNT, 0),
        Opt("log_file", ("--log-file",), Kind.VALUE, None, path(dir_okay=False)),
    )  # fmt: skip
    return {o.param: o for o in opts}


ROOT = _root_options()


def _globals(*params: str) -> tuple[Opt, ...]:
    return tuple(ROOT[p] for p in params)


def _commands() -> dict[str, Command]:
    from trader_cli.cli.params import FLATTEN_REPRICE, FLATTEN_WAIT, PLACE_TIMEOUT
    from trader_cli.domain.models import Side
    from trader_cli.domain.orders import TimeInForce

    same = ("venue", "sim", "replay", "json_mode", "env_file", "verbose")
    place = Command(
        "trader_cli.cli.commands.place_order",
        "place_command",
        (
            Opt("limit", ("--limit",), Kind.VALUE, None, text),
            Opt("market", ("--market",), Kind.FLAG, False),
            Opt("tif", ("--tif",), Kind.VALUE, None,
                choice(TimeInForce, case_sensitive=False)),
            Opt("post_only", ("--post-only",), Kind.FLAG, False),
            Opt("stop", ("--stop",), Kind.VALUE, None, text),
            Opt("target", ("--target",), Kind.VALUE, None, text),
            Opt("allow_far_limit", ("--allow-far-limit",), Kind.FLAG, False),
            Opt("dry_run", ("--dry-run",), Kind.FLAG, False),
            Opt("client_order_id", ("--client-order-id",), Kind.VALUE, None, text),
            Opt("timeout", ("--timeout",), Kind.VALUE, 30.0, PLACE_TIMEOUT),
            Opt("live", ("--live",), Kind.FLAG, False),
            *_globals(*same),
        ),
        arguments=(
            ("symbol", text),
            ("side", choice(Side, case_sensitive=False)),
            ("quantity", text),
        ),
    )
    flatten = Command(
        "trader_cli.cli.commands.books",
        "flatten_command",
        (
            Opt("all_positions", ("--all",), Kind.FLAG, False),
            Opt("include_baseline", ("--include-baseline",), Kind.FLAG, False),
            Opt("market", ("--market",), Kind.FLAG, False),
            Opt("reprice", ("--reprice",), Kind.VALUE, 2, FLATTEN_REPRICE),
            Opt("wait", ("--wait",), Kind.VALUE, 10.0, FLATTEN_WAIT),
            Opt("live", ("--live",), Kind.FLAG, False),
            *_globals(*same),
        ),
        variadic="symbols",
    )
    resync = Command(
        "trader_cli.cli.commands.books",
        "resync_command",
        (
            Opt("accept_positions", ("--accept-positions",), Kind.FLAG, False),
            *_globals(*same, "log_file"),
        ),
    )
    return {"place": place, "flatten": flatten, "resync": resync}


COMMANDS = _commands()


def parse(args: list[str]) -> Parsed | None:
    """What Typer would pass for ``args`` naming place, flatten or resync; None for anything
    else, and for anything this parser is not certain of."""
    if os.environ.get(COMPLETE_VAR):
        return None
    try:
        return _parse(args)
    except Declined:
        return None


def _parse(args: list[str]) -> Parsed:
    words = iter(args)
    root: dict[str, str | int | bool] = {}
    for word in words:  # the root options, up to the command's name (Typer stops there too)
        if not _is_option(word):
            name = word
            break
        _read_option(word, words, ROOT.values(), root)
    else:
        raise Declined("no command")
    spec = COMMANDS.get(name)
    if spec is None:
        raise Declined(name)
    given: dict[str, str | int | bool] = {}
    positionals: list[str] = []
    for word in words:  # the command's options and arguments, in any order
        if word in ("-", "--"):
            raise Declined(word)
        if _is_option(word):
            _read_option(word, words, spec.options, given)
        else:
            positionals.append(word)
    params = _arguments(spec, positionals)
    for opt in spec.options:
        params[opt.param] = _value(opt, given)
    return Parsed(name, {p: _value(opt, root) for p, opt in ROOT.items()}, params)


def _is_option(word: str) -> bool:
    return word[:1] == "-" and len(word) > 1


def _read_option(
    word: str,
    words: Iterator[str],
    options: Iterable[Opt],
    given: dict[str, str | int | bool],
) -> None:
    """Note one option (and its value) in ``given``; decline an unknown one or a bad form."""
    if not word.startswith("--"):  # short options: only -v, -vv, ...
        if word.strip("v") != "-":
            raise Declined(word)
        verbose = ROOT["verbose"]
        if verbose not in options:
            raise Declined(word)
        given[verbose.param] = int(given.get(verbose.param, 0)) + len(word) - 1
        return
    name, eq, inline = word.partition("=")
    opt = next((o for o in options if name in o.names), None)
    if opt is None or (eq and opt.kind is not Kind.VALUE):
        raise Declined(word)
    if opt.kind is Kind.FLAG:
        given[opt.param] = True
    elif opt.kind is Kind.COUNT:
        given[opt.param] = int(given.get(opt.param, 0)) + 1
    elif eq:
        given[opt.param] = inline
    else:
        value = next(words, None)
        if value is None:
            raise Declined(f"{word} needs a value")
        given[opt.param] = value  # the last one given counts, as in Typer


def _value(opt: Opt, given: dict[str, str | int | bool]) -> Any:
    if opt.param not in given:
        return opt.default
    value = given[opt.param]
    if opt.kind is not Kind.VALUE:
        return value
    if opt.convert is None or not isinstance(value, str):
        raise Declined(opt.param)  # never: a value option has a converter and text
    try:
        return opt.convert(value)
    except Exception as e:  # a value Typer refuses: its message, not ours
        raise Declined(value) from e


def _arguments(spec: Command, positionals: list[str]) -> dict[str, Any]:
    if spec.variadic is not None:
        return {spec.variadic: list(positionals) if positionals else None}
    if len(positionals) != len(spec.arguments):
        raise Declined("missing or extra arguments")
    params: dict[str, Any] = {}
    for (param, convert), word in zip(spec.arguments, positionals, strict=True):
        try:
            params[param] = convert(word)
        except Exception as e:
            raise Declined(word) from e
    return params


def main(args: list[str]) -> None:
    """Run ``args`` when this parser reads them, ending with ``SystemExit`` as Typer's run
    does; return without doing anything when Typer must read them."""
    parsed = parse(args)
    if parsed is None:
        return
    program.run_guarded(args, lambda: _as_typer_runs(parsed.run))


def _as_typer_runs(command: Callable[[], None]) -> None:
    """``command`` with the endings Typer's standalone run gives a command: exit 0 after it,
    130 on Ctrl-C, ``Aborted!`` and 1 at end of input, 1 on a broken pipe."""
    try:
        command()
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        sys.stderr.flush()
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        # Typer also wraps the streams so a later flush ignores the pipe; the redacting
        # streams around the command are put back on the way out either way
        sys.exit(1)
    sys.exit(0)

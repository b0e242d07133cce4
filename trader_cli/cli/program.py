"""The program around a command, without typer: which command argv names, the one error
handler (exit codes, redacted output), and a prompt exit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

# the root options that take a value (the command's name is the first word that is not one)
_ROOT_VALUE_OPTIONS = frozenset({"--venue", "--replay", "--env-file", "--log-file"})


def command_named(args: list[str]) -> str | None:
    """The command ``args`` run: the first word that is not a root option or its value (None
    with none, or with ``--help``/``--version`` before it). Not checked against the commands."""
    expects_value = False
    for arg in args:
        if expects_value:
            expects_value = False
        elif arg in ("-h", "--help", "--version"):
            return None
        elif arg.startswith("-"):
            expects_value = arg in _ROOT_VALUE_OPTIONS
        else:
            return arg
    return None


def run_guarded(args: list[str], command: Callable[[], None]) -> None:
    """Run ``command`` (the parsed ``args``) with every error mapped to its exit code once.

    A :class:`TraderError` becomes its documented exit code with a message and a hint;
    anything else exits 1 without a traceback unless -v. Everything written to stdout and
    stderr inside (tables, JSON, the live view, logs, errors, tracebacks) is redacted on the
    way out (:func:`trader_cli.redaction.redact`).
    """
    from trader_cli.cli.console import Output
    from trader_cli.errors import TraderError
    from trader_cli.redaction import redacting_streams

    json_mode = "--json" in args
    verbose = sum(len(a) - 1 for a in args if a.startswith("-v") and set(a[1:]) == {"v"})
    verbose += args.count("--verbose")
    with redacting_streams():
        try:
            command()
        except TraderError as exc:
            sys.exit(int(Output(json_mode=json_mode, verbose=verbose).error(exc)))
        except Exception as exc:
            sys.exit(int(Output(json_mode=json_mode, verbose=verbose).error(exc)))


def exit_promptly(code: object) -> NoReturn:
    """End the process with ``code`` as ``sys.exit(code)`` would, minus the interpreter's
    teardown of every loaded module (~40-60 ms with pydantic, peewee and ib_async loaded).

    Nothing is cut short: a command has closed its database (every order and fill committed
    before it returned) and its venue link by now; the exit handlers still run (logging
    flushes and closes its files) and the standard streams are flushed. While a non-daemon
    thread is still running, or a profiler or tracer is attached (``python -m cProfile``,
    a debugger), the normal exit happens instead.
    """
    import atexit
    import os
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        raise SystemExit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler or tracer writes its results after the program
    status = 0
    if isinstance(code, int):
        status = code
    elif code is not None:  # sys.exit("message"): the message on stderr, exit 1
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        status = status or 120  # what Python's own exit reports when stdout cannot be flushed
    os._exit(status)

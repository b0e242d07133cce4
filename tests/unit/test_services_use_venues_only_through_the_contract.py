"""Layering: the core reaches a venue only through ``BaseTrader``, and only IB imports ib_async.

Services, strategies, risk and the CLI may not probe a venue object with ``getattr``,
``hasattr`` or ``isinstance`` (what a venue can do is declared in ``BaseTrader`` and its
``VenueCapabilities``), and ``ib_async`` is imported only under ``trader_cli/venues/ib/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trader_cli

PACKAGE = Path(trader_cli.__file__).parent
VENUES = PACKAGE / "venues"
PROBES = frozenset({"getattr", "hasattr", "isinstance"})


def _modules(outside: tuple[Path, ...] = ()) -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if not any(p.is_relative_to(o) for o in outside)
    )


def _probes_of_a_venue(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in PROBES or not node.args:
            continue
        target = ast.unparse(node.args[0])
        if "venue" in target.lower() or "trader" in target.lower():
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_outside_venues_probes_a_venue_object() -> None:
    probes = [
        hit
        for p in _modules(outside=(VENUES,))
        for hit in _probes_of_a_venue(p.read_text(), str(p.relative_to(PACKAGE)))
    ]
    assert probes == [], "declare it on BaseTrader / VenueCapabilities instead:\n" + "\n".join(
        probes
    )


def test_the_probe_scan_finds_probing() -> None:
    source = (
        "def f(venue, ctx):\n"
        "    a = getattr(venue, 'fx_rate', None)\n"
        "    b = getattr(ctx.venue.clock, 'gateway', None)\n"
        "    return isinstance(venue, object), isinstance(a, str)\n"
    )
    assert [hit.split(": ", 1)[1] for hit in _probes_of_a_venue(source, "sample.py")] == [
        "getattr(venue, 'fx_rate', None)",
        "getattr(ctx.venue.clock, 'gateway', None)",
        "isinstance(venue, object)",
    ]


def test_ib_async_is_imported_only_under_venues_ib() -> None:
    ib = VENUES / "ib"
    importers = [
        str(p.relative_to(PACKAGE))
        for p in _modules(outside=(ib,))
        if any(name == "ib_async" or name.startswith("ib_async.") for name in _imports(p))
    ]
    assert importers == []


def test_the_core_never_imports_an_ib_module_outside_the_venue_factories() -> None:
    # services/venue.py builds adapters and services/symbols.py hands offline resolution to
    # each venue's contract mapping; the sim's own package serves IB's wire protocol; the
    # backtest's venue is IB on the sim's engine in-process (IB's contracts, capabilities and
    # order checks), a venue in its own right
    allowed = {PACKAGE / "services" / "venue.py", PACKAGE / "services" / "symbols.py",
               PACKAGE / "backtest" / "venue.py", PACKAGE / "backtest" / "mapping.py"}
    importers = [
        str(p.relative_to(PACKAGE))
        for p in _modules(outside=(VENUES, PACKAGE / "sim"))
        if p not in allowed
        and any(name.startswith("trader_cli.venues.ib") for name in _imports(p))
    ]
    assert importers == []

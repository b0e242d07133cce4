"""Record the scenario against IB through the proxy; replay it through the current adapter."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.scope import Backend
from trader_cli.domain.symbols import Symbol, parse_symbols
from trader_cli.errors import ConfigError, SafetyRefused, TraderError, VenueError
from trader_cli.redaction import is_paper_account
from trader_cli.replay.proxy import RecordingProxy
from trader_cli.replay.sanitize import LeftoverError, Sanitizer, check_clean
from trader_cli.replay.scenario import (
    ScenarioResult,
    Step,
    compare_with_golden,
    golden_files,
    run_scenario,
    scenario_steps,
)
from trader_cli.replay.server import ReplayGateway
from trader_cli.replay.wirelog import (
    FORMAT_VERSION,
    GOLDEN_DIR,
    META_FILE,
    WIRE_LOG,
    RecordingError,
    dump_records,
    load_meta,
)
from trader_cli.venues.ib.trader import IBTrader

log = logging.getLogger("trader.replay")

# Settings the scenario's requests depend on: recorded, and restored when replaying.
SCENARIO_SETTINGS = ("client_order_prefix", "allowed_symbols", "base_currency")


class ReplayClock:
    """The adapter's clock on a replay: the recorded Gateway time; waits pass instantly."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The recorded time plus every wait so far."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Advance without waiting (a replay never waits for the wall clock)."""
        import asyncio

        self._now += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


class ReplayTrader(IBTrader):
    """The IB adapter, unmodified, pointed at a :class:`ReplayGateway`."""

    backend = Backend.REPLAY

    def __init__(self, settings: Settings, gateway: ReplayGateway, start: datetime) -> None:
        super().__init__(
            settings, host=gateway.host, port=gateway.port, clock=ReplayClock(start)
        )
        self.gateway = gateway
        # the recording holds its own (placeholder) account: never the configured one
        self.conn.config.account = None
        self.conn.config.paper = True
        self.conn.config.timeout = 5.0


@dataclass
class RecordingSummary:
    """What ``record-fixtures`` wrote."""

    directory: Path
    files: list[str]
    messages: int
    accounts_rewritten: int
    steps: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary."""
        return {
            "ok": True, "directory": str(self.directory), "files": self.files,
            "messages": self.messages, "accountsRewritten": self.accounts_rewritten,
            "steps": self.steps,
        }  # fmt: skip


@dataclass
class ReplayReport:
    """The outcome of replaying a recording through the current adapter."""

    directory: Path
    steps: list[str]
    diffs: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every step equals its golden file."""
        return not self.diffs and not self.unmatched

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe report."""
        return {
            "ok": self.ok, "directory": str(self.directory), "steps": self.steps,
            "different": sorted(self.diffs), "diffs": self.diffs, "unmatched": self.unmatched,
        }  # fmt: skip


def scenario_meta(
    settings: Settings, symbols: list[Symbol], *, with_orders: bool, server_version: int | None
) -> dict[str, Any]:
    """``recording.json``: what was recorded, and the settings its requests depend on."""
    return {
        "format": FORMAT_VERSION,
        "venue": "ib",
        "symbols": [str(s) for s in symbols],
        "withOrders": with_orders,
        "serverVersion": server_version,
        "recordedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "settings": {
            "client_order_prefix": settings.core.client_order_prefix,
            "allowed_symbols": list(settings.core.allowed_symbols),
            "base_currency": settings.base_currency,
            "risk": settings.risk.model_dump(mode="json"),
        },
    }


def settings_for_replay(settings: Settings, meta: dict[str, Any]) -> Settings:
    """``settings`` with the recorded scenario settings restored (so requests match)."""
    recorded = meta.get("settings", {})
    core_update = {k: recorded[k] for k in SCENARIO_SETTINGS if k in recorded}
    settings.core = settings.core.model_copy(update=core_update)
    if "risk" in recorded:
        settings.risk = type(settings.risk).model_validate(recorded["risk"])
    return settings


async def record_ib(
    settings: Settings,
    symbols: list[Symbol],
    out_dir: Path,
    *,
    with_orders: bool,
    host: str,
    port: int,
    on_step: Callable[[Step], None] | None = None,
    trader_factory: Callable[[Settings, str, int], IBTrader] | None = None,
) -> RecordingSummary:
    """Run the scenario against the Gateway at ``host:port`` through the recording proxy.

    With ``with_orders`` the account must be a paper account (checked before connecting from
    ``IB_PAPER``, and again from the account the Gateway reports) or nothing is sent. The
    recording is sanitised and scanned; if any original account id or identity value remains,
    nothing is written (``SafetyRefused``, exit 3).
    """
    if with_orders and not settings.ib.paper:
        raise SafetyRefused(
            "--with-orders records against paper accounts only, and IB_PAPER is false",
            hint="log the Gateway into your paper account and set IB_PAPER=true, or drop "
            "--with-orders",
        )
    steps = scenario_steps(symbols, settings, with_orders=with_orders)
    async with RecordingProxy.start(host, port) as proxy:
        make = trader_factory or (lambda s, h, p: IBTrader(s, host=h, port=p))
        trader = make(settings, "127.0.0.1", proxy.port)
        await trader.connect()
        try:
            if with_orders and not is_paper_account(trader.account):
                raise SafetyRefused(
                    "--with-orders records against paper accounts only, and the Gateway is "
                    "logged into a live account",
                    hint="log the Gateway into your paper account (DU…), or drop --with-orders",
                )
            result = await run_scenario(trader, steps, on_step)
            account = trader.account
        finally:
            await trader.close()
    records = proxy.records
    sanitizer = Sanitizer([a for a in (settings.ib.account_id, account) if a])
    sanitizer.learn(records)
    hello = next((r for r in records if r.hello), None)
    server_version = int(hello.fields[0]) if hello and hello.fields else None
    meta = scenario_meta(settings, symbols, with_orders=with_orders, server_version=server_version)
    files = {
        WIRE_LOG: dump_records(sanitizer.records(records)),
        META_FILE: json.dumps(sanitizer.data(meta), indent=2, sort_keys=True) + "\n",
    }
    clean = ScenarioResult(sanitizer.data(result.results))
    for name, text in golden_files(clean).items():
        files[f"{GOLDEN_DIR}/{name}"] = text
    write_recording(out_dir, files, sanitizer)
    return RecordingSummary(
        out_dir, sorted(files), len(records), len(sanitizer.replacements), [s.name for s in steps]
    )


def write_recording(out_dir: Path, files: dict[str, str], sanitizer: Sanitizer) -> None:
    """Scan ``files`` for leftovers, then write them (replacing an earlier recording's files)."""
    try:
        check_clean(files, sanitizer)
    except LeftoverError as e:
        raise SafetyRefused(
            f"recording refused, nothing written: {e}",
            hint="an identifying value escaped the sanitiser; report it, and do not share "
            "the raw capture",
        ) from e
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / META_FILE).exists():
        raise ConfigError(
            f"{out_dir} is not empty and holds no recording",
            hint="give a new directory with --out (an earlier recording there is replaced)",
        )
    golden = out_dir / GOLDEN_DIR
    if golden.exists():
        for old in golden.glob("*.json"):
            old.unlink()
    for name, text in files.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def recorded_start(gateway: ReplayGateway, meta: dict[str, Any]) -> datetime:
    """When the recording's Gateway said it was (its clock), else when it was recorded."""
    if gateway.book.recorded_time is not None:
        return gateway.book.recorded_time
    text = str(meta.get("recordedAt", "1970-01-01T00:00:00Z")).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def open_recording(directory: Path) -> dict[str, Any]:
    """``recording.json`` of ``directory``; a missing or bad recording is ``ConfigError``."""
    try:
        meta = load_meta(directory)
    except RecordingError as e:
        raise ConfigError(
            str(e), hint="give a directory written by `trader record-fixtures` (see "
            "docs/fixtures.md)"
        ) from e
    if meta.get("venue") != "ib":
        raise ConfigError(
            f"{directory} is a {meta.get('venue')} recording; this version replays IB ones",
            hint="replay an IB recording (fixtures/ib/...)",
        )
    if not (directory / WIRE_LOG).exists():
        raise ConfigError(f"{directory} has no {WIRE_LOG}", hint="re-record it")
    return meta


@contextlib.asynccontextmanager
async def replay_trader(settings: Settings, directory: Path) -> AsyncIterator[IBTrader]:
    """The IB adapter connected to the recording in ``directory`` served on loopback.

    A failure while the recording could not answer a request is re-raised as a
    ``VenueError`` naming that request.
    """
    meta = open_recording(directory)
    async with ReplayGateway.start(directory) as gateway:
        trader = ReplayTrader(settings, gateway, recorded_start(gateway, meta))
        try:
            await trader.connect()
            try:
                yield trader
            finally:
                await trader.close()
        except TraderError as e:
            if gateway.unmatched:
                raise _unmatched_error(gateway) from e
            raise
        except (ConnectionError, OSError, TimeoutError) as e:
            if gateway.unmatched:
                raise _unmatched_error(gateway) from e
            raise


def _unmatched_error(gateway: ReplayGateway) -> VenueError:
    return VenueError(
        f"{gateway.unmatched[0]}: the recording cannot answer this request",
        hint="the command asked something the recording never recorded; re-record with "
        "`trader record-fixtures` (docs/fixtures.md), or use --sim",
    )


async def replay_ib(
    settings: Settings,
    directory: Path,
    on_step: Callable[[Step], None] | None = None,
) -> ReplayReport:
    """Rerun the recorded scenario through the current adapter and compare with ``golden/``."""
    meta = open_recording(directory)
    symbols = parse_symbols(list(meta.get("symbols", [])))
    settings = settings_for_replay(settings, meta)  # the scenario's requests as recorded
    report = ReplayReport(directory, [])
    async with replay_trader(settings, directory) as trader:
        gateway = trader.gateway if isinstance(trader, ReplayTrader) else None
        steps = scenario_steps(symbols, trader.settings, with_orders=bool(meta.get("withOrders")))
        report.steps = [s.name for s in steps]
        result = await run_scenario(trader, steps, on_step)
        if gateway is not None:
            report.unmatched = list(gateway.unmatched)
    report.diffs = compare_with_golden(result, directory / GOLDEN_DIR)
    return report

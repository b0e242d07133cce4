"""Record the fixed scenario against IB through the proxy; replay it through the current adapter."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trader_cli.config import Settings
from trader_cli.domain.symbols import Symbol, parse_symbols
from trader_cli.errors import ConfigError, SafetyRefused
from trader_cli.redaction import is_paper_account
from trader_cli.replay.proxy import RecordingProxy
from trader_cli.replay.sanitize import LeftoverError, Sanitizer, check_clean
from trader_cli.replay.wirelog import (
    FORMAT_VERSION,
    GOLDEN_DIR,
    META_FILE,
    WIRE_LOG,
    dump_records,
    open_recording,
)
from trader_cli.services.scenario import (
    ScenarioResult,
    Step,
    compare_with_golden,
    golden_files,
    run_scenario,
    scenario_steps,
)
from trader_cli.services.venue import open_ib_at, open_replay

log = logging.getLogger("trader.replay")

# Settings the scenario's requests depend on: recorded, and restored when replaying.
SCENARIO_SETTINGS = ("client_order_prefix", "allowed_symbols", "base_currency")


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
    async with (
        RecordingProxy.start(host, port) as proxy,
        open_ib_at(settings, "127.0.0.1", proxy.port) as trader,
    ):
        if with_orders and not is_paper_account(trader.account or ""):
            raise SafetyRefused(
                "--with-orders records against paper accounts only, and the Gateway is "
                "logged into a live account",
                hint="log the Gateway into your paper account (DU…), or drop --with-orders",
            )
        result = await run_scenario(trader, steps, on_step)
        account = trader.account
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


async def replay_recording(
    settings: Settings,
    directory: Path,
    on_step: Callable[[Step], None] | None = None,
) -> ReplayReport:
    """Rerun the recorded scenario through the current adapter of the recording's venue (IB or
    Gemini) and compare with ``golden/``."""
    meta = open_recording(directory, None)
    symbols = parse_symbols(list(meta.get("symbols", [])))
    settings = settings_for_replay(settings, meta)  # the scenario's requests as recorded
    report = ReplayReport(directory, [])
    async with open_replay(settings, directory) as replayed:
        steps = scenario_steps(symbols, settings, with_orders=bool(meta.get("withOrders")))
        report.steps = [s.name for s in steps]
        result = await run_scenario(replayed.trader, steps, on_step)
        report.unmatched = list(replayed.gateway.unmatched)
    report.diffs = compare_with_golden(result, directory / GOLDEN_DIR)
    return report


replay_ib = replay_recording  # the name the IB half was written with

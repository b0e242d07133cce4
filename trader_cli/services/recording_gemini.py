"""Record the fixed scenario against Gemini (its API, the sandbox, or the sim) into a cassette.

The scenario of :mod:`trader_cli.services.scenario` runs through the real GeminiTrader (ccxt)
inside a vcrpy cassette. The raw capture stays in a temporary directory; what is written is the
cassette with keys, payload nonces and signatures filtered and account identifiers rewritten,
scanned first (:func:`~trader_cli.replay.gemini_sanitize.gemini_leftovers`). Replaying is
:func:`trader_cli.services.recording.replay_recording`.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trader_cli.config import Settings
from trader_cli.domain.symbols import Symbol
from trader_cli.errors import SafetyRefused
from trader_cli.replay.gemini_cassette import CASSETTE_FILE, make_vcr
from trader_cli.replay.gemini_sanitize import GeminiSanitizer, gemini_leftovers
from trader_cli.replay.wirelog import GOLDEN_DIR, META_FILE
from trader_cli.services.recording import RecordingSummary, scenario_meta, write_recording
from trader_cli.services.scenario import ScenarioResult, Step, golden_files, run_scenario
from trader_cli.services.scenario import scenario_steps as shared_steps

if TYPE_CHECKING:
    from trader_cli.venues.gemini.trader import GeminiTrader

# YAML lines are never folded: a value split over two lines would escape the scan.
YAML_WIDTH = 1 << 20


def gemini_backend_name(settings: Settings, *, sim: bool) -> str:
    """``sim``, ``sandbox`` or ``api`` (live): what a Gemini recording is made against."""
    if sim:
        return "sim"
    return "sandbox" if settings.gemini.sandbox else "api"


def refuse_live_orders(settings: Settings, *, sim: bool) -> None:
    """``--with-orders`` on Gemini: the sandbox or the sim only (exit 3, nothing sent)."""
    if gemini_backend_name(settings, sim=sim) == "api":
        raise SafetyRefused(
            "--with-orders records against the Gemini sandbox or the simulator only, and "
            "GEMINI_SANDBOX is false",
            hint="set GEMINI_SANDBOX=true with sandbox keys, add --sim, or drop --with-orders",
        )


@contextlib.asynccontextmanager
async def _open(
    settings: Settings, *, sim: bool
) -> AsyncIterator[tuple[GeminiTrader, list[str]]]:
    """The connected adapter and the key and secret it signs with (never written)."""
    if sim:
        from trader_cli.sim import SimClock
        from trader_cli.venues.gemini.sim import gemini_sim_trader, sim_credentials

        start = settings.sim.clock or SimClock.default().now()
        async with gemini_sim_trader(
            settings, clock=SimClock.pinned(start), state_path=None
        ) as trader:
            yield trader, list(sim_credentials(settings))
        return
    from trader_cli.services.venue import open_gemini_api

    g = settings.gemini
    secrets = [s.get_secret_value() for s in (g.api_key, g.api_secret) if s is not None]
    async with open_gemini_api(settings) as trader:
        yield trader, secrets


async def record_gemini(
    settings: Settings,
    symbols: list[Symbol],
    out_dir: Path,
    *,
    with_orders: bool,
    sim: bool,
    on_step: Callable[[Step], None] | None = None,
) -> RecordingSummary:
    """Run the scenario through GeminiTrader in a cassette; write it sanitised, or refuse.

    ``sim``: the in-process SIMULATED Gemini (fresh world, ``SIM_SEED``, clock pinned at
    ``SIM_CLOCK`` or now); otherwise ``GEMINI_API_URL``, the sandbox, or Gemini's API.
    """
    if with_orders:
        refuse_live_orders(settings, sim=sim)
    steps = shared_steps(symbols, settings, with_orders=with_orders)
    with tempfile.TemporaryDirectory(prefix="trader-gemini-rec-") as raw_dir:
        raw = Path(raw_dir) / CASSETTE_FILE
        async with _open(settings, sim=sim) as (trader, secrets):
            start = trader.clock.now()
            with make_vcr("all", secrets).use_cassette(str(raw)):
                await trader.connect()  # again, recorded: a replay connects first too
                result = await run_scenario(trader, steps, on_step)
            fx = await _recorded_fx(trader, settings)
        interactions = _load_raw(raw)
    sanitizer = GeminiSanitizer()  # the key and secret are filtered out, then scanned for
    sanitizer.learn_texts(_bodies(interactions))
    meta = scenario_meta(settings, symbols, with_orders=with_orders, server_version=None)
    meta.pop("serverVersion", None)
    # the effective list (unset, Gemini's default universe), so a replay allows the same
    meta["settings"]["allowed_symbols"] = [str(s) for s in settings.allowed_symbols]
    meta.update(
        venue="gemini", backend=gemini_backend_name(settings, sim=sim),
        clock=start.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        fx=fx,
    )  # fmt: skip
    files = {
        CASSETTE_FILE: dump_cassette(sanitizer.data({"interactions": interactions, "version": 1})),
        META_FILE: json.dumps(sanitizer.data(meta), indent=2, sort_keys=True) + "\n",
    }
    clean = ScenarioResult(sanitizer.data(result.results))
    for name, text in golden_files(clean).items():
        files[f"{GOLDEN_DIR}/{name}"] = text
    check_gemini_clean(files, sanitizer, secrets)
    write_recording(out_dir, files, sanitizer)
    return RecordingSummary(
        out_dir, sorted(files), len(interactions), _rewritten(sanitizer), [s.name for s in steps]
    )


def check_gemini_clean(
    files: dict[str, str], sanitizer: GeminiSanitizer, secrets: list[str]
) -> None:
    """Refuse (``SafetyRefused``, exit 3, nothing written) when anything secret is left."""
    leftovers = gemini_leftovers(files, sanitizer, secrets)
    if leftovers:
        shown = ", ".join(f"{where}: {what}" for where, what in leftovers[:5])
        raise SafetyRefused(
            f"recording refused, nothing written: {len(leftovers)} secret or identifying "
            f"value(s) left in the recording ({shown})",
            hint="an identifying value escaped the sanitiser; report it, and do not share "
            "the raw capture",
        )


def dump_cassette(data: dict[str, Any]) -> str:
    """The cassette's YAML text (vcrpy's layout, lines never folded)."""
    import yaml

    return str(yaml.safe_dump(data, width=YAML_WIDTH, sort_keys=True, allow_unicode=True))


def _load_raw(path: Path) -> list[dict[str, Any]]:
    import yaml

    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    interactions = list(data.get("interactions", []))
    for interaction in interactions:  # bytes bodies as text (a cassette is read as text)
        for part in (interaction["request"], interaction["response"].get("body", {})):
            for name in ("body", "string"):
                if isinstance(part.get(name), bytes):
                    part[name] = part[name].decode("utf-8", "replace")
    return interactions


def _bodies(interactions: list[dict[str, Any]]) -> list[str]:
    out = []
    for interaction in interactions:
        out.append(str(interaction["request"].get("body") or ""))
        out.append(str(interaction["response"].get("body", {}).get("string") or ""))
    return out


def _rewritten(sanitizer: GeminiSanitizer) -> int:
    return len(set(sanitizer.replacements.values()))


async def _recorded_fx(trader: GeminiTrader, settings: Settings) -> dict[str, str]:
    """The rate USD was valued at in the base currency (none for a USD base)."""
    base = settings.base_currency
    if base == "USD" or trader.fx is None:
        return {}
    return {base: str(await trader.fx.usd_per(base))}

"""Re-record the Gemini cassettes against the simulator.

``python -m tests.gemini_adapter.record_cassettes`` (from the repository root)

Starts the SIMULATED Gemini REST API (seed 0, clock pinned), runs the adapter scenario through
vcrpy and rewrites ``fixtures/gemini/cassettes/adapter_scenario.yaml`` (sanitized: no Gemini
auth headers, no key or secret, nonce-free payloads, a fixed base URL).
"""

from __future__ import annotations

import asyncio
import os

from tests.gemini_adapter.cassettes import ROOT, SCENARIO_CASSETTE, record


def main() -> None:
    """Record the scenario cassette and say where it went."""
    os.environ.pop("TRADER_ENV_FILE", None)
    SCENARIO_CASSETTE.parent.mkdir(parents=True, exist_ok=True)
    SCENARIO_CASSETTE.unlink(missing_ok=True)
    result = asyncio.run(record())
    print(
        f"recorded {SCENARIO_CASSETTE.relative_to(ROOT)}: fill {result.filled.client_order_id} "
        f"{result.filled.status.value}, {len(result.trades)} trade(s)"
    )


if __name__ == "__main__":
    main()

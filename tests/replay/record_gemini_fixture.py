"""Re-record the repository's Gemini fixture against the simulator.

``python -m tests.replay.record_gemini_fixture`` (from the repository root, with no GEMINI_/SIM_
settings in the environment): rewrites ``fixtures/gemini/sim-basic`` (see docs/fixtures.md).
"""

from __future__ import annotations

import asyncio
import os
import tempfile

from tests.replay.gemini_fixture import GEMINI_FIXTURE, ROOT, record_gemini_against_sim


def main() -> None:
    """Record the fixture and say where it went."""
    os.environ.pop("TRADER_ENV_FILE", None)
    os.environ["TRADER_HOME"] = tempfile.mkdtemp(prefix="trader-record-")
    summary = asyncio.run(record_gemini_against_sim(GEMINI_FIXTURE))
    print(
        f"recorded {GEMINI_FIXTURE.relative_to(ROOT)}: {len(summary.steps)} steps, "
        f"{summary.messages} requests"
    )


if __name__ == "__main__":
    main()

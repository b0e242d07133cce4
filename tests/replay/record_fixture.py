"""Re-record the repository's IB fixture against the simulator.

``python -m tests.replay.record_fixture`` (from the repository root, with no IB_/SIM_ settings
in the environment): rewrites ``fixtures/ib/sim-basic`` (see docs/fixtures.md).
"""

from __future__ import annotations

import asyncio
import os
import tempfile

from tests.replay.fixture import FIXTURE, ROOT, record_against_sim


def main() -> None:
    """Record the fixture and say where it went."""
    os.environ.pop("TRADER_ENV_FILE", None)
    os.environ["TRADER_HOME"] = tempfile.mkdtemp(prefix="trader-record-")
    summary = asyncio.run(record_against_sim(FIXTURE))
    print(
        f"recorded {FIXTURE.relative_to(ROOT)}: {len(summary.steps)} steps, "
        f"{summary.messages} messages"
    )


if __name__ == "__main__":
    main()

"""Run a command; write its wall time and its own peak RSS to a file (used by bench/backtest.py).

    python -S bench/peak_rss.py OUT.json COMMAND [ARG...]

Why a launcher: Linux counts the RSS a process had before ``exec`` into the ``ru_maxrss`` of
what it ``exec``s, so a child forked straight from a big bench process would report the bench's
size. This process is small (no site, three modules), so what its child reports is the child's.
Exit status: the command's.
"""

import json
import os
import sys
import time


def main() -> int:
    """Fork, exec, wait; record ``{"wall": s, "maxrss_kib": n}``."""
    out, argv = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"wall": wall, "maxrss_kib": usage.ru_maxrss}, f)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())

"""A long-running process's heap on glibc: large buffers go back to the system once freed.

glibc's malloc serves a block of 128 KiB or more with its own ``mmap`` - returned to the system
when freed - but each time one is freed it raises that threshold to the block's size, up to
32 MiB. A bot that builds the same large buffers every cycle (a history reply of a thousand
bars, the sim's saved world as JSON) then takes them from the heap, where a freed one rarely
lets the heap shrink: the resident size creeps up over a day although nothing is kept. Pinning
the threshold where it starts keeps it flat. What is freed inside the heap stays resident too
until glibc trims it, which it does only at the heap's top: :func:`trim_heap`, after each of a
bot's cycles (~0.1 ms), gives the free pages back wherever they are. Nothing changes elsewhere
(macOS, musl, Windows).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sys
from collections.abc import Callable

log = logging.getLogger("trader.heap")

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value


def pin_mmap_threshold() -> bool:
    """Keep glibc from raising its mmap threshold (see the module docstring); True if set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        done = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl has no libc.so.6 nor mallopt)
        return False
    log.debug("glibc mmap threshold pinned at %d bytes: %s", MMAP_THRESHOLD, done)
    return done


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once (None off glibc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def trim_heap() -> bool:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``); True if any
    went. Off glibc it does nothing and returns False."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False

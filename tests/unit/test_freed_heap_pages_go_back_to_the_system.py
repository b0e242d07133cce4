"""What a long run frees inside glibc's heap goes back to the system after each cycle
(``heap.trim_heap``), wherever it lies in the heap; elsewhere the call does nothing and says so."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator

import pytest

from trader_cli import heap

CHUNK = 4000  # bytes: above pymalloc's 512, below the mmap threshold - from glibc's heap
CHUNKS = 8000  # 32 MB
KEEP_EVERY = 16  # one kept chunk in sixteen: the freed ones lie between kept ones


def _glibc() -> bool:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith("linux")


def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not _glibc(), reason="needs glibc")
def test_pages_freed_between_kept_blocks_are_given_back() -> None:
    heap.pin_mmap_threshold()
    chunks = [bytes(CHUNK) + bytes([i % 256]) for i in range(CHUNKS)]
    kept = chunks[::KEEP_EVERY] + chunks[-1:]  # the last one holds the heap's top where it is
    del chunks
    before = resident_mb()
    assert heap.trim_heap() is True
    assert resident_mb() < before - 10  # of the ~30 MB freed, most went back
    assert len(kept) == CHUNKS // KEEP_EVERY + 1


@pytest.fixture
def lookup_again() -> Iterator[None]:
    """malloc_trim looked up afresh in the test, and again after it (the test's answer is not
    kept for the rest of the process)."""
    heap._malloc_trim.cache_clear()
    yield
    heap._malloc_trim.cache_clear()


@pytest.mark.usefixtures("lookup_again")
def test_off_linux_nothing_is_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert heap.trim_heap() is False


@pytest.mark.usefixtures("lookup_again")
def test_without_glibc_nothing_is_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_glibc(name: str) -> ctypes.CDLL:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_glibc)
    assert heap.trim_heap() is False

"""A long `trader run` pins glibc's mmap threshold (its resident size stays flat); elsewhere the
call does nothing and says so."""

from __future__ import annotations

import ctypes
import sys

import pytest

from trader_cli import heap


def _glibc() -> bool:
    try:
        ctypes.CDLL("libc.so.6").mallopt  # noqa: B018
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith("linux")


@pytest.mark.skipif(not _glibc(), reason="needs glibc")
def test_on_glibc_the_threshold_is_pinned() -> None:
    assert heap.pin_mmap_threshold() is True


def test_off_linux_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert heap.pin_mmap_threshold() is False


def test_without_glibc_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_glibc(name: str) -> ctypes.CDLL:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_glibc)
    assert heap.pin_mmap_threshold() is False

"""Nothing secret leaks: canaries in every secret and account setting, every command, every output.

Canary values go into every secret and identifier setting (LLM and Gemini keys, the passwords in
``DATABASE_URL`` and ``LLM_BASE_URL``, ``IB_ACCOUNT_ID``, which the sim then reports as its paper
account), the stub chat model echoes them back in its decisions and errors, and every command runs
on its success and failure paths, plain, ``-v``, ``-vv`` and ``--json``, in process and as a
subprocess (``--venue ib`` against a standalone ``sim-gateway``). None of the canaries may appear
on stdout or stderr, in a log line, a telemetry line, any row of any table of the SQLite files,
the sim's saved world or any other file the commands wrote.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.llm.conftest import StubChatServer, content_reply

LLM_KEY = "sk-CANARYllmkey5e1f0a9d"
GEMINI_KEY = "CANARYgeminikey7c21b"
GEMINI_SECRET = "CANARYgeminisecret93ab"
DB_PASSWORD = "CANARYdbpass4417"
URL_PASSWORD = "CANARYurlpass8812"
ACCOUNT = "DU8675309"  # the sim reports IB_ACCOUNT_ID as its paper account
ACCOUNT_MASKED = "DU****309"
# the digits are what identify an account: no output may carry them, masked form aside
CANARIES = (LLM_KEY, "CANARYllmkey", GEMINI_KEY, GEMINI_SECRET, DB_PASSWORD, URL_PASSWORD,
            ACCOUNT, "8675309")
MORNING = "2024-07-03T00:30:00Z"  # Wednesday 10:30 in Sydney: the ASX is open


def leaks(text: str | bytes) -> list[str]:
    """The canaries found in ``text`` (case-insensitive)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    low = text.lower()
    return [c for c in CANARIES if c.lower() in low]


def model_text() -> str:
    """What the compromised model says: every canary, raw and in a URL."""
    return (f"key {LLM_KEY} account {ACCOUNT} gemini {GEMINI_KEY}/{GEMINI_SECRET} "
            f"db postgresql://trader:{DB_PASSWORD}@db/x url https://u:{URL_PASSWORD}@h/v1")


def llm_replies() -> list[Any]:
    said = model_text()
    decisions = {"decisions": [
        {"action": "enter", "symbol": "BHP/AUD", "side": "buy", "size": "20", "stop": "40",
         "target": "46", "rationale": f"breakout; {said}"},
        {"action": "hold", "symbol": "CBA/AUD", "rationale": said},
        {"action": "hold", "symbol": f"{ACCOUNT}/AUD", "rationale": said},  # refused: not ours
    ]}
    return [
        content_reply(json.dumps(decisions)),
        content_reply(f"not JSON at all: {said}"),  # the whole answer is refused
        (401, json.dumps({"error": {"message": f"bad key {LLM_KEY} for {ACCOUNT}: {said}"}})),
        (503, said),
    ]


@pytest.fixture
def canary_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every secret and account setting holds a canary; the sim clock is pinned."""
    for name in list(os.environ):
        if name.startswith(("LLM_", "GEMINI_", "HEALTH_", "TELEMETRY_")):
            monkeypatch.delenv(name)
    env = {
        "SIM_CLOCK": MORNING,
        "SIM_SEED": "7",
        "IB_ACCOUNT_ID": ACCOUNT,
        "GEMINI_API_KEY": GEMINI_KEY,
        "GEMINI_API_SECRET": GEMINI_SECRET,
        "LLM_API_KEY": LLM_KEY,
        "LLM_MODEL": "stub-model",
        "LLM_TIMEOUT": "2",
        "LLM_MAX_TOOL_CALLS": "0",
        "LLM_BASE_URL": f"https://llmuser:{URL_PASSWORD}@127.0.0.1:9/v1",
        "DATABASE_URL": f"sqlite:///{clean_env / 'trader.sqlite'}?password={DB_PASSWORD}",
        "HEALTH_FAILURE_THRESHOLD": "1",
        "IB_CONNECT_TIMEOUT": "3",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return clean_env


@pytest.fixture
def stub() -> Iterator[StubChatServer]:
    server = StubChatServer().start()
    yield server
    server.stop()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sub(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    """``trader *args`` in a fresh interpreter (real logging set-up, real stderr)."""
    p = subprocess.run(
        [sys.executable, "-m", "trader_cli", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )
    return Result(p.returncode, p.stdout, p.stderr)


def dump_sqlite(path: Path) -> str:
    """Every row of every table (and the schema) of a SQLite file, as text."""
    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def test_no_secret_or_account_id_leaks_anywhere(
    trader: Callable[..., Result],
    canary_env: Path,
    stub: StubChatServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    outputs: list[tuple[str, Result]] = []

    def check(label: str, r: Result, *codes: int) -> Result:
        outputs.append((label, r))
        if codes:
            assert r.code in codes, f"{label}: exit {r.code}\n{r.out}\n{r.err}"
        return r

    # -- in-process: every command, success paths, on the sim ------------------------------------
    check("resolve offline", trader("resolve-symbol", "BHP/AUD", "--offline", "--json"), 0)
    check("resolve", trader("resolve-symbol", "BHP/AUD", "--venue", "sim", "-v"), 0)
    check("quote", trader("quote", "BHP/AUD", "AUD/USD", "--venue", "sim", "-vv"), 0)
    check("quote json", trader("quote", "BHP/AUD", "--venue", "sim", "--json"), 0)
    check("bars", trader("bars", "BHP/AUD", "-t", "5m", "-n", "5", "--venue", "sim", "-v"), 0)
    check("hours", trader("hours", "BHP/AUD", "--venue", "sim", "--json"), 0)
    order = ("place", "BHP/AUD", "buy", "20", "--market")
    check("dry run", trader(*order, "--dry-run", "--venue", "sim", "-vv"), 0)
    placed = check("place", trader(*order, "--venue", "sim", "--json", "-v"), 0)
    check("place again", trader(*order, "--venue", "sim"), 0)
    check("resync", trader("resync", "--venue", "sim", "--json", "-v"), 0)
    check("run rules", trader("run", "--venue", "sim", "--cycles", "2", "--interval", "5m",
                              "-v"), 0)
    # the model's text carries every canary: decisions, refusals, HTTP errors, circuit status
    monkeypatch.setenv("LLM_BASE_URL", stub.base_url)
    stub.script(*llm_replies())
    llm_json = check("run llm json", trader("run", "--venue", "sim", "--strategy", "llm",
                                            "--json", "--cycles", "4", "--interval", "5m", "-v"))
    stub.script(*llm_replies())
    check("run llm live", trader("run", "--venue", "sim", "--strategy", "llm", "--cycles", "2",
                                 "--interval", "5m", "-vv"))
    monkeypatch.setenv("LLM_BASE_URL", f"https://llmuser:{URL_PASSWORD}@127.0.0.1:9/v1")
    check("flatten", trader("flatten", "--all", "--venue", "sim", "-v"), 0, 1)

    # -- in-process: failure paths -------------------------------------------------------------
    check("bad symbol", trader("quote", f"{ACCOUNT}/AUD", "--venue", "sim", "--json"), 2)
    check("refused", trader("place", "BHP/AUD", "buy", "100000", "--market", "--venue", "sim"), 3)
    check("llm url with password", trader("run", "--venue", "sim", "--strategy", "llm",
                                          "--cycles", "1"), 2)
    with monkeypatch.context() as m:
        m.setenv("IB_PORT", str(free_port()))
        m.setenv("IB_CONNECT_TIMEOUT", "1")
        check("ib down", trader("resync", "--venue", "ib", "-vv"), 1)
    for name, value, command in (
        ("DATABASE_URL", f"mysql://trader:{DB_PASSWORD}@db.example/trader", "resync"),
        ("DATABASE_URL", f"postgresql:/trader:{DB_PASSWORD}@db.example/trader", "resync"),
        ("DATABASE_URL", f"postgresql://trader:{DB_PASSWORD}@127.0.0.1:{free_port()}/trader",
         "resync"),
        ("DATABASE_URL", f"sqlite://trader:{DB_PASSWORD}@x/trader.sqlite", "resync"),
        ("LLM_BASE_URL", f"ftp://llmuser:{URL_PASSWORD}@127.0.0.1/v1", "quote"),
        ("LLM_BASE_URL", f"https:/llmuser:{URL_PASSWORD}@127.0.0.1/v1", "quote"),
        ("IB_ACCOUNT_ID", ACCOUNT + "0000", "quote"),
        ("IB_ACCOUNT_ID", f"{ACCOUNT}-{LLM_KEY}", "quote"),
        ("LLM_TIMEOUT", LLM_KEY, "quote"),
        ("IB_PORT", ACCOUNT, "quote"),
    ):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            for extra in ((), ("--json",), ("-vv",)):
                args = [command, *(["BHP/AUD"] if command == "quote" else []), *extra]
                check(f"{name}={value} {extra}", trader(*args, "--venue", "sim"), 1, 2)
    outputs.append(("pytest log capture", Result(0, caplog.text, "")))

    # -- subprocesses: real logging to stderr, --venue ib against the standalone sim-gateway ----
    port = free_port()
    gateway = subprocess.Popen(
        [sys.executable, "-m", "trader_cli", "sim-gateway", "--port", str(port), "-vv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SIM_SPEED": "60"},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ib = {"IB_PORT": str(port)}
        check("ib quote -vv", sub("quote", "BHP/AUD", "--venue", "ib", "-vv", env=ib), 0)
        # sent or refused (a book not yet two-sided), the -vv wire dump is what matters here
        vv = check("ib place -vv", sub(*order, "--venue", "ib", "-vv", "--json", env=ib), 0, 3)
        check("ib resync", sub("resync", "--venue", "ib", "-v", env=ib), 0)
        check("ib run llm", sub("run", "--venue", "ib", "--strategy", "llm", "--json",
                                "--cycles", "1", "--interval", "1s", "-vv",
                                env={**ib, "LLM_BASE_URL": stub.base_url}))
        check("sim run -vv", sub("run", "--venue", "sim", "--cycles", "1", "-vv"), 0)
        check("bad db -vv", sub("resync", "-vv", env={
            "DATABASE_URL": f"postgresql:/trader:{DB_PASSWORD}@db.example/trader"}), 2)
    finally:
        gateway.send_signal(signal.SIGINT)
        out, err = gateway.communicate(timeout=30)
    check("sim-gateway", Result(gateway.returncode, out, err))

    # the canaries were really in play: the key went to the model, the sim reported the account
    assert any(r["headers"].get("Authorization") == f"Bearer {LLM_KEY}" for r in stub.requests)
    assert ACCOUNT_MASKED in vv.err  # ib_async's wire dump at -vv, masked
    assert "SIMULATED" in gateway_banner(out)
    events = [json.loads(line) for line in llm_json.out.splitlines() if line.startswith("{")]
    reasons = [d.get("reason", "") for e in events for d in e.get("decisions", [])]
    assert any("***REDACTED***" in r for r in reasons), reasons
    assert any(ACCOUNT_MASKED in r for r in reasons), reasons
    assert json.loads(placed.out)
    assert json.loads(vv.out)

    # -- nothing anywhere --------------------------------------------------------------------------
    found = {
        f"{label} ({stream})": leaks(text)
        for label, r in outputs
        for stream, text in (("stdout", r.out), ("stderr", r.err))
        if leaks(text)
    }
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("telemetry") for p in files)
    assert any(p.name == "ib-world.json" for p in files)
    sqlite_files = [p for p in files if p.suffix in (".sqlite", ".db")]
    assert sqlite_files
    for path in files:
        if leaks(path.read_bytes()):
            found[str(path.relative_to(tmp_path))] = leaks(path.read_bytes())
    dumps = {path.name: dump_sqlite(path) for path in sqlite_files}
    assert any("***REDACTED***" in rows for rows in dumps.values())  # the model's plan was stored
    for name, rows in dumps.items():
        if leaks(rows):
            found[f"rows of {name}"] = leaks(rows)
    assert not found, json.dumps(found, indent=1)


def gateway_banner(out: str) -> str:
    return next((line for line in out.splitlines() if re.search(r"listening on", line)), "")

"""``trader notify --test`` (per-URL results, exit 0/1/2) and NOTIFY_URLS never leaking: not on
stdout or stderr, not in the log file, telemetry or database, whatever the alerts do."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "pa55w0rdHookSecret"
TOKEN = "T0kenXYZ98765abc"


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    posts: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            posts.append(json.loads(self.rfile.read(size)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], posts
    finally:
        server.shutdown()
        server.server_close()


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_notify_test_sends_one_alert_to_each_url(trader, monkeypatch, receiver) -> None:
    port, posts = receiver
    monkeypatch.setenv("NOTIFY_URLS", f"json://a:{PASSWORD}@127.0.0.1:{port}/hook/{TOKEN}")
    result = trader("notify", "--test", "--json")
    assert result.code == 0, result.err
    assert result.json() == {
        "results": [{"url": f"json://***@127.0.0.1:{port}/***", "ok": True, "error": None}]
    }
    (post,) = posts
    assert post["title"] == "trader [SIMULATED sim] test alert"
    assert post["type"] == "info"


def test_notify_test_exits_1_when_a_url_fails(trader, monkeypatch, receiver) -> None:
    port, posts = receiver
    dead = dead_port()
    monkeypatch.setenv(
        "NOTIFY_URLS", f"json://127.0.0.1:{port}/ok/{TOKEN}, json://127.0.0.1:{dead}/x/{TOKEN}"
    )
    result = trader("notify", "--test")
    assert result.code == 1
    assert f"json://127.0.0.1:{port}/***" in result.out
    assert f"json://127.0.0.1:{dead}/***   FAILED: the service did not accept it" in result.out
    assert len(posts) == 1
    assert TOKEN not in result.out + result.err


def test_notify_test_without_notify_urls_is_exit_2_with_a_hint(trader) -> None:
    result = trader("notify", "--test")
    assert result.code == 2
    assert "NOTIFY_URLS is not set" in result.err
    assert "hint: set NOTIFY_URLS" in result.err
    assert trader("notify").code == 2  # nothing asked: a usage error, nothing sent


def test_config_masks_notify_urls(trader, monkeypatch) -> None:
    monkeypatch.setenv("NOTIFY_URLS", f"json://a:{PASSWORD}@127.0.0.1:9/hook/{TOKEN}")
    result = trader("config", "--json")
    assert result.code == 0
    assert TOKEN not in result.out and PASSWORD not in result.out
    assert "NOTIFY_URLS" in result.out


def test_a_run_with_alerts_leaks_the_url_nowhere(trader, clean_env: Path, monkeypatch,
                                                 receiver, tmp_path: Path) -> None:
    port, posts = receiver
    dead = dead_port()
    monkeypatch.setenv(
        "NOTIFY_URLS",
        f"json://a:{PASSWORD}@127.0.0.1:{port}/hook/{TOKEN} json://127.0.0.1:{dead}/x/{TOKEN}",
    )
    monkeypatch.setenv("SIM_CLOCK", "2024-07-03T00:30:00Z")
    log_file = tmp_path / "logs" / "trader.log"
    result = trader("run", "--venue", "sim", "--cycles", "1", "--interval", "1s", "--json",
                    "-vv", "--log-file", str(log_file))
    assert result.code == 0, result.err
    assert [p["title"] for p in posts] == ["trader [SIMULATED sim DU****567] bot stopped "
                                           "(after --cycles)"]
    assert "not delivered to json://127.0.0.1" in log_file.read_text()  # the dead URL, masked
    outputs = {"stdout": result.out, "stderr": result.err}
    for path in [log_file, *clean_env.rglob("*")]:
        if path.is_file():
            outputs[str(path)] = path.read_bytes().decode("utf-8", "replace")
    assert any(k.endswith("telemetry.log") for k in outputs)
    assert any(k.endswith(".sqlite") for k in outputs)
    for where, text in outputs.items():
        for secret in (TOKEN, PASSWORD):
            assert secret not in text, f"{secret} in {where}"

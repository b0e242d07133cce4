"""The redaction registry and the paths that use it: settings, logging, streams, the database."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.errors import ConfigError
from trader_cli.redaction import (
    REDACTED,
    REGISTRY,
    RedactingFilter,
    RedactingStream,
    SecretRegistry,
    redact,
    register_account,
    register_secret,
)

KEY = "sk-unit-9d8c7b6a"
PASSWORD = "pa:ss/w@rd-71"


def test_settings_register_every_secret_url_password_and_account(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_API_KEY", KEY)
    monkeypatch.setenv("GEMINI_API_KEY", "gem-key-1234")
    monkeypatch.setenv("GEMINI_API_SECRET", "gem-secret-5678")
    monkeypatch.setenv("DATABASE_URL", "postgresql://trader:dbpass-4242@db.example/trader")
    monkeypatch.setenv("LLM_BASE_URL", "https://llm.example/v1?password=qpass-777")
    monkeypatch.setenv("IB_ACCOUNT_ID", "du7654321")
    load_settings()
    text = redact(
        f"{KEY} gem-key-1234 gem-secret-5678 dbpass-4242 qpass-777 DU7654321 du7654321 U7654321"
    )
    for secret in (KEY, "gem-key-1234", "gem-secret-5678", "dbpass-4242", "qpass-777"):
        assert secret not in text
    assert "7654321" not in text
    assert text.count("DU****321") == 2


def test_every_form_of_a_secret_is_masked() -> None:
    from urllib.parse import quote

    secret = PASSWORD + '"\\'
    register_secret(secret)
    for form in (secret, quote(secret, safe=""), json.dumps({"reason": secret})):
        assert "rd-71" not in redact(f"x {form} y"), form


def test_account_ids_are_masked_but_longer_numbers_are_not_touched() -> None:
    register_account("DU7654321")
    assert REGISTRY.redact_stored("DU7654321 and 7654321 and DU76543210") == (
        "DU****321 and 7654321 and DU76543210"
    )


def test_url_passwords_and_bearer_tokens_without_registration() -> None:
    assert redact("postgresql:/u:secretpw@h/db") == "postgresql:/u:***@h/db"
    assert redact("Authorization: Bearer abc.def") == f"Authorization: Bearer {REDACTED}"


def test_the_log_filter_scrubs_third_party_records_args_and_tracebacks() -> None:
    register_secret(KEY)
    register_account("DU7654321")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("ib_async.client.unit")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("<<< %s,%s", "15,1", "DU7654321")
        try:
            raise RuntimeError(f"refused key {KEY}")
        except RuntimeError:
            logger.exception("failed for %s", "DU7654321")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "<<< 15,1,DU****321" in text
    assert KEY not in text and "7654321" not in text
    assert "RuntimeError: refused key" in text


def test_the_stream_wrapper_redacts_every_write() -> None:
    register_secret(KEY)
    inner = io.StringIO()
    stream = RedactingStream(inner)
    assert stream.write(f"key={KEY}\n") == len(f"key={KEY}\n")
    stream.writelines([KEY, "\n"])
    assert KEY not in inner.getvalue()
    assert stream.getvalue() == inner.getvalue()  # everything else is the wrapped stream's


def test_the_database_never_stores_a_registered_secret(tmp_path: Path) -> None:
    from trader_cli.db import use_database
    from trader_cli.db.models import OrderRow

    register_secret(KEY)
    register_account("DU7654321")
    path = tmp_path / "t.sqlite"
    with use_database(f"sqlite:///{path}"):
        OrderRow.create(client_order_id="trd-1-1", symbol="BHP/AUD", side="buy", type="market",
                        amount=1, reason=f"model said {KEY} for DU7654321 via https://u:pw1@h")
        assert OrderRow.get(OrderRow.client_order_id == "trd-1-1").reason == (
            f"model said {REDACTED} for DU****321 via https://u:***@h"
        )
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    assert KEY not in dump and "7654321" not in dump and "pw1" not in dump


@pytest.mark.parametrize(
    ("name", "value", "hidden"),
    [
        ("DATABASE_URL", "mysql://u:dbpw-1111@h/db", "dbpw-1111"),
        ("DATABASE_URL", "postgresql:/u:dbpw-2222@h/db", "dbpw-2222"),
        ("DATABASE_URL", "postgresql:u:dbpw-3333@h/db", "dbpw-3333"),
        ("LLM_BASE_URL", "ftp://u:urlpw-4444@h/v1", "urlpw-4444"),
        ("IB_ACCOUNT_ID", "DU76543219999", "7654321"),
    ],
)
def test_settings_errors_do_not_echo_secrets(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, hidden: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in str(info.value)
    assert hidden not in str(info.value)


def test_llm_base_url_with_credentials_is_refused(clean_env: Path) -> None:
    from trader_cli.strategies.llm_client import ChatClient

    with pytest.raises(ConfigError, match="credentials") as info:
        ChatClient("https://user:urlpw-5555@llm.example/v1", "m", None)
    assert "urlpw-5555" not in str(info.value)


async def test_the_sim_keeps_the_account_out_of_its_saved_world(tmp_path: Path) -> None:
    from trader_cli.sim import SimClock, SimGateway

    state = tmp_path / "world.json"
    when = SimClock.pinned(datetime(2024, 7, 3, 1, tzinfo=UTC))
    async with SimGateway.start(clock=when, state_path=state, account="DU7654321") as gw:
        assert gw.world.account == "DU7654321"
    assert "7654321" not in state.read_text()
    again = SimGateway(clock=when, state_path=state, account="DU7654321")
    assert again.world.account == "DU7654321"


def test_redacting_while_this_thread_holds_the_registry_does_not_hang() -> None:
    """A garbage collection inside ``add_secret`` (its set growing) can run a ``__del__`` that
    logs (aiohttp's unclosed-session warning), and every log line is redacted through the
    registry, on the thread that already holds its lock: that must not deadlock."""
    import threading

    registry = SecretRegistry()
    registry.add_secret("tok-1234567890")
    out: list[str] = []

    def inside_add_secret() -> None:
        with registry._lock:  # where add_secret is when the collection runs
            registry._compiled = None  # as add_secret leaves it
            out.append(registry.redact("logged: tok-1234567890"))

    worker = threading.Thread(target=inside_add_secret, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "redact() blocked on the lock its own thread holds"
    assert out == [f"logged: {REDACTED}"]

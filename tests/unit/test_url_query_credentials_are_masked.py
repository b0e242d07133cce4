"""A credential in a URL's query string (``?key=…``, ``?access_token=…``) is a secret too.

Some OpenAI-compatible gateways (and Google's own API) take the key as ``?key=…``; a
``*_URL`` setting carrying one must not print it in `trader config`, in an error, or anywhere
the registry masks; harmless parameters (``api-version=2024-06-01``) stay visible.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trader_cli.config import load_settings
from trader_cli.redaction import REGISTRY, redact, redact_url, register_settings

URL = "https://llm.example/v1?api-version=2024-06-01&key=qkey-7777abc&access_token=tok-8888xyz"


def test_redact_url_masks_credential_query_values_only() -> None:
    shown = redact_url(URL)
    assert "qkey-7777abc" not in shown and "tok-8888xyz" not in shown
    assert "key=***" in shown and "access_token=***" in shown
    assert "api-version=2024-06-01" in shown


def test_a_settings_url_query_key_is_registered_as_a_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", URL)
    register_settings(load_settings())
    assert "qkey-7777abc" in REGISTRY.secrets
    assert "2024-06-01" not in REGISTRY.secrets  # a date is no secret: dates stay readable
    assert "qkey-7777abc" not in redact("LLM said: 401 for key qkey-7777abc")


def test_trader_config_never_shows_a_url_query_key(
    trader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_BASE_URL", URL)
    r = trader("config")
    assert r.code == 0, r.err
    assert "qkey-7777abc" not in r.out + r.err
    assert "tok-8888xyz" not in r.out + r.err

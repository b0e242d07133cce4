"""Gemini account identifiers are rewritten consistently; a leftover secret refuses the write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.replay.gemini_fixture import API_KEY, record_gemini_against_sim
from trader_cli.errors import SafetyRefused
from trader_cli.replay.gemini_sanitize import GeminiSanitizer, gemini_leftovers
from trader_cli.sim.gemini_rest.venue import GeminiVenue

ACCOUNT_ANSWER = {
    "account": {"accountName": "Jane's Trading", "shortName": "janes-trading",
                "type": "exchange", "created": 1719968400000},
    "users": [{"name": "Jane Q Citizen", "email": "jane@example.com", "status": "Active"}],
    "memo_reference_code": "GEMJQC123",
}  # fmt: skip


def test_account_names_holder_and_key_get_the_same_placeholder_everywhere() -> None:
    sanitizer = GeminiSanitizer()
    body = json.dumps(ACCOUNT_ANSWER)
    order = json.dumps({"order_id": "1", "account": "janes-trading", "symbol": "btcusd",
                        "note": "made with account-AbCdEf123456"})  # fmt: skip
    sanitizer.learn_texts([body, order])
    clean = sanitizer.text(body + order)
    for original in ("Jane's Trading", "janes-trading", "Jane Q Citizen", "jane@example.com",
                     "GEMJQC123", "account-AbCdEf123456"):  # fmt: skip
        assert original not in clean
    assert clean.count("<account-2>") == 2  # the short name, in both answers
    assert "<holder-1>" in clean and "<api-key-1>" in clean
    assert '"symbol": "btcusd"' in clean and '"type": "exchange"' in clean  # not identity
    assert gemini_leftovers({"cassette.yaml": clean}, sanitizer) == []


def test_gemini_s_default_account_name_is_kept() -> None:
    sanitizer = GeminiSanitizer()
    sanitizer.learn_texts(['[{"account": "primary", "order_id": "7"}]'])
    assert sanitizer.replacements == {}
    assert sanitizer.text('{"account": "primary"}') == '{"account": "primary"}'


@pytest.mark.parametrize(
    ("planted", "found"),
    [
        ('{"request": "/v1/balances", "nonce": 1719968400000}', "a nonce field"),
        ('body: "{\\"request\\": \\"/v1/balances\\", \\"nonce\\": 17}"', "a nonce field"),
        ("nonce: 1719968400000", "a nonce field"),
        ("X-GEMINI-SIGNATURE: 3f2a", "x-gemini-signature"),
        ("made with account-AbCdEf123456", "ac" + "*" * 16 + "56"),
        ("the secret s3cret-value-99 again", "s3***********99"),
    ],
)
def test_a_nonce_an_auth_header_or_a_key_is_a_leftover(planted: str, found: str) -> None:
    leftovers = gemini_leftovers(
        {"golden/x.json": planted}, GeminiSanitizer(), ["s3cret-value-99"]
    )
    assert ("golden/x.json", found) in leftovers


async def test_a_planted_leftover_refuses_the_recording_and_writes_nothing(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = GeminiVenue.balances

    def with_the_key_in_capitals(self: GeminiVenue) -> list[dict[str, Any]]:
        # the key, written otherwise than the filter scrubs it: only the scan can catch it
        return [{**row, "label": API_KEY.upper()} for row in original(self)]

    monkeypatch.setattr(GeminiVenue, "balances", with_the_key_in_capitals)
    out = tmp_path / "rec"
    with pytest.raises(SafetyRefused, match="recording refused, nothing written") as info:
        await record_gemini_against_sim(out, with_orders=False)
    assert API_KEY.upper() not in str(info.value)  # the message masks what it found
    assert not out.exists()


async def test_an_account_name_in_an_answer_is_rewritten_in_the_recording(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = GeminiVenue.balances

    def named(self: GeminiVenue) -> list[dict[str, Any]]:
        return [{**row, "account": "janes-trading"} for row in original(self)]

    monkeypatch.setattr(GeminiVenue, "balances", named)
    out = tmp_path / "rec"
    summary = await record_gemini_against_sim(out, with_orders=False)
    assert summary.accounts_rewritten == 1
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "janes-trading" not in text
    assert '"account": "<account-1>"' in text

"""Account ids and the holder's identity are rewritten consistently; a leftover refuses a write."""

from __future__ import annotations

from pathlib import Path

import pytest

from trader_cli.errors import SafetyRefused
from trader_cli.replay.sanitize import Sanitizer, scan_for_leftovers
from trader_cli.replay.wirelog import WireRecord
from trader_cli.services.recording import write_recording


def _s2c(*fields: str) -> WireRecord:
    return WireRecord(0, "s2c", 0.0, list(fields))


RECORDS = [
    _s2c("15", "1", "DU1111111,DU2222222"),  # managed accounts
    _s2c("6", "2", "AccountCode", "DU1111111", "", "DU1111111"),
    _s2c("6", "2", "AccountHolder", "Jane Q Citizen", "", "DU1111111"),
    _s2c("63", "1", "9", "DU1111111", "Address", "1 George St, Sydney", ""),
    _s2c("6", "2", "NetLiquidation", "100000.00", "AUD", "DU1111111"),
    _s2c("4", "2", "-1", "2104", "note for U3333333 and Jane Q Citizen", ""),
]


def test_ids_and_holder_values_get_the_same_placeholder_everywhere() -> None:
    sanitizer = Sanitizer()
    sanitizer.learn(RECORDS)
    out = sanitizer.records(RECORDS)
    assert out[0].fields[2] == "DUREC0001,DUREC0002"
    assert out[1].fields[3] == out[1].fields[5] == "DUREC0001"
    assert out[2].fields[3] == "<holder-1>"
    assert out[3].fields[3] == "DUREC0001" and out[3].fields[5] == "<holder-2>"
    assert out[4].fields[3] == "100000.00"  # money is not identity
    assert out[5].fields[4] == "note for UREC0003 and <holder-1>"  # live stays live-shaped
    text = "\n".join("\0".join(r.fields) for r in out)
    assert scan_for_leftovers({"wire": text}, sanitizer.replacements) == []


def test_the_same_input_always_gets_the_same_placeholder() -> None:
    a, b = Sanitizer(["DU1111111"]), Sanitizer(["DU1111111"])
    assert a.text("DU1111111 x DU1111111") == "DUREC0001 x DUREC0001"
    assert b.text("DU1111111") == a.text("DU1111111")
    assert a.add_account("DU1111111") == "DUREC0001"  # learning it again changes nothing
    assert a.data({"account_id": "DU1111111", "rows": ["DU1111111"]}) == {
        "account_id": "DUREC0001", "rows": ["DUREC0001"],
    }  # fmt: skip


def test_a_planted_leftover_refuses_the_recording_and_writes_nothing(tmp_path: Path) -> None:
    sanitizer = Sanitizer(["DU1111111"])
    sanitizer.add_holder_value("Jane Q Citizen")
    out = tmp_path / "rec"
    files = {
        "wire.jsonl": sanitizer.text('{"fields": ["DU1111111"]}\n'),
        "golden/account.json": '{"holder": "jane q citizen"}\n',  # escaped the rewrite
    }
    with pytest.raises(SafetyRefused, match="recording refused, nothing written"):
        write_recording(out, files, sanitizer)
    assert not out.exists()


def test_an_account_shaped_leftover_is_refused_even_if_never_learnt(tmp_path: Path) -> None:
    with pytest.raises(SafetyRefused) as info:
        write_recording(tmp_path / "rec", {"wire.jsonl": "from DF7777777\n"}, Sanitizer())
    assert "DF*****77" in str(info.value)  # the message masks what it found
    assert "7777777" not in str(info.value)


def test_a_clean_recording_is_written(tmp_path: Path) -> None:
    sanitizer = Sanitizer(["DU1111111"])
    write_recording(tmp_path / "rec", {"golden/a.json": sanitizer.text('"DU1111111"')}, sanitizer)
    assert (tmp_path / "rec" / "golden" / "a.json").read_text() == '"DUREC0001"'


def test_values_are_rewritten_whole_never_inside_other_text() -> None:
    sanitizer = Sanitizer()
    sanitizer.learn(
        [
            _s2c("6", "2", "AccountOrGroup", "All", "", "DU1111111"),  # not the holder
            _s2c("6", "2", "City", "Perth", "", "DU1111111"),
        ]
    )
    assert "All" not in sanitizer.replacements
    assert sanitizer.text("Perth, WA; Perthshire; All accounts") == (
        "<holder-1>, WA; Perthshire; All accounts"
    )
    assert sanitizer.text("DU11111119 DU1111111") == "DU11111119 DUREC0001"

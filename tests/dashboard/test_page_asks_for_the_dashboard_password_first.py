"""With DASHBOARD_PASSWORD set the page shows nothing until this session gives it."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import badge_of, run_page

PASSWORD = "correct horse battery staple"


def _everything(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [t.value for t in at.text_input]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def locked(page_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", PASSWORD)


def test_nothing_shown_before_the_password(locked) -> None:
    at = run_page()
    assert not at.exception
    assert badge_of(at) is None
    assert not at.metric
    assert [t.label for t in at.text_input] == ["Password"]


def test_a_wrong_password_is_refused(locked) -> None:
    at = run_page()
    at.text_input[0].input("correct horse battery")
    at.button[0].click().run()
    assert badge_of(at) is None
    assert not at.metric
    assert [e.value for e in at.error] == ["wrong password"]
    assert PASSWORD not in _everything(at)


def test_the_right_password_opens_the_page(locked) -> None:
    at = run_page()
    at.text_input[0].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert badge_of(at) == "SIMULATED"
    assert "net liquidation" in {m.label for m in at.metric}
    assert "Password" not in [t.label for t in at.text_input]
    assert PASSWORD not in _everything(at)


def test_without_a_password_the_page_opens_at_once(page_env) -> None:
    at = run_page()
    assert badge_of(at) == "SIMULATED"
    assert not at.text_input or "Password" not in [t.label for t in at.text_input]

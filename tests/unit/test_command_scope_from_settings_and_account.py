"""A command's scope: venue, backend and mode from settings; the account agrees with the mode."""

from __future__ import annotations

import pytest

from trader_cli.config import load_settings
from trader_cli.domain.scope import Backend, Mode, Scope
from trader_cli.errors import SafetyRefused
from trader_cli.services.context import check_account_matches_scope, command_scope


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Scope("ib", Backend.SIM, Mode.SIM)),
        ({"ACTIVE_EXCHANGE": "sim"}, Scope("ib", Backend.SIM, Mode.SIM)),
        ({"ACTIVE_EXCHANGE": "ib"}, Scope("ib", Backend.API, Mode.PAPER)),
        ({"ACTIVE_EXCHANGE": "ib", "IB_PAPER": "false"}, Scope("ib", Backend.API, Mode.LIVE)),
        ({"ACTIVE_EXCHANGE": "gemini"}, Scope("gemini", Backend.API, Mode.PAPER)),
        ({"ACTIVE_EXCHANGE": "gemini", "GEMINI_SANDBOX": "false"},
         Scope("gemini", Backend.API, Mode.LIVE)),
    ],
)
def test_scope_from_settings(clean_env, monkeypatch, env, expected) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    scope = command_scope(load_settings())
    assert scope == expected
    assert scope.file_key == f"{expected.venue}-{expected.mode.value}"


def test_the_account_narrows_the_scope_by_fingerprint_only() -> None:
    scope = Scope("ib", Backend.API, Mode.PAPER).with_account("DU1234567")
    assert scope.account is not None
    assert "DU1234567" not in scope.key
    assert "DU1234567" not in str(scope)
    assert scope != Scope("ib", Backend.API, Mode.PAPER).with_account("DU7654321")


@pytest.mark.parametrize(
    ("mode", "account", "refused"),
    [
        (Mode.PAPER, "DU1234567", False),
        (Mode.PAPER, "U1234567", True),
        (Mode.LIVE, "U1234567", False),
        (Mode.LIVE, "DU1234567", True),
    ],
)
def test_a_gateway_account_that_contradicts_ib_paper_is_refused(mode, account, refused) -> None:
    scope = Scope("ib", Backend.API, mode)
    if refused:
        with pytest.raises(SafetyRefused) as info:
            check_account_matches_scope(scope, account)
        assert account not in info.value.message  # the account id is shown masked
    else:
        check_account_matches_scope(scope, account)


def test_the_sim_is_never_refused_for_its_paper_account() -> None:
    check_account_matches_scope(Scope("ib", Backend.SIM, Mode.SIM), "DU1234567")

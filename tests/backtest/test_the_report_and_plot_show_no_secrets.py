"""Settings with secrets and an account id never reach the backtest's report, its plot or its
errors: the strategy's context carries the (simulated) account, and a failing strategy's
message is shown in the report."""

from __future__ import annotations

import json
import textwrap

from tests.backtest.conftest import write_bars

ACCOUNT = "U1234567"
KEY = "sk-backtest-secret-0123456789abcdef"

LEAKY = f"""
class Leaky:
    name = "leaky"
    steps = 0

    async def decide(self, ctx):
        Leaky.steps += 1
        account = ctx.account
        if Leaky.steps == 3:
            raise RuntimeError(f"account {{account.account_id}} key {KEY!r}")
        return []
"""


def test_no_secret_or_account_id_in_the_report_the_plot_or_the_errors(trader, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("IB_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "leaky.py").write_text(textwrap.dedent(LEAKY))
    monkeypatch.syspath_prepend(str(plugins))
    bars = tmp_path / "BHP_AUD.csv"
    write_bars(bars, 200)
    page = tmp_path / "equity.html"
    outputs = []
    for extra in (["--json"], []):
        r = trader("backtest", "--bars", str(bars), "--strategy", "leaky:Leaky",
                   "--plot", str(page), *extra)
        outputs += [r.out, r.err, page.read_text()]
        assert r.code == 0, r.err
    errors = json.loads(outputs[0])["errors"]
    assert len(errors) == 1 and "account" in errors[0] and "key" in errors[0], errors
    for text in outputs:
        assert ACCOUNT not in text
        assert KEY not in text and KEY[10:] not in text

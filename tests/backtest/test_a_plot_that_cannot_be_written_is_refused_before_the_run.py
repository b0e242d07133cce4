"""``--plot`` to a place it cannot be written is refused before the backtest runs (exit 2, the
reason named), so a long run's report is never lost to an error at its end; nothing is written.
The bars file here has a bad last line: an error about it would mean the run had started."""

from __future__ import annotations

import pytest

from tests.backtest.conftest import SMA, write_bars


@pytest.fixture
def bars(tmp_path):
    path = tmp_path / "BHP_AUD.csv"
    write_bars(path, 100)
    with path.open("a") as f:
        f.write("not,a,bar\n")
    return path


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("missing/equity.png", "no folder"),
        ("missing/equity.html", "no folder"),
        ("a-folder.html", "is a folder"),
        ("equity.jpg", "write a .png or an .html"),
    ],
)
def test_an_unwritable_plot_is_refused_before_the_run(trader, tmp_path, bars, target, said):
    (tmp_path / "a-folder.html").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    r = trader("backtest", "--bars", str(bars), "--strategy", SMA, "--plot",
               str(tmp_path / target))
    assert r.code == 2, (r.out, r.err)
    assert said in r.err and "--plot" in r.err, r.err
    assert "line" not in r.err, "the bars were read: the run started"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_read_only_folder_is_refused_before_the_run(trader, tmp_path, bars):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        r = trader("backtest", "--bars", str(bars), "--strategy", SMA, "--plot",
                   str(ro / "equity.html"))
    finally:
        ro.chmod(0o700)
    assert r.code == 2 and "not writable" in r.err, r.err
    assert list(ro.iterdir()) == []

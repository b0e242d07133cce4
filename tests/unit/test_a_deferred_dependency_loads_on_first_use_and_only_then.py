"""``import_deferring``: a library loads while one of its dependencies waits; the dependency loads
the first time the library uses it, and any later ``import`` of it gets the real module.

Each case runs in a fresh interpreter (``sys.modules`` is a property of the process) on two small
modules written for the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LIBRARY = """
import heavy_dep as hd

def use():
    return hd.VALUE * 2
"""

HEAVY = """
import sys
sys.modules["__main__"].LOADS.append("heavy_dep")
VALUE = 21
"""


def _run(tmp_path: Path, body: str) -> dict[str, object]:
    (tmp_path / "light_lib.py").write_text(LIBRARY)
    (tmp_path / "heavy_dep.py").write_text(HEAVY)
    script = "import json, sys\nLOADS = []\nfrom trader_cli.lazy import import_deferring\n"
    script += textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_dependency_waits_until_the_library_uses_it(tmp_path: Path) -> None:
    out = _run(tmp_path, """
        lib = import_deferring("light_lib", "heavy_dep")
        after_import = list(LOADS), "heavy_dep" in sys.modules
        value = lib.use()
        real = sys.modules["heavy_dep"]
        import heavy_dep
        print(json.dumps({"after_import": after_import, "value": value, "loads": LOADS,
                          "same": heavy_dep is real, "real": type(real).__name__}))
    """)
    assert out["after_import"] == [[], False]  # loaded, and the dependency not yet
    assert out["value"] == 42  # the library's own reference works, through the real module
    assert out["loads"] == ["heavy_dep"]  # loaded once, on that first use
    assert out["same"] is True and out["real"] == "module"


def test_a_later_import_gets_the_real_module_even_if_nothing_used_it(tmp_path: Path) -> None:
    out = _run(tmp_path, """
        import_deferring("light_lib", "heavy_dep")
        import heavy_dep
        print(json.dumps({"loads": LOADS, "value": heavy_dep.VALUE,
                          "real": type(heavy_dep).__name__}))
    """)
    assert out == {"loads": ["heavy_dep"], "value": 21, "real": "module"}


def test_an_already_loaded_dependency_is_left_alone(tmp_path: Path) -> None:
    out = _run(tmp_path, """
        import heavy_dep
        lib = import_deferring("light_lib", "heavy_dep")
        print(json.dumps({"loads": LOADS, "value": lib.use(),
                          "same": lib.hd is heavy_dep}))
    """)
    assert out == {"loads": ["heavy_dep"], "value": 42, "same": True}


def test_ib_async_events_still_make_numpy_arrays(tmp_path: Path) -> None:
    """The real case: the IB adapter loads without numpy, and eventkit's array operator, which
    numpy serves, still works."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent("""
            import json, sys
            import trader_cli.venues.ib.trader
            before = "numpy" in sys.modules
            import eventkit
            event, out = eventkit.Event(), []
            event.array(2).connect(out.append)
            for v in (1, 2, 3):
                event.emit(v)
            print(json.dumps({"before": before, "last": out[-1].tolist(),
                              "type": type(out[-1]).__name__}))
        """)],
        capture_output=True, text=True, check=True, timeout=60, env={"PYTHONPATH": str(ROOT)},
    )
    assert json.loads(done.stdout) == {"before": False, "last": [2, 3], "type": "ndarray"}

"""`archcalc check` loads sympy, rich, PyYAML and click — never torch or textual."""

from __future__ import annotations

import subprocess
import sys

from helpers import SPECS

PROBE = """
import sys
from archcalc.cli import main
try:
    main(["check", {spec!r}, "--format", {fmt!r}])
except SystemExit as exc:
    assert exc.code == 0, exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "textual", "numpy"))
print("HEAVY:", heavy, file=sys.stderr)
"""


def run(fmt: str) -> str:
    code = PROBE.format(spec=str(SPECS / "vgg16.yaml"), fmt=fmt)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stderr.strip().splitlines()[-1]


def test_check_never_imports_torch_or_textual():
    for fmt in ("table", "json", "markdown", "csv"):
        assert run(fmt) == "HEAVY: []"


def test_core_loads_without_the_tui_or_reference():
    code = ("import sys, archcalc.spec, archcalc.analysis, archcalc.render.table;"
            "print(sorted(m for m in sys.modules if m.startswith(('archcalc.tui',"
            "'archcalc.reference', 'torch', 'textual'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr

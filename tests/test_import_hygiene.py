"""`archcalc check` loads PyYAML and click (rich's console only to colour a terminal) —
never torch or textual, nor the other commands' modules, and sympy only when something is
symbolic (archcalc/num.py)."""

from __future__ import annotations

import os
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


SYMPY_PROBE = """
import sys
from archcalc.cli import main
try:
    main({args!r})
except SystemExit as exc:
    assert exc.code in (0, 1), exc.code
print("SYMPY:", "sympy" in sys.modules, file=sys.stderr)
"""


def sympy_loaded(*args: str) -> bool:
    code = SYMPY_PROBE.format(args=["check", *args])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stderr.strip().splitlines()[-1] == "SYMPY: True"


def test_a_check_at_the_defaults_never_imports_sympy():
    # the valid-input line included; blocks, make_divisible, repeats and merges too
    for spec in ("vgg16", "resnet50", "efficientnet_b0", "googlenet", "unet"):
        assert not sympy_loaded(str(SPECS / f"{spec}.yaml"))
    for fmt in ("json", "markdown", "csv"):
        assert not sympy_loaded(str(SPECS / "mobilenet_v3_large.yaml"), "--format", fmt)
    assert not sympy_loaded(str(SPECS / "resnet18.yaml"), "--collapse", "--explain")
    assert not sympy_loaded(*(str(SPECS / f"{s}.yaml") for s in ("lenet5", "alexnet")))


def test_a_formula_imports_sympy():
    assert sympy_loaded(str(SPECS / "alexnet.yaml"), "--symbolic")


LEAN_PROBE = """
import sys
from archcalc.cli import main
try:
    main({args!r})
except SystemExit as exc:
    assert exc.code == 0, exc.code
print("LOADED:", sorted(m for m in {watch!r} if m in sys.modules), file=sys.stderr)
"""
# What `check` of a valid spec, piped, has no use for: the other commands' modules, rich's
# console (the piped table is plain text), and the standard library's difflib (names
# are suggested only for a misspelt one).
NOT_FOR_CHECK = ("archcalc.cli.publish", "archcalc.cli.train", "archcalc.cli.explore",
                 "archcalc.fitcli", "archcalc.importers.torch_import",
                 "archcalc.importers.onnx_import", "archcalc.reference", "rich.console",
                 "rich.table", "difflib", "subprocess")


def test_a_piped_check_loads_neither_the_other_commands_nor_richs_console():
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    for fmt in ("table", "json"):
        code = LEAN_PROBE.format(args=["check", str(SPECS / "vgg16.yaml"), "--format", fmt],
                                 watch=NOT_FOR_CHECK)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env)
        assert out.returncode == 0, out.stderr
        assert out.stderr.strip().splitlines()[-1] == "LOADED: []", fmt

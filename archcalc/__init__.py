"""archcalc: design convolutional networks from one declarative YAML spec.

The pipeline, one package per stage:
    spec text -> `spec` (parsed, with source positions) -> `graph` -> `analysis`
    (immutable results) -> `render` (table, JSON, Markdown, CSV) and the TUI.
Layer kinds live in `layers`, one module per family, registered by name.
"""

import os as _os

__version__ = "0.1.0"

# An install maps the repository's top-level tui/, reference/ and specs/ to archcalc.tui,
# archcalc.reference and archcalc.specs (pyproject's package-dir). Run from a source
# checkout instead (`python -m archcalc` in the repository root puts ./archcalc first on
# sys.path), those folders sit beside this package, not in it: search there too, so the
# same names resolve to the same files either way.
_checkout = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if all(_os.path.isfile(_os.path.join(_checkout, d, "__init__.py"))
       for d in ("specs", "tui", "reference")):
    __path__.append(_checkout)  # noqa: F821 - the package's own search path

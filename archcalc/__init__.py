"""archcalc: design convolutional networks from one declarative YAML spec.

The pipeline, one package per stage:
    spec text -> `spec` (parsed, with source positions) -> `graph` -> `analysis`
    (immutable results) -> `render` (table, JSON, Markdown, CSV) and the TUI.
Layer kinds live in `layers`, one module per family, registered by name.
"""

__version__ = "0.1.0"

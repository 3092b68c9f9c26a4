"""The interactive Textual design session (`archcalc tui`), installed as `archcalc.tui`.

Needs textual (`pip install 'archcalc[tui]'`), never torch.
"""


def run(path=None, text=None) -> None:
    """Start the app on `path` (None: untitled) with `text` (None: the file's, else the
    LeNet-5 template)."""
    from .app import ArchcalcApp

    ArchcalcApp(path, text).run()

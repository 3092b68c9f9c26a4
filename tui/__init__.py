"""The interactive Textual design session (`archcalc tui`), installed as `archcalc.tui`.

Needs textual (`pip install 'archcalc[tui]'`), never torch.
"""


def run(path=None) -> None:
    from .app import ArchcalcApp

    ArchcalcApp(path).run()

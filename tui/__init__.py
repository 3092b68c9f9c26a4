"""The interactive Textual design session (`archcalc tui`), installed as `archcalc.tui`."""

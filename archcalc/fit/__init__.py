"""Sizing a network to a budget: the inverse questions of the analysis.

`constraints.py` reads a budget (`params <= 5e6 and macs < 10G`) by hand; `figures.py`
names the figures it may hold and reads them off an analysis; `evaluate.py` evaluates
the analysis' formulas exactly at many points; `probe.py` gives a design's figures as a
function of a symbol (from the formulas, by re-analysis where the symbol changes the
graph, or for the batch size from the memory estimate); `solve.py` finds the largest or
smallest value that meets the budget and checks it; `sweep.py` tabulates the figures over
a range. Nothing here prints: `render/fit_text.py` does.
"""

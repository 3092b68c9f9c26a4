"""`python -m archcalc` is the `archcalc` command."""

from .cli import main

main()

"""The PyTorch side of archcalc (compiler and trainer), installed as `archcalc.reference`."""

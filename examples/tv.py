"""torchvision's model builders, importable on machines where torchvision's C extension
does not load (the CPU torch 2.13 wheel): its models are pure Python once an empty module
stands in for `torchvision._meta_registrations`, which registers meta kernels for its C++
ops at import. Used by README's examples and the import tests:

    archcalc import examples/tv.py:resnet18 -o resnet18.yaml
"""

import sys
import types

_NAME = "torchvision._meta_registrations"
sys.modules.setdefault(_NAME, types.ModuleType(_NAME))

from torchvision.models import *  # noqa: E402,F401,F403 - re-exported: resnet18, mobilenet_v2, …

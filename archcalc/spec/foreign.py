"""Other frameworks' argument names, and what archcalc calls them.

A person who writes Keras (`Conv2D(filters=…, kernel_size=…, strides=…)`) or PyTorch
(`nn.Conv2d(in_channels, out_channels, kernel_size)`) will type those names into a spec.
A "did you mean" by spelling sends them wrong (`filters` → `first`, `activation` →
`dilation`), so these names get a precise hint instead.
"""

from __future__ import annotations

# name in Keras or PyTorch -> archcalc's argument (None: archcalc never writes it)
RENAMED = {
    "filters": "out", "out_channels": "out", "units": "out", "out_features": "out",
    "num_outputs": "out", "kernel_size": "kernel", "pool_size": "kernel", "strides": "stride",
    "dilation_rate": "dilation", "use_bias": "bias", "rate": "p", "epsilon": "eps",
}
INFERRED = {"in_channels", "in_features", "num_features", "input_shape", "input_dim",
            "num_channels"}
WHERE = {"filters": "Keras's", "units": "Keras's", "kernel_size": "Keras's and PyTorch's",
         "pool_size": "Keras's", "strides": "Keras's", "dilation_rate": "Keras's",
         "use_bias": "Keras's", "rate": "Keras's (Dropout)", "epsilon": "Keras's"}


def hint(key: str, kind: str, params: list[str]) -> str:
    """A precise hint for a foreign argument name, or "" when `key` is not one."""
    if key in INFERRED:
        return (f"archcalc never writes input channels or features ({key}): each layer "
                "takes them from the layer before")
    if key == "activation":
        return (f"archcalc writes an activation as its own layer: `- relu` (or gelu, silu, …) "
                f"after this {kind}")
    target = RENAMED.get(key)
    if target is not None and target in params:
        where = WHERE.get(key, "PyTorch's")
        return f"`{key}` is {where} name; archcalc calls it `{target}`"
    return ""

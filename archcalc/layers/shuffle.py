"""Channel shuffle (ShuffleNet, Zhang et al., 2018; ShuffleNetV2's `channel_shuffle` in
torchvision/models/shufflenetv2.py): the C channels, seen as `groups` rows of C/groups,
are read column by column, so that the next grouped convolution mixes every group. The
shape is kept; no parameters, no MACs (a reshape and a copy). PyTorch's counterpart is
nn.ChannelShuffle(groups), which computes the same permutation.
"""

from __future__ import annotations

from .. import num
from .base import COUNT, Ctx, Facts, LayerKind, Param, Shape, flat_input_error
from .call import Call
from .registry import register


@register
class ChannelShuffle(LayerKind):
    name = "channel_shuffle"
    aliases = ("channelshuffle",)
    category = "reshape"
    torch = "nn.ChannelShuffle"
    summary = "interleave the channels of `groups` groups (ShuffleNet)"
    name_prefix = "shuffle"
    shorthand = "groups"
    params = (Param("groups", COUNT, doc="number of groups (C must be divisible by it)"),)

    def infer(self, xs: tuple[Shape, ...], ctx: Ctx) -> Facts:
        x, g = xs[0], self.groups
        if x.flat:  # nn.ChannelShuffle needs N×C×… with at least one spatial dim
            return flat_input_error(self.name, x, ctx, "shuffle before `flatten`")
        rem = num.Mod(x.c, g)
        if rem.is_number and rem != 0:
            return Facts(x, findings=(ctx.error(
                f"channel_shuffle: {x.c} channels do not split into {g} groups: "
                f"{x.c} = {x.c // g}·{g} + {rem}", "choose groups dividing the channels",
                param="groups", code="groups"),), fatal=True)
        return Facts(x, call=Call("nn.ChannelShuffle", (g,)))

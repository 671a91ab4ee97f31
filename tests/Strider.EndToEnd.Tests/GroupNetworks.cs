namespace Strider.EndToEnd.Tests;

// Networks with grouped convolutions, as tools/reference/group_nets.py declares them in PyTorch (same layer names).

/// <summary>MobileNet's depthwise-separable block: depthwise 3x3, BatchNorm (folded into it at inference), Relu, pointwise 1x1.</summary>
[Network, Input(4, 8, 8)]
[Conv(4, 3, Pad = 1, Groups = 4, Bias = false, Name = "dw"), BatchNorm(Name = "bn"), Relu, Conv(8, 1, Name = "pw")]
public partial class DepthwiseSeparable;

/// <summary>Two groups through a 3x3 and a strided 1x1 convolution.</summary>
[Network, Input(4, 6, 6)]
[Conv(6, 3, Groups = 2, Name = "c1"), Relu, Conv(4, 1, Stride = 2, Groups = 2, Name = "c2")]
public partial class GroupedConvs;

/// <summary>A strided grouped Deconv, then a BatchNorm (run on its own: not folded into a grouped Deconv) and Relu.</summary>
[Network, Input(4, 5, 5)]
[Deconv(6, 3, Stride = 2, Groups = 2, Name = "up"), BatchNorm(Name = "bn"), Relu]
public partial class GroupedDeconv;

/// <summary>A grouped Conv and the grouped Deconv reading its weights transposed.</summary>
[Network, Input(4, 6, 6)]
[Conv(6, 3, Groups = 2, Name = "enc"), Relu, Deconv(4, 3, TiedTo = "enc", Groups = 2, Name = "dec")]
public partial class TiedGroupedConvs;

/// <summary>A grouped Conv feeding a BatchNorm folded into it at inference, the norm's channels spanning both groups.</summary>
[Network, Input(4, 6, 6)]
[Conv(6, 3, Pad = 1, Groups = 2, Name = "c"), BatchNorm(Name = "bn")]
public partial class GroupedConvNorm;

/// <summary>Squeeze-and-excitation: a full-size AvgPool squeezes each channel, a 1x1 bottleneck makes a sigmoid gate, Multiply broadcasts it.</summary>
[Network, Input(3, 4, 4)]
[Conv(8, 3, Pad = 1, Name = "conv"), Relu(Name = "act")]
[AvgPool(4, Name = "squeeze"), Conv(2, 1, Name = "fc1"), Relu, Conv(8, 1, Name = "fc2"), Sigmoid(Name = "gate")]
[Multiply("act", "gate", Name = "scale")]
public partial class SqueezeExcite;

/// <summary>A per-channel mean added back to the features (the C x 1 x 1 operand first), then multiplied by them (equal shapes).</summary>
[Network, Input(3, 4, 4)]
[Conv(3, 1, Name = "c"), AvgPool(4, Name = "p"), Add("p", "c", Name = "s"), Multiply("s", "c", Name = "prod")]
public partial class BroadcastAdd;

/// <summary>One input multiplied by itself: its gradient is both operands' (2·x·dy).</summary>
[Network, Input(2, 3, 3)]
[Multiply("input", "input")]
public partial class Square;

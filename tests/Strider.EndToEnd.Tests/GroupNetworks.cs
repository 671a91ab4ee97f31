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

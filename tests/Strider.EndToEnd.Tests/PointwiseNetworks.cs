namespace Strider.EndToEnd.Tests;

/// <summary>Issue 13's activations between convolutions, as tools/reference/pointwise_nets.py builds them in PyTorch.</summary>
[Network, Input(3, 6, 6)]
[Conv(4, 3, Pad = 1, Name = "c1"), Relu6, Conv(4, 3, Pad = 1, Name = "c2"), HardTanh(-0.5, 0.75)]
[Conv(4, 1, Name = "c3"), Silu, Gelu, Conv(4, 1, Name = "c4"), Gelu(Approximate = true), HardSwish]
[Conv(4, 1, Name = "c5"), HardSigmoid, Conv(2, 1, Name = "c6"), Softplus]
public partial class PointwiseActivations;

/// <summary>The same kinds with their defaults (HardTanh's [-1, 1]) on a smaller net for finite differences.</summary>
[Network, Input(2, 5, 5)]
[Conv(3, 3, Pad = 1, Name = "c1"), HardTanh, Conv(3, 1), Silu, Gelu, Conv(3, 1), Gelu(Approximate = true), Relu6]
[Conv(3, 1), HardSwish, Conv(3, 1), HardSigmoid, Conv(2, 1), Softplus]
public partial class PointwiseDefaults;

/// <summary>PRelu on the network's input, per channel after a conv, and shared, as pointwise_nets.py's prelu fixture.</summary>
[Network, Input(3, 6, 6)]
[PRelu(Name = "p0"), Conv(4, 3, Pad = 1, Name = "c1"), PRelu(Name = "p1"), Conv(2, 1, Name = "c2"), PRelu(Shared = true, Name = "p2")]
public partial class PReluNet;

/// <summary>PRelu on 1-D data and on features, for finite differences.</summary>
[Network, Input(2, 9)]
[Conv(3, 3, Name = "c1"), PRelu, Flatten, Dense(4), PRelu, Dense(2), PRelu(Shared = true)]
public partial class PReluShapes;

/// <summary>GroupNorm and LayerNorm (ConvNeXt's epsilon) between convolutions, as pointwise_nets.py's norms fixture.</summary>
[Network, Input(4, 5, 5)]
[Conv(6, 3, Pad = 1, Name = "c1"), GroupNorm(3, Name = "g1"), Conv(4, 1, Name = "c2"), LayerNorm(Epsilon = 1e-6, Name = "ln1")]
[Conv(2, 1, Name = "c3")]
public partial class NormNet;

/// <summary>Both norms on 1-D data and LayerNorm on features, for finite differences.</summary>
[Network, Input(2, 7)]
[Conv(4, 3, Name = "c1"), GroupNorm(2), Conv(3, 1), LayerNorm, Flatten, Dense(4), LayerNorm, Dense(2)]
public partial class NormShapes;

/// <summary>DenseLeNet's windows (field 16, stride 4) with issue 13's activations and PRelu slopes between them.</summary>
[Network(Dense = true), Input(1, Dim.Any, Dim.Any)]
[Conv(4, 5), PRelu, MaxPool(2)]
[Conv(6, 3), Gelu(Approximate = true), HardSwish, AvgPool(2)]
[Conv(5, 2), Silu, PRelu(Shared = true), Relu6, HardTanh, Conv(3, 1), HardSigmoid, Softplus, Gelu]
public partial class DensePointwise;

namespace Strider.EndToEnd.Tests;

/// <summary>The U-net's pattern: at inference the norm folds into c1 and the dropout reuses the Relu's buffer.</summary>
[Network, Input(2, 9, 9)]
[Conv(4, 3, Name = "c1"), BatchNorm, Relu, Dropout(0.3), Conv(3, 3, Name = "c2")]
public partial class ConvNormDrop;

/// <summary>Convs without bias (the fold makes one); the last norm is the output, so the folded conv writes it.</summary>
[Network, Input(2, 9, 9)]
[Conv(4, 3, Bias = false), BatchNorm, Relu, Dropout(0.3), Conv(3, 3, Bias = false), BatchNorm]
public partial class ConvNormNoBias;

/// <summary>Deconvs (weights [in, out, k, k], scaled along out) with and without bias, non-square input.</summary>
[Network, Input(3, 4, 5)]
[Deconv(4, 3, Stride = 2), BatchNorm, Relu, Deconv(2, 3, Bias = false), BatchNorm]
public partial class DeconvNorm;

/// <summary>A conv read by its BatchNorm and by an Add: not folded, the norm keeps its own pass.</summary>
[Network, Input(2, 6, 6)]
[Conv(3, 3, Pad = 1, Name = "c"), BatchNorm(Name = "bn"), Add("c", "bn")]
public partial class SharedConvNorm;

/// <summary>Stride 2 then a conv, both normalised: ForwardDense folds with dilated geometry. Valid sizes 7 + 2n.</summary>
[Network(Dense = true), Input(2, Dim.Any, Dim.Any)]
[Conv(4, 3, Stride = 2), BatchNorm, Relu, Dropout(0.3), Conv(3, 3), BatchNorm, Tanh]
public partial class DenseConvNorm;

/// <summary>Dropout on the input (copied: the output never aliases the caller's tensor), mid-net and last.</summary>
[Network, Input(2, 8, 8)]
[Dropout(0.5), Conv(3, 3, Name = "c1"), Tanh, Dropout(0.5), Conv(2, 3, Name = "c2"), Dropout(0.5)]
public partial class DropoutEverywhere;

/// <summary><see cref="DropoutEverywhere"/> without its dropouts: the same parameters, the identity at inference.</summary>
[Network, Input(2, 8, 8)]
[Conv(3, 3, Name = "c1"), Tanh, Conv(2, 3, Name = "c2")]
public partial class DropoutFree;

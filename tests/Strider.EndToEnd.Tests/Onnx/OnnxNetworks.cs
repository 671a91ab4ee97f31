namespace Strider.EndToEnd.Tests;

/// <summary>The seed's LeNet.</summary>
[Network, Input(1, 28, 28)]
[Conv(20, 5), MaxPool(2)]
[Conv(50, 5), MaxPool(2)]
[Conv(500, 4), Relu]
[Conv(10, 1), Softmax]
public partial class LeNet;

/// <summary>The denoising U-net autoencoder of the issues, free sizes 61 + 16n.</summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
[Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
[Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, Relu(Name = "d12")]
[Add("c12", "d12")]
[Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
public partial class Ddae;

/// <summary>WaveNet-style causal dilated 1-D stack.</summary>
[Network, Input(16, 256)]
[Conv(32, 2, Padding = Padding.Causal), Tanh]
[Conv(32, 2, Dilation = 2, Padding = Padding.Causal), Tanh]
[Conv(32, 2, Dilation = 4, Padding = Padding.Causal), Tanh]
[Conv(32, 2, Dilation = 8, Padding = Padding.Causal), Tanh]
[Conv(32, 2, Dilation = 16, Padding = Padding.Causal), Tanh]
[Conv(8, 1), LogSoftmax]
public partial class WaveNet;

/// <summary>A ResNet basic block with its identity skip.</summary>
[Network, Input(64, 56, 56)]
[Conv(64, 3, Pad = 1, Bias = false), BatchNorm, Relu]
[Conv(64, 3, Pad = 1, Bias = false), BatchNorm(Name = "bn2")]
[Add("input", "bn2"), Relu]
public partial class ResNetBlock;

/// <summary>Feature-pyramid style Concat of a fine and an upsampled coarse map, free sizes.</summary>
[Network, Input(3, Dim.Any, Dim.Any, Name = "image")]
[Conv(16, 3, Padding = Padding.Same, Name = "p1"), Relu]
[MaxPool(2), Conv(32, 3, Padding = Padding.Same), Relu(Name = "p2")]
[Deconv(16, 2, Stride = 2, Name = "up")]
[Concat("p1", "up"), Conv(4, 1)]
public partial class Pyramid;

#pragma warning disable STR0001 // conv1 leaves the last row unread on purpose: the export must crop it as Strider does
/// <summary>
/// Every way a window's end pad comes about: asymmetric explicit pads with an unread row, ceil mode, Same with stride,
/// transposed Same and output padding, dilated Same max pool, dilated average pool (opset 19).
/// </summary>
[Network, Input(2, 11, 12)]
[Conv(3, 3, Strides = new[] { 2, 1 }, Pads = new[] { 1, 0, 0, 2 }), Elu]
[MaxPool(2, CeilMode = true), AvgPool(3, Stride = 2, Padding = Padding.Same)]
[Deconv(4, 3, Stride = 2, Padding = Padding.Same), Sigmoid]
[Deconv(2, 2, Stride = 3, OutputPadding = 1)]
[MaxPool(3, Stride = 1, Dilation = 2, Padding = Padding.Same), AvgPool(2, Dilation = 2)]
public partial class Borders;
#pragma warning restore STR0001

/// <summary>The elementwise rest of the vocabulary and a three-way sum (ONNX Sum), then Reshape to features and Dense.</summary>
[Network, Input(2, 6, 6)]
[Conv(4, 3, Pad = 1, Name = "a"), Clip(-0.5, 0.5, Name = "b")]
[Sigmoid, Log, Exp(Name = "e")]
[Add("a", "b", "e")]
[Reshape(144), Dense(5), Tanh]
public partial class Elementwise;

/// <summary>LeakyRelu with an explicit slope and PyTorch's default (ONNX LeakyRelu's alpha), after a BatchNorm folded at inference.</summary>
[Network, Input(2, 6, 6)]
[Conv(3, 3, Pad = 1), LeakyRelu(0.2f), Conv(2, 3), BatchNorm, LeakyRelu]
public partial class Leaky;

/// <summary>Issue 13's activations: Clip for Relu6/HardTanh, composed Silu and both GELUs, HardSwish, HardSigmoid, Softplus.</summary>
[Network, Input(2, 6, 6)]
[Conv(4, 3, Pad = 1), Relu6, Conv(4, 3, Pad = 1), HardTanh(-0.5, 0.75), Conv(4, 1), Silu, Gelu, Conv(4, 1)]
[Gelu(Approximate = true), HardSwish, Conv(4, 1), HardSigmoid, Conv(2, 1), Softplus]
public partial class PointwiseOnnx;

/// <summary>PRelu's slope reshaped to [C, 1, 1] (and [C] on features, [1] shared) for ONNX's broadcasting.</summary>
[Network, Input(2, 6, 6)]
[PRelu, Conv(4, 3, Pad = 1), PRelu(Shared = true), Conv(3, 3), Flatten, Dense(5), PRelu]
public partial class PReluOnnx;

/// <summary>GroupNorm composed (Reshape, InstanceNormalization, affine) and LayerNorm over channels (Transpose, LayerNormalization), in 2-D, 1-D and on features.</summary>
[Network, Input(4, 6, 6)]
[Conv(6, 3, Pad = 1), GroupNorm(3), Conv(4, 1), LayerNorm(Epsilon = 1e-6), Conv(2, 3), Flatten, Dense(6), LayerNorm, GroupNorm(2)]
public partial class NormOnnx;

[Network, Input(3, 10)]
[Conv(4, 3), GroupNorm(4), LayerNorm, Conv(2, 1)]
public partial class NormOnnx1d;

/// <summary>The norms and PRelu on free sizes: one exported model (GroupNorm reshapes back to the input's run-time shape) for every size.</summary>
[Network, Input(3, Dim.Any, Dim.Any)]
[Conv(4, 3, Pad = 1), GroupNorm(2), PRelu, LayerNorm, Gelu, Conv(2, 1)]
public partial class NormOnnxFree;

/// <summary>Softplus alone, for inputs beyond PyTorch's threshold (20), where ONNX's Softplus has none.</summary>
[Network, Input(1, 8)]
[Softplus]
public partial class SoftplusOnnx;

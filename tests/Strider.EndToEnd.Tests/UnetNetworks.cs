namespace Strider.EndToEnd.Tests;

/// <summary>Pool and unpool alone.</summary>
[Network, Input(2, 6, 8)]
[MaxPool(2, KeepSwitches = true, Name = "pool"), MaxUnpool(Switches = "pool")]
public partial class PoolUnpool;

/// <summary>A Deconv tied to the Conv before it: 2 -> 3 -> 2 channels, so a layout slip would show.</summary>
[Network, Input(2, 6, 6)]
[Conv(3, 3, Name = "enc"), Tanh]
[Deconv(2, 3, TiedTo = "enc", Name = "dec")]
public partial class TiedPair;

/// <summary><see cref="TiedPair"/> with the Deconv's weights its own.</summary>
[Network, Input(2, 6, 6)]
[Conv(3, 3, Name = "enc"), Tanh]
[Deconv(2, 3, Name = "dec")]
public partial class UntiedPair;

/// <summary>The two halves of a tie without biases, to check the Deconv is the Conv's adjoint.</summary>
[Network, Input(2, 6, 6), Conv(3, 3, Bias = false, Name = "enc")]
public partial class ConvOnly;

[Network, Input(3, 4, 4), Deconv(2, 3, Bias = false, Name = "dec")]
public partial class DeconvOnly;

/// <summary>WaveNet-style: kernel 2, causal, dilations 1 to 16; receptive field 1 + (1 + 2 + 4 + 8 + 16) = 32.</summary>
[Network, Input(2, 48)]
[Conv(4, 2, Padding = Padding.Causal), Tanh]
[Conv(4, 2, Dilation = 2, Padding = Padding.Causal), Tanh]
[Conv(4, 2, Dilation = 4, Padding = Padding.Causal), Tanh]
[Conv(4, 2, Dilation = 8, Padding = Padding.Causal), Tanh]
[Conv(4, 2, Dilation = 16, Padding = Padding.Causal), Tanh]
[Conv(3, 1)]
public partial class WaveNetStack;

/// <summary>Channels-first 1-D data turned time-major: y[l, c] = x[c, l].</summary>
[Network, Input(3, 5), Permute(1, 0)]
public partial class TimeMajor;

/// <summary>The seed's denoising U-net with its constant-power stage (as samples/Ddae declares it).</summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
[Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
[Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, SoftSign(Name = "d12")]
[Add("c12", "d12")]
[Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
[Clip(1e-3, 1), Log, Conv(1, 1, Bias = false, Name = "power"), Exp]
public partial class DenoisingUnet;

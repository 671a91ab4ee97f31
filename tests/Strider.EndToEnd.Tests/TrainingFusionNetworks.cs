namespace Strider.EndToEnd.Tests;

// Training fusion: each net with Relu runs BatchNorm -> Relu [-> Dropout] as one device op each way; its twin has
// Clip(0, 1e30) in the Relu's place (the same values and gradient for these inputs) and so runs the ops one by one.

/// <summary>The 3-way chain, and a 2-way one whose Relu is the output.</summary>
[Network, Input(2, 9, 9)]
[Conv(4, 3, Name = "c1"), BatchNorm, Relu, Dropout(0.3), Conv(3, 3, Name = "c2"), BatchNorm, Relu]
public partial class TrainNormReluDrop;

/// <summary><see cref="TrainNormReluDrop"/> unfused.</summary>
[Network, Input(2, 9, 9)]
[Conv(4, 3, Name = "c1"), BatchNorm, Clip(0, 1e30), Dropout(0.3), Conv(3, 3, Name = "c2"), BatchNorm, Clip(0, 1e30)]
public partial class TrainNormClipDrop;

/// <summary>The U-net (as samples/Ddae and the W3 benchmark declare it).</summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
[Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
[Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, SoftSign(Name = "d12")]
[Add("c12", "d12")]
[Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
[Clip(1e-3, 1), Log, Conv(1, 1, Bias = false, Name = "power"), Exp]
public partial class TrainUnet;

/// <summary><see cref="TrainUnet"/> unfused.</summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(32, 5, Stride = 2), BatchNorm, Clip(0, 1e30), Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Clip(0, 1e30, Name = "c12")]
[Conv(64, 5, Stride = 2), BatchNorm, Clip(0, 1e30), Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Clip(0, 1e30)]
[Deconv(64, 5, Stride = 2), BatchNorm, Clip(0, 1e30), Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, SoftSign(Name = "d12")]
[Add("c12", "d12")]
[Deconv(32, 5, Stride = 2), BatchNorm, Clip(0, 1e30), Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
[Clip(1e-3, 1), Log, Conv(1, 1, Bias = false, Name = "power"), Exp]
public partial class TrainUnetUnfused;

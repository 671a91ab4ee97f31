using Strider;

namespace Strider.Benchmarks;

/// <summary>LeNet on 28x28 digits (W1), with its fully connected layers written as convolutions.</summary>
[Network]
[Input(1, 28, 28)]
[Conv(20, 5), MaxPool(2)]
[Conv(50, 5), MaxPool(2)]
[Conv(500, 4), Relu]
[Conv(10, 1), Softmax]
public partial class LeNet;

/// <summary>
/// The same LeNet (same parameter names) over any input size: slid over a larger image (W2), strided or dense
/// (effective stride 4, field 28).
/// </summary>
[Network(Dense = true)]
[Input(1, Dim.Any, Dim.Any)]
[Conv(20, 5), MaxPool(2)]
[Conv(50, 5), MaxPool(2)]
[Conv(500, 4), Relu]
[Conv(10, 1), Softmax]
public partial class SlidingLeNet;

/// <summary>The denoising U-net autoencoder (W3, W4): valid sizes 61 + 16n, so 157 and 1565.</summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
[Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
[Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, Relu(Name = "d12")]
[Add("c12", "d12")]
[Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
public partial class Ddae;

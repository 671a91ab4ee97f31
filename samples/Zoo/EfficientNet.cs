using Strider;

namespace Strider.Samples.Zoo;

/// <summary>
/// torchvision's <c>efficientnet_b0</c>: 5,288,548 parameters, with its state_dict names, at 224x224. Stochastic
/// depth (torchvision's per-block <c>StochasticDepth</c>, the identity in eval mode) has no Strider layer, so training
/// this declaration skips it (see README.md).
/// </summary>
[Network, Input(3, 224, 224)]
[Conv(32, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Name = "features.0.1"), Silu]
[MBConv1("features.1.0", 32, 16)]
[MBConv6("features.2.0", 16, 24, 3, Stride = 2), MBConv6("features.2.1", 24, 24, 3, Residual = true)]
[MBConv6("features.3.0", 24, 40, 5, Stride = 2), MBConv6("features.3.1", 40, 40, 5, Residual = true)]
[MBConv6("features.4.0", 40, 80, 3, Stride = 2), MBConv6("features.4.1", 80, 80, 3, Residual = true), MBConv6("features.4.2", 80, 80, 3, Residual = true)]
[MBConv6("features.5.0", 80, 112, 5), MBConv6("features.5.1", 112, 112, 5, Residual = true), MBConv6("features.5.2", 112, 112, 5, Residual = true)]
[MBConv6("features.6.0", 112, 192, 5, Stride = 2), MBConv6("features.6.1", 192, 192, 5, Residual = true)]
[MBConv6("features.6.2", 192, 192, 5, Residual = true), MBConv6("features.6.3", 192, 192, 5, Residual = true)]
[MBConv6("features.7.0", 192, 320, 3)]
[Conv(1280, 1, Bias = false, Name = "features.8.0"), BatchNorm(Name = "features.8.1"), Silu]
[GlobalAvgPool, Flatten, Dropout(0.2, Name = "classifier.0"), Dense(1000, Name = "classifier.1")]
public partial class EfficientNetB0;

/// <summary>The same network at 64x64, the size the tests run.</summary>
[Network, Input(3, 64, 64)]
[Conv(32, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Name = "features.0.1"), Silu]
[MBConv1("features.1.0", 32, 16)]
[MBConv6("features.2.0", 16, 24, 3, Stride = 2), MBConv6("features.2.1", 24, 24, 3, Residual = true)]
[MBConv6("features.3.0", 24, 40, 5, Stride = 2), MBConv6("features.3.1", 40, 40, 5, Residual = true)]
[MBConv6("features.4.0", 40, 80, 3, Stride = 2), MBConv6("features.4.1", 80, 80, 3, Residual = true), MBConv6("features.4.2", 80, 80, 3, Residual = true)]
[MBConv6("features.5.0", 80, 112, 5), MBConv6("features.5.1", 112, 112, 5, Residual = true), MBConv6("features.5.2", 112, 112, 5, Residual = true)]
[MBConv6("features.6.0", 112, 192, 5, Stride = 2), MBConv6("features.6.1", 192, 192, 5, Residual = true)]
[MBConv6("features.6.2", 192, 192, 5, Residual = true), MBConv6("features.6.3", 192, 192, 5, Residual = true)]
[MBConv6("features.7.0", 192, 320, 3)]
[Conv(1280, 1, Bias = false, Name = "features.8.0"), BatchNorm(Name = "features.8.1"), Silu]
[GlobalAvgPool, Flatten, Dropout(0.2, Name = "classifier.0"), Dense(1000, Name = "classifier.1")]
public partial class EfficientNetB0At64;

/// <summary>EfficientNet's MBConv with expansion ratio 1 (features.1.0): 3x3 depthwise with SiLU, squeeze-and-excitation to a quarter, projection.</summary>
[Input(32, 112, 112)] // checked on its own at its defaults: features.1.0's input at 224x224
[Conv(inp, 3, Pad = 1, Groups = inp, Bias = false, Name = "block.0.0"), BatchNorm(Name = "block.0.1"), Silu(Name = "act")]
[GlobalAvgPool(Name = "block.1.avgpool"), Conv(inp / 4, 1, Name = "block.1.fc1"), Silu(Name = "block.1.silu"), Conv(inp, 1, Name = "block.1.fc2"), Sigmoid(Name = "block.1.gate")]
[Multiply("act", "block.1.gate", Name = "block.1.scale")]
[Conv(oup, 1, Bias = false, Name = "block.2.0"), BatchNorm(Name = "block.2.1")]
public sealed class MBConv1 : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> from <paramref name="inp"/> to <paramref name="oup"/> channels.</summary>
    public MBConv1(string name, int inp, int oup) : base(name) { }

    const int inp = 32, oup = 16;
}

/// <summary>
/// EfficientNet's MBConv with expansion ratio 6: 1x1 expansion and k x k depthwise, both with SiLU;
/// squeeze-and-excitation to a quarter of the input channels (SiLU, Sigmoid gate); projection; the input added back
/// with <c>Residual</c> (torchvision's stochastic depth is the identity in eval mode).
/// </summary>
[Input(16, 112, 112)] // checked on its own at its defaults: features.2.0's input at 224x224
[Conv(inp * 6, 1, Bias = false, Name = "block.0.0"), BatchNorm(Name = "block.0.1"), Silu]
[Conv(inp * 6, k, Stride = stride, Pad = k / 2, Groups = inp * 6, Bias = false, Name = "block.1.0"), BatchNorm(Name = "block.1.1"), Silu(Name = "act")]
[GlobalAvgPool(Name = "block.2.avgpool"), Conv(inp / 4, 1, Name = "block.2.fc1"), Silu(Name = "block.2.silu"), Conv(inp * 6, 1, Name = "block.2.fc2"), Sigmoid(Name = "block.2.gate")]
[Multiply("act", "block.2.gate", Name = "block.2.scale")]
[Conv(oup, 1, Bias = false, Name = "block.3.0"), BatchNorm(Name = "block.3.1")]
[Add("input", "block.3.1", Name = "sum", When = nameof(residual))]
public sealed class MBConv6 : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> from <paramref name="inp"/> to <paramref name="oup"/> channels with a <paramref name="k"/> x <paramref name="k"/> depthwise kernel.</summary>
    public MBConv6(string name, int inp, int oup, int k) : base(name) { }

    /// <summary>The depthwise conv's stride.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether the input is added back (stride 1, equal channels).</summary>
    public bool Residual { get; set; }

    const int inp = 16, oup = 24, k = 3, stride = 1;
    const bool residual = false;
}

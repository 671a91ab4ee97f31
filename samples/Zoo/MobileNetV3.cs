using Strider;

namespace Strider.Samples.Zoo;

/// <summary>
/// torchvision's <c>mobilenet_v3_small</c>: 2,542,856 parameters, with its state_dict names, at 224x224. Every
/// BatchNorm has torchvision's eps 0.001 and momentum 0.01.
/// </summary>
[Network, Input(3, 224, 224)]
[Conv(16, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "features.0.1"), HardSwish]
[V3First("features.1")]
[V3Plain("features.2", 72, 24, Stride = 2), V3Plain("features.3", 88, 24, Residual = true)]
[V3Se("features.4", 96, 40, 24, Stride = 2), V3Se("features.5", 240, 40, 64, Residual = true), V3Se("features.6", 240, 40, 64, Residual = true)]
[V3Se("features.7", 120, 48, 32), V3Se("features.8", 144, 48, 40, Residual = true)]
[V3Se("features.9", 288, 96, 72, Stride = 2), V3Se("features.10", 576, 96, 144, Residual = true), V3Se("features.11", 576, 96, 144, Residual = true)]
[Conv(576, 1, Bias = false, Name = "features.12.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "features.12.1"), HardSwish]
[GlobalAvgPool, Flatten, Dense(1024, Name = "classifier.0"), HardSwish, Dropout(0.2, Name = "classifier.2"), Dense(1000, Name = "classifier.3")]
public partial class MobileNetV3Small;

/// <summary>The same network at 64x64, the size the tests run.</summary>
[Network, Input(3, 64, 64)]
[Conv(16, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "features.0.1"), HardSwish]
[V3First("features.1")]
[V3Plain("features.2", 72, 24, Stride = 2), V3Plain("features.3", 88, 24, Residual = true)]
[V3Se("features.4", 96, 40, 24, Stride = 2), V3Se("features.5", 240, 40, 64, Residual = true), V3Se("features.6", 240, 40, 64, Residual = true)]
[V3Se("features.7", 120, 48, 32), V3Se("features.8", 144, 48, 40, Residual = true)]
[V3Se("features.9", 288, 96, 72, Stride = 2), V3Se("features.10", 576, 96, 144, Residual = true), V3Se("features.11", 576, 96, 144, Residual = true)]
[Conv(576, 1, Bias = false, Name = "features.12.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "features.12.1"), HardSwish]
[GlobalAvgPool, Flatten, Dense(1024, Name = "classifier.0"), HardSwish, Dropout(0.2, Name = "classifier.2"), Dense(1000, Name = "classifier.3")]
public partial class MobileNetV3SmallAt64;

/// <summary>mobilenet_v3_small's first block (features.1): no expansion, a stride-2 3x3 depthwise conv, ReLU, squeeze-and-excitation to 8, projection to 16.</summary>
[Input(16, 112, 112)] // checked on its own: features.1's input at 224x224
[Conv(16, 3, Stride = 2, Pad = 1, Groups = 16, Bias = false, Name = "block.0.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.0.1"), Relu(Name = "act")]
[GlobalAvgPool(Name = "block.1.avgpool"), Conv(8, 1, Name = "block.1.fc1"), Relu(Name = "block.1.relu"), Conv(16, 1, Name = "block.1.fc2"), HardSigmoid(Name = "block.1.gate")]
[Multiply("act", "block.1.gate", Name = "block.1.scale")]
[Conv(16, 1, Bias = false, Name = "block.2.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.2.1")]
public sealed class V3First : BlockAttribute
{
    /// <summary>The use named <paramref name="name"/>.</summary>
    public V3First(string name) : base(name) { }
}

/// <summary>mobilenet_v3_small's blocks without squeeze-and-excitation (features.2, 3): 1x1 expansion, 3x3 depthwise, ReLU, projection.</summary>
[Input(16, 56, 56)] // checked on its own at its defaults: features.2's input at 224x224
[Conv(exp, 1, Bias = false, Name = "block.0.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.0.1"), Relu]
[Conv(exp, 3, Stride = stride, Pad = 1, Groups = exp, Bias = false, Name = "block.1.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.1.1"), Relu]
[Conv(oup, 1, Bias = false, Name = "block.2.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.2.1")]
[Add("input", "block.2.1", Name = "sum", When = nameof(residual))]
public sealed class V3Plain : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> expanding to <paramref name="exp"/> and projecting to <paramref name="oup"/> channels.</summary>
    public V3Plain(string name, int exp, int oup) : base(name) { }

    /// <summary>The depthwise conv's stride.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether the input is added back (stride 1, equal channels).</summary>
    public bool Residual { get; set; }

    const int exp = 72, oup = 24, stride = 1;
    const bool residual = false;
}

/// <summary>
/// mobilenet_v3_small's blocks with squeeze-and-excitation (features.4 to 11): 1x1 expansion, 5x5 depthwise, both
/// with Hardswish; the SE gate (global average, fc1 to <c>squeeze</c> with ReLU, fc2 back with Hardsigmoid) scales
/// the depthwise output; projection.
/// </summary>
[Input(24, 28, 28)] // checked on its own at its defaults: features.4's input at 224x224
[Conv(exp, 1, Bias = false, Name = "block.0.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.0.1"), HardSwish]
[Conv(exp, 5, Stride = stride, Pad = 2, Groups = exp, Bias = false, Name = "block.1.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.1.1"), HardSwish(Name = "act")]
[GlobalAvgPool(Name = "block.2.avgpool"), Conv(squeeze, 1, Name = "block.2.fc1"), Relu(Name = "block.2.relu"), Conv(exp, 1, Name = "block.2.fc2"), HardSigmoid(Name = "block.2.gate")]
[Multiply("act", "block.2.gate", Name = "block.2.scale")]
[Conv(oup, 1, Bias = false, Name = "block.3.0"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = "block.3.1")]
[Add("input", "block.3.1", Name = "sum", When = nameof(residual))]
public sealed class V3Se : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/>: <paramref name="exp"/> expanded, <paramref name="oup"/> out, SE squeezing to <paramref name="squeeze"/>.</summary>
    public V3Se(string name, int exp, int oup, int squeeze) : base(name) { }

    /// <summary>The depthwise conv's stride.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether the input is added back (stride 1, equal channels).</summary>
    public bool Residual { get; set; }

    const int exp = 96, oup = 40, squeeze = 24, stride = 1;
    const bool residual = false;
}

using Strider;

namespace Strider.Samples.Zoo;

/// <summary>torchvision's <c>mobilenet_v2</c>: 3,504,872 parameters, with its state_dict names, at 224x224.</summary>
[Network, Input(3, 224, 224)]
[Conv(32, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Name = "features.0.1"), Relu6]
[InvertedResidual("features.1", 32, 16, Expand = false)]
[InvertedResidual("features.2", 16, 24, Stride = 2), InvertedResidual("features.3", 24, 24, Residual = true)]
[InvertedResidual("features.4", 24, 32, Stride = 2), InvertedResidual("features.5", 32, 32, Residual = true), InvertedResidual("features.6", 32, 32, Residual = true)]
[InvertedResidual("features.7", 32, 64, Stride = 2), InvertedResidual("features.8", 64, 64, Residual = true), InvertedResidual("features.9", 64, 64, Residual = true)]
[InvertedResidual("features.10", 64, 64, Residual = true), InvertedResidual("features.11", 64, 96), InvertedResidual("features.12", 96, 96, Residual = true)]
[InvertedResidual("features.13", 96, 96, Residual = true), InvertedResidual("features.14", 96, 160, Stride = 2)]
[InvertedResidual("features.15", 160, 160, Residual = true), InvertedResidual("features.16", 160, 160, Residual = true), InvertedResidual("features.17", 160, 320)]
[Conv(1280, 1, Bias = false, Name = "features.18.0"), BatchNorm(Name = "features.18.1"), Relu6]
[GlobalAvgPool, Flatten, Dropout(0.2, Name = "classifier.0"), Dense(1000, Name = "classifier.1")]
public partial class MobileNetV2;

/// <summary>The same network at 64x64, the size the tests run (see README.md).</summary>
[Network, Input(3, 64, 64)]
[Conv(32, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Name = "features.0.1"), Relu6]
[InvertedResidual("features.1", 32, 16, Expand = false)]
[InvertedResidual("features.2", 16, 24, Stride = 2), InvertedResidual("features.3", 24, 24, Residual = true)]
[InvertedResidual("features.4", 24, 32, Stride = 2), InvertedResidual("features.5", 32, 32, Residual = true), InvertedResidual("features.6", 32, 32, Residual = true)]
[InvertedResidual("features.7", 32, 64, Stride = 2), InvertedResidual("features.8", 64, 64, Residual = true), InvertedResidual("features.9", 64, 64, Residual = true)]
[InvertedResidual("features.10", 64, 64, Residual = true), InvertedResidual("features.11", 64, 96), InvertedResidual("features.12", 96, 96, Residual = true)]
[InvertedResidual("features.13", 96, 96, Residual = true), InvertedResidual("features.14", 96, 160, Stride = 2)]
[InvertedResidual("features.15", 160, 160, Residual = true), InvertedResidual("features.16", 160, 160, Residual = true), InvertedResidual("features.17", 160, 320)]
[Conv(1280, 1, Bias = false, Name = "features.18.0"), BatchNorm(Name = "features.18.1"), Relu6]
[GlobalAvgPool, Flatten, Dropout(0.2, Name = "classifier.0"), Dense(1000, Name = "classifier.1")]
public partial class MobileNetV2At64;

/// <summary>
/// torchvision's MobileNetV2 <c>InvertedResidual</c>: a 1x1 expansion (x6) unless the ratio is 1, which renumbers
/// <c>conv.N</c> (hence the When/Unless pairs), a 3x3 depthwise conv with the stride, a linear 1x1 projection, and the
/// shortcut when the stride is 1 and the channels stay.
/// </summary>
[Input(16, 112, 112)] // checked on its own at its defaults: inp 16 at features.2's input size (224x224)
[Conv(inp * 6, 1, Bias = false, Name = "conv.0.0", When = nameof(expand)), BatchNorm(Name = "conv.0.1", When = nameof(expand)), Relu6(When = nameof(expand))]
[Conv(inp * 6, 3, Stride = stride, Pad = 1, Groups = inp * 6, Bias = false, Name = "conv.1.0", When = nameof(expand))]
[Conv(inp, 3, Stride = stride, Pad = 1, Groups = inp, Bias = false, Name = "conv.0.0", Unless = nameof(expand))]
[BatchNorm(Name = "conv.1.1", When = nameof(expand)), BatchNorm(Name = "conv.0.1", Unless = nameof(expand)), Relu6]
[Conv(oup, 1, Bias = false, Name = "conv.2", When = nameof(expand)), BatchNorm(Name = "conv.3", When = nameof(expand))]
[Conv(oup, 1, Bias = false, Name = "conv.1", Unless = nameof(expand)), BatchNorm(Name = "conv.2", Unless = nameof(expand))]
[Add("input", "conv.3", Name = "sum", When = nameof(residual))]
public sealed class InvertedResidual : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> (<c>features.3</c>) from <paramref name="inp"/> to <paramref name="oup"/> channels.</summary>
    public InvertedResidual(string name, int inp, int oup) : base(name) { }

    /// <summary>The depthwise conv's stride.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether the 1x1 expansion (ratio 6) is there; torchvision's ratio-1 block (<c>features.1</c>) has none.</summary>
    public bool Expand { get; set; } = true;

    /// <summary>Whether the input is added back (stride 1, equal channels).</summary>
    public bool Residual { get; set; }

    const int inp = 16, oup = 16, stride = 1;
    const bool expand = true, residual = false;
}

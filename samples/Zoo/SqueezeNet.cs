using Strider;

namespace Strider.Samples.Zoo;

#pragma warning disable STR0001 // torchvision's size: features.0 never reads the last row and column, dropped as PyTorch does
/// <summary>
/// torchvision's <c>squeezenet1_1</c>: 1,235,496 parameters, with its state_dict names, at torchvision's 224x224. Its
/// first conv (3x3, stride 2, no padding) never reads the last row and column at 224 (valid sizes 17 + 2n): PyTorch
/// drops them silently, and the pragma around this declaration keeps that behaviour (STR0001 is a warning).
/// </summary>
[Network, Input(3, 224, 224)]
[Conv(64, 3, Stride = 2, Name = "features.0"), Relu, MaxPool(3, Stride = 2, CeilMode = true)]
[Fire("features.3", 16, 64), Fire("features.4", 16, 64), MaxPool(3, Stride = 2, CeilMode = true)]
[Fire("features.6", 32, 128), Fire("features.7", 32, 128), MaxPool(3, Stride = 2, CeilMode = true)]
[Fire("features.9", 48, 192), Fire("features.10", 48, 192), Fire("features.11", 64, 256), Fire("features.12", 64, 256)]
[Dropout(0.5, Name = "classifier.0"), Conv(1000, 1, Name = "classifier.1"), Relu, GlobalAvgPool, Flatten]
public partial class SqueezeNet11;
#pragma warning restore STR0001

#pragma warning disable STR0001 // PyTorch's 64 too: features.0 drops the last row and column, as at 224
/// <summary>The same network at 64x64, the size the tests run; its first conv drops the last row and column as at 224.</summary>
[Network, Input(3, 64, 64)]
[Conv(64, 3, Stride = 2, Name = "features.0"), Relu, MaxPool(3, Stride = 2, CeilMode = true)]
[Fire("features.3", 16, 64), Fire("features.4", 16, 64), MaxPool(3, Stride = 2, CeilMode = true)]
[Fire("features.6", 32, 128), Fire("features.7", 32, 128), MaxPool(3, Stride = 2, CeilMode = true)]
[Fire("features.9", 48, 192), Fire("features.10", 48, 192), Fire("features.11", 64, 256), Fire("features.12", 64, 256)]
[Dropout(0.5, Name = "classifier.0"), Conv(1000, 1, Name = "classifier.1"), Relu, GlobalAvgPool, Flatten]
public partial class SqueezeNet11At64;
#pragma warning restore STR0001

/// <summary>SqueezeNet's Fire module: a 1x1 squeeze, then 1x1 and 3x3 expansions side by side, concatenated.</summary>
[Input(64, 55, 55)] // checked on its own at its defaults: features.3's input at 224x224
[Conv(squeeze, 1, Name = "squeeze"), Relu(Name = "squeeze_activation")]
[Conv(expand, 1, Name = "expand1x1"), Relu(Name = "expand1x1_activation")]
[Conv(expand, 3, Pad = 1, From = "squeeze_activation", Name = "expand3x3"), Relu(Name = "expand3x3_activation")]
[Concat("expand1x1_activation", "expand3x3_activation", Name = "cat")]
public sealed class Fire : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> squeezing to <paramref name="squeeze"/> channels, each expansion <paramref name="expand"/> wide.</summary>
    public Fire(string name, int squeeze, int expand) : base(name) { }

    const int squeeze = 16, expand = 64;
}

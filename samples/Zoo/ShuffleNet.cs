using Strider;

namespace Strider.Samples.Zoo;

/// <summary>torchvision's <c>shufflenet_v2_x1_0</c>: 2,278,604 parameters, with its state_dict names, at 224x224.</summary>
[Network, Input(3, 224, 224)]
[Conv(24, 3, Stride = 2, Pad = 1, Bias = false, Name = "conv1.0"), BatchNorm(Name = "conv1.1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
[ShuffleUnit("stage2.0", 24, 116, Down = true), ShuffleUnit("stage2.1", 116, 116), ShuffleUnit("stage2.2", 116, 116), ShuffleUnit("stage2.3", 116, 116)]
[ShuffleUnit("stage3.0", 116, 232, Down = true), ShuffleUnit("stage3.1", 232, 232), ShuffleUnit("stage3.2", 232, 232), ShuffleUnit("stage3.3", 232, 232)]
[ShuffleUnit("stage3.4", 232, 232), ShuffleUnit("stage3.5", 232, 232), ShuffleUnit("stage3.6", 232, 232), ShuffleUnit("stage3.7", 232, 232)]
[ShuffleUnit("stage4.0", 232, 464, Down = true), ShuffleUnit("stage4.1", 464, 464), ShuffleUnit("stage4.2", 464, 464), ShuffleUnit("stage4.3", 464, 464)]
[Conv(1024, 1, Bias = false, Name = "conv5.0"), BatchNorm(Name = "conv5.1"), Relu, GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
public partial class ShuffleNetV2;

/// <summary>The same network at 64x64, the size the tests run.</summary>
[Network, Input(3, 64, 64)]
[Conv(24, 3, Stride = 2, Pad = 1, Bias = false, Name = "conv1.0"), BatchNorm(Name = "conv1.1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
[ShuffleUnit("stage2.0", 24, 116, Down = true), ShuffleUnit("stage2.1", 116, 116), ShuffleUnit("stage2.2", 116, 116), ShuffleUnit("stage2.3", 116, 116)]
[ShuffleUnit("stage3.0", 116, 232, Down = true), ShuffleUnit("stage3.1", 232, 232), ShuffleUnit("stage3.2", 232, 232), ShuffleUnit("stage3.3", 232, 232)]
[ShuffleUnit("stage3.4", 232, 232), ShuffleUnit("stage3.5", 232, 232), ShuffleUnit("stage3.6", 232, 232), ShuffleUnit("stage3.7", 232, 232)]
[ShuffleUnit("stage4.0", 232, 464, Down = true), ShuffleUnit("stage4.1", 464, 464), ShuffleUnit("stage4.2", 464, 464), ShuffleUnit("stage4.3", 464, 464)]
[Conv(1024, 1, Bias = false, Name = "conv5.0"), BatchNorm(Name = "conv5.1"), Relu, GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
public partial class ShuffleNetV2At64;

/// <summary>
/// torchvision's ShuffleNetV2 <c>InvertedResidual</c>: with <c>Down</c>, both branches read the input (branch1 a
/// stride-2 depthwise + 1x1, branch2 1x1 + stride-2 depthwise + 1x1); without, the input's first half passes and
/// branch2 reads the second. The halves are concatenated, then shuffled in 2 groups. <c>x2</c> is the whole input
/// with <c>Down</c> (a copy), so branch2 has one declaration: a layer left out by When stands for the layer it reads,
/// which cannot pick between two sources.
/// </summary>
[Input(116, 28, 28)] // checked on its own at its defaults: stage2.1's input at 224x224
[ChannelSlice(0, oup / 2, Name = "x1", Unless = nameof(down))]
[ChannelSlice(down ? 0 : oup / 2, down ? inp : oup / 2, From = "input", Name = "x2")]
[Conv(inp, 3, Stride = 2, Pad = 1, Groups = inp, Bias = false, From = "input", Name = "branch1.0", When = nameof(down)), BatchNorm(Name = "branch1.1", When = nameof(down))]
[Conv(oup / 2, 1, Bias = false, Name = "branch1.2", When = nameof(down)), BatchNorm(Name = "branch1.3", When = nameof(down)), Relu(Name = "branch1.4", When = nameof(down))]
[Conv(oup / 2, 1, Bias = false, From = "x2", Name = "branch2.0")]
[BatchNorm(Name = "branch2.1"), Relu(Name = "branch2.2")]
[Conv(oup / 2, 3, Stride = down ? 2 : 1, Pad = 1, Groups = oup / 2, Bias = false, Name = "branch2.3"), BatchNorm(Name = "branch2.4")]
[Conv(oup / 2, 1, Bias = false, Name = "branch2.5"), BatchNorm(Name = "branch2.6"), Relu(Name = "branch2.7")]
[Concat("branch1.4", "branch2.7", Name = "cat", When = nameof(down)), Concat("x1", "branch2.7", Name = "cat", Unless = nameof(down))]
[ChannelShuffle(2, Name = "shuffle")]
public sealed class ShuffleUnit : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> from <paramref name="inp"/> to <paramref name="oup"/> channels.</summary>
    public ShuffleUnit(string name, int inp, int oup) : base(name) { }

    /// <summary>The stride-2 unit that opens a stage (two branches); otherwise the split unit.</summary>
    public bool Down { get; set; }

    const int inp = 116, oup = 116;
    const bool down = false;
}

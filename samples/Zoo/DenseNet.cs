using Strider;

namespace Strider.Samples.Zoo;

/// <summary>torchvision's <c>densenet121</c>: 7,978,856 parameters, with its state_dict names, at 224x224.</summary>
/// <remarks>
/// Each dense layer concatenates its 32 new channels after its input, which gives torchvision's order (the block's
/// input, then each layer's features in turn) without a many-way concat.
/// </remarks>
[Network, Input(3, 224, 224)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "features.conv0"), BatchNorm(Name = "features.norm0"), Relu(Name = "features.relu0"), MaxPool(3, Stride = 2, Pad = 1, Name = "features.pool0")]
[DenseLayer("features.denseblock1.denselayer1"), DenseLayer("features.denseblock1.denselayer2"), DenseLayer("features.denseblock1.denselayer3"), DenseLayer("features.denseblock1.denselayer4")]
[DenseLayer("features.denseblock1.denselayer5"), DenseLayer("features.denseblock1.denselayer6")]
[Transition("features.transition1", 128)]
[DenseLayer("features.denseblock2.denselayer1"), DenseLayer("features.denseblock2.denselayer2"), DenseLayer("features.denseblock2.denselayer3"), DenseLayer("features.denseblock2.denselayer4")]
[DenseLayer("features.denseblock2.denselayer5"), DenseLayer("features.denseblock2.denselayer6"), DenseLayer("features.denseblock2.denselayer7"), DenseLayer("features.denseblock2.denselayer8")]
[DenseLayer("features.denseblock2.denselayer9"), DenseLayer("features.denseblock2.denselayer10"), DenseLayer("features.denseblock2.denselayer11"), DenseLayer("features.denseblock2.denselayer12")]
[Transition("features.transition2", 256)]
[DenseLayer("features.denseblock3.denselayer1"), DenseLayer("features.denseblock3.denselayer2"), DenseLayer("features.denseblock3.denselayer3"), DenseLayer("features.denseblock3.denselayer4")]
[DenseLayer("features.denseblock3.denselayer5"), DenseLayer("features.denseblock3.denselayer6"), DenseLayer("features.denseblock3.denselayer7"), DenseLayer("features.denseblock3.denselayer8")]
[DenseLayer("features.denseblock3.denselayer9"), DenseLayer("features.denseblock3.denselayer10"), DenseLayer("features.denseblock3.denselayer11"), DenseLayer("features.denseblock3.denselayer12")]
[DenseLayer("features.denseblock3.denselayer13"), DenseLayer("features.denseblock3.denselayer14"), DenseLayer("features.denseblock3.denselayer15"), DenseLayer("features.denseblock3.denselayer16")]
[DenseLayer("features.denseblock3.denselayer17"), DenseLayer("features.denseblock3.denselayer18"), DenseLayer("features.denseblock3.denselayer19"), DenseLayer("features.denseblock3.denselayer20")]
[DenseLayer("features.denseblock3.denselayer21"), DenseLayer("features.denseblock3.denselayer22"), DenseLayer("features.denseblock3.denselayer23"), DenseLayer("features.denseblock3.denselayer24")]
[Transition("features.transition3", 512)]
[DenseLayer("features.denseblock4.denselayer1"), DenseLayer("features.denseblock4.denselayer2"), DenseLayer("features.denseblock4.denselayer3"), DenseLayer("features.denseblock4.denselayer4")]
[DenseLayer("features.denseblock4.denselayer5"), DenseLayer("features.denseblock4.denselayer6"), DenseLayer("features.denseblock4.denselayer7"), DenseLayer("features.denseblock4.denselayer8")]
[DenseLayer("features.denseblock4.denselayer9"), DenseLayer("features.denseblock4.denselayer10"), DenseLayer("features.denseblock4.denselayer11"), DenseLayer("features.denseblock4.denselayer12")]
[DenseLayer("features.denseblock4.denselayer13"), DenseLayer("features.denseblock4.denselayer14"), DenseLayer("features.denseblock4.denselayer15"), DenseLayer("features.denseblock4.denselayer16")]
[BatchNorm(Name = "features.norm5"), Relu, GlobalAvgPool, Flatten, Dense(1000, Name = "classifier")]
public partial class DenseNet121;

/// <summary>The same network at 64x64, the size the tests run.</summary>
[Network, Input(3, 64, 64)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "features.conv0"), BatchNorm(Name = "features.norm0"), Relu(Name = "features.relu0"), MaxPool(3, Stride = 2, Pad = 1, Name = "features.pool0")]
[DenseLayer("features.denseblock1.denselayer1"), DenseLayer("features.denseblock1.denselayer2"), DenseLayer("features.denseblock1.denselayer3"), DenseLayer("features.denseblock1.denselayer4")]
[DenseLayer("features.denseblock1.denselayer5"), DenseLayer("features.denseblock1.denselayer6")]
[Transition("features.transition1", 128)]
[DenseLayer("features.denseblock2.denselayer1"), DenseLayer("features.denseblock2.denselayer2"), DenseLayer("features.denseblock2.denselayer3"), DenseLayer("features.denseblock2.denselayer4")]
[DenseLayer("features.denseblock2.denselayer5"), DenseLayer("features.denseblock2.denselayer6"), DenseLayer("features.denseblock2.denselayer7"), DenseLayer("features.denseblock2.denselayer8")]
[DenseLayer("features.denseblock2.denselayer9"), DenseLayer("features.denseblock2.denselayer10"), DenseLayer("features.denseblock2.denselayer11"), DenseLayer("features.denseblock2.denselayer12")]
[Transition("features.transition2", 256)]
[DenseLayer("features.denseblock3.denselayer1"), DenseLayer("features.denseblock3.denselayer2"), DenseLayer("features.denseblock3.denselayer3"), DenseLayer("features.denseblock3.denselayer4")]
[DenseLayer("features.denseblock3.denselayer5"), DenseLayer("features.denseblock3.denselayer6"), DenseLayer("features.denseblock3.denselayer7"), DenseLayer("features.denseblock3.denselayer8")]
[DenseLayer("features.denseblock3.denselayer9"), DenseLayer("features.denseblock3.denselayer10"), DenseLayer("features.denseblock3.denselayer11"), DenseLayer("features.denseblock3.denselayer12")]
[DenseLayer("features.denseblock3.denselayer13"), DenseLayer("features.denseblock3.denselayer14"), DenseLayer("features.denseblock3.denselayer15"), DenseLayer("features.denseblock3.denselayer16")]
[DenseLayer("features.denseblock3.denselayer17"), DenseLayer("features.denseblock3.denselayer18"), DenseLayer("features.denseblock3.denselayer19"), DenseLayer("features.denseblock3.denselayer20")]
[DenseLayer("features.denseblock3.denselayer21"), DenseLayer("features.denseblock3.denselayer22"), DenseLayer("features.denseblock3.denselayer23"), DenseLayer("features.denseblock3.denselayer24")]
[Transition("features.transition3", 512)]
[DenseLayer("features.denseblock4.denselayer1"), DenseLayer("features.denseblock4.denselayer2"), DenseLayer("features.denseblock4.denselayer3"), DenseLayer("features.denseblock4.denselayer4")]
[DenseLayer("features.denseblock4.denselayer5"), DenseLayer("features.denseblock4.denselayer6"), DenseLayer("features.denseblock4.denselayer7"), DenseLayer("features.denseblock4.denselayer8")]
[DenseLayer("features.denseblock4.denselayer9"), DenseLayer("features.denseblock4.denselayer10"), DenseLayer("features.denseblock4.denselayer11"), DenseLayer("features.denseblock4.denselayer12")]
[DenseLayer("features.denseblock4.denselayer13"), DenseLayer("features.denseblock4.denselayer14"), DenseLayer("features.denseblock4.denselayer15"), DenseLayer("features.denseblock4.denselayer16")]
[BatchNorm(Name = "features.norm5"), Relu, GlobalAvgPool, Flatten, Dense(1000, Name = "classifier")]
public partial class DenseNet121At64;

/// <summary>torchvision's <c>_DenseLayer</c>: BN-ReLU-1x1 conv to 128 (bn_size 4 x growth 32), BN-ReLU-3x3 conv to 32, concatenated after the input.</summary>
[Input(64, 56, 56)] // checked on its own: denseblock1.denselayer1's input at 224x224
[BatchNorm(Name = "norm1"), Relu(Name = "relu1"), Conv(128, 1, Bias = false, Name = "conv1")]
[BatchNorm(Name = "norm2"), Relu(Name = "relu2"), Conv(32, 3, Pad = 1, Bias = false, Name = "conv2")]
[Concat("input", "conv2", Name = "cat")]
public sealed class DenseLayer : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> (<c>features.denseblock1.denselayer1</c>).</summary>
    public DenseLayer(string name) : base(name) { }
}

/// <summary>torchvision's <c>_Transition</c>: BN-ReLU-1x1 conv to <c>channels</c>, 2x2 average pool.</summary>
[Input(256, 56, 56)] // checked on its own at its defaults: transition1's input at 224x224
[BatchNorm(Name = "norm"), Relu(Name = "relu"), Conv(channels, 1, Bias = false, Name = "conv"), AvgPool(2, Name = "pool")]
public sealed class Transition : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> halving to <paramref name="channels"/>.</summary>
    public Transition(string name, int channels) : base(name) { }

    const int channels = 128;
}

using Strider;

namespace Strider.Samples.Zoo;

/// <summary>torchvision's <c>resnet18</c>: 11,689,512 parameters, with its state_dict names, at 224x224, the size it was trained at.</summary>
[Network, Input(3, 224, 224)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
[BasicBlock("layer1.0", 64), BasicBlock("layer1.1", 64)]
[BasicBlock("layer2.0", 128, Stride = 2, Downsample = true), BasicBlock("layer2.1", 128)]
[BasicBlock("layer3.0", 256, Stride = 2, Downsample = true), BasicBlock("layer3.1", 256)]
[BasicBlock("layer4.0", 512, Stride = 2, Downsample = true), BasicBlock("layer4.1", 512)]
[GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
public partial class ResNet18;

/// <summary>The same network at 64x64, the size the tests run (see README.md).</summary>
[Network, Input(3, 64, 64)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
[BasicBlock("layer1.0", 64), BasicBlock("layer1.1", 64)]
[BasicBlock("layer2.0", 128, Stride = 2, Downsample = true), BasicBlock("layer2.1", 128)]
[BasicBlock("layer3.0", 256, Stride = 2, Downsample = true), BasicBlock("layer3.1", 256)]
[BasicBlock("layer4.0", 512, Stride = 2, Downsample = true), BasicBlock("layer4.1", 512)]
[GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
public partial class ResNet18At64;

/// <summary>torchvision's <c>resnet50</c>: 25,557,032 parameters, with its state_dict names, at 224x224.</summary>
[Network, Input(3, 224, 224)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
[Bottleneck("layer1.0", 64, Downsample = true), Bottleneck("layer1.1", 64), Bottleneck("layer1.2", 64)]
[Bottleneck("layer2.0", 128, Stride = 2, Downsample = true), Bottleneck("layer2.1", 128), Bottleneck("layer2.2", 128), Bottleneck("layer2.3", 128)]
[Bottleneck("layer3.0", 256, Stride = 2, Downsample = true), Bottleneck("layer3.1", 256), Bottleneck("layer3.2", 256)]
[Bottleneck("layer3.3", 256), Bottleneck("layer3.4", 256), Bottleneck("layer3.5", 256)]
[Bottleneck("layer4.0", 512, Stride = 2, Downsample = true), Bottleneck("layer4.1", 512), Bottleneck("layer4.2", 512)]
[GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
public partial class ResNet50;

/// <summary>The same network at 64x64, the size the tests run (see README.md).</summary>
[Network, Input(3, 64, 64)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
[Bottleneck("layer1.0", 64, Downsample = true), Bottleneck("layer1.1", 64), Bottleneck("layer1.2", 64)]
[Bottleneck("layer2.0", 128, Stride = 2, Downsample = true), Bottleneck("layer2.1", 128), Bottleneck("layer2.2", 128), Bottleneck("layer2.3", 128)]
[Bottleneck("layer3.0", 256, Stride = 2, Downsample = true), Bottleneck("layer3.1", 256), Bottleneck("layer3.2", 256)]
[Bottleneck("layer3.3", 256), Bottleneck("layer3.4", 256), Bottleneck("layer3.5", 256)]
[Bottleneck("layer4.0", 512, Stride = 2, Downsample = true), Bottleneck("layer4.1", 512), Bottleneck("layer4.2", 512)]
[GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
public partial class ResNet50At64;

/// <summary>torchvision's <c>BasicBlock</c> (resnet18/34): two 3x3 convs, the stride on the first, a 1x1 projection when the shape changes.</summary>
[Input(64, 56, 56)] // checked on its own at its defaults: layer1.0's input at 224x224
[Conv(planes, 3, Stride = stride, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu]
[Conv(planes, 3, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2")]
[Conv(planes, 1, Stride = stride, Bias = false, From = "input", Name = "downsample.0", When = nameof(downsample))]
[BatchNorm(Name = "downsample.1", When = nameof(downsample))]
[Add("bn2", "downsample.1"), Relu]
public sealed class BasicBlock : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> (<c>layer2.0</c>) with <paramref name="planes"/> output channels.</summary>
    public BasicBlock(string name, int planes) : base(name) { }

    /// <summary>The first conv's and the projection's stride.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether the shortcut is torchvision's <c>downsample</c> projection (1x1 conv + BatchNorm) rather than the identity.</summary>
    public bool Downsample { get; set; }

    const int planes = 64, stride = 1;
    const bool downsample = false;
}

/// <summary>torchvision's <c>Bottleneck</c> (resnet50/101/152, v1.5): 1x1, 3x3 with the stride, 1x1 to 4x the planes.</summary>
[Input(256, 56, 56)] // checked on its own at its defaults: layer1.1's input at 224x224
[Conv(planes, 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu]
[Conv(planes, 3, Stride = stride, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2"), Relu]
[Conv(planes * expansion, 1, Bias = false, Name = "conv3"), BatchNorm(Name = "bn3")]
[Conv(planes * expansion, 1, Stride = stride, Bias = false, From = "input", Name = "downsample.0", When = nameof(downsample))]
[BatchNorm(Name = "downsample.1", When = nameof(downsample))]
[Add("bn3", "downsample.1"), Relu]
public sealed class Bottleneck : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> with <paramref name="planes"/> inner channels (4x as many out).</summary>
    public Bottleneck(string name, int planes) : base(name) { }

    /// <summary>The 3x3 conv's and the projection's stride.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Whether the shortcut is the <c>downsample</c> projection.</summary>
    public bool Downsample { get; set; }

    const int planes = 64, stride = 1, expansion = 4;
    const bool downsample = false;
}

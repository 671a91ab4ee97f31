using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>torchvision's BasicBlock as a block: the projection shortcut (downsample.0, .1) only where Downsample is set.</summary>
[Conv(planes, 3, Stride = stride, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu]
[Conv(planes, 3, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2")]
[Conv(planes, 1, Stride = stride, Bias = false, From = "input", Name = "downsample.0", When = nameof(downsample))]
[BatchNorm(Name = "downsample.1", When = nameof(downsample))]
[Add("bn2", "downsample.1"), Relu]
public sealed class ResidualUnit : BlockAttribute
{
    public ResidualUnit(string name, int planes) : base(name) { }
    public int Stride { get; set; } = 1;
    public bool Downsample { get; set; }
    private const int planes = 8, stride = 1;
    private const bool downsample = false;
}

/// <summary>A stage of two units, the first one strided with a projection: blocks inside a block.</summary>
[ResidualUnit("0", planes, Stride = 2, Downsample = true), ResidualUnit("1", planes)]
public sealed class ResidualStage : BlockAttribute
{
    public ResidualStage(string name, int planes) : base(name) { }
    private const int planes = 8;
}

/// <summary>A small ResNet declared with blocks.</summary>
[Network, Input(3, 8, 8)]
[Conv(8, 3, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu]
[ResidualUnit("layer1.0", 8), ResidualStage("layer2", 16)]
[GlobalAvgPool, Flatten, Dense(5, Name = "fc")]
public partial class BlockResNet;

/// <summary>The same network written out layer by layer.</summary>
[Network, Input(3, 8, 8)]
[Conv(8, 3, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu(Name = "relu")]
[Conv(8, 3, Pad = 1, Bias = false, Name = "layer1.0.conv1"), BatchNorm(Name = "layer1.0.bn1"), Relu]
[Conv(8, 3, Pad = 1, Bias = false, Name = "layer1.0.conv2"), BatchNorm(Name = "layer1.0.bn2")]
[Add("layer1.0.bn2", "relu"), Relu(Name = "layer1.0")]
[Conv(16, 3, Stride = 2, Pad = 1, Bias = false, Name = "layer2.0.conv1"), BatchNorm(Name = "layer2.0.bn1"), Relu]
[Conv(16, 3, Pad = 1, Bias = false, Name = "layer2.0.conv2"), BatchNorm(Name = "layer2.0.bn2")]
[Conv(16, 1, Stride = 2, Bias = false, From = "layer1.0", Name = "layer2.0.downsample.0"), BatchNorm(Name = "layer2.0.downsample.1")]
[Add("layer2.0.bn2", "layer2.0.downsample.1"), Relu(Name = "layer2.0")]
[Conv(16, 3, Pad = 1, Bias = false, Name = "layer2.1.conv1"), BatchNorm(Name = "layer2.1.bn1"), Relu]
[Conv(16, 3, Pad = 1, Bias = false, Name = "layer2.1.conv2"), BatchNorm(Name = "layer2.1.bn2")]
[Add("layer2.1.bn2", "layer2.0"), Relu]
[GlobalAvgPool, Flatten, Dense(5, Name = "fc")]
public partial class FlatResNet;

/// <summary>A network with blocks computes exactly what the same network written flat computes, forward and backward.</summary>
public sealed class BlockTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("strider-blocks-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void Blocks_and_the_flat_declaration_have_the_same_parameters_and_compute_the_same_values_and_gradients()
    {
        Assert.Equal(FlatResNet.ParameterCount, BlockResNet.ParameterCount);
        using var blocks = new BlockResNet(Device.Default, 1);
        using var flat = new FlatResNet(Device.Default, 2);
        Assert.Equal(flat.Parameters.Select(p => p.Name), blocks.Parameters.Select(p => p.Name));
        string path = Path.Combine(_folder, "weights.safetensors");
        blocks.Save(path);
        flat.Load(path);

        var xs = Values(2 * 3 * 8 * 8, 3);
        var dys = Values(2 * 5, 4);
        foreach (var net in new INetwork[] { blocks, flat }) net.ZeroGrad();
        using var x1 = Tensor<S3x8x8>.From(blocks.Device, xs);
        using var x2 = Tensor<S3x8x8>.From(flat.Device, xs);
        Assert.Equal(flat.Forward(x2).ToArray(), blocks.Forward(x1).ToArray());
        using var dy1 = Tensor<S5>.From(blocks.Device, dys);
        using var dy2 = Tensor<S5>.From(flat.Device, dys);
        Assert.Equal(flat.Backward(dy2).ToArray(), blocks.Backward(dy1).ToArray());
        for (int i = 0; i < flat.Parameters.Count; i++)
            Assert.Equal(flat.Parameters[i].Gradient.ToArray(), blocks.Parameters[i].Gradient.ToArray());

        blocks.Training = flat.Training = false;
        Assert.Equal(flat.Forward(x2).ToArray(), blocks.Forward(x1).ToArray());
    }

    [Fact]
    public void The_summary_groups_each_instance_and_its_nested_units()
    {
        string[] lines = BlockResNet.Summary.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("layer1.0 ", StringComparison.Ordinal) && l.Contains("ResidualUnit(planes 8)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  layer2.0 ", StringComparison.Ordinal) && l.Contains("ResidualUnit(planes 16, Stride 2, Downsample true)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("    layer2.0.downsample.0 ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("layer2.1.downsample", StringComparison.Ordinal));
    }
}

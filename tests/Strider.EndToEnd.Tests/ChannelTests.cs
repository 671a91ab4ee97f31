using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>A ShuffleNet-style unit on free sizes: split, conv one half, concat, shuffle, then ResNet option-A channel padding.</summary>
[Network, Input(4, Dim.Any, Dim.Any)]
[ChannelSlice(0, 2, Name = "a"), ChannelSlice(2, 2, From = "input", Name = "b"), Conv(2, 3, Pad = 1, Name = "conv"), Concat("a", "conv")]
[ChannelShuffle(2), ChannelPad(1, 2), Conv(3, 1, Name = "head")]
public partial class ShuffleUnit;

/// <summary>ChannelSlice, ChannelShuffle and ChannelPad against PyTorch (tools/reference/shape_nets.py), forward and backward.</summary>
public class ChannelTests
{
    [Fact]
    public void Shuffle_unit_matches_PyTorch()
    {
        using var net = new ShuffleUnit(Device.Default, 1);
        AdaptivePoolTests.MatchesPyTorch(net, "channel_ops", 5, 6);
        Assert.Contains("ChannelShuffle 2", ShuffleUnit.Summary);
        Assert.Contains("7xAnyxAny", ShuffleUnit.Summary);
    }

    [Fact]
    public void Backward_matches_finite_differences() =>
        GradientTests.Check(new ShuffleUnit(Device.Default, 3), 2, 90, freeDims: new[] { 4, 3 });
}

/// <summary>Channel layers keep positions, so the dense (à trous) variant passes through them; stride 1 makes it Forward itself.</summary>
[Network(Dense = true), Input(4, Dim.Any, Dim.Any)]
[Conv(4, 3), ChannelShuffle(2), ChannelSlice(1, 2), ChannelPad(1, 1), Conv(3, 1)]
public partial class DenseChannels;

/// <summary>ForwardDense through the channel layers.</summary>
public class DenseChannelTests
{
    [Fact]
    public void ForwardDense_at_stride_1_equals_Forward()
    {
        using var net = new DenseChannels(Device.Default, 5);
        var data = Enumerable.Range(0, 2 * 4 * 7 * 6).Select(i => (float)System.Math.Sin(i * 0.37)).ToArray();
        using var x = Tensor<S4xAnyxAny>.From(net.Device, data, 7, 6);
        var expected = net.Forward(x).ToArray();
        var dense = net.ForwardDense(x).ToArray();
        Assert.Equal(expected.Length, dense.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], dense[i], 1e-5f);
    }
}

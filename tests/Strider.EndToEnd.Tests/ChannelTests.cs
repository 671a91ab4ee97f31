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

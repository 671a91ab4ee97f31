using Strider.Devices;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The newer layer ops (PRelu, global and adaptive pooling, ...) against the reference on random inputs larger than the
/// PyTorch fixtures: many channels (the CPU device's work items on several workers), vector bodies and tails, both
/// accumulate modes, and argument checks that name the sizes.
/// </summary>
public abstract partial class DeviceOpTests
{
    [Theory]
    [InlineData(3, 17, 45)]
    [InlineData(1, 2, 1)]
    public void PRelu_matches_reference(int n, int channels, int inner)
    {
        var rng = new Random(15);
        int size = n * channels * inner;
        var x = Pair(Uniform(rng, size, -2, 2));
        var slope = Pair(Uniform(rng, channels));
        var y = Pair(new float[size]);
        Device.PReluForward(n, channels, inner, x.Dut, slope.Dut, y.Dut);
        Reference.PReluForward(n, channels, inner, x.Ref, slope.Ref, y.Ref);
        Same(y, "prelu forward");
        var dy = Pair(Uniform(rng, size));
        var dx = Pair(Uniform(rng, size));
        var dslope = Pair(Uniform(rng, channels));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.PReluBackward(n, channels, inner, x.Dut, slope.Dut, dy.Dut, dx.Dut, dslope.Dut, accumulate);
            Reference.PReluBackward(n, channels, inner, x.Ref, slope.Ref, dy.Ref, dx.Ref, dslope.Ref, accumulate);
            Same(dx, $"prelu backward data (accumulate {accumulate})");
            Same(dslope, "prelu slope gradient (accumulated)");
        }
    }

    [Fact]
    public void PRelu_refuses_a_short_slope_naming_it()
    {
        var x = Pair(new float[12]);
        var slope = Pair(new float[2]);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Device.PReluForward(2, 3, 2, x.Dut, slope.Dut, x.Dut));
        Assert.Contains("slope", ex.Message);
    }

    public static TheoryData<int, int, int, int, int, int> AdaptivePoolCases => new()
    {
        { 3, 33, 7, 7, 1, 1 }, // global, 49 values a plane: vector body and tail
        { 2, 5, 1, 37, 1, 1 }, // global 1-D
        { 2, 6, 11, 9, 4, 5 }, // overlapping windows of two sizes
        { 1, 4, 3, 5, 7, 11 }, // more outputs than inputs: windows repeat inputs
        { 2, 3, 1, 17, 1, 6 }, // adaptive 1-D
    };

    [Theory]
    [MemberData(nameof(AdaptivePoolCases))]
    public void Adaptive_pooling_matches_reference(int n, int channels, int inH, int inW, int outH, int outW)
    {
        var g = new AdaptivePoolGeometry(channels, inH, inW, outH, outW);
        var rng = new Random(16);
        var x = Pair(Distinct(rng, (int)(n * g.InputSize), 0.01f));
        var y = Pair(new float[n * g.OutputSize]);
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        Device.AdaptiveAvgPoolForward(g, n, x.Dut, y.Dut);
        Reference.AdaptiveAvgPoolForward(g, n, x.Ref, y.Ref);
        Same(y, $"{g} average forward");
        foreach (bool accumulate in new[] { true, false })
        {
            Device.AdaptiveAvgPoolBackward(g, n, dy.Dut, dx.Dut, accumulate);
            Reference.AdaptiveAvgPoolBackward(g, n, dy.Ref, dx.Ref, accumulate);
            Same(dx, $"{g} average backward (accumulate {accumulate})");
        }
        var switches = Pair(new int[n * g.OutputSize]);
        Device.AdaptiveMaxPoolForward(g, n, x.Dut, y.Dut, switches.Dut);
        Reference.AdaptiveMaxPoolForward(g, n, x.Ref, y.Ref, switches.Ref);
        Same(y, $"{g} max forward");
        Assert.Equal(switches.Ref.ToArray(), switches.Dut.ToArray());
        foreach (bool accumulate in new[] { true, false })
        {
            Device.AdaptiveMaxPoolBackward(g, n, dy.Dut, switches.Dut, dx.Dut, accumulate);
            Reference.AdaptiveMaxPoolBackward(g, n, dy.Ref, switches.Ref, dx.Ref, accumulate);
            Same(dx, $"{g} max backward (accumulate {accumulate})");
        }
    }

    [Fact]
    public void Adaptive_pooling_refuses_an_empty_output_naming_the_sizes()
    {
        var x = Pair(new float[12]);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Device.AdaptiveAvgPoolForward(new AdaptivePoolGeometry(3, 2, 2, 0, 1), 1, x.Dut, x.Dut));
        Assert.Contains("2x2 -> 0x1", ex.Message);
    }

    public static TheoryData<int, int, int, int, int, int, UpsampleMode, bool> UpsampleCases => new()
    {
        { 2, 9, 6, 7, 12, 21, UpsampleMode.Nearest, false },
        { 2, 9, 6, 7, 12, 14, UpsampleMode.Bilinear, false },
        { 2, 9, 6, 7, 12, 14, UpsampleMode.Bilinear, true },
        // Ratios that are not whole: the ILGPU gather's reach must still cover every tap the scatter makes.
        { 1, 3, 5, 7, 13, 9, UpsampleMode.Bilinear, false },
        { 1, 3, 5, 7, 13, 9, UpsampleMode.Bilinear, true },
        { 1, 2, 2, 3, 17, 16, UpsampleMode.Bilinear, true },
        { 1, 2, 9, 8, 4, 5, UpsampleMode.Bilinear, false },
        { 3, 4, 1, 10, 1, 40, UpsampleMode.Bilinear, false },
    };

    [Theory]
    [MemberData(nameof(UpsampleCases))]
    public void Upsample_matches_reference(int n, int channels, int inH, int inW, int outH, int outW, UpsampleMode mode, bool alignCorners)
    {
        var g = new UpsampleGeometry(channels, inH, inW, outH, outW, mode, alignCorners);
        var rng = new Random(17);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var y = Pair(new float[n * g.OutputSize]);
        Device.UpsampleForward(g, n, x.Dut, y.Dut);
        Reference.UpsampleForward(g, n, x.Ref, y.Ref);
        Same(y, $"{g} forward");
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.UpsampleBackward(g, n, dy.Dut, dx.Dut, accumulate);
            Reference.UpsampleBackward(g, n, dy.Ref, dx.Ref, accumulate);
            Same(dx, $"{g} backward (accumulate {accumulate})");
        }
    }

    [Fact]
    public void Nearest_upsample_refuses_a_fractional_scale_naming_the_sizes()
    {
        var x = Pair(new float[64]);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Device.UpsampleForward(new UpsampleGeometry(1, 2, 3, 4, 4, UpsampleMode.Nearest), 1, x.Dut, x.Dut));
        Assert.Contains("2x3 -> 4x4", ex.Message);
    }

    [Theory]
    [InlineData(3, 5, 4, 7, 2)]
    [InlineData(1, 2, 3, 3, 3)]
    [InlineData(2, 3, 1, 5, 1)]
    public void PixelShuffle_matches_reference(int n, int channels, int h, int w, int r)
    {
        int size = n * channels * r * r * h * w;
        var rng = new Random(18);
        var x = Pair(Uniform(rng, size));
        var y = Pair(new float[size]);
        Device.PixelShuffleForward(n, channels, h, w, r, x.Dut, y.Dut);
        Reference.PixelShuffleForward(n, channels, h, w, r, x.Ref, y.Ref);
        Assert.Equal(y.Ref.ToArray(), y.Dut.ToArray());
        var dx = Pair(Uniform(rng, size));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.PixelShuffleBackward(n, channels, h, w, r, y.Dut, dx.Dut, accumulate);
            Reference.PixelShuffleBackward(n, channels, h, w, r, y.Ref, dx.Ref, accumulate);
            Same(dx, $"pixel shuffle backward (accumulate {accumulate})");
        }
    }

    [Theory]
    [InlineData(BroadcastOp.Multiply, 3, 19, 53)]
    [InlineData(BroadcastOp.Add, 3, 19, 53)]
    [InlineData(BroadcastOp.Multiply, 2, 3, 1)]
    public void Broadcast_matches_reference(BroadcastOp op, int n, int channels, int inner)
    {
        var rng = new Random(19);
        int size = n * channels * inner;
        var full = Pair(Uniform(rng, size));
        var gate = Pair(Uniform(rng, n * channels));
        var y = Pair(new float[size]);
        Device.BroadcastForward(op, n, channels, inner, full.Dut, gate.Dut, y.Dut);
        Reference.BroadcastForward(op, n, channels, inner, full.Ref, gate.Ref, y.Ref);
        Same(y, $"broadcast {op} forward");
        var dy = Pair(Uniform(rng, size));
        var dFull = Pair(Uniform(rng, size));
        var dGate = Pair(Uniform(rng, n * channels));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.BroadcastBackward(op, n, channels, inner, full.Dut, gate.Dut, dy.Dut, dFull.Dut, accumulate, dGate.Dut, !accumulate);
            Reference.BroadcastBackward(op, n, channels, inner, full.Ref, gate.Ref, dy.Ref, dFull.Ref, accumulate, dGate.Ref, !accumulate);
            Same(dFull, $"broadcast {op} full gradient (accumulate {accumulate})");
            Same(dGate, $"broadcast {op} gate gradient (accumulate {!accumulate})");
        }
    }

    [Theory]
    [InlineData(false, 3, 12, 45, 4, true)]
    [InlineData(false, 2, 6, 1, 6, true)]
    [InlineData(false, 2, 8, 17, 2, false)]
    [InlineData(true, 3, 12, 45, 1, true)]
    [InlineData(true, 2, 33, 5, 1, false)]
    public void Group_and_layer_norm_match_reference(bool layer, int n, int channels, int inner, int groups, bool affine)
    {
        var rng = new Random(20);
        int size = n * channels * inner, sets = layer ? n * inner : n * groups;
        var x = Pair(Uniform(rng, size, -2, 3));
        var gamma = affine ? Pair(Uniform(rng, channels, 0.5f, 1.5f)) : default;
        var beta = affine ? Pair(Uniform(rng, channels)) : default;
        var y = Pair(new float[size]);
        var mean = Pair(new float[sets]);
        var invStd = Pair(new float[sets]);
        void Forward(Device d, DeviceBuffer<float> xb, DeviceBuffer<float>? g, DeviceBuffer<float>? b, DeviceBuffer<float> yb, DeviceBuffer<float> m, DeviceBuffer<float> s)
        {
            if (layer) d.LayerNormForward(n, channels, inner, 1e-5f, xb, g, b, yb, m, s);
            else d.GroupNormForward(n, channels, inner, groups, 1e-5f, xb, g, b, yb, m, s);
        }
        Forward(Device, x.Dut, gamma.Dut, beta.Dut, y.Dut, mean.Dut, invStd.Dut);
        Forward(Reference, x.Ref, gamma.Ref, beta.Ref, y.Ref, mean.Ref, invStd.Ref);
        Same(y, "norm forward");
        Same(mean, "saved mean");
        Same(invStd, "saved 1/std");
        var dy = Pair(Uniform(rng, size));
        var dx = Pair(Uniform(rng, size));
        var dgamma = affine ? Pair(Uniform(rng, channels)) : default;
        var dbeta = affine ? Pair(Uniform(rng, channels)) : default;
        foreach (bool accumulate in new[] { true, false })
        {
            if (layer)
            {
                Device.LayerNormBackward(n, channels, inner, x.Dut, dy.Dut, gamma.Dut, mean.Dut, invStd.Dut, dx.Dut, dgamma.Dut, dbeta.Dut, accumulate);
                Reference.LayerNormBackward(n, channels, inner, x.Ref, dy.Ref, gamma.Ref, mean.Ref, invStd.Ref, dx.Ref, dgamma.Ref, dbeta.Ref, accumulate);
            }
            else
            {
                Device.GroupNormBackward(n, channels, inner, groups, x.Dut, dy.Dut, gamma.Dut, mean.Dut, invStd.Dut, dx.Dut, dgamma.Dut, dbeta.Dut, accumulate);
                Reference.GroupNormBackward(n, channels, inner, groups, x.Ref, dy.Ref, gamma.Ref, mean.Ref, invStd.Ref, dx.Ref, dgamma.Ref, dbeta.Ref, accumulate);
            }
            Same(dx, $"norm backward (accumulate {accumulate})");
            if (!affine) continue;
            Same(dgamma, "norm weight gradient (accumulated)");
            Same(dbeta, "norm bias gradient (accumulated)");
        }
    }

    [Fact]
    public void GroupNorm_refuses_groups_that_do_not_divide_the_channels()
    {
        var x = Pair(new float[24]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Device.GroupNormForward(2, 6, 2, 4, 1e-5f, x.Dut, null, null, x.Dut, x.Dut, x.Dut));
        Assert.Contains("4 groups must be at least 1 and divide the 6 channels", ex.Message);
    }

    public static readonly Dictionary<string, (ConvGeometry G, int N)> GroupedConvCases = new()
    {
        ["depthwise 3x3 pad 1, rows wider than a vector"] = (Conv(5, 9, 37, 5, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 5 }, 2),
        ["depthwise with multiplier 2, stride 2"] = (Conv(4, 11, 13, 8, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 4 }, 2),
        ["depthwise 5x5 dilation 2, asymmetric padding"] = (Conv(3, 12, 19, 3, 5, 5, pt: 3, pb: 4, pl: 4, pr: 2, dh: 2, dw: 2) with { Groups = 3 }, 1),
        ["grouped 4 groups of 3 -> 2"] = (Conv(12, 7, 9, 8, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 4 }, 3),
        ["grouped stride 3 across, padding wider than the kernel"] = (Conv(6, 8, 17, 9, 2, 3, sh: 1, sw: 3, pt: 2, pb: 2, pl: 4, pr: 4) with { Groups = 3 }, 2),
        ["depthwise 1-D"] = (Conv(6, 1, 40, 6, 1, 7, pl: 3, pr: 3) with { Groups = 6 }, 2),
    };

    public static TheoryData<string> GroupedConvCaseNames => new(GroupedConvCases.Keys);

    [Theory]
    [MemberData(nameof(GroupedConvCaseNames))]
    public void Grouped_convolution_matches_reference(string name)
    {
        var (g, n) = GroupedConvCases[name];
        var rng = new Random(22);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var bias = Pair(Uniform(rng, g.OutChannels));
        var y = Pair(Uniform(rng, n * g.OutputSize));
        Device.ConvForward(g, n, x.Dut, w.Dut, bias.Dut, y.Dut);
        Reference.ConvForward(g, n, x.Ref, w.Ref, bias.Ref, y.Ref);
        Same(y, $"{name}: forward");
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.ConvBackwardData(g, n, dy.Dut, w.Dut, dx.Dut, accumulate);
            Reference.ConvBackwardData(g, n, dy.Ref, w.Ref, dx.Ref, accumulate);
            Same(dx, $"{name}: backward data (accumulate {accumulate})");
        }
        var dw = Pair(Uniform(rng, g.WeightSize));
        var db = Pair(Uniform(rng, g.OutChannels));
        Device.ConvBackwardWeights(g, n, x.Dut, dy.Dut, dw.Dut, db.Dut);
        Reference.ConvBackwardWeights(g, n, x.Ref, dy.Ref, dw.Ref, db.Ref);
        Same(dw, $"{name}: weight gradient (accumulated)");
        Same(db, $"{name}: bias gradient (accumulated)");
    }

    [Fact]
    public void Convolution_refuses_groups_that_do_not_divide_the_channels()
    {
        var g = Conv(6, 5, 5, 4, 3, 3) with { Groups = 4 };
        var x = Pair(new float[g.InputSize]);
        var w = Pair(new float[96]);
        var y = Pair(new float[g.OutputSize]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Device.ConvForward(g, 1, x.Dut, w.Dut, null, y.Dut));
        Assert.Contains("4 groups must be at least 1 and divide both the 6 input and the 4 output channels", ex.Message);
    }
}

using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Backward weights split over output positions (CpuConvolution.PositionGradient.cs): where it is chosen, and against
/// <see cref="ReferenceDevice"/> with one worker and two giving the same bits, on strides, kernels, channel counts past
/// a panel, units that cross images and a short last unit.
/// </summary>
public sealed class CpuPositionGradientTests
{
    public static TheoryData<string> Geometries => new()
    {
        "7x7 stride 2 pad 3, 3x64x64 -> 16, batch 8 (the stem's shape: 32 units, two per partial)",
        "5x5 stride 2 pad 2, 5x70x70 -> 20, batch 8 (35x35 outputs: units cross images, the last short, 125 taps, K past a panel)",
        "3x3 pad 1, 16x40x40 -> 24, batch 8 (stride 1)",
        "1x1, 24x48x48 -> 40, batch 4 (x read in place)",
    };

    private static (ConvGeometry G, int N) Geometry(string name) => name[..3] switch
    {
        "7x7" => (Conv(3, 64, 64, 16, 7, 7, sh: 2, sw: 2, pt: 3, pb: 3, pl: 3, pr: 3), 8),
        "5x5" => (Conv(5, 70, 70, 20, 5, 5, sh: 2, sw: 2, pt: 2, pb: 2, pl: 2, pr: 2), 8),
        "3x3" => (Conv(16, 40, 40, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 8),
        _ => (Conv(24, 48, 48, 40, 1, 1), 4),
    };

    [Fact]
    public void Position_split_is_chosen_for_few_weights_over_many_positions()
    {
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported) return;
        var stem = Conv(3, 224, 224, 64, 7, 7, sh: 2, sw: 2, pt: 3, pb: 3, pl: 3, pr: 3);
        Assert.True(CpuConvolution.PositionSplitApplies(stem, 8));
        Assert.True(CpuConvolution.PositionSplitApplies(stem, 1)); // 12544 positions: 49 units
        var stem56 = stem with { InH = 112, InW = 112, OutH = 56, OutW = 56 };
        Assert.False(CpuConvolution.PositionSplitApplies(stem56, 2)); // 6272 positions: fewer than two units per partial
        // ResNet's 64 -> 128 3x3 stride 2 at batch 8: 6272 positions, measured no faster than the tap split.
        Assert.False(CpuConvolution.PositionSplitApplies(Conv(64, 56, 56, 128, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 8));
        // Enough positions but 576 x 256 weights: sixteen partials would not fit the budget.
        Assert.False(CpuConvolution.PositionSplitApplies(Conv(64, 112, 112, 256, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 8));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Position_split_matches_the_reference_with_the_same_bits_on_one_worker_and_two(string name)
    {
        var (g, n) = Geometry(name);
        Assert.False(CpuConvolution.WinogradGradientApplies(g, n));
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported) Assert.True(CpuConvolution.PositionSplitApplies(g, n));
        var rng = new Random(36);
        float[] x = Uniform(rng, n * g.InputSize), dy = Uniform(rng, n * g.OutputSize), dw0 = Uniform(rng, g.WeightSize), db0 = Uniform(rng, g.OutChannels);
        (float[] Dw, float[] Db) Run(Device device)
        {
            var (bx, bdy, bdw, bdb) = (device.Allocate<float>(x.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(dw0.Length), device.Allocate<float>(db0.Length));
            bx.Upload(x);
            bdy.Upload(dy);
            bdw.Upload(dw0); // the gradient accumulates into what is there
            bdb.Upload(db0);
            device.ConvBackwardWeights(g, n, bx, bdy, bdw, bdb);
            return (bdw.ToArray(), bdb.ToArray());
        }
        using var reference = new ReferenceDevice();
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        using var three = new CpuDevice(3);
        var (expected, single, both, all) = (Run(reference), Run(one), Run(two), Run(three));
        AssertClose(expected.Dw, single.Dw, $"{name}: weight gradient");
        AssertClose(expected.Db, single.Db, $"{name}: bias gradient");
        Assert.Equal(single.Dw, both.Dw);
        Assert.Equal(single.Dw, all.Dw);
    }
}

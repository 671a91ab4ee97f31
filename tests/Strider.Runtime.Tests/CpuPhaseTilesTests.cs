using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Strided backward data by stride phases (<see cref="ConvKernel.PhaseSplit"/>) with each phase's sub-conv on the
/// channel tiles where they apply (dY channels x phase taps of at least 64) and im2col + GEMM elsewhere: every phase on
/// the tiles, phases of both kinds in one call, a narrow last panel, stride 3; accumulating and not; against the
/// reference device with the tiles and without, the same bits on 1 and 2 workers and with the 256-bit tile loop.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuPhaseTilesTests
{
    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static readonly Dictionary<string, (ConvGeometry G, int N)> Cases = new()
    {
        // W3's U-net deconv in small: every phase (depths 288, 192, 192, 128) on the tiles, tiles crossing rows and images.
        ["5x5 stride 2 unpadded, dY 32x9x9 -> dx 32x21x21, batch 3"] = (Conv(32, 21, 21, 32, 5, 5, sh: 2, sw: 2), 3),
        // Depths 72 (tiles), 48 and 32 (GEMM); 48 dx channels: a wide and a narrow panel; an odd dx width.
        ["5x5 stride 2 pad 2, dY 8x10x12 -> dx 48x19x23, batch 2"] = (Conv(48, 19, 23, 8, 5, 5, sh: 2, sw: 2, pt: 2, pb: 2, pl: 2, pr: 2), 2),
        // Depths 128, 64, 64 (tiles) and 32 (GEMM); phase planes of 8 and 7 rows.
        ["3x3 stride 2 pad 1, dY 32x8x8 -> dx 16x15x15, batch 2"] = (Conv(16, 15, 15, 32, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 2),
        // Stride 3: depths 96 (tiles), 48 and 24 (GEMM); 64 dx channels: two wide panels.
        ["5x5 stride 3 pad 1, dY 24x7x7 -> dx 64x20x20, batch 1"] = (Conv(64, 20, 20, 24, 5, 5, sh: 3, sw: 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
    };

    private static float[] BackwardData(Device d, in ConvGeometry g, int n, float[] dy, float[] w, float[] dx0, bool accumulate)
    {
        using var tdy = Up(d, dy);
        using var tw = Up(d, w);
        using var tdx = Up(d, dx0);
        d.ConvBackwardData(g, n, tdy, tw, tdx, accumulate);
        return tdx.ToArray();
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Backward_data_matches_the_reference_with_and_without_the_tiles_with_the_same_bits_on_any_worker_count(string name)
    {
        var (g, n) = Cases[name];
        Assert.True(ConvolutionAlgorithm.PhaseSplitApplies(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW,
            g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW), $"{name}: the phase split should apply.");
        var rng = new Random(41);
        float[] dy = Uniform(rng, n * g.OutputSize), w = Uniform(rng, g.WeightSize), dx0 = Uniform(rng, n * g.InputSize);
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        using var reference = new ReferenceDevice();
        foreach (bool accumulate in new[] { false, true })
        {
            string what = $"{name}, accumulate {accumulate}";
            var expected = BackwardData(reference, g, n, dy, w, dx0, accumulate);
            var tiles = BackwardData(two, g, n, dy, w, dx0, accumulate);
            Assert.Equal(ConvKernel.PhaseSplit, CpuConvolution.LastKernel);
            AssertClose(expected, tiles, $"{what}: tiles against the reference device");
            Assert.True(tiles.AsSpan().SequenceEqual(BackwardData(one, g, n, dy, w, dx0, accumulate)), $"{what}: 1 and 2 workers differ.");
            try
            {
                CpuConvolution.ChannelTiles512 = false;
                Assert.True(tiles.AsSpan().SequenceEqual(BackwardData(two, g, n, dy, w, dx0, accumulate)), $"{what}: the 256-bit tile loop differs.");
                CpuConvolution.ChannelTiles512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
                CpuConvolution.PhaseTilesOff = true;
                AssertClose(expected, BackwardData(two, g, n, dy, w, dx0, accumulate), $"{what}: im2col + GEMM against the reference device");
            }
            finally
            {
                CpuConvolution.ChannelTiles512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
                CpuConvolution.PhaseTilesOff = false;
            }
        }
    }
}

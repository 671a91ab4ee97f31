using System.Runtime.InteropServices;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Backward weights by Winograd F(2x2, 3x3) (CpuConvolution.WinogradGradient.cs): where it is chosen, and against
/// <see cref="ReferenceDevice"/> on odd planes, padding, channel counts past a panel and several units, one worker and
/// two giving the same bits. F(2x2, 3x3) is forced (<see cref="CpuConvolution.WinogradGradient4"/>) where the geometry
/// would take F(4x4, 3x3), so the tests share the kernel-choice switches' collection.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuWinogradGradientTests
{
    /// <summary>Conv (input channels, plane height and width, output channels, padding top/bottom, left/right) and batch for the Winograd weight gradient.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int> WinogradGradientCases => new()
    {
        { 64, 12, 12, 64, 1, 1, 1, 1, 8 }, // ResNet's 64-channel 3x3 at a small plane: 288 tiles, two units, the second short
        { 70, 13, 11, 65, 1, 1, 1, 1, 8 }, // odd plane (half tiles at the edges), K and C past a panel (zero lanes)
        { 64, 17, 17, 96, 0, 0, 0, 0, 5 }, // unpadded: 15x15 output
        { 64, 16, 18, 64, 0, 2, 2, 0, 5 }, // asymmetric padding
        { 300, 12, 12, 200, 1, 1, 1, 1, 8 }, // 288 tiles in units of 128 (a third one short), C past a GEMM block
        { 64, 30, 30, 64, 1, 1, 1, 1, 5 }, // 1125 tiles: two parts of 562-563, each two units and a short third
        { 72, 31, 32, 65, 1, 1, 1, 1, 9 }, // 2304 tiles: four parts (ResNet's 64x56x56 at batch 8 has 6272), K and C past a panel
    };

    [Fact]
    public void The_tiles_are_split_into_parts_by_the_batch_alone()
    {
        Assert.Equal(1, CpuConvolution.WinogradGradientParts(1023));
        Assert.Equal(2, CpuConvolution.WinogradGradientParts(1024));
        Assert.Equal(2, CpuConvolution.WinogradGradientParts(2047));
        Assert.Equal(4, CpuConvolution.WinogradGradientParts(8 * 28 * 28)); // ResNet's 64x56x56 at batch 8
    }

    [Fact]
    public void Winograd_weight_gradient_is_chosen_only_where_it_measured_faster()
    {
        var resnet = Conv(64, 56, 56, 64, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        Assert.True(CpuConvolution.WinogradGradientApplies(resnet, 8));
        Assert.False(CpuConvolution.WinogradGradientApplies(resnet with { InChannels = 32 }, 8)); // transforms too large against the GEMMs
        var small = Conv(512, 7, 7, 512, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        Assert.True(CpuConvolution.WinogradGradientApplies(small, 8)); // 128 tiles: 0.81-0.84x
        Assert.False(CpuConvolution.WinogradGradientApplies(small, 4)); // 64 tiles: 1.01x
        Assert.False(CpuConvolution.WinogradGradientApplies(Conv(64, 56, 56, 64, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 8));
        Assert.False(CpuConvolution.WinogradGradientApplies(Conv(1024, 32, 32, 512, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1)); // dU past 16 x 512 x 512
    }

    [Theory]
    [MemberData(nameof(WinogradGradientCases))]
    public void Winograd_weight_gradient_matches_the_reference_on_one_worker_and_two(int c, int h, int w, int k, int pt, int pb, int pl, int pr, int n)
    {
        var g = Conv(c, h, w, k, 3, 3, pt: pt, pb: pb, pl: pl, pr: pr);
        Assert.True(CpuConvolution.WinogradGradientApplies(g, n));
        var rng = new Random(35);
        float[] x = Uniform(rng, n * g.InputSize), dy = Uniform(rng, n * g.OutputSize), dw0 = Uniform(rng, g.WeightSize), db0 = Uniform(rng, k);
        (float[] Dw, float[] Db) Run(Device device)
        {
            var (bx, bdy, bdw, bdb) = (device.Allocate<float>(x.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(dw0.Length), device.Allocate<float>(k));
            bx.Upload(x);
            bdy.Upload(dy);
            bdw.Upload(dw0); // the gradient accumulates into what is there
            bdb.Upload(db0);
            CpuConvolution.WinogradGradient4 = false;
            try
            {
                device.ConvBackwardWeights(g, n, bx, bdy, bdw, bdb);
            }
            finally
            {
                CpuConvolution.WinogradGradient4 = null;
            }
            return (bdw.ToArray(), bdb.ToArray());
        }
        using var reference = new ReferenceDevice();
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        var (expected, single, both) = (Run(reference), Run(one), Run(two));
        AssertClose(expected.Dw, both.Dw, $"Winograd weight gradient of {g}, batch {n}");
        AssertClose(expected.Db, both.Db, $"bias gradient of {g}, batch {n}");
        Assert.True(MemoryMarshal.AsBytes(single.Dw.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(both.Dw.AsSpan())),
            $"{g}: one worker and two give different bits.");
    }
    /// <summary>
    /// dU transformed back into dW 8 input channels a vector (the last 6 of 70 one kernel at a time) against the scalar
    /// kernel transform, kernel by kernel: the same bits, added into what dW held; 9 output channels make a short last block.
    /// </summary>
    [Fact]
    public unsafe void The_vector_back_transform_gives_the_scalar_kernels_bits()
    {
        const int c = 70, k = 9;
        var rng = new Random(36);
        float[] du = Uniform(rng, 16 * k * c), dw0 = Uniform(rng, k * c * 9);
        var actual = (float[])dw0.Clone();
        var expected = (float[])dw0.Clone();
        var s = new float[12];
        fixed (float* pu = du, pa = actual, pe = expected, ps = s)
        {
            var args = new CpuConvolution.WinogradGradientArgs { G = Conv(c, 9, 9, k, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), DU = pu, Dw = pa };
            for (int item = 0; item < (k + Gemm.MR - 1) / Gemm.MR; item++) CpuConvolution.WinogradGradientWeightsItem(null!, &args, item, 0);
            for (int ki = 0; ki < k; ki++)
                for (int ci = 0; ci < c; ci++)
                    CpuConvolution.WinogradGradientKernel(pu + (long)ki * c + ci, (long)k * c, ps, pe + ((long)ki * c + ci) * 9);
        }
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }
    /// <summary>
    /// Tiles past a plane's edge gathered with zeros for the outside values against the same tiles one channel at a time
    /// (as before): the same bits, on a 7x7 plane (three quarters of its tiles at an edge, dY's last tile row and column
    /// half outside), an odd unpadded plane and asymmetric padding, with channel counts past a whole 8.
    /// </summary>
    [Theory]
    [InlineData(64, 7, 7, 72, 1, 1, 1, 1, 8)]
    [InlineData(70, 13, 11, 65, 1, 1, 1, 1, 8)]
    [InlineData(64, 16, 18, 64, 0, 2, 2, 0, 5)]
    [InlineData(96, 15, 15, 64, 0, 0, 0, 0, 3)]
    public void Edge_tiles_by_gathers_give_the_bits_of_one_channel_at_a_time(int c, int h, int w, int k, int pt, int pb, int pl, int pr, int n)
    {
        var g = Conv(c, h, w, k, 3, 3, pt: pt, pb: pb, pl: pl, pr: pr);
        Assert.True(CpuConvolution.WinogradGradientApplies(g, n));
        var rng = new Random(37);
        float[] x = Uniform(rng, n * g.InputSize), dy = Uniform(rng, n * g.OutputSize);
        using var device = new CpuDevice(2);
        float[] Run(bool scalarEdges)
        {
            var (bx, bdy, bdw) = (device.Allocate<float>(x.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(g.WeightSize));
            bx.Upload(x);
            bdy.Upload(dy);
            CpuConvolution.WinogradGradientScalarEdges = scalarEdges;
            CpuConvolution.WinogradGradientXRows = false; // the edges are x's gathers'
            CpuConvolution.WinogradGradient4 = false;
            try
            {
                device.ConvBackwardWeights(g, n, bx, bdy, bdw, null);
            }
            finally
            {
                CpuConvolution.WinogradGradientScalarEdges = false;
                CpuConvolution.WinogradGradientXRows = null;
                CpuConvolution.WinogradGradient4 = null;
            }
            return bdw.ToArray();
        }
        float[] gathered = Run(false), scalar = Run(true);
        Assert.Equal(scalar.Select(BitConverter.SingleToInt32Bits), gathered.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void X_tiles_are_read_as_rows_only_on_planes_where_that_measured_faster()
    {
        Assert.True(CpuConvolution.WinogradGradientRowsApply(Conv(64, 56, 56, 64, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1)));
        Assert.True(CpuConvolution.WinogradGradientRowsApply(Conv(128, 28, 28, 128, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1)));
        Assert.True(CpuConvolution.WinogradGradientRowsApply(Conv(256, 14, 14, 256, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1)));
        Assert.False(CpuConvolution.WinogradGradientRowsApply(Conv(512, 7, 7, 512, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1))); // 1.17-1.21x
        Assert.False(CpuConvolution.WinogradGradientRowsApply(Conv(64, 14, 14, 64, 3, 3, pt: 0, pb: 0, pl: 0, pr: 0))); // a 12x12 output plane
        Assert.False(CpuConvolution.WinogradGradientRowsApply(Conv(64, 56, 56, 80, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1))); // K not a whole B panel
    }

    /// <summary>
    /// x's tiles read as rows (forced where the geometry would not choose it) against <see cref="ReferenceDevice"/>,
    /// one worker against two, and against the gathers: the same bits (the GEMMs transposed do the same multiply-adds in
    /// the same order). 64x56x56 at batch 2 takes rows by its geometry, in two parts; 64x30x30 at batch 5 two parts of
    /// three units, a tile row split across units; 72x31x32 -> 65 at batch 9 four parts with K and C past a panel; odd,
    /// unpadded and asymmetrically padded planes.
    /// </summary>
    [Theory]
    [InlineData(64, 56, 56, 64, 1, 1, 1, 1, 2)]
    [InlineData(64, 30, 30, 64, 1, 1, 1, 1, 5)]
    [InlineData(72, 31, 32, 65, 1, 1, 1, 1, 9)]
    [InlineData(70, 13, 11, 65, 1, 1, 1, 1, 8)]
    [InlineData(64, 17, 17, 96, 0, 0, 0, 0, 5)]
    [InlineData(64, 16, 18, 64, 0, 2, 2, 0, 5)]
    [InlineData(300, 12, 12, 200, 1, 1, 1, 1, 8)]
    public void X_tiles_as_rows_match_the_reference_and_the_gathers_bits_on_one_worker_and_two(int c, int h, int w, int k, int pt, int pb, int pl, int pr, int n)
    {
        var g = Conv(c, h, w, k, 3, 3, pt: pt, pb: pb, pl: pl, pr: pr);
        Assert.True(CpuConvolution.WinogradGradientApplies(g, n));
        var rng = new Random(38);
        float[] x = Uniform(rng, n * g.InputSize), dy = Uniform(rng, n * g.OutputSize), dw0 = Uniform(rng, g.WeightSize);
        float[] Run(Device device, bool? rows)
        {
            var (bx, bdy, bdw) = (device.Allocate<float>(x.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(dw0.Length));
            bx.Upload(x);
            bdy.Upload(dy);
            bdw.Upload(dw0);
            CpuConvolution.WinogradGradientXRows = rows;
            CpuConvolution.WinogradGradient4 = false;
            try
            {
                device.ConvBackwardWeights(g, n, bx, bdy, bdw, null);
            }
            finally
            {
                CpuConvolution.WinogradGradientXRows = null;
                CpuConvolution.WinogradGradient4 = null;
            }
            return bdw.ToArray();
        }
        using var reference = new ReferenceDevice();
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        float[] expected = Run(reference, null), single = Run(one, true), both = Run(two, true), gathered = Run(two, false);
        AssertClose(expected, both, $"Winograd weight gradient of {g}, batch {n}, x as rows");
        Assert.Equal(single.Select(BitConverter.SingleToInt32Bits), both.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(gathered.Select(BitConverter.SingleToInt32Bits), both.Select(BitConverter.SingleToInt32Bits));
    }
}

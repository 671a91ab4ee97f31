using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The channel-tile forward kernel (<see cref="ConvKernel.ChannelTiles"/>) at its edges: channel counts that leave a
/// part-filled wide panel or a narrow last panel, batch columns that leave a short tile (1-7 positions) or one of 8-13
/// (the overlapping store), tiles that cross output rows and images, stride 2, the shallowest depth it takes; each
/// against the reference device on 1 and 2 workers with the same bits, and with the 256-bit loop on the same bits; and
/// Winograd, whose 16 GEMMs run on the channel tiles, in its three-pass and fused forms.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuChannelTilesTests
{
    private readonly ReferenceDevice _reference = new();

    public static TheoryData<string, int, int, int, int, int, int, int, int> Cases => new()
    {
        // name, in channels, H (= W), out channels, kernel, stride, pad, batch, threads
        { "7x7 plane: tiles 14, 14, 14 and a short 7; 48 channels = a wide and a narrow panel", 24, 7, 48, 3, 1, 1, 1, 2 },
        { "14x14, 60 channels: a part-filled wide last panel", 16, 14, 60, 3, 1, 1, 1, 1 },
        { "13x13 batch 3: tiles cross rows and images, 3 positions left; 45 channels", 33, 13, 45, 3, 1, 1, 3, 2 },
        { "9x9 batch 1: 81 = 5 x 14 + 11, the overlapping store; 72 channels (narrow panel of 8)", 16, 9, 72, 3, 1, 1, 1, 2 },
        { "stride 2 on 15x15 -> 8x8: 64 = 4 x 14 + 8; 136 channels", 12, 15, 136, 3, 2, 1, 1, 2 },
        { "1x1 stride 1 from 64 channels (depth 64, x read in place), 6x6 batch 2: a tile crosses images", 64, 6, 32, 1, 1, 0, 2, 1 },
        { "1x1 on 1x1, batch 20: every tile crosses images", 80, 1, 16, 1, 1, 0, 20, 2 },
        { "3x3 dilation 2 pad 2 on 12x12, 48 channels", 16, 12, 48, -3, 1, 2, 1, 2 },
        { "5x5 pad 2, 10 channels in (depth 250), 130 out: a narrow last panel of 2", 10, 11, 130, 5, 1, 2, 2, 2 },
        { "1x1 stride 2 unpadded on 15x15 -> 8x8, batch 3: x read in place, columns 2 apart, tiles cross rows and images", 64, 15, 48, 1, 2, 0, 3, 2 },
        { "3x3 stride 2 unpadded on 16x16 -> 7x7, batch 2: x read in place, its last row and column unread", 16, 16, 32, 3, 2, 0, 2, 1 },
        { "3x3 dilation 2 unpadded on 13x13 -> 9x9: x read in place", 16, 13, 16, -3, 1, 0, 1, 2 },
    };

    /// <summary>A square conv; a negative kernel size is that kernel with dilation 2.</summary>
    private static ConvGeometry Geometry(int c, int h, int k, int kernel, int stride, int pad) =>
        Conv(c, h, h, k, Math.Abs(kernel), Math.Abs(kernel), sh: stride, sw: stride, pt: pad, pb: pad, pl: pad, pr: pad,
            dh: kernel < 0 ? 2 : 1, dw: kernel < 0 ? 2 : 1);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_reference_with_the_same_bits_on_any_worker_count(string name, int c, int h, int k, int kernel, int stride, int pad, int n, int threads)
    {
        var g = Geometry(c, h, k, kernel, stride, pad);
        Assert.Equal(ConvKernel.ChannelTiles, ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
            g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups));
        var rng = new Random(31);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] mine = Forward(threads, g, n, x, w, bias), other = Forward(3 - threads, g, n, x, w, bias);
        Assert.True(mine.AsSpan().SequenceEqual(other), $"{name}: 1 and 2 workers differ.");

        AssertMatchesReference(g, n, x, w, bias, mine, name);
    }

    [Theory]
    // Chosen (ConvolutionAlgorithm.ChooseWinograd) on 15x15: 8x8 tiles (a part-filled transform vector), an odd output
    // cut at the last tile. 96 channels: three passes, 3 wide panels; 64 channels: the fused pass, blocks of 3 tile rows.
    [InlineData(96)]
    [InlineData(64)]
    public void Winograd_gives_the_same_bits_on_any_worker_count(int channels)
    {
        var g = Geometry(channels, 15, channels, 3, 1, 1);
        var rng = new Random(33);
        float[] x = Uniform(rng, 2 * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] one = Forward(1, g, 2, x, w, bias, ConvKernel.Winograd), two = Forward(2, g, 2, x, w, bias, ConvKernel.Winograd);
        Assert.True(one.AsSpan().SequenceEqual(two), "Winograd: 1 and 2 workers differ.");
    }

    /// <summary>
    /// Winograd on planes of 16 tiles or a few more (7x7, 8x8, 9x9), whose GEMMs run two tiles of 8 positions where
    /// 15-16 tiles are left, long and short tiles otherwise: against the reference, the same bits on 1 and 2 workers
    /// and with the 256-bit loop (which runs them as a long and a short tile).
    /// </summary>
    [Theory]
    [InlineData(96, 7, 96, 1)] // 16 tiles: two tiles of 8 per panel, 3 wide panels
    [InlineData(136, 7, 104, 1)] // C past a 128-deep block, a narrow last panel of 8 channels
    [InlineData(96, 8, 112, 3)] // 48 tiles over the batch: 14, 14, 14, 6; a narrow last panel
    [InlineData(100, 9, 96, 1)] // 25 tiles: 14 and 11; an odd plane cut at the last tile row and column
    [InlineData(96, 7, 96, 2)] // 32 tiles: 14 and 18 = 14 and 4
    [InlineData(512, 7, 512, 2)] // ResNet's 512x7x7: U of 16.8 MB written by streaming stores, planes of V and M apart by an odd number of lines
    public void Winograd_on_small_planes_matches_the_reference_with_the_same_bits(int c, int h, int k, int n)
    {
        var g = Geometry(c, h, k, 3, 1, 1);
        Assert.Equal(ConvKernel.Winograd, ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
            g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups));
        var rng = new Random(35);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] two = Forward(2, g, n, x, w, bias, ConvKernel.Winograd), one = Forward(1, g, n, x, w, bias, ConvKernel.Winograd);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{g} batch {n}: 1 and 2 workers differ.");
        CpuConvolution.ChannelTiles512 = false;
        float[] narrow;
        try
        {
            narrow = Forward(2, g, n, x, w, bias, ConvKernel.Winograd);
        }
        finally
        {
            CpuConvolution.ChannelTiles512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        }
        Assert.True(two.AsSpan().SequenceEqual(narrow), $"{g} batch {n}: the 256-bit loop differs from the 512-bit kernels.");
        AssertMatchesReference(g, n, x, w, bias, two, $"Winograd {g} batch {n}");
    }

    [Theory]
    [InlineData(32, 16, 1, 37)] // a wide panel: two tiles of 8
    [InlineData(16, 16, 2, 37)] // a narrow last panel
    [InlineData(32, 15, 3, 37)] // 15 left: a tile of 8 and a short one of 7
    [InlineData(16, 15, 4, 37)]
    [InlineData(32, 16, 5, 300)] // a panel past EightTileWholeBytes, by chunks of the depth (EightTileChunk 64): 4 of 64 and 44 steps
    [InlineData(16, 15, 6, 600)] // a narrow one: 9 of 64 and 24
    [InlineData(32, 15, 7, 512)] // ResNet's 512x7x7 at batch 1 (16 tiles a Winograd GEMM): 8 whole chunks
    [InlineData(32, 16, 8, 256)] // 32 KB: over the whole depth at once
    public unsafe void Runs_of_15_or_16_give_the_bits_of_a_long_and_a_short_tile(int width, int positions, int seed, int depth)
    {
        if (!CpuConvolution.ChannelTiles512) return; // one call runs 15-16 positions with 512-bit vectors only
        var rng = new Random(seed);
        float[] w = Uniform(rng, depth * width), q = Uniform(rng, depth * 40 + 40);
        fixed (float* pw = w, pq = q)
        {
            int* shifts = stackalloc int[depth];
            int* lanes = stackalloc int[CpuConvolution.MaxTilePositions + 7];
            for (int i = 0; i < depth; i++) shifts[i] = 40 * i;
            // Positions that do not run in order, one repeated (a short run's last lane).
            for (int j = 0; j < CpuConvolution.MaxTilePositions + 7; j++) lanes[j] = j < positions ? (7 * j) % 37 : lanes[positions - 1];
            float* run = stackalloc float[CpuConvolution.MaxTilePositions * 32];
            float* expected = stackalloc float[(CpuConvolution.MaxTilePositions + 7) * 32];
            CpuConvolution.RunChannelTile(depth, width, positions, pw, pq, shifts, lanes, run);
            CpuConvolution.RunChannelTile(depth, width, CpuConvolution.TilePositions, pw, pq, shifts, lanes, expected);
            CpuConvolution.RunChannelTile(depth, width, positions - CpuConvolution.TilePositions, pw, pq, shifts, lanes + CpuConvolution.TilePositions,
                expected + CpuConvolution.TilePositions * 32);
            for (int j = 0; j < positions; j++)
                for (int v = 0; v < width; v++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[j * 32 + v]) == BitConverter.SingleToInt32Bits(run[j * 32 + v]),
                        $"position {j}, channel {v}: {expected[j * 32 + v]:G9} against {run[j * 32 + v]:G9}.");
        }
    }

    [Theory]
    [InlineData(16, 16, 4, 2, 4, 4)] // ResNet's 1x1 256 -> 512 at 7x7, batch 1: 4 tiles, so 4 groups of 4 panels (16 items)
    [InlineData(16, 1, 4, 2, 1, 16)] // its 3x3 (depth 2304): one panel per group already
    [InlineData(2, 2, 896, 2, 2, 1)] // the stem: 896 tiles, both panels in one group
    [InlineData(3, 3, 2, 2, 1, 3)] // never more groups than panels
    [InlineData(5, 5, 3, 1, 2, 3)] // groups of equal size, none empty: 2, 2, 1
    public void Panels_are_grouped_finer_when_tiles_are_too_few_for_the_workers(int panels, int fit, int tiles, int workers, int block, int blocks) =>
        Assert.Equal((block, blocks), CpuConvolution.PanelGroups(panels, fit, tiles, workers));

    [Fact]
    public void Runs_of_15_or_16_tiles_are_one_call_with_512_bit_vectors()
    {
        Assert.Equal(14, CpuConvolution.NextTileCount(30));
        Assert.Equal(14, CpuConvolution.NextTileCount(17));
        Assert.Equal(CpuConvolution.ChannelTiles512 ? 16 : 14, CpuConvolution.NextTileCount(16));
        Assert.Equal(CpuConvolution.ChannelTiles512 ? 15 : 14, CpuConvolution.NextTileCount(15));
        Assert.Equal(14, CpuConvolution.NextTileCount(14));
        Assert.Equal(3, CpuConvolution.NextTileCount(3));
    }

    [Theory]
    [InlineData(96, 96, true)]
    [InlineData(256, 256, true)]
    [InlineData(64, 64, true)] // the fused pass
    [InlineData(128, 64, false)] // past the fused pass's weights, below 96 channels: three passes lost to the tiles
    [InlineData(48, 48, false)]
    [InlineData(64, 96, false)]
    public void Winograd_is_chosen_from_96_channels_or_64_in_the_fused_pass(int c, int k, bool chosen) =>
        Assert.Equal(chosen, ConvolutionAlgorithm.ChooseWinograd(c, k));

    [Fact]
    public void The_256_bit_loop_and_unfused_scalar_transforms_give_the_512_bit_kernels_bits()
    {
        var rng = new Random(32);
        // Winograd with pads 0-2 on planes whose tile rows need plain and masked column loads (45 wide: 23 tiles a row),
        // below F(4x4, 3x3)'s planes (ConvolutionAlgorithm.ChooseWinograd4x4).
        foreach (var (g, n) in new[] { (Geometry(24, 7, 48, 3, 1, 1), 1), (Geometry(16, 9, 72, 3, 1, 1), 2), (Geometry(96, 15, 96, 3, 1, 1), 1), (Geometry(64, 15, 64, 3, 1, 1), 2),
            (Conv(96, 13, 45, 96, 3, 3, pt: 2, pb: 2, pl: 2, pr: 2), 1), (Conv(64, 20, 38, 64, 3, 3), 1), (Geometry(96, 9, 96, 3, 1, 0), 2) })
        {
            float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
            var kernel = g.InChannels >= 64 ? ConvKernel.Winograd : ConvKernel.ChannelTiles;
            float[] wide = Forward(2, g, n, x, w, bias, kernel);
            CpuConvolution.ChannelTiles512 = false;
            float[] narrow;
            try
            {
                narrow = Forward(2, g, n, x, w, bias, kernel);
            }
            finally
            {
                CpuConvolution.ChannelTiles512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
            }
            Assert.True(wide.AsSpan().SequenceEqual(narrow), $"{g}: the 256-bit loop differs from the 512-bit kernels.");
        }
    }

    [Theory]
    [InlineData(24, 1, 16, false)] // a 1x1 conv from 24 channels: too shallow for the tiles' store
    [InlineData(64, 1, 16, true)]
    [InlineData(16, 3, 6, false)] // LeNet's 6 channels would waste 10 of 16 lanes
    [InlineData(16, 3, 40, false)] // 40 of 48 lanes: a sixth wasted
    [InlineData(16, 3, 72, true)] // 72 of 80
    public void Tiles_apply_from_a_depth_of_64_and_at_most_an_eighth_of_lanes_wasted(int c, int kernel, int k, bool applies) =>
        Assert.Equal(applies, ConvolutionAlgorithm.ChannelTilesApply(c * kernel * kernel, k));

    [Theory]
    [InlineData(24, 48, nameof(ConvKernel.ChannelTiles))]
    [InlineData(64, 64, nameof(ConvKernel.Winograd))]
    public void Weights_are_packed_once_per_write(int c, int k, string kernelName)
    {
        var kernel = Enum.Parse<ConvKernel>(kernelName);
        var g = Geometry(c, 15, k, 3, 1, 1);
        var rng = new Random(34);
        using var device = new CpuDevice(2);
        var (x, w, y) = (device.Allocate<float>(g.InputSize), device.Allocate<float>(g.WeightSize), device.Allocate<float>(g.OutputSize));
        var (rx, rw, ry) = (_reference.Allocate<float>(g.InputSize), _reference.Allocate<float>(g.WeightSize), _reference.Allocate<float>(g.OutputSize));
        float[] input = Uniform(rng, g.InputSize);
        x.Upload(input);
        rx.Upload(input);
        for (int round = 1; round <= 2; round++)
        {
            // Each round writes new weights: the first forward packs them, the second reuses the packing.
            float[] weights = Uniform(rng, g.WeightSize);
            w.Upload(weights);
            rw.Upload(weights);
            device.ConvForward(g, 1, x, w, null, y);
            device.ConvForward(g, 1, x, w, null, y);
            Assert.Equal(kernel, CpuConvolution.LastKernel);
            Assert.Equal(round, PackedConvWeights.Find(w)!.Packs);
            _reference.ConvForward(g, 1, rx, rw, null, ry);
            AssertClose(ry.ToArray(), y.ToArray(), $"{kernel}, weights written {round} times");
        }
    }

    /// <summary>Asserts that <paramref name="y"/> is the reference device's forward of the same inputs.</summary>
    private void AssertMatchesReference(in ConvGeometry g, int n, float[] x, float[] w, float[] bias, float[] y, string what)
    {
        var (rx, rw, rb, ry) = (_reference.Allocate<float>(x.Length), _reference.Allocate<float>(w.Length), _reference.Allocate<float>(bias.Length), _reference.Allocate<float>(n * g.OutputSize));
        rx.Upload(x);
        rw.Upload(w);
        rb.Upload(bias);
        _reference.ConvForward(g, n, rx, rw, rb, ry);
        AssertClose(ry.ToArray(), y, what);
    }

    private static float[] Forward(int threads, in ConvGeometry g, int n, float[] x, float[] w, float[] bias, ConvKernel kernel = ConvKernel.ChannelTiles)
    {
        using var device = new CpuDevice(threads);
        var (bx, bw, bb, y) = (device.Allocate<float>(x.Length), device.Allocate<float>(w.Length), device.Allocate<float>(bias.Length), device.Allocate<float>(n * g.OutputSize));
        bx.Upload(x);
        bw.Upload(w);
        bb.Upload(bias);
        device.ConvForward(g, n, bx, bw, bb, y);
        Assert.Equal(kernel, CpuConvolution.LastKernel);
        return y.ToArray();
    }
}

/// <summary>
/// Test classes that switch a process-wide setting the CPU device's kernel choice reads (<see cref="CpuConvolution.ChannelTiles512"/>:
/// without it backward data takes the phase split, not Winograd) run alone, not beside classes that assert which kernel
/// ran (CpuTransposedConvEpilogueTests failed that way about one full run in two).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelChoiceSwitchCollection
{
    public const string Name = "CPU kernel choice switches";
}

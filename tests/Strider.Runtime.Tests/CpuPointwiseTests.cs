using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The pointwise 1x1 forward kernel (<see cref="ConvKernel.Pointwise"/>) at its edges: output channels that leave a
/// part-filled 8-channel panel, planes that leave a short last tile of 1-47 positions (1, 2 or 3 vectors, through the
/// zero-padded scratch copy), planes of whole tiles, batches, deep inputs, and few items per image
/// (channel panels split into groups); each against the reference device on 1 and 2 workers with the same bits, with
/// the 256-bit loop on the same bits, in blocks of tiles on the one-tile-at-a-time bits, with its epilogue equal to the
/// separate ops, and its weights packed once per write.
/// </summary>
public sealed class CpuPointwiseTests
{
    private readonly ReferenceDevice _reference = new();

    public static TheoryData<string, int, int, int, int, int> Cases => new()
    {
        // name, in channels, H, W, out channels, batch
        { "MobileNetV2's 16 -> 96 cut to 24x24: 576 = 12 whole tiles, whole panels", 16, 24, 24, 96, 1 },
        { "24 -> 20 on 19x17, batch 2: 323 = 6 x 48 + 35 (3 vectors, scratch), a panel of 4", 24, 19, 17, 20, 2 },
        { "13 -> 11 on 13x13: 169 = 3 x 48 + 25 (2 vectors), odd channels", 13, 13, 13, 11, 1 },
        { "7 -> 9 on 7x10: 70 = 48 + 22, batch 3", 7, 7, 10, 9, 3 },
        { "33 -> 17 on 8x8: 64 = 48 + 16 (1 vector)", 33, 8, 8, 17, 2 },
        { "3 -> 5 on 9x11: 99 = 2 x 48 + 3", 3, 9, 11, 5, 1 },
        { "deep, 300 -> 24 on 10x10 (x's tile in L2)", 300, 10, 10, 24, 1 },
        { "96 -> 576 on 14x14 cut to 200 channels: 5 tiles, panels in groups", 96, 14, 14, 200, 1 },
        { "1 -> 8 on 1x97: a single input channel, 97 = 2 x 48 + 1", 1, 1, 97, 8, 2 },
        { "a 7x7 expansion (MobileNetV2 160 -> 960, cut): 40 -> 168, one long tile (48 + a column), batch 2", 40, 7, 7, 168, 2 },
        { "a deep 7x7 projection (MobileNetV2 960 -> 160, cut): 200 -> 36, a long tile, a panel of 4, batch 3", 200, 7, 7, 36, 3 },
        { "14x14 (MobileNetV2 576 -> 96, cut): 196 = 4 long tiles, 180 -> 40 channels", 180, 14, 14, 40, 1 },
        { "7x14: 98 = 2 long tiles, 9 -> 13 channels, batch 2", 9, 7, 14, 13, 2 },
    };

    private static ConvGeometry Geometry(int c, int h, int w, int k) => Conv(c, h, w, k, 1, 1);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_reference_with_the_same_bits_on_any_worker_count(string name, int c, int h, int w, int k, int n)
    {
        var g = Geometry(c, h, w, k);
        Assert.Equal(ConvKernel.Pointwise, Chosen(g));
        var rng = new Random(61);
        float[] x = Uniform(rng, n * g.InputSize), weights = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] one = Forward(1, g, n, x, weights, bias), two = Forward(2, g, n, x, weights, bias);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{name}: 1 and 2 workers differ.");
        Assert.True(Forward(2, g, n, x, weights, null).AsSpan().SequenceEqual(Forward(1, g, n, x, weights, null)), $"{name}, no bias: 1 and 2 workers differ.");
        AssertClose(Reference(g, n, x, weights, bias), one, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_256_bit_loop_gives_the_512_bit_tiles_bits(string name, int c, int h, int w, int k, int n)
    {
        var g = Geometry(c, h, w, k);
        var rng = new Random(62);
        float[] x = Uniform(rng, n * g.InputSize), weights = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] residual = Uniform(rng, n * g.OutputSize);
        float[] wide = Forward(2, g, n, x, weights, bias), wideRelu6 = Forward(2, g, n, x, weights, bias, Activation.Relu6),
            wideResidual = Forward(2, g, n, x, weights, bias, Activation.Relu, residual);
        CpuConvolution.Pointwise512 = false;
        float[] narrow, narrowRelu6, narrowResidual;
        try
        {
            narrow = Forward(2, g, n, x, weights, bias);
            narrowRelu6 = Forward(2, g, n, x, weights, bias, Activation.Relu6);
            narrowResidual = Forward(2, g, n, x, weights, bias, Activation.Relu, residual);
        }
        finally
        {
            CpuConvolution.Pointwise512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        }
        Assert.True(wide.AsSpan().SequenceEqual(narrow), $"{name}: the 256-bit loop differs from the 512-bit tiles.");
        Assert.True(wideRelu6.AsSpan().SequenceEqual(narrowRelu6), $"{name}, Relu6 in registers: the 256-bit loop differs from the 512-bit tiles.");
        Assert.True(wideResidual.AsSpan().SequenceEqual(narrowResidual), $"{name}, residual + Relu in registers: the 256-bit loop differs from the 512-bit tiles.");
    }

    [Theory]
    [InlineData(20, 19, 17, 20, 2)]
    [InlineData(16, 24, 24, 96, 1)]
    [InlineData(13, 13, 13, 11, 3)]
    [InlineData(20, 7, 7, 20, 2)]   // long tiles: a NaN in the column (the last position)
    [InlineData(200, 14, 14, 19, 1)] // long tiles, a panel of 3 through the stack tile
    public void The_fused_epilogue_equals_conv_Add_and_the_activation_on_one_worker_and_two_with_NaN_kept(int c, int h, int w, int k, int n)
    {
        var g = Geometry(c, h, w, k);
        var rng = new Random(63);
        long count = n * g.OutputSize;
        float[] x = Uniform(rng, n * g.InputSize), weights = Uniform(rng, g.WeightSize), bias = Uniform(rng, k), residual = Uniform(rng, count);
        // NaN inputs (in a full tile and in the last, short one) make NaN outputs, which Relu and Relu6 keep, in registers too.
        x[5] = float.NaN;
        x[^1] = float.NaN;
        // The residual and Relu or Relu6 are applied in registers before the store of whole tiles; the others on each stored tile.
        foreach (var (withResidual, f) in new (bool, Activation?)[]
                 { (false, Activation.Relu6), (false, Activation.Relu), (false, Activation.HardTanh), (true, null), (true, Activation.Relu), (true, Activation.Sigmoid) })
        {
            float[] Run(int threads, bool fused)
            {
                using var device = new CpuDevice(threads);
                var (bx, bw, bb, br, y) = (Up(device, x), Up(device, weights), Up(device, bias), Up(device, residual), device.Allocate<float>(count));
                if (fused)
                {
                    device.ConvForward(g, n, bx, bw, bb, y, new ConvEpilogue(withResidual ? br : null, f));
                    Assert.Equal(ConvKernel.Pointwise, CpuConvolution.LastKernel);
                    return y.ToArray();
                }
                device.ConvForward(g, n, bx, bw, bb, y);
                if (withResidual) device.Add(count, y, br, y);
                if (f is { } a) device.ActivationForward(a, count, y, y);
                return y.ToArray();
            }
            string what = $"{g} batch {n}, {(withResidual ? "residual" : "no residual")} + {f?.ToString() ?? "no activation"}";
            float[] fusedTwo = Run(2, true), fusedOne = Run(1, true), separate = Run(2, false);
            Assert.True(fusedTwo.AsSpan().SequenceEqual(fusedOne), $"{what}: the fused conv differs between one worker and two.");
            Assert.True(fusedTwo.AsSpan().SequenceEqual(separate), $"{what}: the fused conv differs from the separate ops.");
            Assert.Contains(fusedTwo, float.IsNaN);
        }
    }

    [Theory]
    [InlineData(40, 7, 7, 168, 2)]
    [InlineData(200, 14, 14, 36, 1)]
    [InlineData(9, 7, 14, 13, 3)]
    public void Long_tiles_give_the_48_position_tiles_bits_with_the_epilogue(int c, int h, int w, int k, int n)
    {
        var g = Geometry(c, h, w, k);
        Assert.Equal(CpuConvolution.PointwiseLongSpan, CpuConvolution.PointwiseSpan(h * w));
        var rng = new Random(65);
        float[] x = Uniform(rng, n * g.InputSize), weights = Uniform(rng, g.WeightSize), bias = Uniform(rng, k), residual = Uniform(rng, n * g.OutputSize);
        x[^1] = float.NaN; // the last column's sums
        float[] Run(bool longTiles, Activation? f, float[]? r)
        {
            CpuConvolution.PointwiseLongTiles = longTiles;
            try { return Forward(2, g, n, x, weights, bias, f, r); }
            finally { CpuConvolution.PointwiseLongTiles = true; }
        }
        foreach (var (f, r) in new (Activation?, float[]?)[] { (null, null), (Activation.Relu6, null), (Activation.Relu, residual), (Activation.Sigmoid, residual) })
        {
            float[] longTiles = Run(true, f, r), shortTiles = Run(false, f, r);
            Assert.True(longTiles.AsSpan().SequenceEqual(shortTiles), $"{g} batch {n}, {f?.ToString() ?? "no activation"}{(r is null ? "" : " + residual")}: long tiles differ from 48-position tiles.");
        }
    }

    [Theory]
    [InlineData(16, 112, 112, 96, 1, 98304)] // MobileNetV2's 16 -> 96 at 112x112: 261 whole tiles + 16 positions, blocks of 32
    [InlineData(24, 19, 17, 20, 2, 9216)]    // blocks of 2 over 6 whole tiles and a short one, a panel of 4, batch 2
    [InlineData(13, 13, 13, 11, 3, 7500)]    // blocks of 3 over 3 whole tiles, odd channels, batch 3
    [InlineData(20, 7, 7, 20, 2, 98304)]     // one long tile (48 + a column) a plane
    [InlineData(9, 7, 14, 13, 3, 98304)]     // 2 long tiles, 9 -> 13 channels
    [InlineData(40, 30, 30, 72, 1, 98304)]   // 900 = 18 x 48 + 36 in blocks of 12, items over runs and panel groups
    public void Blocks_of_tiles_give_the_one_tile_at_a_time_bits_with_the_epilogue_on_one_worker_and_two(int c, int h, int w, int k, int n, int blockBytes)
    {
        var g = Geometry(c, h, w, k);
        Assert.True(CpuConvolution.PointwiseBlockTiles(c, CpuConvolution.PointwiseSpan(h * w)) > 1 || blockBytes != CpuConvolution.PointwiseBlockBytes);
        var rng = new Random(66);
        float[] x = Uniform(rng, n * g.InputSize), weights = Uniform(rng, g.WeightSize), bias = Uniform(rng, k), residual = Uniform(rng, n * g.OutputSize);
        float[] withNaN = (float[])x.Clone();
        withNaN[^1] = float.NaN; // the last tile's sums
        int defaultBytes = CpuConvolution.PointwiseBlockBytes;
        float[] Run(int bytes, int threads, Activation? f, float[]? r, bool withBias, float[]? input = null)
        {
            CpuConvolution.PointwiseBlockBytes = bytes;
            try { return Forward(threads, g, n, input ?? withNaN, weights, withBias ? bias : null, f, r); }
            finally { CpuConvolution.PointwiseBlockBytes = defaultBytes; }
        }
        foreach (var (f, r, withBias) in new (Activation?, float[]?, bool)[]
                 { (null, null, true), (Activation.Relu6, null, false), (Activation.Relu, residual, true), (Activation.Sigmoid, residual, true), (null, residual, false) })
        {
            string what = $"{g} batch {n}, {f?.ToString() ?? "no activation"}{(r is null ? "" : " + residual")}{(withBias ? " + bias" : "")}";
            float[] oneTile = Run(0, 1, f, r, withBias), blockOne = Run(blockBytes, 1, f, r, withBias), blockTwo = Run(blockBytes, 2, f, r, withBias);
            Assert.True(blockOne.AsSpan().SequenceEqual(oneTile), $"{what}: blocks of tiles differ from one tile at a time.");
            Assert.True(blockTwo.AsSpan().SequenceEqual(oneTile), $"{what}: blocks of tiles on two workers differ from one tile at a time.");
        }
        AssertClose(Reference(g, n, x, weights, bias), Run(blockBytes, 2, null, null, true, x), $"{g} batch {n} in blocks of tiles");
    }

    [Fact]
    public void Weights_are_packed_once_per_write()
    {
        var g = Geometry(24, 19, 17, 20);
        var rng = new Random(64);
        using var device = new CpuDevice(2);
        var (x, w, y) = (device.Allocate<float>(g.InputSize), device.Allocate<float>(g.WeightSize), device.Allocate<float>(g.OutputSize));
        float[] input = Uniform(rng, g.InputSize);
        x.Upload(input);
        for (int round = 1; round <= 2; round++)
        {
            // Each round writes new weights: the first forward packs them, the second reuses the packing.
            float[] weights = Uniform(rng, g.WeightSize);
            w.Upload(weights);
            device.ConvForward(g, 1, x, w, null, y);
            device.ConvForward(g, 1, x, w, null, y);
            Assert.Equal(ConvKernel.Pointwise, CpuConvolution.LastKernel);
            Assert.Equal(round, PackedConvWeights.Find(w)!.Packs);
            AssertClose(Reference(g, 1, input, weights, null), y.ToArray(), $"weights written {round} times");
        }
    }

    [Theory]
    [InlineData(16, 112, 96, 1, 1, 0, true)] // MobileNetV2's expansions and projections
    [InlineData(160, 14, 96, 1, 1, 0, true)]
    [InlineData(576, 28, 96, 1, 1, 0, false)] // deeper than 160 where the channel tiles apply: those
    [InlineData(192, 14, 64, 1, 1, 0, true)] // but long tiles fill every lane of 14x14 and 7x7, deeper while the input is at most 256 KB
    [InlineData(576, 14, 96, 1, 1, 0, false)] // 441 KB
    [InlineData(576, 56, 24, 1, 1, 0, true)] // 24 output channels waste a quarter of the channel tiles' lanes
    [InlineData(16, 8, 8, 1, 1, 0, true)]
    [InlineData(160, 7, 960, 1, 1, 0, true)] // a 7x7 plane fills 49 of 64 lanes: expansions only
    [InlineData(960, 7, 160, 1, 1, 0, true)] // a 7x7 projection, as long tiles
    [InlineData(960, 8, 160, 1, 1, 0, false)] // 8x8, deep: the channel tiles
    [InlineData(160, 6, 960, 1, 1, 0, false)] // 36 of 48 lanes
    [InlineData(16, 28, 16, 1, 2, 0, false)] // strided
    [InlineData(16, 28, 16, 1, 1, 1, false)] // padded
    [InlineData(16, 28, 16, 3, 1, 1, false)] // not 1x1
    public void Pointwise_applies_to_unstrided_unpadded_1x1_convs_on_64_positions_or_49_when_they_widen_up_to_160_channels_deep_where_tiles_apply_or_on_long_tile_planes(int c, int h, int k, int kernel, int stride, int pad, bool applies)
    {
        int o = (h + 2 * pad - kernel) / stride + 1;
        Assert.Equal(applies, ConvolutionAlgorithm.PointwiseApplies(c, h, h, k, o, o, kernel, kernel, stride, stride, pad, pad));
    }

    private static ConvKernel Chosen(in ConvGeometry g) => ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
        g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups);

    private float[] Reference(in ConvGeometry g, int n, float[] x, float[] w, float[]? bias)
    {
        var rx = _reference.Allocate<float>(x.Length);
        var rw = _reference.Allocate<float>(w.Length);
        var ry = _reference.Allocate<float>(n * g.OutputSize);
        rx.Upload(x);
        rw.Upload(w);
        DeviceBuffer<float>? rb = null;
        if (bias is not null)
        {
            rb = _reference.Allocate<float>(bias.Length);
            rb.Upload(bias);
        }
        _reference.ConvForward(g, n, rx, rw, rb, ry);
        return ry.ToArray();
    }

    private static float[] Forward(int threads, in ConvGeometry g, int n, float[] x, float[] w, float[]? bias, Activation? activation = null, float[]? residual = null)
    {
        using var device = new CpuDevice(threads);
        var (bx, bw, y) = (Up(device, x), Up(device, w), device.Allocate<float>(n * g.OutputSize));
        device.ConvForward(g, n, bx, bw, bias is null ? null : Up(device, bias), y, new ConvEpilogue(residual is null ? null : Up(device, residual), activation));
        Assert.Equal(ConvKernel.Pointwise, CpuConvolution.LastKernel);
        return y.ToArray();
    }
}

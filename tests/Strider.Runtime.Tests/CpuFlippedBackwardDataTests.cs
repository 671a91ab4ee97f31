using System.Runtime.InteropServices;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Stride-1 backward data as the flipped forward on the forward's own kernel for the flipped geometry (Winograd, the
/// channel tiles, im2col + GEMM): against <see cref="ReferenceDevice"/>, accumulating and overwriting, one worker and
/// two giving the same bits, and the flipped packings against the forward's packings of explicitly flipped weights.
/// </summary>
public sealed class CpuFlippedBackwardDataTests
{
    /// <summary>Conv (dx channels, plane, dY channels, padding), batch, and the forward kernel its backward data runs on.</summary>
    public static TheoryData<string, int, int, int, int, int, string> Cases => new()
    {
        { "Winograd fused (64 x 64 weights), 20x20 pad 1", 64, 20, 64, 1, 3, nameof(ConvKernel.Winograd) },
        { "Winograd F(4x4, 3x3) fused, unpadded 40x40 (flipped padding 2)", 64, 40, 64, 0, 1, nameof(ConvKernel.Winograd4x4) },
        { "Winograd unfused, odd plane 13x13, 97 dY -> 100 dx channels (a 16-wide last panel)", 100, 13, 97, 1, 6, nameof(ConvKernel.Winograd) },
        { "Winograd's geometry at too few tiles (100): channel tiles", 64, 20, 64, 1, 1, nameof(ConvKernel.ChannelTiles) },
        { "Winograd from 128 tiles: ResNet's 7x7 at batch 8, 64 channels", 64, 7, 64, 1, 8, nameof(ConvKernel.Winograd) },
        { "channel tiles, ResNet's 7x7 at batch 3, 40 dY -> 48 dx channels (a 16-wide last panel)", 48, 7, 40, 1, 3, nameof(ConvKernel.ChannelTiles) },
        { "channel tiles, 9x9 pad 1, 72 -> 72 channels", 72, 9, 72, 1, 2, nameof(ConvKernel.ChannelTiles) },
        { "im2col + GEMM, 11 dY -> 9 dx channels", 9, 12, 11, 1, 2, nameof(ConvKernel.Im2colGemm) },
    };

    /// <summary>
    /// A 1x1's backward data whose flipped forward would be the pointwise tiles (whose packing the flipped weights do
    /// not have) runs, and is named in the generated comment as, the kernel the forward takes without them.
    /// </summary>
    [Theory]
    [InlineData(24, 56, 40, 1)]   // MobileNetV2-like expansion: flipped 40 -> 24 at 56x56
    [InlineData(144, 28, 24, 1)]  // projection: flipped 24 -> 144
    [InlineData(24, 20, 96, 2)]   // flipped 96 -> 24: deep enough for the channel tiles
    public void A_1x1_backward_data_runs_the_kernel_its_comment_names(int c, int size, int k, int n)
    {
        var g = Conv(c, size, size, k, 1, 1);
        var named = ConvolutionAlgorithm.FlippedForwardKernel(c, size, size, k, size, size, 1, 1, 0, 0, 1, 1);
        Assert.NotEqual(ConvKernel.Pointwise, named);
        Assert.Equal(ConvKernel.Pointwise, ConvolutionAlgorithm.Forward(k, size, size, c, size, size, 1, 1, 1, 1, 0, 0, 1, 1, 1));
        var rng = new Random(32);
        float[] w = Uniform(rng, g.WeightSize), dy = Uniform(rng, n * g.OutputSize);
        float[] Run(Device device)
        {
            var (bw, bdy, bdx) = (device.Allocate<float>(w.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(n * g.InputSize));
            bw.Upload(w);
            bdy.Upload(dy);
            device.ConvBackwardData(g, n, bdy, bw, bdx, accumulate: false);
            return bdx.ToArray();
        }
        using var reference = new ReferenceDevice();
        using var cpu = new CpuDevice(2);
        float[] expected = Run(reference), actual = Run(cpu);
        Assert.Equal(ConvKernel.FlippedForward, CpuConvolution.LastKernel);
        Assert.Equal(named, CpuConvolution.LastFlippedKernel);
        AssertClose(expected, actual, $"1x1 {c} -> {k} at {size}x{size}: backward data");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_data_matches_the_reference_on_one_worker_and_two(string name, int c, int size, int k, int pad, int n, string kernel)
    {
        var g = Conv(c, size, size, k, 3, 3, pt: pad, pb: pad, pl: pad, pr: pad);
        Assert.Equal(ConvKernel.FlippedForward, ConvolutionAlgorithm.BackwardData(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
            3, 3, 1, 1, pad, pad, 1, 1, 1));
        var rng = new Random(31);
        float[] w = Uniform(rng, g.WeightSize), dy = Uniform(rng, n * g.OutputSize), dx0 = Uniform(rng, n * g.InputSize);
        float[] Run(Device device, bool accumulate)
        {
            var (bw, bdy, bdx) = (device.Allocate<float>(w.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(dx0.Length));
            bw.Upload(w);
            bdy.Upload(dy);
            // Overwriting, a stale dx: every value must be written.
            bdx.Upload(accumulate ? dx0 : Enumerable.Repeat(float.NaN, dx0.Length).ToArray());
            device.ConvBackwardData(g, n, bdy, bw, bdx, accumulate);
            return bdx.ToArray();
        }
        foreach (bool accumulate in new[] { true, false })
        {
            using var reference = new ReferenceDevice();
            using var one = new CpuDevice(1);
            using var two = new CpuDevice(2);
            float[] expected = Run(reference, accumulate), single = Run(one, accumulate), both = Run(two, accumulate);
            Assert.Equal(ConvKernel.FlippedForward, CpuConvolution.LastKernel);
            Assert.Equal(kernel, CpuConvolution.LastFlippedKernel.ToString());
            AssertClose(expected, both, $"{name}: backward data (accumulating {accumulate})");
            Assert.True(MemoryMarshal.AsBytes(single.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(both.AsSpan())),
                $"{name}: one worker and two give different bits (accumulating {accumulate}).");
        }
    }

    [Fact]
    public void The_flipped_packing_follows_the_kernel_and_each_write_of_the_weights()
    {
        using var device = new CpuDevice(2);
        using var reference = new ReferenceDevice();
        var rng = new Random(32);
        // One weight buffer read as a 64 -> 64 conv on 32x32 (Winograd F(4x4, 3x3)) and on 7x7 (channel tiles): each packs its own layout.
        var wide = Conv(64, 32, 32, 64, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        var small = Conv(64, 7, 7, 64, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        float[] w = Uniform(rng, wide.WeightSize);
        var (dw, rw) = (device.Allocate<float>(w.Length), reference.Allocate<float>(w.Length));
        dw.Upload(w);
        rw.Upload(w);
        foreach (var (g, kernel) in new[] { (wide, ConvKernel.Winograd4x4), (small, ConvKernel.ChannelTiles), (wide, ConvKernel.Winograd4x4) })
        {
            float[] dy = Uniform(rng, g.OutputSize);
            var (ddy, rdy, ddx, rdx) = (device.Allocate<float>(dy.Length), reference.Allocate<float>(dy.Length), device.Allocate<float>(g.InputSize), reference.Allocate<float>(g.InputSize));
            ddy.Upload(dy);
            rdy.Upload(dy);
            device.ConvBackwardData(g, 1, ddy, dw, ddx, accumulate: false);
            reference.ConvBackwardData(g, 1, rdy, rw, rdx, accumulate: false);
            Assert.Equal(kernel, CpuConvolution.LastFlippedKernel);
            AssertClose(rdx.ToArray(), ddx.ToArray(), $"backward data of {g} on a shared weight buffer");
        }
        Assert.Equal(3, FlippedConvWeights.Find(dw)!.Packs);
        // A write (an optimizer step) makes the next call transform the new values.
        device.Add(wide.WeightSize, dw, dw, dw);
        reference.Add(wide.WeightSize, rw, rw, rw);
        float[] dy2 = Uniform(rng, wide.OutputSize);
        var (d2, r2, dx2, rx2) = (device.Allocate<float>(dy2.Length), reference.Allocate<float>(dy2.Length), device.Allocate<float>(wide.InputSize), reference.Allocate<float>(wide.InputSize));
        d2.Upload(dy2);
        r2.Upload(dy2);
        device.ConvBackwardData(wide, 1, d2, dw, dx2, accumulate: false);
        reference.ConvBackwardData(wide, 1, r2, rw, rx2, accumulate: false);
        AssertClose(rx2.ToArray(), dx2.ToArray(), "Winograd backward data after a device op wrote the weights");
        Assert.Equal(4, FlippedConvWeights.Find(dw)!.Packs);
    }

    /// <summary>w flipped and transposed one value at a time: W'[c, k, t] = w[k, c, R S - 1 - t].</summary>
    /// <summary>
    /// A flipped packing (<paramref name="flippedItem"/>, run on w itself) against the forward's packing
    /// (<paramref name="forwardItem"/>, run on w flipped and transposed one value at a time), item by item: the same floats.
    /// </summary>
    internal static unsafe void AssertFlippedPackingIsTheForwardsOfFlippedWeights(in ConvGeometry g, float[] w, long size, int items,
        delegate*<object, void*, int, int, void> forwardItem, delegate*<object, void*, int, int, void> flippedItem)
    {
        float[] flipped = Flip(w, g.InChannels, g.OutChannels, g.KernelH * g.KernelW);
        // Both packings start on a cache line, as PackedConvWeights' do (large Winograd weights are streamed there).
        var expected = new float[size + 15];
        var actual = new float[size + 15];
        fixed (float* pw = w, pf = flipped, pe = expected, pa = actual)
        {
            float* e = LineAligned(pe), a = LineAligned(pa);
            var forward = new CpuConvolution.ConvArgs { G = CpuConvolution.FlippedGeometry(g), W = pf, PackedW = e };
            var direct = new CpuConvolution.ConvArgs { G = g, X = pw, PackedW = a };
            for (int i = 0; i < items; i++)
            {
                forwardItem(null!, &forward, i, 0);
                flippedItem(null!, &direct, i, 0);
            }
            Assert.True(new ReadOnlySpan<float>(e, checked((int)size)).SequenceEqual(new ReadOnlySpan<float>(a, checked((int)size))),
                "The flipped packing differs from the forward's packing of the flipped weights.");
        }
    }

    /// <summary>The first 64-byte line boundary at or after <paramref name="p"/> (an array of 15 floats more than it needs).</summary>
    internal static unsafe float* LineAligned(float* p) => (float*)(((long)p + 63) & ~63L);

    private static float[] Flip(float[] w, int c, int k, int rs)
    {
        var flipped = new float[w.Length];
        for (int ci = 0; ci < c; ci++)
            for (int ki = 0; ki < k; ki++)
                for (int t = 0; t < rs; t++) flipped[(ci * k + ki) * rs + t] = w[(ki * c + ci) * rs + rs - 1 - t];
        return flipped;
    }

    [Theory]
    [InlineData(48, 40, 3)] // a 16-wide last panel
    [InlineData(100, 97, 3)] // 100 = 3 x 32 + 4: a 16-wide last panel, 12 channels of it zero
    [InlineData(64, 300, 1)] // 1x1
    [InlineData(45, 20, 5)] // 25 taps: 8 by the transpose, 17 one at a time; 13 channels in the last panel
    public unsafe void Flipped_channel_panels_are_the_forward_panels_of_the_flipped_weights(int c, int k, int kernel)
    {
        var g = Conv(c, 9, 9, k, kernel, kernel, pt: kernel / 2, pb: kernel / 2, pl: kernel / 2, pr: kernel / 2);
        var w = Uniform(new Random(33), g.WeightSize);
        int panels = (c + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels;
        AssertFlippedPackingIsTheForwardsOfFlippedWeights(g, w, CpuConvolution.ChannelPanelsSize(c, k * kernel * kernel), panels,
            &CpuConvolution.PackChannelPanelItem, &CpuConvolution.PackFlippedChannelPanelItem);
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(100, 97)]
    [InlineData(33, 130)]
    [InlineData(48, 37)] // a whole 16-wide last panel by the transposes; 37 = 2 x 16 + 5 kernels, the last 5 gathered
    [InlineData(512, 512)] // ResNet's 512x512: U of 16.8 MB, written by streaming stores
    public unsafe void Flipped_Winograd_weights_are_the_forward_transform_of_the_flipped_weights(int c, int k)
    {
        var g = Conv(c, 9, 9, k, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        var w = Uniform(new Random(34), g.WeightSize);
        int padded = Gemm.RoundUp(c, CpuConvolution.TileChannels), panels = padded / CpuConvolution.TileChannels;
        AssertFlippedPackingIsTheForwardsOfFlippedWeights(g, w, 16L * padded * k, panels,
            &CpuConvolution.WinogradWeightsItem, &CpuConvolution.FlippedWinogradWeightsItem);
    }
    /// <summary>
    /// The forward's Winograd weights (whole panels 16 input channels at a time by transposes, the rest 8 lanes at once
    /// by gathers and one tile at a time) against the scalar tile transform of each kernel: the same bits at every
    /// (e, k, c), lanes past K zero; 100 = 3 x 32 + 4 output channels leave 4 lanes for the scalar tail in a 16-wide
    /// last panel, 45 a 13-lane one (one vector and 5 scalar lanes); 37 and 97 input channels leave 5 and 1 past the
    /// last 16 for the gathers; 48 output channels a whole 16-wide last panel.
    /// </summary>
    [Theory]
    [InlineData(64, 64)]
    [InlineData(37, 100)]
    [InlineData(130, 45)]
    [InlineData(97, 100)]
    [InlineData(70, 48)]
    [InlineData(512, 512)] // ResNet's 512x512: U of 16.8 MB, written by streaming stores
    public unsafe void Winograd_weights_are_the_scalar_tile_transform_of_each_kernel(int c, int k)
    {
        var w = Uniform(new Random(35), (long)k * c * 9);
        int padded = Gemm.RoundUp(k, CpuConvolution.TileChannels), panels = padded / CpuConvolution.TileChannels;
        long plane = (long)padded * c;
        var packed = new float[16 * plane + 15];
        packed.AsSpan().Fill(float.NaN);
        var expected = new float[16];
        var t = new float[12];
        fixed (float* pw = w, pp0 = packed, pe = expected, pt = t)
        {
            // On a cache line, as PackedConvWeights' packings start.
            float* pp = LineAligned(pp0);
            var conv = new CpuConvolution.ConvArgs { G = Conv(c, 9, 9, k, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), W = pw, PackedW = pp };
            for (int i = 0; i < panels; i++) CpuConvolution.WinogradWeightsItem(null!, &conv, i, 0);
            for (int panel = 0; panel < panels; panel++)
            {
                int m0 = panel * CpuConvolution.TileChannels, width = CpuConvolution.PanelWidth(k, panel);
                for (int ci = 0; ci < c; ci++)
                    for (int kk = 0; kk < width; kk++)
                    {
                        if (m0 + kk < k) CpuConvolution.WinogradWeightTile(pw + ((long)(m0 + kk) * c + ci) * 9, 1, pt, pe, 1);
                        else Array.Clear(expected);
                        for (int e = 0; e < 16; e++)
                            Assert.Equal(BitConverter.SingleToInt32Bits(expected[e]), BitConverter.SingleToInt32Bits(pp[e * plane + (long)m0 * c + (long)ci * width + kk]));
                    }
            }
        }
    }
    /// <summary>
    /// F(4x4, 3x3)'s weights as the item packs them (whole panels 16 input channels at a time by transposes where
    /// AVX-512 is) against each panel row transformed by <see cref="CpuConvolution.Winograd4WeightRow"/> (8 kernels at
    /// once by gathers): the same bits at every (e, k, c); shapes as the F(2x2, 3x3) test's.
    /// </summary>
    [Theory]
    [InlineData(64, 64)]
    [InlineData(37, 100)]
    [InlineData(97, 100)]
    [InlineData(70, 48)]
    [InlineData(130, 45)]
    public unsafe void Winograd4x4_weights_are_the_row_by_row_transform(int c, int k)
    {
        var w = Uniform(new Random(37), (long)k * c * 9);
        int padded = Gemm.RoundUp(k, CpuConvolution.TileChannels), panels = padded / CpuConvolution.TileChannels;
        long plane = (long)padded * c, size = CpuConvolution.Winograd4WeightsSize(k, c);
        var packed = new float[size];
        var expected = new float[size];
        // Both NaN where neither writes (past a 16-wide last panel in its element planes).
        packed.AsSpan().Fill(float.NaN);
        expected.AsSpan().Fill(float.NaN);
        var lanes = new float[CpuConvolution.Winograd4Elements * CpuConvolution.TileChannels];
        fixed (float* pw = w, pp = packed, pe = expected, pl = lanes)
        {
            var conv = new CpuConvolution.ConvArgs { G = Conv(c, 9, 9, k, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), W = pw, PackedW = pp };
            for (int i = 0; i < panels; i++) CpuConvolution.Winograd4WeightsItem(null!, &conv, i, 0);
            for (int panel = 0; panel < panels; panel++)
            {
                int m0 = panel * CpuConvolution.TileChannels, width = CpuConvolution.PanelWidth(k, panel), rows = Math.Min(width, k - m0);
                for (int ci = 0; ci < c; ci++)
                    CpuConvolution.Winograd4WeightRow(pw + ((long)m0 * c + ci) * 9, (long)c * 9, 1, rows, width, pl, pe + (long)m0 * c + (long)ci * width, plane);
            }
        }
        for (long i = 0; i < size; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(packed[i]));
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(100, 97)]
    [InlineData(48, 37)] // a whole 16-wide last panel by the transposes; 37 = 2 x 16 + 5 kernels, the last 5 gathered
    public unsafe void Flipped_Winograd4x4_weights_are_the_forward_transform_of_the_flipped_weights(int c, int k)
    {
        var g = Conv(c, 9, 9, k, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        var w = Uniform(new Random(38), g.WeightSize);
        int panels = Gemm.RoundUp(c, CpuConvolution.TileChannels) / CpuConvolution.TileChannels;
        AssertFlippedPackingIsTheForwardsOfFlippedWeights(g, w, CpuConvolution.Winograd4WeightsSize(c, k), panels,
            &CpuConvolution.Winograd4WeightsItem, &CpuConvolution.FlippedWinograd4WeightsItem);
    }

    /// <summary>
    /// The channel panels (8x8 blocks by AVX transposes, the rest a value at a time) against their definition:
    /// panel p's row of tap k holds w[32 p + v, k] at lane v, lanes past K zero; depths 333 and 147 leave taps past the
    /// last whole 8 in a 64-tap block, 45 and 100 output channels leave lanes past the last whole 8 in a 16-wide panel.
    /// </summary>
    [Theory]
    [InlineData(37, 45, 3)]
    [InlineData(3, 100, 7)]
    [InlineData(64, 64, 3)]
    [InlineData(40, 36, 1)]
    public unsafe void Channel_panels_hold_each_channels_taps_in_its_lane(int c, int k, int kernel)
    {
        int crs = c * kernel * kernel, panels = (k + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels;
        var w = Uniform(new Random(36), (long)k * crs);
        var packed = new float[CpuConvolution.ChannelPanelsSize(k, crs)];
        packed.AsSpan().Fill(float.NaN);
        fixed (float* pw = w, pp = packed)
        {
            var conv = new CpuConvolution.ConvArgs { G = Conv(c, 9, 9, k, kernel, kernel, pt: kernel / 2, pb: kernel / 2, pl: kernel / 2, pr: kernel / 2), W = pw, PackedW = pp };
            for (int i = 0; i < panels; i++) CpuConvolution.PackChannelPanelItem(null!, &conv, i, 0);
        }
        for (int panel = 0; panel < panels; panel++)
        {
            int m0 = panel * CpuConvolution.TileChannels, width = CpuConvolution.PanelWidth(k, panel);
            for (int t = 0; t < crs; t++)
                for (int v = 0; v < width; v++)
                    Assert.Equal(m0 + v < k ? w[(long)(m0 + v) * crs + t] : 0f, packed[(long)m0 * crs + (long)t * width + v]);
        }
    }
}

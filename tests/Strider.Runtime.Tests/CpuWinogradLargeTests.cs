using System.Runtime.Intrinsics;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Winograd F(2x2, r x r) for 4x4 and 5x5 stride-1 convs (<see cref="ConvKernel.WinogradLargeKernel"/>): its matrices
/// against the direct 1-D correlation, the forward against the reference device on planes that are and are not a
/// multiple of 2, padding, batches, the epilogue, weights written again, and the same bits on 1 and 2 workers.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuWinogradLargeTests
{
    private readonly ReferenceDevice _reference = new();

    /// <summary>
    /// F(2x2, 5x5)'s float error at 64 channels (1600 products an output) reached 2.4e-5 of the outputs' scale here;
    /// a wrong transform coefficient moves outputs by a whole tap's share, far past this.
    /// </summary>
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void The_transform_computes_the_correlation_of_two_outputs(int r)
    {
        var t = WinogradTransform.Of(r);
        int alpha = t.Alpha;
        var rng = new Random(3);
        for (int round = 0; round < 20; round++)
        {
            double[] g = Enumerable.Range(0, r).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double[] d = Enumerable.Range(0, alpha).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            for (int i = 0; i < 2; i++)
            {
                double expected = 0, actual = 0;
                for (int k = 0; k < r; k++) expected += g[k] * d[i + k];
                for (int j = 0; j < alpha; j++)
                {
                    double gj = 0, dj = 0;
                    for (int k = 0; k < r; k++) gj += t.Filter[j * r + k] * g[k];
                    for (int l = 0; l < alpha; l++) dj += t.InputT[j * alpha + l] * d[l];
                    actual += t.OutputT[i * alpha + j] * gj * dj;
                }
                Assert.True(Math.Abs(actual - expected) < 1e-6, $"F(2, {r}) output {i}: {actual} instead of {expected}.");
            }
        }
    }

    [Theory]
    // c, h, w, k, kernel, pads top, bottom, left, right, batch
    [InlineData(50, 19, 19, 500, 4, 0, 0, 0, 0, 1)] // LeNet's 4x4 conv on a 16x16 output: 16 panels (500 = 15 x 32 + 20)
    [InlineData(64, 21, 21, 64, 5, 0, 0, 0, 0, 1)] // 5x5 on 17x17: an odd plane cut at the last tile row and column
    [InlineData(64, 12, 41, 72, 5, 2, 2, 2, 2, 2)] // pad 2: 12x41 outputs, 21 tiles a row (a second, part-filled vector), batch 2
    [InlineData(48, 9, 70, 96, 4, 1, 2, 2, 1, 3)] // a 4x4 kernel's uneven pads: 9x70 outputs, 35 tiles a row (three vectors), batch 3
    [InlineData(40, 36, 36, 160, 4, 0, 0, 0, 0, 1)] // 33x33 outputs, 17 tiles a row: blocks of two tile rows
    public void Forward_matches_the_reference_with_the_same_bits_on_any_worker_count(int c, int h, int w, int k, int kernel, int pt, int pb, int pl, int pr, int n)
    {
        if (!Vector512.IsHardwareAccelerated) return;
        var g = Conv(c, h, w, k, kernel, kernel, pt: pt, pb: pb, pl: pl, pr: pr);
        Assert.Equal(ConvKernel.WinogradLargeKernel, ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
            g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups));
        var rng = new Random(41);
        float[] x = Uniform(rng, n * g.InputSize), wt = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] two = Forward(2, g, n, x, wt, bias), one = Forward(1, g, n, x, wt, bias);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{g} batch {n}: 1 and 2 workers differ.");
        AssertClose(Reference(g, n, x, wt, bias, null, null), two, $"F(2x2,{kernel}x{kernel}) {g} batch {n}", Tolerance);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Forward_applies_bias_residual_and_activation_as_it_stores(int kernel)
    {
        if (!Vector512.IsHardwareAccelerated) return;
        var g = Conv(64, 23, 23, 64, kernel, kernel, pt: 1, pb: 1, pl: 1, pr: 1);
        const int n = 2;
        var rng = new Random(43);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels), residual = Uniform(rng, n * g.OutputSize);
        using var device = new CpuDevice(2);
        var (bx, bw, bb, br, y) = (Up(device, x), Up(device, w), Up(device, bias), Up(device, residual), device.Allocate<float>(n * g.OutputSize));
        device.ConvForward(g, n, bx, bw, bb, y, new ConvEpilogue(br, Activation.Relu));
        Assert.Equal(ConvKernel.WinogradLargeKernel, CpuConvolution.LastKernel);
        float[] actual = y.ToArray();
        Assert.Contains(actual, v => v == 0f);
        AssertClose(Reference(g, n, x, w, bias, residual, Activation.Relu), actual, $"F(2x2,{kernel}x{kernel}) with residual and Relu", Tolerance);
    }

    [Fact]
    public void Weights_are_transformed_once_per_write()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        var g = Conv(64, 14, 14, 64, 5, 5);
        var rng = new Random(45);
        float[] x = Uniform(rng, g.InputSize);
        using var device = new CpuDevice(2);
        var bx = Up(device, x);
        var w = device.Allocate<float>(g.WeightSize);
        var y = device.Allocate<float>(g.OutputSize);
        for (int round = 1; round <= 2; round++)
        {
            // Each round writes new weights: the first forward transforms them, the second reuses the transform.
            float[] weights = Uniform(rng, g.WeightSize);
            w.Upload(weights);
            device.ConvForward(g, 1, bx, w, null, y);
            device.ConvForward(g, 1, bx, w, null, y);
            Assert.Equal(ConvKernel.WinogradLargeKernel, CpuConvolution.LastKernel);
            Assert.Equal(round, PackedConvWeights.Find(w)!.Packs);
            AssertClose(Reference(g, 1, x, weights, null, null, null), y.ToArray(), $"weights written {round} times", Tolerance);
        }
    }

    [Fact]
    public void Without_512_bit_vectors_the_conv_runs_on_what_the_plan_takes_without_it()
    {
        var g = Conv(64, 21, 21, 64, 5, 5);
        var expected = ConvolutionAlgorithm.ChannelTilesApply(64 * 25, 64) ? ConvKernel.ChannelTiles : ConvKernel.Im2colGemm;
        var rng = new Random(47);
        float[] x = Uniform(rng, g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        CpuConvolution.ChannelTiles512 = false;
        float[] y;
        try
        {
            y = Forward(1, g, 1, x, w, bias, expected);
        }
        finally
        {
            CpuConvolution.ChannelTiles512 = Vector512.IsHardwareAccelerated;
        }
        AssertClose(Reference(g, 1, x, w, bias, null, null), y, "the fallback");
    }

    [Theory]
    [InlineData(50, 67, 500, 4, 1, 1, true)] // LeNet slid over 280x280: its 4x4 conv
    [InlineData(20, 138, 50, 5, 1, 1, false)] // its second 5x5 conv: too few channels to pay (measured no faster)
    [InlineData(64, 64, 64, 5, 1, 1, true)] // 64 -> 64 5x5: harmonic mean 64
    [InlineData(40, 33, 72, 5, 1, 1, false)] // 40 -> 72: harmonic mean 51 (measured slower)
    [InlineData(1, 280, 20, 5, 1, 1, false)] // its first, from one channel: the transforms would cost more than they save
    [InlineData(50, 67, 500, 3, 1, 1, false)] // 3x3: F(2x2,3x3)'s rule
    [InlineData(32, 67, 64, 5, 2, 1, false)] // stride 2
    [InlineData(32, 67, 64, 5, 1, 2, false)] // dilation 2
    [InlineData(50, 4, 500, 4, 1, 1, false)] // LeNet on its own 28x28 digits: a 1x1 output
    public void It_is_chosen_for_stride_1_4x4_and_5x5_convs_with_enough_channels_each_way(int c, int h, int k, int kernel, int stride, int dilation, bool chosen)
    {
        int o = (h - dilation * (kernel - 1) - 1) / stride + 1;
        var forward = ConvolutionAlgorithm.Forward(c, h, h, k, o, o, kernel, kernel, stride, stride, 0, 0, dilation, dilation, 1);
        Assert.Equal(chosen, forward == ConvKernel.WinogradLargeKernel);
        // Its backward data, as a flipped forward, never takes it (the flipped weights are not packed for it).
        Assert.NotEqual(ConvKernel.WinogradLargeKernel, ConvolutionAlgorithm.FlippedForwardKernel(k, h, h, c, o, o, kernel, kernel, 0, 0, 1, 1));
    }

    private float[] Reference(in ConvGeometry g, int n, float[] x, float[] w, float[]? bias, float[]? residual, Activation? activation)
    {
        var (rx, rw, ry) = (_reference.Allocate<float>(x.Length), _reference.Allocate<float>(w.Length), _reference.Allocate<float>(n * g.OutputSize));
        rx.Upload(x);
        rw.Upload(w);
        DeviceBuffer<float>? rb = null, rr = null;
        if (bias != null)
        {
            rb = _reference.Allocate<float>(bias.Length);
            rb.Upload(bias);
        }
        if (residual != null)
        {
            rr = _reference.Allocate<float>(residual.Length);
            rr.Upload(residual);
        }
        _reference.ConvForward(g, n, rx, rw, rb, ry, new ConvEpilogue(rr, activation));
        return ry.ToArray();
    }

    private static float[] Forward(int threads, in ConvGeometry g, int n, float[] x, float[] w, float[] bias, ConvKernel kernel = ConvKernel.WinogradLargeKernel)
    {
        using var device = new CpuDevice(threads);
        var (bx, bw, bb, y) = (Up(device, x), Up(device, w), Up(device, bias), device.Allocate<float>(n * g.OutputSize));
        device.ConvForward(g, n, bx, bw, bb, y);
        Assert.Equal(kernel, CpuConvolution.LastKernel);
        return y.ToArray();
    }
}

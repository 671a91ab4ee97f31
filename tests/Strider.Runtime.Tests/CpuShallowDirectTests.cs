using System.Runtime.Intrinsics;
using Strider.Devices;
using Strider.Devices.Activations;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The shallow direct forward kernel (<see cref="ConvKernel.ShallowDirect"/>, convs from 1-4 input channels) at its
/// edges: output widths that leave a part-filled last column vector, heights that leave a last block of 1 or 2 rows,
/// channel counts that leave a part-filled 8-channel block, strides 1 and 2, 3x3, 5x5 and 7x7 kernels with and without
/// padding, dilation, batches of 1 and more; each against the reference device on 1 and 2 workers with the same bits,
/// with the bias and a fused epilogue, and against the kernel it replaced (<see cref="CpuConvolution.ShallowDirectOff"/>).
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuShallowDirectTests
{
    private readonly ReferenceDevice _reference = new();

    public static TheoryData<string, int, int, int, int, int, int, int, int, int> Cases => new()
    {
        // name, in channels, H, W, out channels, kernel, stride, pad, dilation, batch
        { "MobileNetV2's stem shape, smaller: 3x3 s2 pad 1 on 3x33x35 -> 32, batch 1", 3, 33, 35, 32, 3, 2, 1, 1, 1 },
        { "ResNet's stem shape, smaller: 7x7 s2 pad 3 on 3x37x40 -> 64", 3, 37, 40, 64, 7, 2, 3, 1, 1 },
        { "the U-net's stem shape: 5x5 s2 unpadded on 1x39x39 -> 18x18 (2 column vectors, 6 row blocks), batch 3", 1, 39, 39, 32, 5, 2, 0, 1, 3 },
        { "gray 3x3 stride 1 pad 1 on 1x17x16 -> 12: a last block of 2 rows, a part-filled channel block", 1, 17, 16, 12, 3, 1, 1, 1, 2 },
        { "4 channels, 5x5 stride 1 unpadded on 4x20x51 -> 16x47: a last vector of 15 columns, a last block of 1 row", 4, 20, 51, 16, 5, 1, 0, 1, 1 },
        { "2 channels, 3x3 dilation 2 pad 2 on 2x19x21 -> 9 channels", 2, 19, 21, 9, 3, 1, 2, 2, 2 },
        { "3 channels, 7x7 stride 1 pad 3 on 3x16x16 -> 8", 3, 16, 16, 8, 7, 1, 3, 1, 1 },
        { "3 channels, 3x3 stride 2 unpadded on 3x64x97 -> 31x48, batch 2", 3, 64, 97, 24, 3, 2, 0, 1, 2 },
        { "3 channels, 7x7 stride 3 pad 3 on 3x52x61 -> 18x21 (three column phases), 40 channels", 3, 52, 61, 40, 7, 3, 3, 1, 1 },
    };

    private static ConvGeometry Geometry(int c, int h, int w, int k, int kernel, int stride, int pad, int dilation) =>
        Conv(c, h, w, k, kernel, kernel, sh: stride, sw: stride, pt: pad, pb: pad, pl: pad, pr: pad, dh: dilation, dw: dilation);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_reference_with_the_same_bits_on_any_worker_count(string name, int c, int h, int w, int k, int kernel, int stride,
        int pad, int dilation, int n)
    {
        if (!Vector512.IsHardwareAccelerated) return; // the kernel runs with AVX-512 only (the channel tiles or im2col otherwise)
        Check(name, Geometry(c, h, w, k, kernel, stride, pad, dilation), n);
    }

    [Fact]
    public void A_non_square_kernel_with_different_strides_and_uneven_padding_matches_the_reference()
    {
        if (!Vector512.IsHardwareAccelerated) return;
        // 3x5 window, stride 1 down and 3 across (three column phases, the scalar fill), pads 1/0 and 2/2: 2x23x50 -> 16x22x17.
        Check("3x5 stride 1x3", Conv(2, 23, 50, 16, 3, 5, sh: 1, sw: 3, pt: 1, pb: 0, pl: 2, pr: 2), 2);
    }

    private void Check(string name, in ConvGeometry g, int n)
    {
        Assert.Equal(ConvKernel.ShallowDirect, Chosen(g));
        var rng = new Random(61);
        float[] x = Uniform(rng, n * g.InputSize), wt = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] two = Forward(2, g, n, x, wt, bias), one = Forward(1, g, n, x, wt, bias);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{name}: 1 and 2 workers differ.");
        var (rx, rw, rb, ry) = (_reference.Allocate<float>(x.Length), _reference.Allocate<float>(wt.Length), _reference.Allocate<float>(bias.Length),
            _reference.Allocate<float>(n * g.OutputSize));
        rx.Upload(x);
        rw.Upload(wt);
        rb.Upload(bias);
        _reference.ConvForward(g, n, rx, rw, rb, ry);
        AssertClose(ry.ToArray(), two, name);
        // The kernel it replaced (im2col + GEMM or the channel tiles) agrees too.
        CpuConvolution.ShallowDirectOff = true;
        float[] before;
        try
        {
            before = Forward(2, g, n, x, wt, bias, expected: null);
        }
        finally
        {
            CpuConvolution.ShallowDirectOff = false;
        }
        Assert.NotEqual(ConvKernel.ShallowDirect, CpuConvolution.LastKernel);
        AssertClose(before, two, $"{name} against {CpuConvolution.LastKernel}");
    }

    /// <summary>A lone Relu or Relu6 is applied in registers at the store, a residual or another activation on the stored rows.</summary>
    [Theory]
    [InlineData(false, true, nameof(Activation.Relu6))]
    [InlineData(true, true, nameof(Activation.Relu6))]
    [InlineData(false, false, nameof(Activation.Relu6))]
    [InlineData(true, false, nameof(Activation.Relu))]
    [InlineData(false, false, nameof(Activation.Sigmoid))]
    [InlineData(true, true, null)]
    public void Fused_bias_residual_and_activation_equal_the_separate_ops_bit_for_bit(bool batched, bool withResidual, string? activation)
    {
        if (!Vector512.IsHardwareAccelerated) return; // the kernel runs with AVX-512 only (the channel tiles or im2col otherwise)
        var g = Geometry(3, 29, 33, 20, 3, 2, 1, 1);
        int n = batched ? 3 : 1;
        Activation? f = activation is null ? null : Enum.Parse<Activation>(activation);
        var rng = new Random(62);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), b = Uniform(rng, g.OutChannels), r = Uniform(rng, n * g.OutputSize);
        float[] Run(int threads, bool fused)
        {
            using var device = new CpuDevice(threads);
            var (bx, bw, bb, br, y) = (Up(device, x), Up(device, w), Up(device, b), Up(device, r), device.Allocate<float>(r.Length));
            if (fused)
            {
                device.ConvForward(g, n, bx, bw, bb, y, new ConvEpilogue(withResidual ? br : null, f));
                Assert.Equal(ConvKernel.ShallowDirect, CpuConvolution.LastKernel);
            }
            else
            {
                device.ConvForward(g, n, bx, bw, bb, y);
                if (withResidual) device.Add(r.Length, y, br, y);
                if (f is { } a) device.ActivationForward(a, r.Length, y, y);
            }
            return y.ToArray();
        }
        float[] separate = Run(2, fused: false), one = Run(1, fused: true), two = Run(2, fused: true);
        Assert.True(one.AsSpan().SequenceEqual(two), "1 and 2 workers differ.");
        Assert.True(separate.AsSpan().SequenceEqual(two), "the fused epilogue differs from the separate ops.");
    }

    [Fact]
    public void Weights_are_packed_once_per_write()
    {
        if (!Vector512.IsHardwareAccelerated) return; // the kernel runs with AVX-512 only (the channel tiles or im2col otherwise)
        var g = Geometry(3, 21, 34, 16, 3, 2, 1, 1);
        var rng = new Random(63);
        using var device = new CpuDevice(2);
        var (x, w, y) = (device.Allocate<float>(g.InputSize), device.Allocate<float>(g.WeightSize), device.Allocate<float>(g.OutputSize));
        var (rx, rw, ry) = (_reference.Allocate<float>(g.InputSize), _reference.Allocate<float>(g.WeightSize), _reference.Allocate<float>(g.OutputSize));
        float[] input = Uniform(rng, g.InputSize);
        x.Upload(input);
        rx.Upload(input);
        for (int round = 1; round <= 2; round++)
        {
            float[] weights = Uniform(rng, g.WeightSize);
            w.Upload(weights);
            rw.Upload(weights);
            device.ConvForward(g, 1, x, w, null, y);
            device.ConvForward(g, 1, x, w, null, y);
            Assert.Equal(ConvKernel.ShallowDirect, CpuConvolution.LastKernel);
            Assert.Equal(round, PackedConvWeights.Find(w)!.Packs);
            _reference.ConvForward(g, 1, rx, rw, null, ry);
            AssertClose(ry.ToArray(), y.ToArray(), $"weights written {round} times");
        }
    }

    [Theory]
    [InlineData(3, 224, 32, 3, 2, true)] // MobileNetV2's stem
    [InlineData(3, 224, 64, 7, 2, true)] // ResNet's stem
    [InlineData(1, 157, 32, 5, 2, true)] // the U-net's stem
    [InlineData(5, 224, 32, 3, 2, false)] // more than 4 input channels
    [InlineData(3, 224, 32, 1, 1, false)] // 1x1: the pointwise tiles
    public void Chosen_for_convs_from_at_most_4_channels(int c, int size, int k, int kernel, int stride, bool chosen)
    {
        var g = Geometry(c, size, size, k, kernel, stride, 0, 1);
        Assert.Equal(chosen, Chosen(g) == ConvKernel.ShallowDirect);
    }

    [Fact]
    public void A_flipped_backward_data_from_few_channels_does_not_run_on_the_forward_only_kernel()
    {
        // Backward data of a 16 -> 3 stride-1 conv is a forward conv from 3 dY channels, whose flipped weights are packed for the GEMM kernels only.
        var g = Geometry(16, 20, 20, 3, 3, 1, 1, 1);
        var kernel = ConvolutionAlgorithm.FlippedForwardKernel(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW,
            g.PadTop, g.PadLeft, g.DilationH, g.DilationW);
        Assert.NotEqual(ConvKernel.ShallowDirect, kernel);
    }

    private static ConvKernel Chosen(in ConvGeometry g) => ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
        g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups);

    private static float[] Forward(int threads, in ConvGeometry g, int n, float[] x, float[] w, float[] bias, ConvKernel? expected = ConvKernel.ShallowDirect)
    {
        using var device = new CpuDevice(threads);
        var (bx, bw, bb, y) = (device.Allocate<float>(x.Length), device.Allocate<float>(w.Length), device.Allocate<float>(bias.Length), device.Allocate<float>(n * g.OutputSize));
        bx.Upload(x);
        bw.Upload(w);
        bb.Upload(bias);
        device.ConvForward(g, n, bx, bw, bb, y);
        if (expected is { } kernel) Assert.Equal(kernel, CpuConvolution.LastKernel);
        return y.ToArray();
    }
}

using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The fused expansion + depthwise pass (<see cref="ConvKernel.ExpandDepthwise"/>) against the two ConvForward calls it
/// replaces on the CPU device (the same bits) and against the reference device's composed op: strides 1 and 2, odd
/// planes, padding 0-2, 3x3 and 5x5 kernels, part-filled panels, short last tiles, bands, batches, one and two workers.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuExpandDepthwiseTests
{
    public static TheoryData<string, int, int, int, int, int, int, int, int> Cases => new()
    {
        // name, in channels, H, W, expanded channels, kernel, stride, pad, batch
        { "MobileNetV2's 24 -> 144 at 56x56, 3x3 stride 1, cut to 40 channels", 24, 56, 56, 40, 3, 1, 1, 1 },
        { "MobileNetV2's 16 -> 96 at 112x112, 3x3 stride 2, cut to 20 channels (bands)", 16, 112, 112, 20, 3, 2, 1, 1 },
        { "odd 37x35 plane, stride 2, a panel of 3, batch 2", 13, 37, 35, 11, 3, 2, 1, 2 },
        { "odd 33x27 plane, stride 1, 5x5 pad 2, batch 2", 7, 33, 27, 16, 5, 1, 2, 2 },
        { "30x30, stride 1, unpadded 3x3 (valid), 9 channels", 10, 30, 30, 9, 3, 1, 0, 1 },
        { "36x36 stride 2 (MobileNetV2's 32 -> 192, cut), batch 3", 32, 36, 36, 24, 3, 2, 1, 3 },
        { "one input channel, 41x29, stride 2, 5x5 pad 2", 1, 41, 29, 8, 5, 2, 2, 1 },
        { "odd 29x51 plane, stride 2 unpadded, batch 2", 5, 29, 51, 9, 3, 2, 0, 2 },
        { "odd 21x43 plane, stride 2 pad 2", 6, 21, 43, 10, 3, 2, 2, 1 },
    };

    private static (ConvGeometry Expand, ConvGeometry Depthwise) Geometries(int c, int h, int w, int k, int kernel, int stride, int pad)
    {
        var expand = Conv(c, h, w, k, 1, 1);
        var depthwise = Conv(k, h, w, k, kernel, kernel, stride, stride, pad, pad, pad, pad) with { Groups = k };
        return (expand, depthwise);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_fused_pass_gives_the_two_convs_bits_on_one_worker_and_two(string name, int c, int h, int w, int k, int kernel, int stride, int pad, int n)
    {
        var (e, d) = Geometries(c, h, w, k, kernel, stride, pad);
        var rng = new Random(71);
        float[] x = Uniform(rng, n * e.InputSize, -2, 2), ew = Uniform(rng, e.WeightSize), eb = Uniform(rng, k), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, k);
        x[7] = float.NaN; // a NaN expanded value, kept by Relu6, spreads to the outputs that read it
        foreach (var (ef, df, withBias) in new (Activation?, Activation?, bool)[]
                 { (Activation.Relu6, Activation.Relu6, true), (null, null, false), (Activation.Relu, null, true), (null, Activation.Relu, false) })
        {
            string what = $"{name}: expansion {ef?.ToString() ?? "plain"}, depthwise {df?.ToString() ?? "plain"}{(withBias ? ", biases" : "")}";
            float[] separate = Run(2, fused: false), one = Run(1, fused: true), two = Run(2, fused: true);
            Assert.True(two.AsSpan().SequenceEqual(separate), $"{what}: the fused pass differs from the two convs.");
            Assert.True(one.AsSpan().SequenceEqual(separate), $"{what}: the fused pass on one worker differs from the two convs.");

            float[] Run(int threads, bool fused)
            {
                using var device = new CpuDevice(threads);
                var (bx, bew, beb, bdw, bdb) = (Up(device, x), Up(device, ew), Up(device, eb), Up(device, dw), Up(device, db));
                var (expanded, y) = (device.Allocate<float>(n * e.OutputSize), device.Allocate<float>(n * d.OutputSize));
                if (!fused)
                {
                    device.ConvForward(e, n, bx, bew, withBias ? beb : null, expanded, new ConvEpilogue(null, ef));
                    device.ConvForward(d, n, expanded, bdw, withBias ? bdb : null, y, new ConvEpilogue(null, df));
                    return y.ToArray();
                }
                device.ConvForwardExpandDepthwise(e, d, n, bx, bew, withBias ? beb : null, new ConvEpilogue(null, ef),
                    bdw, withBias ? bdb : null, expanded, y, new ConvEpilogue(null, df));
                Assert.Equal(ConvKernel.ExpandDepthwise, CpuConvolution.LastKernel);
                return y.ToArray();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_fused_pass_matches_the_reference_device(string name, int c, int h, int w, int k, int kernel, int stride, int pad, int n)
    {
        var (e, d) = Geometries(c, h, w, k, kernel, stride, pad);
        var rng = new Random(72);
        float[] x = Uniform(rng, n * e.InputSize, -2, 2), ew = Uniform(rng, e.WeightSize), eb = Uniform(rng, k), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, k);
        float[] Run(Device device)
        {
            var (expanded, y) = (device.Allocate<float>(n * e.OutputSize), device.Allocate<float>(n * d.OutputSize));
            device.ConvForwardExpandDepthwise(e, d, n, Up(device, x), Up(device, ew), Up(device, eb), new ConvEpilogue(null, Activation.Relu6),
                Up(device, dw), Up(device, db), expanded, y, new ConvEpilogue(null, Activation.Relu6));
            return y.ToArray();
        }
        using var cpu = new CpuDevice(2);
        float[] fused = Run(cpu);
        Assert.Equal(ConvKernel.ExpandDepthwise, CpuConvolution.LastKernel);
        AssertClose(Run(new ReferenceDevice()), fused, name);
    }

    [Theory]
    [InlineData(4096)]   // bands of a few rows: every band expands the rows its neighbour reads too
    [InlineData(40000)]  // a few bands
    public void Bands_give_the_whole_planes_bits(int bandBytes)
    {
        var (e, d) = Geometries(16, 45, 38, 17, 3, 2, 1);
        var rng = new Random(73);
        float[] x = Uniform(rng, 2 * e.InputSize), ew = Uniform(rng, e.WeightSize), eb = Uniform(rng, 17), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, 17);
        float[] Run(int bytes)
        {
            int defaultBytes = CpuDepthwiseConvolution.ExpandBandBytes;
            CpuDepthwiseConvolution.ExpandBandBytes = bytes;
            try
            {
                using var device = new CpuDevice(2);
                var (expanded, y) = (device.Allocate<float>(2 * e.OutputSize), device.Allocate<float>(2 * d.OutputSize));
                device.ConvForwardExpandDepthwise(e, d, 2, Up(device, x), Up(device, ew), Up(device, eb), new ConvEpilogue(null, Activation.Relu6),
                    Up(device, dw), Up(device, db), expanded, y, new ConvEpilogue(null, Activation.Relu6));
                Assert.Equal(ConvKernel.ExpandDepthwise, CpuConvolution.LastKernel);
                return y.ToArray();
            }
            finally { CpuDepthwiseConvolution.ExpandBandBytes = defaultBytes; }
        }
        Assert.True(Run(bandBytes).AsSpan().SequenceEqual(Run(int.MaxValue)), $"bands of {bandBytes} bytes differ from whole planes.");
    }

    /// <summary>
    /// The 3x3 rows read in place from the expanded rows (the direct rows, no padded copy): the same bits as the padded
    /// copy's rows (switched off) on one worker and two, NaN expanded values and an infinite weight (0 x inf in the
    /// padding) included. Cases the direct rows do not take (5x5) run the copy both times.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_direct_rows_give_the_padded_copys_bits(string name, int c, int h, int w, int k, int kernel, int stride, int pad, int n)
    {
        var (e, d) = Geometries(c, h, w, k, kernel, stride, pad);
        var rng = new Random(77);
        float[] x = Uniform(rng, n * e.InputSize, -2, 2), ew = Uniform(rng, e.WeightSize), eb = Uniform(rng, k), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, k);
        x[7] = float.NaN;
        dw[^1] = float.PositiveInfinity;
        bool directDefault = CpuDepthwiseConvolution.DirectRows;
        float[] Run(int threads, bool direct)
        {
            CpuDepthwiseConvolution.DirectRows = direct && directDefault;
            try
            {
                using var device = new CpuDevice(threads);
                var (expanded, y) = (device.Allocate<float>(n * e.OutputSize), device.Allocate<float>(n * d.OutputSize));
                device.ConvForwardExpandDepthwise(e, d, n, Up(device, x), Up(device, ew), Up(device, eb), new ConvEpilogue(null, Activation.Relu6),
                    Up(device, dw), Up(device, db), expanded, y, new ConvEpilogue(null, null));
                Assert.Equal(ConvKernel.ExpandDepthwise, CpuConvolution.LastKernel);
                return y.ToArray();
            }
            finally { CpuDepthwiseConvolution.DirectRows = directDefault; }
        }
        float[] copied = Run(2, false), one = Run(1, true), two = Run(2, true);
        Assert.True(two.AsSpan().SequenceEqual(copied), $"{name}: the direct rows differ from the padded copy's rows.");
        Assert.True(one.AsSpan().SequenceEqual(copied), $"{name}: the direct rows on one worker differ from the padded copy's rows.");
        Assert.Contains(two, float.IsNaN);
        Assert.Contains(two, v => v != 0f && !float.IsNaN(v));
    }

    [Fact]
    public void Where_the_rule_does_not_apply_the_CPU_device_runs_the_two_convs_and_writes_the_expansion()
    {
        // 7x7: below ConvolutionAlgorithm.MinExpandDepthwisePositions; 28x28 to 14x14: below MinExpandDepthwiseOutputs (the
        // depthwise conv's flat path); and a Sigmoid, which the stores do not apply in registers.
        foreach (var (h, stride, f) in new (int, int, Activation?)[] { (7, 1, Activation.Relu6), (28, 2, Activation.Relu6), (30, 1, Activation.Sigmoid) })
        {
            var (e, d) = Geometries(8, h, h, 24, 3, stride, 1);
            var rng = new Random(74);
            float[] x = Uniform(rng, e.InputSize), ew = Uniform(rng, e.WeightSize), dw = Uniform(rng, d.WeightSize);
            using var device = new CpuDevice(2);
            var (expanded, y, separate, y2) = (device.Allocate<float>(e.OutputSize), device.Allocate<float>(d.OutputSize), device.Allocate<float>(e.OutputSize), device.Allocate<float>(d.OutputSize));
            var (bx, bew, bdw) = (Up(device, x), Up(device, ew), Up(device, dw));
            device.ConvForwardExpandDepthwise(e, d, 1, bx, bew, null, new ConvEpilogue(null, f), bdw, null, expanded, y, new ConvEpilogue(null, Activation.Relu6));
            Assert.Equal(ConvKernel.DepthwiseDirect, CpuConvolution.LastKernel);
            device.ConvForward(e, 1, bx, bew, null, separate, new ConvEpilogue(null, f));
            device.ConvForward(d, 1, separate, bdw, null, y2, new ConvEpilogue(null, Activation.Relu6));
            Assert.True(expanded.ToArray().AsSpan().SequenceEqual(separate.ToArray()), $"{h}x{h} stride {stride}, {f}: the expansion was not written as ConvForward writes it.");
            Assert.True(y.ToArray().AsSpan().SequenceEqual(y2.ToArray()), $"{h}x{h} stride {stride}, {f}: the output differs from the two convs.");
        }
    }

    [Fact]
    public void A_second_conv_that_does_not_read_the_expansion_is_refused_naming_the_sizes()
    {
        var (e, d) = Geometries(8, 30, 30, 24, 3, 1, 1);
        using var device = new CpuDevice(1);
        var (x, ew, dw, expanded, y) = (device.Allocate<float>(e.InputSize), device.Allocate<float>(e.WeightSize), device.Allocate<float>(d.WeightSize),
            device.Allocate<float>(e.OutputSize), device.Allocate<float>(d.OutputSize));
        var wrong = d with { InChannels = 16, OutChannels = 16, Groups = 16 };
        var error = Assert.Throws<ArgumentException>(() => device.ConvForwardExpandDepthwise(e, wrong, 1, x, ew, null, default, dw, null, expanded, y, default));
        Assert.Contains("16x30x30", error.Message);
        Assert.Contains("24x30x30", error.Message);
        Assert.Throws<ArgumentException>(() => device.ConvForwardExpandDepthwise(e, d, 1, x, ew, null, default, dw, null, y, y, default));
    }

    [Fact]
    public void The_switch_runs_the_two_convs_with_the_same_bits()
    {
        var (e, d) = Geometries(24, 56, 56, 40, 3, 1, 1);
        var rng = new Random(75);
        float[] x = Uniform(rng, e.InputSize), ew = Uniform(rng, e.WeightSize), dw = Uniform(rng, d.WeightSize);
        float[] Run(bool off)
        {
            CpuDepthwiseConvolution.ExpandDepthwiseOff = off;
            try
            {
                using var device = new CpuDevice(2);
                var (expanded, y) = (device.Allocate<float>(e.OutputSize), device.Allocate<float>(d.OutputSize));
                device.ConvForwardExpandDepthwise(e, d, 1, Up(device, x), Up(device, ew), null, new ConvEpilogue(null, Activation.Relu6),
                    Up(device, dw), null, expanded, y, new ConvEpilogue(null, Activation.Relu6));
                Assert.Equal(off ? ConvKernel.DepthwiseDirect : ConvKernel.ExpandDepthwise, CpuConvolution.LastKernel);
                return y.ToArray();
            }
            finally { CpuDepthwiseConvolution.ExpandDepthwiseOff = false; }
        }
        Assert.True(Run(true).AsSpan().SequenceEqual(Run(false)));
    }

    private static DeviceBuffer<float> Up(Device device, float[] values)
    {
        var buffer = device.Allocate<float>(values.Length);
        buffer.Upload(values);
        return buffer;
    }
}

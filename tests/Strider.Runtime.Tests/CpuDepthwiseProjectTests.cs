using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The fused depthwise + projection pass (<see cref="ConvKernel.DepthwiseProject"/>) against the two ConvForward calls it
/// replaces on the CPU device (the same bits) and against the reference device's composed op: strides 1 and 2, odd
/// planes, padding 0-2, 3x3 and 5x5 kernels, part-filled panels, short last tiles, bands, batches, one and two workers,
/// and the projection's residual.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuDepthwiseProjectTests
{
    public static TheoryData<string, int, int, int, int, int, int, int, int> Cases => new()
    {
        // name, channels, H, W, projected channels, kernel, stride, pad, batch
        { "MobileNetV2's first block, 32 x 112x112 -> 16, 3x3 stride 1", 32, 112, 112, 16, 3, 1, 1, 1 },
        { "odd 37x35 plane, stride 1, a panel of 3, batch 2", 13, 37, 35, 11, 3, 1, 1, 2 },
        { "odd 45x39 plane, stride 2, 20 channels", 20, 45, 39, 20, 3, 2, 1, 1 },
        { "odd 33x27 plane, stride 1, 5x5 pad 2, batch 2", 7, 33, 27, 16, 5, 1, 2, 2 },
        { "30x30, stride 1, unpadded 3x3 (valid), 9 channels", 10, 30, 30, 9, 3, 1, 0, 1 },
        { "two channels, 41x29, stride 1, 5x5 pad 2", 2, 41, 29, 8, 5, 1, 2, 1 },
    };

    private static (ConvGeometry Depthwise, ConvGeometry Project) Geometries(int c, int h, int w, int k, int kernel, int stride, int pad)
    {
        var depthwise = Conv(c, h, w, c, kernel, kernel, stride, stride, pad, pad, pad, pad) with { Groups = c };
        var project = Conv(c, depthwise.OutH, depthwise.OutW, k, 1, 1);
        return (depthwise, project);
    }

    /// <summary>Runs <paramref name="body"/> with the fused pass taking planes of any size (the tests' planes are small).</summary>
    private static T AnyPlane<T>(Func<T> body)
    {
        int min = CpuDepthwiseConvolution.ProjectMinPositions;
        CpuDepthwiseConvolution.ProjectMinPositions = 0;
        try { return body(); }
        finally { CpuDepthwiseConvolution.ProjectMinPositions = min; }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_fused_pass_gives_the_two_convs_bits_on_one_worker_and_two(string name, int c, int h, int w, int k, int kernel, int stride, int pad, int n)
    {
        var (d, p) = Geometries(c, h, w, k, kernel, stride, pad);
        var rng = new Random(81);
        float[] x = Uniform(rng, n * d.InputSize, -2, 2), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, c), pw = Uniform(rng, p.WeightSize), pb = Uniform(rng, k);
        float[] res = Uniform(rng, n * p.OutputSize, -1, 1);
        x[7] = float.NaN; // a NaN depthwise value, kept by Relu6, spreads to the outputs that read it
        foreach (var (df, pf, withBias, residual) in new (Activation?, Activation?, bool, bool)[]
                 { (Activation.Relu6, null, true, false), (null, null, false, false), (Activation.Relu, Activation.Relu6, true, false),
                   (Activation.Relu6, null, true, true), (null, Activation.Relu, false, true) })
        {
            string what = $"{name}: depthwise {df?.ToString() ?? "plain"}, projection {pf?.ToString() ?? "plain"}{(withBias ? ", biases" : "")}{(residual ? ", residual" : "")}";
            float[] separate = Run(2, fused: false), one = AnyPlane(() => Run(1, fused: true)), two = AnyPlane(() => Run(2, fused: true));
            Assert.True(two.AsSpan().SequenceEqual(separate), $"{what}: the fused pass differs from the two convs.");
            Assert.True(one.AsSpan().SequenceEqual(separate), $"{what}: the fused pass on one worker differs from the two convs.");

            float[] Run(int threads, bool fused)
            {
                using var device = new CpuDevice(threads);
                var (bx, bdw, bdb, bpw, bpb) = (Up(device, x), Up(device, dw), Up(device, db), Up(device, pw), Up(device, pb));
                var (mid, y) = (device.Allocate<float>(n * d.OutputSize), device.Allocate<float>(n * p.OutputSize));
                var projectEpilogue = new ConvEpilogue(residual ? Up(device, res) : null, pf);
                if (!fused)
                {
                    device.ConvForward(d, n, bx, bdw, withBias ? bdb : null, mid, new ConvEpilogue(null, df));
                    device.ConvForward(p, n, mid, bpw, withBias ? bpb : null, y, projectEpilogue);
                    return y.ToArray();
                }
                device.ConvForwardDepthwiseProject(d, p, n, bx, bdw, withBias ? bdb : null, new ConvEpilogue(null, df),
                    bpw, withBias ? bpb : null, mid, y, projectEpilogue);
                Assert.Equal(ConvKernel.DepthwiseProject, CpuConvolution.LastKernel);
                return y.ToArray();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_fused_pass_matches_the_reference_device(string name, int c, int h, int w, int k, int kernel, int stride, int pad, int n)
    {
        var (d, p) = Geometries(c, h, w, k, kernel, stride, pad);
        var rng = new Random(82);
        float[] x = Uniform(rng, n * d.InputSize, -2, 2), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, c), pw = Uniform(rng, p.WeightSize), pb = Uniform(rng, k);
        float[] Run(Device device)
        {
            var (mid, y) = (device.Allocate<float>(n * d.OutputSize), device.Allocate<float>(n * p.OutputSize));
            device.ConvForwardDepthwiseProject(d, p, n, Up(device, x), Up(device, dw), Up(device, db), new ConvEpilogue(null, Activation.Relu6),
                Up(device, pw), Up(device, pb), mid, y, default);
            return y.ToArray();
        }
        using var cpu = new CpuDevice(2);
        float[] fused = AnyPlane(() => Run(cpu));
        Assert.Equal(ConvKernel.DepthwiseProject, CpuConvolution.LastKernel);
        AssertClose(Run(new ReferenceDevice()), fused, name);
    }

    [Theory]
    [InlineData(2048)]    // bands of one row: a short last tile in every band
    [InlineData(40000)]   // a few bands of whole tiles
    public void Bands_give_the_whole_planes_bits(int bandBytes)
    {
        var (d, p) = Geometries(16, 45, 38, 17, 3, 1, 1);
        var rng = new Random(83);
        float[] x = Uniform(rng, 2 * d.InputSize), dw = Uniform(rng, d.WeightSize), db = Uniform(rng, 16), pw = Uniform(rng, p.WeightSize), pb = Uniform(rng, 17);
        float[] Run(int bytes)
        {
            int defaultBytes = CpuDepthwiseConvolution.ProjectBandBytes;
            CpuDepthwiseConvolution.ProjectBandBytes = bytes;
            try
            {
                using var device = new CpuDevice(2);
                var (mid, y) = (device.Allocate<float>(2 * d.OutputSize), device.Allocate<float>(2 * p.OutputSize));
                device.ConvForwardDepthwiseProject(d, p, 2, Up(device, x), Up(device, dw), Up(device, db), new ConvEpilogue(null, Activation.Relu6),
                    Up(device, pw), Up(device, pb), mid, y, default);
                Assert.Equal(ConvKernel.DepthwiseProject, CpuConvolution.LastKernel);
                return y.ToArray();
            }
            finally { CpuDepthwiseConvolution.ProjectBandBytes = defaultBytes; }
        }
        Assert.True(AnyPlane(() => Run(bandBytes)).AsSpan().SequenceEqual(AnyPlane(() => Run(int.MaxValue))), $"bands of {bandBytes} bytes differ from whole planes.");
    }

    [Fact]
    public void Small_planes_and_other_epilogues_run_as_the_two_convs()
    {
        using var device = new CpuDevice(2);
        var (d, p) = Geometries(8, 14, 14, 8, 3, 1, 1);
        var rng = new Random(84);
        var (x, dw, pw) = (Up(device, Uniform(rng, d.InputSize)), Up(device, Uniform(rng, d.WeightSize)), Up(device, Uniform(rng, p.WeightSize)));
        var (mid, y) = (device.Allocate<float>(d.OutputSize), device.Allocate<float>(p.OutputSize));
        device.ConvForwardDepthwiseProject(d, p, 1, x, dw, null, default, pw, null, mid, y, default);
        Assert.NotEqual(ConvKernel.DepthwiseProject, CpuConvolution.LastKernel);
        Assert.Throws<ArgumentException>(() => device.ConvForwardDepthwiseProject(d, p, 1, x, dw, null, default, pw, null, y, y, default));
    }

    private static DeviceBuffer<float> Up(Device device, float[] values)
    {
        var buffer = device.Allocate<float>(values.Length);
        buffer.Upload(values);
        return buffer;
    }
}

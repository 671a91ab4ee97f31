using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// ConvForward with a <see cref="ConvEpilogue"/> (residual add, then an activation) on every device: bit for bit the
/// device's own ConvForward, Add and ActivationForward one after another (the add and the clamps are exact, so fusing
/// them changes no value), and within tolerance of the reference device's, whose base class composes those ops. NaNs in
/// the residual and in the input sit at every vector lane and in the tails, and come out NaN where the separate ops
/// put them (Relu(NaN) = NaN, as PyTorch).
/// </summary>
public abstract partial class DeviceOpTests
{
    /// <summary>The epilogues each conv case runs: residual alone, each clamp-like activation alone and after the residual, and one without a SIMD form.</summary>
    public static readonly (string Name, bool Residual, Activation? F, float P0, float P1)[] Epilogues =
    [
        ("residual", true, null, 0, 0),
        ("Relu", false, Activation.Relu, 0, 0),
        ("residual + Relu", true, Activation.Relu, 0, 0),
        ("residual + Relu6", true, Activation.Relu6, 0, 0),
        ("Relu6", false, Activation.Relu6, 0, 0),
        ("residual + HardTanh(-0.3, 0.4)", true, Activation.HardTanh, -0.3f, 0.4f),
        ("residual + LeakyRelu(0.1)", true, Activation.LeakyRelu, 0.1f, 0),
        ("residual + Clip(-0.5, 0.2)", true, Activation.Clip, -0.5f, 0.2f),
        ("residual + Sigmoid", true, Activation.Sigmoid, 0, 0),
    ];

    public static TheoryData<string> EpilogueConvCaseNames => new(ConvCases.Keys.Concat(GroupedConvCases.Keys));

    private static (ConvGeometry G, int N) EpilogueCase(string name) => ConvCases.TryGetValue(name, out var c) ? c : GroupedConvCases[name];

    [Theory]
    [MemberData(nameof(EpilogueConvCaseNames))]
    public void ConvForward_with_an_epilogue_equals_the_separate_ops_bit_for_bit(string name)
    {
        var (g, n) = EpilogueCase(name);
        long count = n * g.OutputSize;
        var rng = new Random(41);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var bias = Pair(Uniform(rng, g.OutChannels));
        var residual = Pair(Uniform(rng, count));
        foreach (var (what, withResidual, f, p0, p1) in Epilogues)
        {
            var fused = Pair(Uniform(rng, count));
            var separate = Pair(new float[count]);
            var epilogue = new ConvEpilogue(withResidual ? residual.Dut : null, f, p0, p1);
            Device.ConvForward(g, n, x.Dut, w.Dut, bias.Dut, fused.Dut, epilogue);
            Reference.ConvForward(g, n, x.Ref, w.Ref, bias.Ref, fused.Ref, new ConvEpilogue(withResidual ? residual.Ref : null, f, p0, p1));
            Device.ConvForward(g, n, x.Dut, w.Dut, bias.Dut, separate.Dut);
            if (withResidual) Device.Add(count, separate.Dut, residual.Dut, separate.Dut);
            if (f is { } a) Device.ActivationForward(a, count, separate.Dut, separate.Dut, p0, p1);
            AssertBits(separate.Dut.ToArray(), fused.Dut.ToArray(), $"{name}, {what}: fused against the separate ops");
            Same(fused, $"{name}, {what}: against the reference device");
        }
    }

    [Theory]
    [InlineData("3x3 pad 1")]
    [InlineData("1x1 over more positions than a column chunk")]
    [InlineData("small output: batch 3, K > 128 (row blocks)")]
    [InlineData("depthwise 3x3 pad 1, rows wider than a vector")]
    public void ConvForward_epilogue_keeps_NaN_at_every_lane_and_in_the_tail(string name)
    {
        var (g, n) = EpilogueCase(name);
        long count = n * g.OutputSize;
        var rng = new Random(43);
        float[] xs = Uniform(rng, n * g.InputSize), rs = Uniform(rng, count);
        // A NaN in the input spreads over the outputs whose windows read it; the residual's NaNs sit every 7th value.
        xs[xs.Length / 2] = float.NaN;
        for (int i = 3; i < rs.Length; i += 7) rs[i] = float.NaN;
        var x = Pair(xs);
        var w = Pair(Uniform(rng, g.WeightSize));
        var residual = Pair(rs);
        foreach (var f in new[] { Activation.Relu, Activation.Relu6, Activation.HardTanh })
        {
            var fused = Pair(new float[count]);
            var separate = Pair(new float[count]);
            Device.ConvForward(g, n, x.Dut, w.Dut, null, fused.Dut, new ConvEpilogue(residual.Dut, f, -1f, 1f));
            Reference.ConvForward(g, n, x.Ref, w.Ref, null, fused.Ref, new ConvEpilogue(residual.Ref, f, -1f, 1f));
            Device.ConvForward(g, n, x.Dut, w.Dut, null, separate.Dut);
            Device.Add(count, separate.Dut, residual.Dut, separate.Dut);
            Device.ActivationForward(f, count, separate.Dut, separate.Dut, -1f, 1f);
            float[] got = fused.Dut.ToArray();
            for (int i = 3; i < rs.Length; i += 7) Assert.True(float.IsNaN(got[i]), $"{name}, {f}: residual NaN at {i} gave {got[i]:G9}; PyTorch gives NaN.");
            AssertBits(separate.Dut.ToArray(), got, $"{name}, {f} with NaNs: fused against the separate ops");
            SameWithNaN(fused.Ref.ToArray(), got, $"{name}, {f} with NaNs: against the reference device");
        }
    }

    [Fact]
    public void ConvForward_epilogue_refuses_the_output_as_its_residual()
    {
        var (g, n) = ConvCases["3x3 pad 1"];
        var x = Device.Allocate<float>(n * g.InputSize);
        var w = Device.Allocate<float>(g.WeightSize);
        var y = Device.Allocate<float>(n * g.OutputSize);
        var ex = Assert.Throws<ArgumentException>(() => Device.ConvForward(g, n, x, w, null, y, new ConvEpilogue(y, Activation.Relu)));
        Assert.Contains("residual is the output buffer", ex.Message);
    }

    /// <summary>The same bits at every position (NaN payloads and the zeros' signs included).</summary>
    protected static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9}.");
    }
}

/// <summary>The CPU device applies the epilogue inside each conv kernel's work items: the same bits on one worker as on two, in every kernel.</summary>
public sealed class CpuConvEpilogueTests
{
    public static TheoryData<string, string> KernelCases => new()
    {
        { "im2col", nameof(ConvKernel.Im2colGemm) },
        { "im2col, narrow chunks at batch 1 (14x14)", nameof(ConvKernel.Im2colGemm) },
        { "1x1 GEMM (a projection on a 7x8 plane)", nameof(ConvKernel.Gemm1x1) },
        { "pointwise (a short last tile, a part-filled panel)", nameof(ConvKernel.Pointwise) },
        { "batch columns (7x7)", nameof(ConvKernel.BatchColumnsGemm) },
        { "channel tiles, tiles across images (7x7, batch 3)", nameof(ConvKernel.ChannelTiles) },
        { "channel tiles (14x14, batch 1)", nameof(ConvKernel.ChannelTiles) },
        { "channel tiles reading x in place (1x1 stride 2)", nameof(ConvKernel.ChannelTiles) },
        { "Winograd, fused blocks of tile rows (64 channels)", nameof(ConvKernel.Winograd) },
        { "Winograd, three passes (96 channels)", nameof(ConvKernel.Winograd) },
        { "Winograd, two tiles of 8 (7x7, 136 channels)", nameof(ConvKernel.Winograd) },
        { "depthwise", nameof(ConvKernel.DepthwiseDirect) },
        { "grouped", nameof(ConvKernel.GroupedDirect) },
    };

    private static (ConvGeometry G, int N) Case(string name) => name switch
    {
        "im2col" => (Conv(8, 23, 21, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3),
        "im2col, narrow chunks at batch 1 (14x14)" => (Conv(16, 14, 14, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
        "1x1 GEMM (a projection on a 7x8 plane)" => (Conv(40, 7, 8, 20, 1, 1), 2),
        "pointwise (a short last tile, a part-filled panel)" => (Conv(24, 19, 17, 20, 1, 1), 2),
        "batch columns (7x7)" => (Conv(16, 7, 7, 9, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3),
        "channel tiles, tiles across images (7x7, batch 3)" => (Conv(16, 7, 7, 136, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3),
        "channel tiles reading x in place (1x1 stride 2)" => (Conv(64, 29, 27, 32, 1, 1, sh: 2, sw: 2), 2),
        "channel tiles (14x14, batch 1)" => (Conv(72, 14, 14, 64, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
        "Winograd, fused blocks of tile rows (64 channels)" => (Conv(64, 17, 16, 64, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 2),
        "Winograd, three passes (96 channels)" => (Conv(96, 15, 16, 96, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
        "Winograd, two tiles of 8 (7x7, 136 channels)" => (Conv(136, 7, 7, 136, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
        "depthwise" => (Conv(12, 15, 13, 12, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 12 }, 2),
        _ => (Conv(12, 9, 11, 8, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 4 }, 2),
    };

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void Fused_conv_is_the_same_on_one_worker_as_on_two_and_equals_the_separate_ops(string name, string kernel)
    {
        var (g, n) = Case(name);
        var rng = new Random(47);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), b = Uniform(rng, g.OutChannels), r = Uniform(rng, n * g.OutputSize);
        float[] Run(int threads, bool fused)
        {
            using var device = new CpuDevice(threads);
            var (bx, bw, bb, br, y) = (Up(device, x), Up(device, w), Up(device, b), Up(device, r), device.Allocate<float>(r.Length));
            if (fused)
            {
                device.ConvForward(g, n, bx, bw, bb, y, new ConvEpilogue(br, Activation.Relu6));
                Assert.Equal(kernel, CpuConvolution.LastKernel.ToString());
            }
            else
            {
                device.ConvForward(g, n, bx, bw, bb, y);
                device.Add(r.Length, y, br, y);
                device.ActivationForward(Activation.Relu6, r.Length, y, y);
            }
            return y.ToArray();
        }
        float[] two = Run(2, true), one = Run(1, true), separate = Run(2, false);
        Assert.True(two.AsSpan().SequenceEqual(one), $"{name}: the fused conv differs between one worker and two.");
        Assert.True(two.AsSpan().SequenceEqual(separate), $"{name}: the fused conv differs from conv, Add, Relu6.");
    }

    [Fact]
    public void Winograd_applies_the_epilogue_per_output_plane()
    {
        var g = Conv(32, 16, 16, 32, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        const int n = 1;
        var rng = new Random(53);
        using var device = new CpuDevice(2);
        DeviceBuffer<float> Up(long count)
        {
            var buffer = device.Allocate<float>(count);
            buffer.Upload(Uniform(rng, count));
            return buffer;
        }
        var (x, w, bias, residual, fused, separate) = (Up(n * g.InputSize), Up(g.WeightSize), Up(g.OutChannels), Up(n * g.OutputSize), Up(n * g.OutputSize), Up(n * g.OutputSize));
        using var pool = new WorkerPool(2);
        var ws = new CpuWorkspace(pool);
        CpuConvolution.ConvForwardWinograd(ws, g, n, x, w, bias, fused, new ConvEpilogue(residual, Activation.HardTanh, -0.5f, 0.5f));
        CpuConvolution.ConvForwardWinograd(ws, g, n, x, w, bias, separate);
        device.Add(n * g.OutputSize, separate, residual, separate);
        device.ActivationForward(Activation.HardTanh, n * g.OutputSize, separate, separate, -0.5f, 0.5f);
        Assert.True(fused.ToArray().AsSpan().SequenceEqual(separate.ToArray()), "Winograd with an epilogue differs from Winograd, Add, HardTanh.");
    }
}

using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// A transposed conv's fused inference forward (<see cref="Device.ConvBackwardData(in ConvGeometry, int, DeviceBuffer{float}, DeviceBuffer{float}, DeviceBuffer{float}?, DeviceBuffer{float}, in ConvEpilogue)"/>):
/// bit for bit the separate ConvBackwardData, AddBias, Add and ActivationForward on the same device, the same bits on
/// one thread and two, and within rounding of the reference device, on each backward-data kernel it can run on (the
/// phase split applies the bias and epilogue per row as it interleaves; the others in one pass after).
/// </summary>
public sealed class CpuTransposedConvEpilogueTests
{
    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static readonly Dictionary<string, (ConvGeometry G, ConvKernel Kernel)> Cases = new()
    {
        // The U-net's deconvs: 5x5 stride 2 unpadded, an odd dx width (the interleave's scalar tail).
        ["5x5 stride 2, 13x13 -> 29x29, 12 -> 16 channels"] = (Conv(16, 29, 29, 12, 5, 5, sh: 2, sw: 2), ConvKernel.PhaseSplit),
        ["5x5 stride 2 pad 2, 11x13 -> 21x26, 6 -> 8 channels"] = (Conv(8, 21, 26, 6, 5, 5, sh: 2, sw: 2, pt: 2, pb: 2, pl: 2, pr: 2), ConvKernel.PhaseSplit),
        // Large dY planes with 32 dY channels: the phases as one Winograd conv (unpadded: windows padded 2; padded 2: 1).
        ["5x5 stride 2, 64x64 -> 131x131, 32 -> 8 channels (Winograd)"] = (Conv(8, 131, 131, 32, 5, 5, sh: 2, sw: 2), ConvKernel.PhaseWinograd),
        ["5x5 stride 2 pad 2, 64x65 -> 128x130, 32 -> 8 channels (Winograd)"] = (Conv(8, 128, 130, 32, 5, 5, sh: 2, sw: 2, pt: 2, pb: 2, pl: 2, pr: 2), ConvKernel.PhaseWinograd),
        ["5x5 stride 2 to one channel (col2im), 13x13 -> 29x29"] = (Conv(1, 29, 29, 8, 5, 5, sh: 2, sw: 2), ConvKernel.GemmCol2im),
        ["3x3 stride 1 pad 1 (flipped forward), 11x11"] = (Conv(6, 11, 11, 5, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), ConvKernel.FlippedForward),
    };

    private static float[] Separate(Device d, in ConvGeometry g, int n, float[] dy, float[] w, float[]? bias, float[]? residual, Activation? f)
    {
        using var tdy = Up(d, dy);
        using var tw = Up(d, w);
        using var tb = bias is null ? null : Up(d, bias);
        using var tr = residual is null ? null : Up(d, residual);
        using var dx = d.Allocate<float>(n * g.InputSize);
        long count = n * g.InputSize;
        d.ConvBackwardData(g, n, tdy, tw, dx, accumulate: false);
        if (tb is not null) d.AddBias(n, g.InChannels, g.InH * g.InW, tb, dx);
        if (tr is not null) d.Add(count, dx, tr, dx);
        if (f is { } a) d.ActivationForward(a, count, dx, dx, 0, 0);
        return dx.ToArray();
    }

    private static float[] Fused(Device d, in ConvGeometry g, int n, float[] dy, float[] w, float[]? bias, float[]? residual, Activation? f)
    {
        using var tdy = Up(d, dy);
        using var tw = Up(d, w);
        using var tb = bias is null ? null : Up(d, bias);
        using var tr = residual is null ? null : Up(d, residual);
        // Garbage in dx first: the fused call overwrites it.
        using var dx = Up(d, Enumerable.Repeat(123f, (int)(n * g.InputSize)).ToArray());
        d.ConvBackwardData(g, n, tdy, tw, tb, dx, new ConvEpilogue(tr, f));
        return dx.ToArray();
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void The_fused_call_equals_the_separate_ops_on_one_and_two_threads_and_the_reference(string name)
    {
        var (g, kernel) = Cases[name];
        const int n = 2;
        var rng = new Random(24);
        var dy = Uniform(rng, n * g.OutputSize);
        var w = Uniform(rng, g.WeightSize);
        var bias = Uniform(rng, g.InChannels);
        var residual = Uniform(rng, n * g.InputSize);
        using var two = new CpuDevice(2);
        using var one = new CpuDevice(1);
        using var reference = new ReferenceDevice();
        foreach (var (b, r, f, what) in new (float[]?, float[]?, Activation?, string)[]
        {
            (bias, null, Activation.Relu, "bias + Relu"),
            (bias, residual, Activation.SoftSign, "bias + residual + SoftSign"),
            (null, null, Activation.Relu, "Relu alone"),
            (bias, null, null, "bias alone"),
            (null, residual, null, "residual alone"),
        })
        {
            var fused = Fused(two, g, n, dy, w, b, r, f);
            Assert.Equal(kernel, CpuConvolution.LastKernel);
            AssertBits(Separate(two, g, n, dy, w, b, r, f), fused, $"{name}, {what}: fused against the separate ops");
            AssertBits(Fused(one, g, n, dy, w, b, r, f), fused, $"{name}, {what}: one thread against two");
            AssertClose(Separate(reference, g, n, dy, w, b, r, f), fused, $"{name}, {what}: against the reference device");
        }
    }

    [Fact]
    public void NaN_from_the_bias_or_the_residual_comes_out_where_the_separate_ops_put_it()
    {
        var (g, _) = Cases["5x5 stride 2, 13x13 -> 29x29, 12 -> 16 channels"];
        const int n = 1;
        var rng = new Random(25);
        var dy = Uniform(rng, n * g.OutputSize);
        var w = Uniform(rng, g.WeightSize);
        var bias = Uniform(rng, g.InChannels);
        bias[3] = float.NaN;
        var residual = Uniform(rng, n * g.InputSize);
        residual[5 * 29 * 29 + 17] = float.NaN;
        using var device = new CpuDevice(2);
        var fused = Fused(device, g, n, dy, w, bias, residual, Activation.Relu);
        Assert.True(float.IsNaN(fused[3 * 29 * 29 + 100]) && float.IsNaN(fused[5 * 29 * 29 + 17]), "Relu(NaN) is NaN, as PyTorch.");
        AssertBits(Separate(device, g, n, dy, w, bias, residual, Activation.Relu), fused, "with NaN");
    }

    [Fact]
    public void A_residual_that_is_the_output_buffer_is_refused_with_the_op_named()
    {
        var (g, _) = Cases["5x5 stride 2, 13x13 -> 29x29, 12 -> 16 channels"];
        using var device = new CpuDevice(1);
        using var dy = device.Allocate<float>(g.OutputSize);
        using var w = device.Allocate<float>(g.WeightSize);
        using var dx = device.Allocate<float>(g.InputSize);
        var e = Assert.Throws<ArgumentException>(() => device.ConvBackwardData(g, 1, dy, w, null, dx, new ConvEpilogue(dx, Activation.Relu)));
        Assert.Contains("ConvBackwardData", e.Message);
    }
}

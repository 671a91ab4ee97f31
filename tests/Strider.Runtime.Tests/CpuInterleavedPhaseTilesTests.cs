using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The phase split's tiles storing each tile's column phases straight into dx (<see cref="CpuConvolution.InterleavedTilesOff"/>
/// off): against the reference device, bit for bit the phase buffer and its interleave pass, the same bits on 1 and 2
/// workers and with the 256-bit tile loop, accumulating and not, and with a transposed conv's bias and epilogue; and
/// the phase weights kept per write of the weights.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuInterleavedPhaseTilesTests
{
    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static readonly Dictionary<string, (ConvGeometry G, int N)> Cases = new()
    {
        // W3's U-net deconv in small: an odd dx width (the last position's odd column dropped), tiles crossing rows and images.
        ["5x5 stride 2, dY 32x9x9 -> dx 32x21x21, batch 3"] = (Conv(32, 21, 21, 32, 5, 5, sh: 2, sw: 2), 3),
        // Kernel 4 padded: an even dx width, 48 dx channels (a wide and a narrow panel, 6 channel rows in the last 8).
        ["4x4 stride 2 pad 1, dY 32x8x9 -> dx 44x16x18, batch 2"] = (Conv(44, 16, 18, 32, 4, 4, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 2),
        // Kernel 3: phases of 2 and 1 taps per axis (64 dY channels: a 1x1 phase of depth 64); rows of 7 and 6 (below 8: a value at a time).
        ["3x3 stride 2 pad 1, dY 64x7x7 -> dx 16x13x13, batch 2"] = (Conv(16, 13, 13, 64, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 2),
        // Stride 3 (three column phases, stored a value at a time), an uneven last column phase.
        ["5x5 stride 3 pad 1, dY 64x7x6 -> dx 16x21x20, batch 2"] = (Conv(16, 21, 20, 64, 5, 5, sh: 3, sw: 3, pt: 1, pb: 1, pl: 1, pr: 1), 2),
        // Stride 1 down, 2 across: one row phase, every dx row from it.
        ["5x5 stride (1, 2), dY 32x9x9 -> dx 32x13x21, batch 2"] = (Conv(32, 13, 21, 32, 5, 5, sh: 1, sw: 2), 2),
        // Stride 2 down, 1 across: one column phase, stored a value at a time.
        ["5x5 stride (2, 1), dY 32x9x9 -> dx 32x21x13, batch 2"] = (Conv(32, 21, 13, 32, 5, 5, sh: 2, sw: 1), 2),
    };

    private static float[] BackwardData(Device d, in ConvGeometry g, int n, float[] dy, float[] w, float[] dx0, bool accumulate)
    {
        using var tdy = Up(d, dy);
        using var tw = Up(d, w);
        using var tdx = Up(d, dx0);
        d.ConvBackwardData(g, n, tdy, tw, tdx, accumulate);
        return tdx.ToArray();
    }

    private static float[] Fused(Device d, in ConvGeometry g, int n, float[] dy, float[] w, float[] bias, float[] residual, Activation f)
    {
        using var tdy = Up(d, dy);
        using var tw = Up(d, w);
        using var tb = Up(d, bias);
        using var tr = Up(d, residual);
        using var dx = Up(d, Enumerable.Repeat(123f, (int)(n * g.InputSize)).ToArray());
        d.ConvBackwardData(g, n, tdy, tw, tb, dx, new ConvEpilogue(tr, f));
        return dx.ToArray();
    }

    private static float[] Separate(Device d, in ConvGeometry g, int n, float[] dy, float[] w, float[] bias, float[] residual, Activation f)
    {
        var dx = BackwardData(d, g, n, dy, w, new float[n * g.InputSize], accumulate: false);
        using var tdx = Up(d, dx);
        using var tb = Up(d, bias);
        using var tr = Up(d, residual);
        d.AddBias(n, g.InChannels, g.InH * g.InW, tb, tdx);
        d.Add(n * g.InputSize, tdx, tr, tdx);
        d.ActivationForward(f, n * g.InputSize, tdx, tdx, 0, 0);
        return tdx.ToArray();
    }

    /// <summary>Runs <paramref name="run"/> with the phase buffer and the interleave pass (the earlier way).</summary>
    private static float[] Interleaving(Func<float[]> run)
    {
        try
        {
            CpuConvolution.InterleavedTilesOff = true;
            return run();
        }
        finally
        {
            CpuConvolution.InterleavedTilesOff = false;
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Backward_data_stored_into_dx_is_the_interleave_passes_bits_on_any_worker_count(string name)
    {
        var (g, n) = Cases[name];
        Assert.True(CpuConvolution.InterleavedTilesApply(g), $"{name}: every phase should run on the tiles, stored into dx.");
        var rng = new Random(43);
        float[] dy = Uniform(rng, n * g.OutputSize), w = Uniform(rng, g.WeightSize), dx0 = Uniform(rng, n * g.InputSize);
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        using var reference = new ReferenceDevice();
        foreach (bool accumulate in new[] { false, true })
        {
            string what = $"{name}, accumulate {accumulate}";
            var stored = BackwardData(two, g, n, dy, w, dx0, accumulate);
            Assert.Equal(ConvKernel.PhaseSplit, CpuConvolution.LastKernel);
            AssertClose(BackwardData(reference, g, n, dy, w, dx0, accumulate), stored, $"{what}: against the reference device");
            AssertBits(Interleaving(() => BackwardData(two, g, n, dy, w, dx0, accumulate)), stored, $"{what}: against the interleave pass");
            AssertBits(BackwardData(one, g, n, dy, w, dx0, accumulate), stored, $"{what}: 1 worker against 2");
            try
            {
                CpuConvolution.ChannelTiles512 = false;
                AssertBits(BackwardData(two, g, n, dy, w, dx0, accumulate), stored, $"{what}: the 256-bit tile loop");
            }
            finally
            {
                CpuConvolution.ChannelTiles512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
            }
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_transposed_convs_bias_and_epilogue_are_the_separate_ops_bits(string name)
    {
        var (g, n) = Cases[name];
        var rng = new Random(44);
        float[] dy = Uniform(rng, n * g.OutputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.InChannels), residual = Uniform(rng, n * g.InputSize);
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        using var reference = new ReferenceDevice();
        foreach (var f in new[] { Activation.Relu, Activation.SoftSign })
        {
            string what = $"{name}, bias + residual + {f}";
            var fused = Fused(two, g, n, dy, w, bias, residual, f);
            Assert.Equal(ConvKernel.PhaseSplit, CpuConvolution.LastKernel);
            AssertBits(Separate(two, g, n, dy, w, bias, residual, f), fused, $"{what}: against the separate ops");
            AssertBits(Interleaving(() => Fused(two, g, n, dy, w, bias, residual, f)), fused, $"{what}: against the interleave pass");
            AssertBits(Fused(one, g, n, dy, w, bias, residual, f), fused, $"{what}: 1 worker against 2");
            AssertClose(Separate(reference, g, n, dy, w, bias, residual, f), fused, $"{what}: against the reference device");
        }
    }

    [Fact]
    public void The_phase_weights_are_built_and_packed_once_per_write_of_the_weights()
    {
        var (g, n) = Cases["5x5 stride 2, dY 32x9x9 -> dx 32x21x21, batch 3"];
        var rng = new Random(45);
        using var device = new CpuDevice(2);
        using var reference = new ReferenceDevice();
        float[] dy = Uniform(rng, n * g.OutputSize), x = Uniform(rng, n * g.InputSize), values = Uniform(rng, g.WeightSize);
        using var w = Up(device, values);
        using var wRef = Up(reference, values);
        using var tdy = Up(device, dy);
        using var tdyRef = Up(reference, dy);
        using var tx = Up(device, x);
        using var y = device.Allocate<float>(n * g.OutputSize);
        using var dx = device.Allocate<float>(n * g.InputSize);
        using var dxRef = reference.Allocate<float>(n * g.InputSize);
        void Backward(string what)
        {
            device.ConvBackwardData(g, n, tdy, w, dx, accumulate: false);
            Assert.Equal(ConvKernel.PhaseSplit, CpuConvolution.LastKernel);
            reference.ConvBackwardData(g, n, tdyRef, wRef, dxRef, accumulate: false);
            AssertClose(dxRef.ToArray(), dx.ToArray(), $"backward data {what}");
        }
        Backward("first");
        var kept = PhaseSplitWeights.Find(w)!;
        Assert.Equal(1, kept.Packs);
        // A forward on the same weights in between (its own packing) and the other path's kernels: nothing packed again.
        device.ConvForward(g, n, tx, w, null, y);
        Backward("again");
        Interleaving(() =>
        {
            Backward("by the interleave pass");
            return [];
        });
        Assert.Equal(1, kept.Packs);

        // An upload and a device op writing the weights (an optimizer step) are writes: both build the new values' phases.
        var other = Uniform(rng, g.WeightSize);
        w.Upload(other);
        wRef.Upload(other);
        Backward("after an upload of the weights");
        Assert.Equal(2, kept.Packs);
        device.Add(g.WeightSize, w, w, w);
        reference.Add(g.WeightSize, wRef, wRef, wRef);
        Backward("after a device op wrote the weights");
        Backward("after a device op wrote the weights, again");
        Assert.Equal(3, kept.Packs);
    }
}

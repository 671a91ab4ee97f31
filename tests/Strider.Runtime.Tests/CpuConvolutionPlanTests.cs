using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The CPU device's per-geometry conv kernels: ResNet's batch-1 layers (channel counts cut where the kernel and the
/// split do not depend on them, so the reference device stays quick) and odd sizes, each pass against
/// <see cref="ReferenceDevice"/>, the kernel each pass ran against <see cref="ConvolutionAlgorithm"/> (which the
/// generated code's comments name), and the forward weights packed once per write.
/// </summary>
public sealed class CpuConvolutionPlanTests : IDisposable
{
    private readonly CpuDevice _device = new();
    private readonly ReferenceDevice _reference = new();

    public void Dispose() => _device.Dispose();

    /// <summary>Geometry, batch, and the forward and backward-data kernels expected (null: whatever ConvolutionAlgorithm says).</summary>
    internal static readonly Dictionary<string, (ConvGeometry G, int N, ConvKernel? Forward, ConvKernel? Data)> Cases = new()
    {
        ["(a) ResNet 3x3 pad 1 on 56x56, batch 1 (48 of 64 channels)"] = (Conv(48, 56, 56, 48, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, ConvKernel.ChannelTiles, ConvKernel.FlippedForward),
        ["(b) ResNet 3x3 pad 1 on 14x14, batch 1 (72 of 256 channels)"] = (Conv(72, 14, 14, 72, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, ConvKernel.ChannelTiles, ConvKernel.FlippedForward),
        ["(b) 3x3 pad 1 on 14x14, batch 1, 96 channels: Winograd"] = (Conv(96, 14, 14, 96, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, ConvKernel.Winograd, ConvKernel.FlippedForward),
        ["(c) ResNet 3x3 pad 1 on 7x7, batch 1 (136 of 512 channels): Winograd's 16 tiles as two tiles of 8"] = (Conv(136, 7, 7, 136, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, ConvKernel.Winograd, ConvKernel.FlippedForward),
        ["(d) 1x1 stride 1 on 14x14, batch 1"] = (Conv(64, 14, 14, 48, 1, 1), 1, ConvKernel.Pointwise, ConvKernel.FlippedForward),
        ["(d) 1x1 stride 1 on 7x7 from 264 to 48 channels (a deep projection: long pointwise tiles fill every lane), batch 1"] = (Conv(264, 7, 7, 48, 1, 1), 1, ConvKernel.Pointwise, ConvKernel.FlippedForward),
        ["(d) 1x1 stride 1 on 6x6 from 264 to 48 channels (36 positions: not the pointwise tiles), batch 1"] = (Conv(264, 6, 6, 48, 1, 1), 1, ConvKernel.ChannelTiles, ConvKernel.FlippedForward),
        ["(d) 1x1 stride 1 on 56x56, batch 1"] = (Conv(24, 56, 56, 40, 1, 1), 1, ConvKernel.Pointwise, ConvKernel.FlippedForward),
        ["(f) MobileNetV2 1x1 projection 144 -> 24 on 28x28 (of 56x56), batch 1"] = (Conv(144, 28, 28, 24, 1, 1), 1, ConvKernel.Pointwise, ConvKernel.FlippedForward),
        ["1x1 on 7x8, batch 2, 40 -> 20 channels (a projection on a small plane, too shallow for the channel tiles)"] = (Conv(40, 7, 8, 20, 1, 1), 2, ConvKernel.Gemm1x1, ConvKernel.FlippedForward),
        ["1x1 on 19x17, batch 2, 300 -> 20 channels (deep pointwise)"] = (Conv(300, 19, 17, 20, 1, 1), 2, ConvKernel.Pointwise, ConvKernel.FlippedForward),
        ["(d) ResNet downsample 1x1 stride 2, 28x28 -> 14x14, batch 1"] = (Conv(128, 28, 28, 256, 1, 1, sh: 2, sw: 2), 1, ConvKernel.ChannelTiles, ConvKernel.GemmCol2im),
        ["(d) ResNet downsample 1x1 stride 2, 14x14 -> 7x7, batch 1"] = (Conv(96, 14, 14, 136, 1, 1, sh: 2, sw: 2), 1, ConvKernel.ChannelTiles, ConvKernel.BatchColumnsCol2im),
        ["(e) ResNet stem 7x7 stride 2 pad 3 on 224x224, batch 1 (16 of 64 channels)"] = (Conv(3, 224, 224, 16, 7, 7, sh: 2, sw: 2, pt: 3, pb: 3, pl: 3, pr: 3), 1, ConvKernel.ShallowDirect, ConvKernel.GemmCol2im),
        ["3x3 on 13x13, batch 3, 19 -> 37 channels"] = (Conv(19, 13, 13, 37, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3, null, null),
        ["3x3 on 13x13, batch 1, 37 -> 19 channels"] = (Conv(37, 13, 13, 19, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, null, null),
        ["3x3 on 7x7, batch 3, 21 -> 13 channels"] = (Conv(21, 7, 7, 13, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3, null, null),
        ["3x3 on 3x3, batch 1, 13 -> 27 channels"] = (Conv(13, 3, 3, 27, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, null, null),
        ["1x1 on 1x1, batch 3, 45 -> 29 channels"] = (Conv(45, 1, 1, 29, 1, 1), 3, ConvKernel.BatchColumnsGemm, ConvKernel.FlippedForward),
        ["1x1 on 13x13, batch 1, 21 -> 11 channels"] = (Conv(21, 13, 13, 11, 1, 1), 1, null, null),
        ["1x1 stride 2 on 13x13, batch 3, 17 -> 23 channels"] = (Conv(17, 13, 13, 23, 1, 1, sh: 2, sw: 2), 3, null, null),
        ["ResNet 3x3 stride 2 on 14x14 -> 7x7, batch 2, 24 -> 128 channels (a deep dY: phase split backward)"] = (Conv(24, 14, 14, 128, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 2, null, ConvKernel.PhaseSplit),
        ["3x3 stride 2 on 15x15 -> 8x8, batch 1, 16 -> 136 channels (a deep dY, odd sizes: phase split backward)"] = (Conv(16, 15, 15, 136, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 1, null, ConvKernel.PhaseSplit),
        ["3x3 stride 2 on 28x28 -> 14x14, batch 1, 16 -> 127 channels (one short of a deep dY: col2im)"] = (Conv(16, 28, 28, 127, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 1, null, ConvKernel.GemmCol2im),
        ["3x3 stride 2 on 27x27, batch 1, 24 -> 20 channels (phase split backward)"] = (Conv(24, 27, 27, 20, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 1, ConvKernel.Im2colGemm, ConvKernel.PhaseSplit),
        ["3x3 pad 1 on 13x13, batch 3, 33 -> 45 channels"] = (Conv(33, 13, 13, 45, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3, ConvKernel.ChannelTiles, null),
        ["3x3 dilation 2 with 40 channels"] = (Conv(40, 20, 20, 40, 3, 3, pt: 2, pb: 2, pl: 2, pr: 2, dh: 2, dw: 2), 1, ConvKernel.Im2colGemm, null),
        ["3x3 asymmetric padding (top 0, bottom 2, left 2, right 0), batch 2, 11 -> 9 channels"] = (Conv(11, 10, 12, 9, 3, 3, pt: 0, pb: 2, pl: 2, pr: 0), 2, ConvKernel.Im2colGemm, ConvKernel.FlippedForward),
        ["5x5 unpadded (LeNet) on 14x14, batch 5, 6 -> 16 channels (dx twice dY: col2im)"] = (Conv(6, 14, 14, 16, 5, 5), 5, ConvKernel.ChannelTiles, ConvKernel.BatchColumnsCol2im),
        ["3x3 unpadded on 40x40, batch 2, 9 -> 11 channels (dx 11% larger than dY: flipped)"] = (Conv(9, 40, 40, 11, 3, 3), 2, ConvKernel.Im2colGemm, ConvKernel.FlippedForward),
        ["3x1 pad 1x0 on 9x20, batch 2, 10 -> 7 channels"] = (Conv(10, 9, 20, 7, 3, 1, pt: 1, pb: 1), 2, ConvKernel.Im2colGemm, ConvKernel.FlippedForward),
        ["3x3 dilation 2, pad 2 down and 1 across, on 40x40, batch 2, 12 -> 10 channels"] = (Conv(12, 40, 40, 10, 3, 3, pt: 2, pb: 2, pl: 1, pr: 1, dh: 2, dw: 2), 2, ConvKernel.Im2colGemm, ConvKernel.FlippedForward),
        ["3x3 dilation 2 pad 1 on 15x15, batch 2, 12 -> 10 channels (dx a third larger than dY: col2im)"] = (Conv(12, 15, 15, 10, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1, dh: 2, dw: 2), 2, ConvKernel.Im2colGemm, ConvKernel.GemmCol2im),
        ["ResNet 3x3 pad 1 on 7x7, batch 8 (W7, 40 of 512 channels)"] = (Conv(40, 7, 7, 40, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 8, ConvKernel.BatchColumnsGemm, ConvKernel.FlippedForward),
        ["ResNet 3x3 pad 1 on 14x14, batch 8 (W7, 24 of 256 channels)"] = (Conv(24, 14, 14, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 8, ConvKernel.Im2colGemm, ConvKernel.FlippedForward),
        ["1x1 pad 1 (padding past the kernel: col2im), batch 2, 9 -> 12 channels"] = (Conv(9, 6, 6, 12, 1, 1, pt: 1, pb: 1, pl: 1, pr: 1), 2, ConvKernel.Im2colGemm, ConvKernel.GemmCol2im),
        ["U-net 5x5 stride 2 on 131x131, batch 2, 8 -> 32 channels (backward data as one Winograd conv)"] = (Conv(8, 131, 131, 32, 5, 5, sh: 2, sw: 2), 2, ConvKernel.StridedWinograd, ConvKernel.PhaseWinograd),
        ["5x5 stride 2 pad 2 down and 1 across on 130x133, batch 1, 8 -> 32 channels (forward as one Winograd conv of the phases)"] = (Conv(8, 130, 133, 32, 5, 5, sh: 2, sw: 2, pt: 2, pb: 2, pl: 1, pr: 1), 1, ConvKernel.StridedWinograd, null),
        ["3x3 on 28x28, batch 1, 16 -> 24 channels"] = (Conv(16, 28, 28, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1, ConvKernel.Im2colGemm, ConvKernel.FlippedForward),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private (DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) Pair(float[] data)
    {
        var d = _device.Allocate<float>(data.Length);
        var r = _reference.Allocate<float>(data.Length);
        d.Upload(data);
        r.Upload(data);
        return (d, r);
    }

    private static void Same((DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) pair, string what) =>
        AssertClose(pair.Ref.ToArray(), pair.Dut.ToArray(), what);

    private static ConvKernel ChosenForward(in ConvGeometry g) => ConvolutionAlgorithm.Forward(g.InChannels, g.InH, g.InW, g.OutChannels,
        g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups);

    private static ConvKernel ChosenBackwardData(in ConvGeometry g) => ConvolutionAlgorithm.BackwardData(g.InChannels, g.InH, g.InW,
        g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, g.Groups);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Every_pass_matches_the_reference_and_runs_the_chosen_kernel(string name)
    {
        var (g, n, forward, data) = Cases[name];
        var rng = new Random(15);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var bias = Pair(Uniform(rng, g.OutChannels));
        var y = Pair(Uniform(rng, n * g.OutputSize));
        _device.ConvForward(g, n, x.Dut, w.Dut, bias.Dut, y.Dut);
        Assert.Equal(ChosenForward(g), CpuConvolution.LastKernel);
        if (forward is { } f) Assert.Equal(f, CpuConvolution.LastKernel);
        _reference.ConvForward(g, n, x.Ref, w.Ref, bias.Ref, y.Ref);
        Same(y, $"{name}: forward");

        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        _device.ConvBackwardData(g, n, dy.Dut, w.Dut, dx.Dut, accumulate: true);
        Assert.Equal(ChosenBackwardData(g), CpuConvolution.LastKernel);
        if (data is { } d) Assert.Equal(d, CpuConvolution.LastKernel);
        _reference.ConvBackwardData(g, n, dy.Ref, w.Ref, dx.Ref, accumulate: true);
        Same(dx, $"{name}: backward data, accumulating");
        _device.ConvBackwardData(g, n, dy.Dut, w.Dut, dx.Dut, accumulate: false);
        _reference.ConvBackwardData(g, n, dy.Ref, w.Ref, dx.Ref, accumulate: false);
        Same(dx, $"{name}: backward data, overwriting");
        // Flipped weights are packed once for both backward-data calls, apart from the forward's packing; likewise the
        // phase Winograd's regrouped window kernel.
        if (ChosenBackwardData(g) == ConvKernel.FlippedForward) Assert.Equal(1, FlippedConvWeights.Find(w.Dut)!.Packs);
        if (data == ConvKernel.PhaseWinograd) Assert.Equal(1, RegroupedConvWeights.Find(w.Dut)!.Packs(RegroupedConvWeights.Use.PhaseBackwardData));

        var dw = Pair(Uniform(rng, g.WeightSize));
        var dbias = Pair(Uniform(rng, g.OutChannels));
        _device.ConvBackwardWeights(g, n, x.Dut, dy.Dut, dw.Dut, dbias.Dut);
        _reference.ConvBackwardWeights(g, n, x.Ref, dy.Ref, dw.Ref, dbias.Ref);
        Same(dw, $"{name}: weight gradient");
        Same(dbias, $"{name}: bias gradient");

        // The forward again, after the backward passes read the weights: the packing kept from the first call serves it.
        _device.ConvForward(g, n, x.Dut, w.Dut, null, y.Dut);
        _reference.ConvForward(g, n, x.Ref, w.Ref, null, y.Ref);
        Same(y, $"{name}: second forward");
        // The strided Winograd regroups and transforms its weights once for both forwards, in its own slot.
        if (ChosenForward(g) == ConvKernel.StridedWinograd) Assert.Equal(1, RegroupedConvWeights.Find(w.Dut)!.Packs(RegroupedConvWeights.Use.StridedForward));
        else Assert.Equal(1, PackedConvWeights.Find(w.Dut)!.Packs);
    }

    [Fact]
    public void The_strided_Winograd_forward_applies_its_epilogue_as_the_separate_ops_and_on_one_thread_as_on_two()
    {
        var g = Conv(8, 131, 131, 32, 5, 5, sh: 2, sw: 2);
        var rng = new Random(17);
        var (x, w, bias, residual) = (Uniform(rng, g.InputSize), Uniform(rng, g.WeightSize), Uniform(rng, g.OutChannels), Uniform(rng, g.OutputSize));
        float[] Run(CpuDevice d, bool fused)
        {
            using var tx = d.Allocate<float>(x.Length);
            using var tw = d.Allocate<float>(w.Length);
            using var tb = d.Allocate<float>(bias.Length);
            using var tr = d.Allocate<float>(residual.Length);
            using var y = d.Allocate<float>(g.OutputSize);
            tx.Upload(x);
            tw.Upload(w);
            tb.Upload(bias);
            tr.Upload(residual);
            if (fused) d.ConvForward(g, 1, tx, tw, tb, y, new ConvEpilogue(tr, Activation.Relu));
            else
            {
                d.ConvForward(g, 1, tx, tw, tb, y);
                d.Add(g.OutputSize, y, tr, y);
                d.ActivationForward(Activation.Relu, g.OutputSize, y, y, 0, 0);
            }
            Assert.Equal(ConvKernel.StridedWinograd, CpuConvolution.LastKernel);
            return y.ToArray();
        }
        using var two = new CpuDevice(2);
        using var one = new CpuDevice(1);
        var expected = Run(two, fused: false);
        Assert.Equal(expected, Run(two, fused: true));
        Assert.Equal(expected, Run(one, fused: true));
    }

    [Fact]
    public void Forward_weights_are_packed_once_per_write()
    {
        var g = Conv(13, 9, 9, 21, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        var rng = new Random(16);
        var x = Pair(Uniform(rng, g.InputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var y = Pair(new float[g.OutputSize]);
        for (int i = 0; i < 3; i++) _device.ConvForward(g, 1, x.Dut, w.Dut, null, y.Dut);
        var packing = PackedConvWeights.Find(w.Dut)!;
        Assert.Equal(1, packing.Packs);

        // An upload is a write: the next forward packs the new values.
        var other = Uniform(rng, g.WeightSize);
        w.Dut.Upload(other);
        w.Ref.Upload(other);
        _device.ConvForward(g, 1, x.Dut, w.Dut, null, y.Dut);
        _reference.ConvForward(g, 1, x.Ref, w.Ref, null, y.Ref);
        Same(y, "forward after an upload of the weights");
        Assert.Equal(2, packing.Packs);

        // So is a device op writing them (an optimizer step), and a host array handed out (and written through).
        _device.Add(g.WeightSize, w.Dut, w.Dut, w.Dut);
        _reference.Add(g.WeightSize, w.Ref, w.Ref, w.Ref);
        _device.ConvForward(g, 1, x.Dut, w.Dut, null, y.Dut);
        _reference.ConvForward(g, 1, x.Ref, w.Ref, null, y.Ref);
        Same(y, "forward after a device op wrote the weights");
        ((HostBuffer<float>)w.Dut).Array[5] = 3f;
        ((HostBuffer<float>)w.Ref).Array[5] = 3f;
        _device.ConvForward(g, 1, x.Dut, w.Dut, null, y.Dut);
        _reference.ConvForward(g, 1, x.Ref, w.Ref, null, y.Ref);
        Same(y, "forward after a write through the host array");
        Assert.Equal(4, packing.Packs);
    }

    [Fact]
    public void Strided_and_phase_Winograd_weights_are_regrouped_once_per_write_in_their_own_slots()
    {
        var g = Conv(8, 131, 131, 32, 5, 5, sh: 2, sw: 2);
        var rng = new Random(18);
        var x = Pair(Uniform(rng, g.InputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var y = Pair(new float[g.OutputSize]);
        var dy = Pair(Uniform(rng, g.OutputSize));
        var dx = Pair(new float[g.InputSize]);
        void Both(string what)
        {
            _device.ConvForward(g, 1, x.Dut, w.Dut, null, y.Dut);
            Assert.Equal(ConvKernel.StridedWinograd, CpuConvolution.LastKernel);
            _reference.ConvForward(g, 1, x.Ref, w.Ref, null, y.Ref);
            Same(y, $"forward {what}");
            _device.ConvBackwardData(g, 1, dy.Dut, w.Dut, dx.Dut, accumulate: false);
            Assert.Equal(ConvKernel.PhaseWinograd, CpuConvolution.LastKernel);
            _reference.ConvBackwardData(g, 1, dy.Ref, w.Ref, dx.Ref, accumulate: false);
            Same(dx, $"backward data {what}");
        }
        Both("first");
        Both("again");
        var regrouped = RegroupedConvWeights.Find(w.Dut)!;
        Assert.Equal(1, regrouped.Packs(RegroupedConvWeights.Use.StridedForward));
        Assert.Equal(1, regrouped.Packs(RegroupedConvWeights.Use.PhaseBackwardData));

        // An upload and a device op writing the weights (an optimizer step) are writes: both regroup the new values.
        var other = Uniform(rng, g.WeightSize);
        w.Dut.Upload(other);
        w.Ref.Upload(other);
        Both("after an upload of the weights");
        _device.Add(g.WeightSize, w.Dut, w.Dut, w.Dut);
        _reference.Add(g.WeightSize, w.Ref, w.Ref, w.Ref);
        Both("after a device op wrote the weights");
        Assert.Equal(3, regrouped.Packs(RegroupedConvWeights.Use.StridedForward));
        Assert.Equal(3, regrouped.Packs(RegroupedConvWeights.Use.PhaseBackwardData));
    }

    [Fact]
    public void Flipped_backward_data_weights_are_packed_again_after_a_write()
    {
        var g = Conv(13, 9, 9, 21, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        var rng = new Random(18);
        var dy = Pair(Uniform(rng, 2 * g.OutputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var dx = Pair(new float[2 * g.InputSize]);
        for (int i = 0; i < 2; i++) _device.ConvBackwardData(g, 2, dy.Dut, w.Dut, dx.Dut, accumulate: false);
        var packing = FlippedConvWeights.Find(w.Dut)!;
        Assert.Equal(1, packing.Packs);
        // A device op writing the weights (as an optimizer step does) makes the next call flip the new values.
        _device.Add(g.WeightSize, w.Dut, w.Dut, w.Dut);
        _reference.Add(g.WeightSize, w.Ref, w.Ref, w.Ref);
        _device.ConvBackwardData(g, 2, dy.Dut, w.Dut, dx.Dut, accumulate: false);
        _reference.ConvBackwardData(g, 2, dy.Ref, w.Ref, dx.Ref, accumulate: false);
        Same(dx, "backward data after a device op wrote the weights");
        Assert.Equal(2, packing.Packs);
        // Another conv shape on the same buffer (fewer output channels read) flips again, and is right.
        var h = Conv(21, 9, 9, 13, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        var dy2 = Pair(Uniform(rng, h.OutputSize));
        var dx2 = Pair(new float[h.InputSize]);
        _device.ConvBackwardData(h, 1, dy2.Dut, w.Dut, dx2.Dut, accumulate: false);
        _reference.ConvBackwardData(h, 1, dy2.Ref, w.Ref, dx2.Ref, accumulate: false);
        Same(dx2, "backward data of another shape on the same weights");
        Assert.Equal(3, packing.Packs);
    }

    [Theory]
    [InlineData(13, 21, 3, 3)] // C not a multiple of MR; depth 189, one KC block
    [InlineData(40, 64, 3, 3)] // depth 576: three KC blocks, taps of one k across a block's end
    [InlineData(9, 300, 1, 1)]
    [InlineData(5, 30, 5, 3)]
    public unsafe void Flipped_weights_are_packed_as_the_forward_packs_them_flipped(int c, int k, int kh, int kw)
    {
        // The forward's own packing (PackWeightsItem) of the weights flipped and transposed one value at a time.
        var g = Conv(c, 9, 9, k, kh, kw, pt: kh / 2, pb: kh / 2, pl: kw / 2, pr: kw / 2);
        var w = Uniform(new Random(19), g.WeightSize);
        int depth = k * kh * kw;
        CpuFlippedBackwardDataTests.AssertFlippedPackingIsTheForwardsOfFlippedWeights(g, w, Gemm.RoundUp(c, Gemm.MR) * depth, (depth + Gemm.KC - 1) / Gemm.KC,
            &CpuConvolution.PackWeightsItem, &CpuConvolution.PackFlippedWeightsItem);
    }

    /// <summary>Geometries Winograd applies to (ConvolutionAlgorithm.WinogradApplies), with odd planes, batches and channel counts.</summary>
    public static TheoryData<int, int, int, int, int, int> WinogradCases => new()
    {
        { 40, 56, 56, 40, 1, 1 }, // (a) at 40 of 64 channels
        { 72, 14, 14, 72, 1, 1 }, // (b) at 72 of 256 channels
        { 33, 13, 13, 45, 3, 1 }, // odd plane: half tiles at the bottom and right edges
        { 35, 19, 17, 32, 2, 0 }, // unpadded, 17x15 output
        { 300, 12, 12, 40, 1, 1 }, // C past a GEMM block
    };

    [Theory]
    [MemberData(nameof(WinogradCases))]
    public void Winograd_forward_matches_the_reference(int c, int h, int w, int k, int n, int pad)
    {
        var g = Conv(c, h, w, k, 3, 3, pt: pad, pb: pad, pl: pad, pr: pad);
        Assert.True(ConvolutionAlgorithm.WinogradApplies(g.InChannels, g.OutChannels, g.OutH, g.OutW, 3, 3, 1, 1, 1, 1));
        var rng = new Random(17);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var weights = Pair(Uniform(rng, g.WeightSize));
        var bias = Pair(Uniform(rng, g.OutChannels));
        var y = Pair(Uniform(rng, n * g.OutputSize));
        using var pool = new WorkerPool(2);
        var ws = new CpuWorkspace(pool);
        CpuConvolution.ConvForwardWinograd(ws, g, n, x.Dut, weights.Dut, bias.Dut, y.Dut);
        _reference.ConvForward(g, n, x.Ref, weights.Ref, bias.Ref, y.Ref);
        Same(y, $"Winograd {g}, batch {n}");
        CpuConvolution.ConvForwardWinograd(ws, g, n, x.Dut, weights.Dut, null, y.Dut);
        _reference.ConvForward(g, n, x.Ref, weights.Ref, null, y.Ref);
        Same(y, $"Winograd {g}, batch {n}, no bias");
        Assert.Equal(1, PackedConvWeights.Find(weights.Dut)!.Packs);
    }

    [Fact]
    public void Winograd_is_refused_where_it_does_not_apply()
    {
        var g = Conv(32, 6, 6, 32, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1); // 9 tiles an image
        var buffer = _device.Allocate<float>(g.WeightSize);
        using var pool = new WorkerPool(1);
        var ex = Assert.Throws<ArgumentException>(() => CpuConvolution.ConvForwardWinograd(new CpuWorkspace(pool), g, 1, buffer, buffer, null, buffer));
        Assert.Contains("Winograd", ex.Message);
    }

    [Theory]
    // ResNet-18 at batch 1 on 2 workers: 56x56 in 14 chunks of 224 columns (was 13 of 256), 28x28 and 14x14 in
    // whole panels (14x14 was one 256-column chunk: one core), the stem's 112x112 in 256-column chunks.
    [InlineData(56 * 56, 1, 2, 224)]
    [InlineData(28 * 28, 1, 2, 64)]
    [InlineData(14 * 14, 1, 2, 32)]
    [InlineData(112 * 112, 1, 2, 256)]
    [InlineData(14 * 14, 8, 2, 128)]
    [InlineData(56 * 56, 8, 2, 256)]
    public void Forward_splits_a_batch_of_one_image_over_every_worker(int positions, int n, int workers, int width)
    {
        Assert.Equal(width, CpuConvolution.ForwardChunkWidth(positions, n, workers));
        int items = n * ((positions + width - 1) / width);
        Assert.True(items >= 2 * workers, $"{items} forward items for {workers} workers");
    }
}

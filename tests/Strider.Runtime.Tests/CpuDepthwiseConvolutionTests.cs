using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The CPU device's depthwise kernel (a phase-split padded copy per plane, 8 output columns per vector) on MobileNet's
/// geometries with channels cut and on odd ones: rows narrower than a vector, not a multiple of it, padding wider than
/// the kernel, strides 1-3, dilation, a channel multiplier; forward (with and without an epilogue), backward data and the
/// weight gradient against <see cref="ReferenceDevice"/>, and the same bits on one worker as on two; the flat path, the
/// 512-bit 3x3 stride-1 rows and the 3x3 rows read in place on the 256-bit (padded copy's) rows' bits.
/// </summary>
public sealed class CpuDepthwiseConvolutionTests
{
    private static ConvGeometry Depthwise(int c, int h, int w, int k, int multiplier = 1, int s = 1, int p = 0, int d = 1) =>
        Conv(c, h, w, c * multiplier, k, k, sh: s, sw: s, pt: p, pb: p, pl: p, pr: p, dh: d, dw: d) with { Groups = c };

    internal static readonly Dictionary<string, (ConvGeometry G, int N)> Cases = new()
    {
        ["MobileNetV2 3x3 stride 2 pad 1, 112x112 -> 56x56 (6 of 96 channels)"] = (Depthwise(6, 112, 112, 3, s: 2, p: 1), 1),
        ["MobileNetV2 3x3 pad 1 on 56x56 (5 of 144 channels)"] = (Depthwise(5, 56, 56, 3, p: 1), 1),
        ["MobileNetV2 3x3 pad 1 on 14x14 (9 of 576 channels)"] = (Depthwise(9, 14, 14, 3, p: 1), 1),
        ["MobileNetV2 3x3 pad 1 on 7x7, narrower than a vector (11 of 960 channels)"] = (Depthwise(11, 7, 7, 3, p: 1), 1),
        ["3x3 pad 1 on 16x16, the largest plane the flat path takes, batch 2"] = (Depthwise(3, 16, 16, 3, p: 1), 2),
        ["3x3 pad 1 on 17x16, one row past the flat path"] = (Depthwise(3, 17, 16, 3, p: 1), 1),
        ["3x3 pad 1 on 5x13, multiplier 2, batch 3"] = (Depthwise(5, 5, 13, 3, multiplier: 2, p: 1), 3),
        ["3x3 pad 1 on 15x15, the widest rows one per vector"] = (Depthwise(3, 15, 15, 3, p: 1), 1),
        ["3x3 pad 1 on 9x8, the narrowest rows one per vector, batch 2"] = (Depthwise(3, 9, 8, 3, p: 1), 2),
        ["3x3 pad 1 on 6x5, two planes' rows per vector, multiplier 3, batch 3"] = (Depthwise(3, 6, 5, 3, multiplier: 3, p: 1), 3),
        ["3x3 stride 2 pad 1, 10x6 -> 5x3, two planes per vector, multiplier 2, batch 3 (an odd plane count)"] = (Depthwise(3, 10, 6, 3, multiplier: 2, s: 2, p: 1), 3),
        ["3x3 stride 2 pad 1, 26x30 -> 13x15, batch 2"] = (Depthwise(3, 26, 30, 3, s: 2, p: 1), 2),
        ["MobileNetV2 3x3 stride 2 pad 1, 14x14 -> 7x7 (7 of 576 channels)"] = (Depthwise(7, 14, 14, 3, s: 2, p: 1), 1),
        ["MobileNetV2 3x3 stride 2 pad 1, 28x28 -> 14x14 (3 of 192 channels), batch 2"] = (Depthwise(3, 28, 28, 3, s: 2, p: 1), 2),
        ["3x3 stride 2 pad 1, 32x16 -> 16x8, multiplier 2"] = (Depthwise(3, 32, 16, 3, multiplier: 2, s: 2, p: 1), 1),
        ["3x3 stride 2 pad 1, 2x32 -> 1x16 (rows of two whole vectors)"] = (Conv(4, 2, 32, 4, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 4 }, 2),
        ["3x3 stride 2 pad 1, 34x34 -> 17x17 (past the flat path)"] = (Depthwise(2, 34, 34, 3, s: 2, p: 1), 1),
        ["3x3 stride 2 pad 1, odd sizes 15x17, batch 3"] = (Depthwise(4, 15, 17, 3, s: 2, p: 1), 3),
        ["3x3 stride 2 unpadded, 14x13"] = (Depthwise(3, 14, 13, 3, s: 2), 2),
        ["3x3 stride 2 pad 1 on 1x3 and 2x2 rows"] = (Conv(3, 2, 3, 3, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 3 }, 1),
        ["3x3 stride 2 across only, pad 2 left 0 right, rows of 40"] = (Conv(2, 6, 40, 2, 3, 3, sh: 1, sw: 2, pt: 1, pb: 1, pl: 2, pr: 0) with { Groups = 2 }, 2),
        ["3x3 unpadded, rows of 37"] = (Depthwise(3, 9, 37, 3), 2),
        ["3x3 pad 1 on 9x33 (two 16-wide vectors and one lane), odd rows, batch 2"] = (Depthwise(3, 9, 33, 3, p: 1), 2),
        ["3x3 pad 1 on 20x48 (three whole 16-wide vectors), multiplier 2"] = (Depthwise(2, 20, 48, 3, multiplier: 2, p: 1), 1),
        ["MobileNetV2 3x3 pad 1 on 112x112 (2 of 32 channels)"] = (Depthwise(2, 112, 112, 3, p: 1), 1),
        ["3x3 stride 2 pad 1, odd 57x113 -> 29x57 (inner strips and both edges), batch 2"] = (Depthwise(2, 57, 113, 3, s: 2, p: 1), 2),
        ["3x3 stride 2 pad 2, 12x75, multiplier 2"] = (Depthwise(2, 12, 75, 3, multiplier: 2, s: 2, p: 2), 1),
        ["3x3 pad 1 on 23x70 (four 16-wide vectors and 6 lanes), multiplier 2, batch 2"] = (Depthwise(2, 23, 70, 3, multiplier: 2, p: 1), 2),
        ["3x3 pad 2 (wider than the kernel's reach), 5x6"] = (Depthwise(3, 5, 6, 3, p: 2), 2),
        ["3x3 pad 1 on 1x1"] = (Depthwise(5, 1, 1, 3, p: 1), 2),
        ["3x3 dilation 2 pad 2 on 20x21"] = (Depthwise(3, 20, 21, 3, p: 2, d: 2), 1),
        ["3x3 stride 2 dilation 2 pad 2 on 19x23"] = (Depthwise(3, 19, 23, 3, s: 2, p: 2, d: 2), 1),
        ["3x3 channel multiplier 3, pad 1, 11x13"] = (Depthwise(4, 11, 13, 3, multiplier: 3, p: 1), 2),
        ["5x5 pad 2 on 14x14 (EfficientNet)"] = (Depthwise(6, 14, 14, 5, p: 2), 1),
        ["5x5 stride 2 pad 2 on 28x29"] = (Depthwise(5, 28, 29, 5, s: 2, p: 2), 2),
        ["5x5 stride 2 pad 1, multiplier 2, 17x9"] = (Depthwise(3, 17, 9, 5, multiplier: 2, s: 2, p: 1), 1),
        ["7x7 pad 3 on 12x25"] = (Depthwise(2, 12, 25, 7, p: 3), 1),
        ["stride 3 across and 2 down, asymmetric padding"] = (Conv(4, 13, 31, 4, 3, 3, sh: 2, sw: 3, pt: 0, pb: 2, pl: 2, pr: 1) with { Groups = 4 }, 2),
        ["1-D 1x7 pad 3, rows of 40"] = (Conv(6, 1, 40, 6, 1, 7, pl: 3, pr: 3) with { Groups = 6 }, 2),
        ["stride 5 across (the grouped direct kernel runs)"] = (Conv(3, 6, 26, 3, 3, 3, sh: 1, sw: 5, pl: 1, pr: 1) with { Groups = 3 }, 1),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Forward_matches_the_reference_with_the_same_bits_on_one_worker_and_two(string name)
    {
        var (g, n) = Cases[name];
        var rng = new Random(61);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] Run(Device device, bool withBias)
        {
            var (bx, bw, bb) = (device.Allocate<float>(x.Length), device.Allocate<float>(w.Length), device.Allocate<float>(bias.Length));
            bx.Upload(x);
            bw.Upload(w);
            bb.Upload(bias);
            // A stale output: every value must be written.
            var y = device.Allocate<float>(n * g.OutputSize);
            y.Upload(Enumerable.Repeat(float.NaN, (int)(n * g.OutputSize)).ToArray());
            device.ConvForward(g, n, bx, bw, withBias ? bb : null, y);
            return y.ToArray();
        }
        foreach (bool withBias in new[] { true, false })
        {
            using var reference = new ReferenceDevice();
            using var one = new CpuDevice(1);
            using var two = new CpuDevice(2);
            float[] expected = Run(reference, withBias), single = Run(one, withBias), both = Run(two, withBias);
            Assert.Equal(ConvKernel.DepthwiseDirect, CpuConvolution.LastKernel);
            AssertClose(expected, both, $"{name}: forward (bias {withBias})");
            Assert.True(SameBits(single.AsSpan(), both), $"{name}: one worker and two give different bits (bias {withBias}).");
        }
    }

    /// <summary>
    /// Backward data (the flipped kernel's forward over dY at stride 1 and multiplier 1, the even/odd column gather at
    /// stride 2 across, the grouped direct kernel otherwise), accumulating and overwriting, and the weight and bias
    /// gradients (accumulated).
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Backward_passes_match_the_reference_with_the_same_bits_on_one_worker_and_two(string name)
    {
        var (g, n) = Cases[name];
        var rng = new Random(63);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), dy = Uniform(rng, n * g.OutputSize);
        float[] dxStart = Uniform(rng, n * g.InputSize), dwStart = Uniform(rng, g.WeightSize), dbStart = Uniform(rng, g.OutChannels);
        float[][] Run(Device device)
        {
            var (bx, bw, bdy) = (Upload(device, x), Upload(device, w), Upload(device, dy));
            var (added, overwritten) = (Upload(device, dxStart), Upload(device, Enumerable.Repeat(float.NaN, dxStart.Length).ToArray()));
            device.ConvBackwardData(g, n, bdy, bw, added, accumulate: true);
            device.ConvBackwardData(g, n, bdy, bw, overwritten, accumulate: false);
            var (dw, db) = (Upload(device, dwStart), Upload(device, dbStart));
            device.ConvBackwardWeights(g, n, bx, bdy, dw, db);
            return [added.ToArray(), overwritten.ToArray(), dw.ToArray(), db.ToArray()];
        }
        using var reference = new ReferenceDevice();
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        float[][] expected = Run(reference), single = Run(one), both = Run(two);
        string[] what = ["backward data, accumulating", "backward data, overwriting", "weight gradient", "bias gradient"];
        for (int i = 0; i < what.Length; i++)
        {
            AssertClose(expected[i], both[i], $"{name}: {what[i]}");
            Assert.True(SameBits(single[i].AsSpan(), both[i]), $"{name}: {what[i]}: one worker and two give different bits.");
        }
    }

    /// <summary>
    /// MobileNet's depthwise conv -> folded BatchNorm -> Relu6 fused, and Relu (both in registers at the store), a
    /// residual before Relu6 and HardTanh (both on each band after it is written).
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Epilogue_at_the_plane_store_equals_the_separate_ops_bit_for_bit(string name)
    {
        var (g, n) = Cases[name];
        long count = n * g.OutputSize;
        var rng = new Random(62);
        float[] x = Uniform(rng, n * g.InputSize, -3, 3), w = Uniform(rng, g.WeightSize, -2, 2), bias = Uniform(rng, g.OutChannels), residual = Uniform(rng, count, -4, 4);
        // NaNs spread over the outputs whose windows read them (Relu(NaN) = NaN, as the separate op); a zero bias row gives -0 and +0 outputs too.
        for (long i = 5; i < x.Length; i += 211) x[i] = float.NaN;
        bias[0] = 0f;
        foreach (var (f, p0, p1, withResidual) in new (Activation, float, float, bool)[] { (Activation.Relu6, 0, 0, false), (Activation.Relu, 0, 0, false), (Activation.Relu6, 0, 0, true), (Activation.HardTanh, -0.5f, 0.25f, false) })
        {
            float[][] Run(int threads)
            {
                using var device = new CpuDevice(threads);
                var (bx, bw, bb, br) = (Upload(device, x), Upload(device, w), Upload(device, bias), Upload(device, residual));
                var (fused, separate) = (Upload(device, new float[count]), device.Allocate<float>(count));
                device.ConvForward(g, n, bx, bw, bb, fused, new ConvEpilogue(withResidual ? br : null, f, p0, p1));
                device.ConvForward(g, n, bx, bw, bb, separate);
                if (withResidual) device.Add(count, separate, br, separate);
                device.ActivationForward(f, count, separate, separate, p0, p1);
                return [fused.ToArray(), separate.ToArray()];
            }
            float[][] one = Run(1), two = Run(2);
            string what = $"{name}, {(withResidual ? "residual + " : "")}{f}";
            Assert.True(SameBits(two[0].AsSpan(), two[1]), $"{what}: fused differs from the separate ops.");
            Assert.True(SameBits(one[0].AsSpan(), two[0]), $"{what}: one worker and two give different bits.");
            Assert.Contains(two[0], v => v != 0f && !float.IsNaN(v));
            if (x.Any(float.IsNaN)) Assert.Contains(two[0], float.IsNaN);
        }
    }

    /// <summary>
    /// Small 3x3 pad-1 planes read flat, 16 positions per masked vector (at stride 2 from the plane's four phase
    /// planes), and rows narrower than a vector one per vector (two planes' per vector up to 7 wide): the same bits as
    /// the row kernel (the flat path switched off) with and without the epilogue, NaN inputs and infinite weights
    /// included, on one worker and two.
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Flat_small_planes_give_the_row_kernels_bits(string name)
    {
        var (g, n) = Cases[name];
        if (!CpuDepthwiseConvolution.FlatApplies(g)) return;
        long count = n * g.OutputSize;
        var rng = new Random(64);
        float[] x = Uniform(rng, n * g.InputSize, -3, 3), w = Uniform(rng, g.WeightSize, -2, 2), bias = Uniform(rng, g.OutChannels), residual = Uniform(rng, count, -4, 4);
        for (long i = 3; i < x.Length; i += 97) x[i] = float.NaN;
        // An infinite tap weight: its padded taps give NaN (0 x inf) in both kernels, its inner ones +-inf.
        w[^1] = float.PositiveInfinity;
        bias[0] = 0f;
        foreach (var (f, withResidual) in new (Activation?, bool)[] { (Activation.Relu6, false), (null, false), (Activation.Relu, false), (Activation.HardTanh, true) })
        {
            float[] Run(int threads, bool flat, bool narrow = true) => ForwardWithSwitches(threads, g, n, x, w, bias, residual, f, withResidual, () =>
            {
                CpuDepthwiseConvolution.FlatPlanes = flat;
                CpuDepthwiseConvolution.NarrowRows = narrow;
            });
            float[] rows = Run(2, flat: false), flatOne = Run(1, flat: true), flatTwo = Run(2, flat: true), masked = Run(2, flat: true, narrow: false);
            string what = $"{name}, {(withResidual ? "residual + " : "")}{f?.ToString() ?? "no activation"}";
            Assert.True(SameBits(rows.AsSpan(), flatTwo), $"{what}: the flat path differs from the row kernel.");
            Assert.True(SameBits(rows.AsSpan(), masked), $"{what}: the flat path's masked loads differ from the row kernel.");
            Assert.True(SameBits(flatOne.AsSpan(), flatTwo), $"{what}: one worker and two give different bits.");
            Assert.Contains(flatTwo, float.IsNaN);
            Assert.Contains(flatTwo, v => v != 0f && !float.IsNaN(v));
        }
    }

    /// <summary>
    /// 3x3 stride-1 rows and the stride-2 copy's rows with 512-bit vectors: the same bits as the 256-bit ones (switched
    /// off) on every undilated 3x3 case, small planes run by rows too (the flat path off), with and without the
    /// epilogue, NaN inputs and infinite weights included, on one worker and two; backward data (a stride-1 forward of
    /// dY, overwriting) too.
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Wide_rows_give_the_256_bit_rows_bits(string name)
    {
        var (g, n) = Cases[name];
        if (g.KernelH != 3 || g.KernelW != 3 || g.DilationH != 1 || !CpuDepthwiseConvolution.Applies(g)) return;
        long count = n * g.OutputSize;
        var rng = new Random(65);
        float[] x = Uniform(rng, n * g.InputSize, -3, 3), w = Uniform(rng, g.WeightSize, -2, 2), bias = Uniform(rng, g.OutChannels), residual = Uniform(rng, count, -4, 4);
        float[] dy = Uniform(rng, count, -3, 3);
        for (long i = 3; i < x.Length; i += 97) x[i] = float.NaN;
        w[^1] = float.PositiveInfinity;
        bool wideDefault = CpuDepthwiseConvolution.WideRows, directDefault = CpuDepthwiseConvolution.DirectRows;
        float[] Run(int threads, bool wide, Activation? f, bool withResidual, bool backward)
        {
            CpuDepthwiseConvolution.WideRows = wide && wideDefault;
            CpuDepthwiseConvolution.FlatPlanes = false;
            CpuDepthwiseConvolution.DirectRows = false;
            try
            {
                using var device = new CpuDevice(threads);
                var (bx, bw, bb, br, bdy) = (Upload(device, x), Upload(device, w), Upload(device, bias), Upload(device, residual), Upload(device, dy));
                if (backward)
                {
                    var dx = Upload(device, Enumerable.Repeat(float.NaN, (int)(n * g.InputSize)).ToArray());
                    device.ConvBackwardData(g, n, bdy, bw, dx, accumulate: false);
                    return dx.ToArray();
                }
                var y = Upload(device, Enumerable.Repeat(float.NaN, (int)count).ToArray());
                device.ConvForward(g, n, bx, bw, bb, y, new ConvEpilogue(withResidual ? br : null, f, -0.5f, 0.25f));
                return y.ToArray();
            }
            finally
            {
                CpuDepthwiseConvolution.WideRows = wideDefault;
                CpuDepthwiseConvolution.DirectRows = directDefault;
                CpuDepthwiseConvolution.FlatPlanes = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;
            }
        }
        foreach (var (f, withResidual, backward) in new (Activation?, bool, bool)[]
                 { (Activation.Relu6, false, false), (null, false, false), (Activation.Relu, false, false), (Activation.HardTanh, true, false), (null, false, true) })
        {
            if (backward && (g.StrideH != 1 || g.StrideW != 1 || !CpuDepthwiseConvolution.AppliesBackwardData(g))) continue;
            float[] narrow = Run(2, false, f, withResidual, backward), wideOne = Run(1, true, f, withResidual, backward), wideTwo = Run(2, true, f, withResidual, backward);
            string what = $"{name}, {(backward ? "backward data" : (withResidual ? "residual + " : "") + (f?.ToString() ?? "no activation"))}";
            Assert.True(SameBits(narrow.AsSpan(), wideTwo), $"{what}: the 512-bit rows differ from the 256-bit rows.");
            Assert.True(SameBits(wideOne.AsSpan(), wideTwo), $"{what}: one worker and two give different bits.");
            Assert.Contains(wideTwo, v => v != 0f && !float.IsNaN(v));
        }
    }

    /// <summary>
    /// 3x3 undilated rows at stride 1 and 2 read in place (strips of 16 columns, masked at the rows' ends, zero rows
    /// for the padding): the same bits as the padded copy's rows (switched off) on every such case, small planes by
    /// rows too (the flat path off), with and without the epilogue, NaN inputs and infinite weights included (0 x inf
    /// in the padding), on one worker and two (at a batch of one: one band of rows per worker).
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Direct_rows_give_the_padded_copys_bits(string name)
    {
        var (g, n) = Cases[name];
        if (g.KernelH != 3 || g.KernelW != 3 || g.DilationH != 1 || g.DilationW != 1 || g.StrideH != g.StrideW || g.StrideW > 2 || !CpuDepthwiseConvolution.Applies(g)) return;
        long count = n * g.OutputSize;
        var rng = new Random(66);
        float[] x = Uniform(rng, n * g.InputSize, -3, 3), w = Uniform(rng, g.WeightSize, -2, 2), bias = Uniform(rng, g.OutChannels), residual = Uniform(rng, count, -4, 4);
        for (long i = 3; i < x.Length; i += 97) x[i] = float.NaN;
        w[^1] = float.PositiveInfinity;
        float[] Run(int threads, bool direct, Activation? f, bool withResidual) => ForwardWithSwitches(threads, g, n, x, w, bias, residual, f, withResidual, () =>
        {
            CpuDepthwiseConvolution.DirectRows = direct && DirectDefault;
            CpuDepthwiseConvolution.FlatPlanes = false;
        });
        foreach (var (f, withResidual) in new (Activation?, bool)[] { (Activation.Relu6, false), (null, false), (Activation.Relu, false), (Activation.HardTanh, true) })
        {
            float[] copied = Run(2, false, f, withResidual), directOne = Run(1, true, f, withResidual), directTwo = Run(2, true, f, withResidual);
            string what = $"{name}, {(withResidual ? "residual + " : "")}{f?.ToString() ?? "no activation"}";
            Assert.True(SameBits(copied.AsSpan(), directTwo), $"{what}: the direct rows differ from the padded copy's rows.");
            Assert.True(SameBits(directOne.AsSpan(), directTwo), $"{what}: one worker and two give different bits.");
            Assert.Contains(directTwo, float.IsNaN);
            Assert.Contains(directTwo, v => v != 0f && !float.IsNaN(v));
        }
    }

    private static readonly bool FlatDefault = CpuDepthwiseConvolution.FlatPlanes, NarrowDefault = CpuDepthwiseConvolution.NarrowRows, DirectDefault = CpuDepthwiseConvolution.DirectRows;

    /// <summary>
    /// The forward with bias and the epilogue (HardTanh's -0.5 and 0.25) on <paramref name="threads"/> workers, the
    /// kernel switches as <paramref name="configure"/> sets them (all three back to their defaults after), into an
    /// output that starts NaN, so every value must be written.
    /// </summary>
    private static float[] ForwardWithSwitches(int threads, in ConvGeometry g, int n, float[] x, float[] w, float[] bias, float[] residual,
        Activation? f, bool withResidual, Action configure)
    {
        configure();
        try
        {
            using var device = new CpuDevice(threads);
            var (bx, bw, bb, br) = (Upload(device, x), Upload(device, w), Upload(device, bias), Upload(device, residual));
            var y = Upload(device, Enumerable.Repeat(float.NaN, (int)(n * g.OutputSize)).ToArray());
            device.ConvForward(g, n, bx, bw, bb, y, new ConvEpilogue(withResidual ? br : null, f, -0.5f, 0.25f));
            return y.ToArray();
        }
        finally
        {
            (CpuDepthwiseConvolution.FlatPlanes, CpuDepthwiseConvolution.NarrowRows, CpuDepthwiseConvolution.DirectRows) = (FlatDefault, NarrowDefault, DirectDefault);
        }
    }

    [Fact]
    public void The_flat_path_takes_small_planes_at_stride_1_and_even_ones_at_stride_2_only()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported || !System.Runtime.Intrinsics.X86.Fma.IsSupported) return;
        Assert.True(CpuDepthwiseConvolution.FlatApplies(Depthwise(960, 7, 7, 3, p: 1)));
        Assert.True(CpuDepthwiseConvolution.FlatApplies(Depthwise(576, 14, 14, 3, p: 1)));
        Assert.True(CpuDepthwiseConvolution.FlatApplies(Cases["3x3 pad 1 on 16x16, the largest plane the flat path takes, batch 2"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Cases["3x3 pad 1 on 17x16, one row past the flat path"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Depthwise(192, 28, 28, 3, p: 1)));
        Assert.True(CpuDepthwiseConvolution.FlatApplies(Depthwise(576, 14, 14, 3, s: 2, p: 1)));
        Assert.True(CpuDepthwiseConvolution.FlatApplies(Depthwise(192, 28, 28, 3, s: 2, p: 1)));
        Assert.True(CpuDepthwiseConvolution.FlatApplies(Cases["3x3 stride 2 pad 1, 2x32 -> 1x16 (rows of two whole vectors)"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Cases["3x3 stride 2 pad 1, 34x34 -> 17x17 (past the flat path)"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Depthwise(144, 56, 56, 3, s: 2, p: 1)));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Cases["3x3 stride 2 pad 1, odd sizes 15x17, batch 3"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Cases["3x3 pad 2 (wider than the kernel's reach), 5x6"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Cases["5x5 pad 2 on 14x14 (EfficientNet)"].G));
        Assert.False(CpuDepthwiseConvolution.FlatApplies(Depthwise(3, 12, 12, 3)));
    }

    private static DeviceBuffer<float> Upload(Device device, float[] data)
    {
        var b = device.Allocate<float>(data.Length);
        b.Upload(data);
        return b;
    }

    [Fact]
    public void The_phase_split_copy_takes_strides_up_to_its_limit_only()
    {
        Assert.True(CpuDepthwiseConvolution.Applies(Depthwise(3, 20, 20, 3, s: 2, p: 1)) || !System.Runtime.Intrinsics.X86.Fma.IsSupported);
        Assert.False(CpuDepthwiseConvolution.Applies(Cases["stride 5 across (the grouped direct kernel runs)"].G));
        Assert.False(CpuDepthwiseConvolution.Applies(Conv(6, 8, 8, 6, 3, 3) with { Groups = 3 }));
        // Backward data runs as a forward at stride 1 and multiplier 1 only.
        Assert.True(CpuDepthwiseConvolution.AppliesBackwardData(Depthwise(3, 20, 20, 3, p: 1)) || !System.Runtime.Intrinsics.X86.Fma.IsSupported);
        Assert.True(CpuDepthwiseConvolution.AppliesBackwardData(Depthwise(3, 5, 6, 3, p: 2)) || !System.Runtime.Intrinsics.X86.Fma.IsSupported);
        Assert.False(CpuDepthwiseConvolution.AppliesBackwardData(Depthwise(3, 20, 20, 3, s: 2, p: 1)));
        Assert.False(CpuDepthwiseConvolution.AppliesBackwardData(Depthwise(3, 20, 20, 3, multiplier: 2, p: 1)));
        // Stride 2 across gathers the even and odd dx columns; a multiplier runs the grouped direct kernel.
        Assert.True(CpuDepthwiseConvolution.AppliesBackwardDataStride2(Cases["MobileNetV2 3x3 stride 2 pad 1, 112x112 -> 56x56 (6 of 96 channels)"].G) || !System.Runtime.Intrinsics.X86.Fma.IsSupported);
        Assert.True(CpuDepthwiseConvolution.AppliesBackwardDataStride2(Cases["5x5 stride 2 pad 2 on 28x29"].G) || !System.Runtime.Intrinsics.X86.Fma.IsSupported);
        Assert.False(CpuDepthwiseConvolution.AppliesBackwardDataStride2(Cases["5x5 stride 2 pad 1, multiplier 2, 17x9"].G));
        Assert.False(CpuDepthwiseConvolution.AppliesBackwardDataStride2(Cases["stride 3 across and 2 down, asymmetric padding"].G));
    }

    /// <summary>The same bits at every position (NaN payloads and the zeros' signs included).</summary>
    private static bool SameBits(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(b));
}

using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Convolution, bias and dense layers: argument checks, then one cached kernel launch (or a few) per op.
public sealed partial class IlgpuDevice
{
    // ---- convolution ----

    private Action<Index1D, ConvGeometry, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>? _convForward;
    private Action<Index1D, ConvGeometry, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _convBackwardData;
    private Action<Index1D, ConvGeometry, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _convBackwardWeights;
    private Action<KernelConfig, GemmShape, ConvForwardOperands>? _gemmConvForward;
    private Action<KernelConfig, GemmShape, ConvBackwardDataOperands>? _gemmConvBackwardData;
    private Action<KernelConfig, GemmShape, ConvBackwardWeightsOperands>? _gemmConvBackwardWeights;
    private Action<KernelConfig, GemmShape, DenseForwardOperands>? _gemmDenseForward;
    private Action<KernelConfig, GemmShape, DenseBackwardDataOperands>? _gemmDenseBackwardData;
    private Action<KernelConfig, GemmShape, DenseBackwardWeightsOperands>? _gemmDenseBackwardWeights;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>>? _sumSlices;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>>? _addBias;
    private Action<KernelConfig, int, int, int, ArrayView<float>, ArrayView<float>>? _biasBackward;

    private static void Check(in ConvGeometry g)
    {
        if (g.InChannels <= 0 || g.OutChannels <= 0 || g.InH <= 0 || g.InW <= 0 || g.OutH <= 0 || g.OutW <= 0 || g.KernelH <= 0 || g.KernelW <= 0
            || g.StrideH <= 0 || g.StrideW <= 0 || g.DilationH <= 0 || g.DilationW <= 0)
            throw new ArgumentException($"Convolution geometry needs positive sizes, strides and dilations; got {g}.", nameof(g));
        g.CheckGroups("Convolution");
    }

    /// <summary>The conv, then a residual add and an activation together in one elementwise kernel (the base runs two).</summary>
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        epilogue.CheckAgainst(y, nameof(ConvForward));
        ConvForward(g, n, x, w, bias, y);
        ApplyEpilogue(n * g.OutputSize, y, epilogue);
    }

    /// <summary>
    /// The transposed conv and its bias, then a residual add and an activation together in one elementwise kernel (the
    /// base runs two); each step the device's own kernel.
    /// </summary>
    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> dx, in ConvEpilogue epilogue)
    {
        epilogue.CheckAgainst(dx, nameof(ConvBackwardData));
        ConvBackwardData(g, n, dy, w, dx, accumulate: false);
        if (bias is not null) AddBias(n, g.InChannels, g.InH * g.InW, bias, dx);
        ApplyEpilogue(n * g.InputSize, dx, epilogue);
    }

    /// <summary>y = f(y + residual): both in one elementwise kernel when the epilogue has both, else the separate ops.</summary>
    private void ApplyEpilogue(long count, DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        if (epilogue.Residual is { } residual && epilogue.Activation is { } f) ResidualActivationForward(f, count, y, residual, epilogue.P0, epilogue.P1);
        else ComposeEpilogue(count, y, epilogue);
    }

    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        Check(g);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vw = V(w, g.WeightSize, nameof(w));
        var vb = Optional(bias, g.OutChannels, nameof(bias));
        var vy = V(y, n * g.OutputSize, nameof(y));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        if (TryBlasConvForward(g, n, vx, vw, vb, bias is not null, vy)) return;
        if (IsDepthwise(g))
        {
            (_convForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ConvGeometry, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(ConvolutionKernels.Forward))
                (threads, g, vx, vw, vb, Flag(bias is not null), vy);
            return;
        }
        Gemm(ref _gemmConvForward, g.OutPerGroup, threads / g.OutChannels, g.InPerGroup * g.KernelH * g.KernelW, g.Groups,
            new ConvForwardOperands(g, new Im2ColDivisors(g), vx, vw, vb, Flag(bias is not null), vy));
    }

    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        Check(g);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vw = V(w, g.WeightSize, nameof(w));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        if (TryBlasConvBackwardData(g, n, vdy, vw, vdx, accumulate)) return;
        if (IsDepthwise(g))
        {
            (_convBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ConvGeometry, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ConvolutionKernels.BackwardData))
                (threads, g, vdy, vw, vdx, Flag(accumulate));
            return;
        }
        // One GEMM per stride phase: each input's gradient comes only from the taps that land on it (a phase no tap
        // reaches is a GEMM with K = 0, which still writes its zeros).
        for (int ry = 0; ry < g.StrideH; ry++)
            for (int rx = 0; rx < g.StrideW; rx++)
            {
                var phase = ConvPhase.Of(g, ry, rx);
                if (phase.CountY == 0 || phase.CountX == 0) continue;
                Gemm(ref _gemmConvBackwardData, g.InPerGroup, n * phase.CountY * phase.CountX, g.OutPerGroup * phase.TapsY * phase.TapsX, g.Groups,
                    new ConvBackwardDataOperands(g, phase, new PhaseDivisors(phase), vdy, vw, vdx, Flag(accumulate)));
            }
    }

    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Check(g);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vdw = V(dw, g.WeightSize, nameof(dw));
        int positions = Threads((long)n * g.OutH * g.OutW, nameof(n));
        if (positions > 0 && !TryBlasConvBackwardWeights(g, n, vx, vdy, vdw))
        {
            if (IsDepthwise(g))
                (_convBackwardWeights ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ConvGeometry, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.BackwardWeights))
                    (Threads(g.WeightSize, nameof(g)), g, n, vx, vdy, vdw);
            else
                ConvBackwardWeightsGemm(g, positions, vx, vdy, vdw);
        }
        if (dbias is not null) BiasBackward(n, g.OutChannels, g.OutH * g.OutW, dy, dbias);
    }

    /// <summary>
    /// The weight gradient's GEMM: M x N = the weights of a group, K = every output position. Where that leaves fewer
    /// groups than <see cref="GemmTiling.SplitKGroups"/>, the positions split into slices (at least 4 steps deep each)
    /// whose partial sums a second kernel adds in slice order.
    /// </summary>
    private void ConvBackwardWeightsGemm(in ConvGeometry g, int positions, ArrayView<float> vx, ArrayView<float> vdy, ArrayView<float> vdw)
    {
        var tiling = Tiling;
        int m = g.OutPerGroup, weights = g.InPerGroup * g.KernelH * g.KernelW;
        long groups = (long)((m + tiling.RowsPerGroup - 1) / tiling.RowsPerGroup) * ((weights + tiling.ColumnsPerGroup - 1) / tiling.ColumnsPerGroup) * g.Groups;
        long wanted = groups >= tiling.SplitKGroups ? 1 : (tiling.SplitKGroups + groups - 1) / groups;
        int splits = (int)Math.Max(1, Math.Min(Math.Min(wanted, (positions + 4L * tiling.Depth - 1) / (4L * tiling.Depth)), ushort.MaxValue / g.Groups));
        int chunk = (positions + splits - 1) / splits;
        splits = (positions + chunk - 1) / chunk;
        ArrayView<float> partial = splits == 1 ? _unused.View : Scratch((long)splits * g.WeightSize);
        Gemm(ref _gemmConvBackwardWeights, m, weights, chunk, g.Groups * splits, new ConvBackwardWeightsOperands(g, new Im2ColDivisors(g), vx, vdy, vdw, positions, splits, chunk, partial));
        if (splits > 1)
            (_sumSlices ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.SumSlices))
                (Threads(g.WeightSize, nameof(g)), m * weights, splits, partial, vdw);
    }

    /// <summary>One input channel per group (depthwise, any channel multiplier): the direct kernels, since a GEMM's k would be just the taps.</summary>
    private static bool IsDepthwise(in ConvGeometry g) => g.Groups > 1 && g.InPerGroup == 1;

    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y)
    {
        long count = (long)n * channels * inner;
        var vb = V(bias, channels, nameof(bias));
        var vy = V(y, count, nameof(y));
        LaunchAddBias(count, channels, inner, vb, vy);
    }

    private void LaunchAddBias(long count, int channels, int inner, ArrayView<float> bias, ArrayView<float> y)
    {
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_addBias ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.AddBias))(threads, channels, inner, bias, y);
    }

    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias)
    {
        var vdy = V(dy, (long)n * channels * inner, nameof(dy));
        var vdb = V(dbias, channels, nameof(dbias));
        if (channels == 0) return;
        (_biasBackward ??= _accelerator.LoadStreamKernel<int, int, int, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.BiasBackward))(ReduceLaunch(channels), n, channels, inner, vdy, vdb);
    }

    // ---- dense ----

    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        var vx = V(x, (long)rows * inFeatures, nameof(x));
        var vw = V(w, (long)outFeatures * inFeatures, nameof(w));
        var vb = Optional(bias, outFeatures, nameof(bias));
        var vy = V(y, (long)rows * outFeatures, nameof(y));
        if (Threads((long)rows * outFeatures, nameof(rows)) == 0) return;
        Threads((long)rows * inFeatures, nameof(rows));
        if (TryBlasDenseForward(rows, inFeatures, outFeatures, vx, vw, vb, bias is not null, vy)) return;
        Gemm(ref _gemmDenseForward, rows, outFeatures, inFeatures, 1, new DenseForwardOperands(inFeatures, outFeatures, vx, vw, vb, Flag(bias is not null), vy));
    }

    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        var vdy = V(dy, (long)rows * outFeatures, nameof(dy));
        var vw = V(w, (long)outFeatures * inFeatures, nameof(w));
        var vdx = V(dx, (long)rows * inFeatures, nameof(dx));
        if (Threads((long)rows * inFeatures, nameof(rows)) == 0) return;
        Threads((long)rows * outFeatures, nameof(rows));
        if (TryBlasDenseBackwardData(rows, inFeatures, outFeatures, vdy, vw, vdx, accumulate)) return;
        Gemm(ref _gemmDenseBackwardData, rows, inFeatures, outFeatures, 1, new DenseBackwardDataOperands(inFeatures, outFeatures, vdy, vw, vdx, Flag(accumulate)));
    }

    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        var vx = V(x, (long)rows * inFeatures, nameof(x));
        var vdy = V(dy, (long)rows * outFeatures, nameof(dy));
        var vdw = V(dw, (long)outFeatures * inFeatures, nameof(dw));
        if (Threads((long)outFeatures * inFeatures, nameof(outFeatures)) > 0 && Threads((long)rows * Math.Max(inFeatures, outFeatures), nameof(rows)) > 0
            && !TryBlasDenseBackwardWeights(rows, inFeatures, outFeatures, vx, vdy, vdw))
            Gemm(ref _gemmDenseBackwardWeights, outFeatures, inFeatures, rows, 1, new DenseBackwardWeightsOperands(inFeatures, outFeatures, vx, vdy, vdw));
        // Dense rows are [rows, out], which is [n = rows, channels = out, inner = 1] for the bias reduction.
        if (dbias is not null) BiasBackward(rows, outFeatures, 1, dy, dbias);
    }
}

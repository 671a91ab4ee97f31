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
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>>? _addBias;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>>? _biasBackward;

    private static void Check(in ConvGeometry g)
    {
        if (g.InChannels <= 0 || g.OutChannels <= 0 || g.InH <= 0 || g.InW <= 0 || g.OutH <= 0 || g.OutW <= 0 || g.KernelH <= 0 || g.KernelW <= 0
            || g.StrideH <= 0 || g.StrideW <= 0 || g.DilationH <= 0 || g.DilationW <= 0)
            throw new ArgumentException($"Convolution geometry needs positive sizes, strides and dilations; got {g}.", nameof(g));
        g.CheckGroups("Convolution");
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
        (_convForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ConvGeometry, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(ConvolutionKernels.Forward))
            (threads, g, vx, vw, vb, Flag(bias is not null), vy);
    }

    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        Check(g);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vw = V(w, g.WeightSize, nameof(w));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        (_convBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ConvGeometry, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ConvolutionKernels.BackwardData))
            (threads, g, vdy, vw, vdx, Flag(accumulate));
    }

    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Check(g);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vdw = V(dw, g.WeightSize, nameof(dw));
        (_convBackwardWeights ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ConvGeometry, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.BackwardWeights))
            (Threads(g.WeightSize, nameof(g)), g, n, vx, vdy, vdw);
        if (dbias is not null) BiasBackward(n, g.OutChannels, g.OutH * g.OutW, dy, dbias);
    }

    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y)
    {
        long count = (long)n * channels * inner;
        var vb = V(bias, channels, nameof(bias));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(n));
        if (threads == 0) return;
        (_addBias ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.AddBias))(threads, channels, inner, vb, vy);
    }

    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias)
    {
        var vdy = V(dy, (long)n * channels * inner, nameof(dy));
        var vdb = V(dbias, channels, nameof(dbias));
        if (channels == 0) return;
        (_biasBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.BiasBackward))(channels, n, channels, inner, vdy, vdb);
    }

    // ---- dense ----

    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>? _denseForward;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _denseBackwardData;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _denseBackwardWeights;

    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        var vx = V(x, (long)rows * inFeatures, nameof(x));
        var vw = V(w, (long)outFeatures * inFeatures, nameof(w));
        var vb = Optional(bias, outFeatures, nameof(bias));
        var vy = V(y, (long)rows * outFeatures, nameof(y));
        int threads = Threads((long)rows * outFeatures, nameof(rows));
        if (threads == 0) return;
        (_denseForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>(DenseKernels.Forward))
            (threads, inFeatures, outFeatures, vx, vw, vb, Flag(bias is not null), vy);
    }

    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        var vdy = V(dy, (long)rows * outFeatures, nameof(dy));
        var vw = V(w, (long)outFeatures * inFeatures, nameof(w));
        var vdx = V(dx, (long)rows * inFeatures, nameof(dx));
        int threads = Threads((long)rows * inFeatures, nameof(rows));
        if (threads == 0) return;
        (_denseBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DenseKernels.BackwardData))
            (threads, inFeatures, outFeatures, vdy, vw, vdx, Flag(accumulate));
    }

    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        var vx = V(x, (long)rows * inFeatures, nameof(x));
        var vdy = V(dy, (long)rows * outFeatures, nameof(dy));
        var vdw = V(dw, (long)outFeatures * inFeatures, nameof(dw));
        int threads = Threads((long)outFeatures * inFeatures, nameof(outFeatures));
        if (threads > 0)
            (_denseBackwardWeights ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DenseKernels.BackwardWeights))
                (threads, rows, inFeatures, outFeatures, vx, vdy, vdw);
        // Dense rows are [rows, out], which is [n = rows, channels = out, inner = 1] for the bias reduction.
        if (dbias is not null) BiasBackward(rows, outFeatures, 1, dy, dbias);
    }
}

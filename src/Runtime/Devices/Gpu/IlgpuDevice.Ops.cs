using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// The ops: argument checks, then one cached kernel launch (or a few) per op. Kernels load on first use, once per device.
public sealed partial class IlgpuDevice
{
    private static int Flag(bool value) => value ? 1 : 0;

    // ---- memory ----

    private Action<Index1D, ArrayView<float>, float>? _fill;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? _copy;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _add;
    private Action<Index1D, BoxCopy, ArrayView<float>, ArrayView<float>, int>? _copyBox;
    private Action<Index1D, PermuteGeometry, ArrayView<float>, ArrayView<float>, int>? _permute;

    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value)
    {
        var whole = V(buffer, 0, nameof(buffer));
        // Checked before SubView: ILGPU asserts on a bad sub-view, which ends the process instead of throwing.
        CheckSpan(buffer, offset, count, nameof(buffer));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        var view = whole.SubView(offset, count);
        (_fill ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(MemoryKernels.Fill))(threads, view, value);
    }

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        var wholeSrc = V(src, 0, nameof(src));
        var wholeDst = V(dst, 0, nameof(dst));
        CheckSpan(src, srcOffset, count, nameof(src));
        CheckSpan(dst, dstOffset, count, nameof(dst));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        var s = wholeSrc.SubView(srcOffset, count);
        var d = wholeDst.SubView(dstOffset, count);
        var copy = _copy ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(MemoryKernels.Copy);
        if (ReferenceEquals(src, dst) && srcOffset < dstOffset + count && dstOffset < srcOffset + count)
        {
            // Overlapping ranges of one buffer: threads would read values others already wrote, so stage the source.
            var staged = Scratch(count).SubView(0, count);
            copy(threads, s, staged, 0);
            s = staged;
        }
        copy(threads, s, d, Flag(accumulate));
    }

    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        var va = V(a, count, nameof(a));
        var vb = V(b, count, nameof(b));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_add ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(MemoryKernels.Add))(threads, va, vb, vy);
    }

    public override void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        if (box.SrcC0 < 0 || box.SrcY0 < 0 || box.SrcX0 < 0 || box.SrcC0 + box.BoxChannels > box.SrcChannels || box.SrcY0 + box.BoxH > box.SrcH || box.SrcX0 + box.BoxW > box.SrcW
            || box.DstC0 < 0 || box.DstY0 < 0 || box.DstX0 < 0 || box.DstC0 + box.BoxChannels > box.DstChannels || box.DstY0 + box.BoxH > box.DstH || box.DstX0 + box.BoxW > box.DstW)
            throw new ArgumentException($"The box {box} does not fit inside both tensors.", nameof(box));
        var s = V(src, (long)n * box.SrcChannels * box.SrcH * box.SrcW, nameof(src));
        var d = V(dst, (long)n * box.DstChannels * box.DstH * box.DstW, nameof(dst));
        int threads = Threads((long)n * box.BoxChannels * box.BoxH * box.BoxW, "box");
        if (threads == 0) return;
        (_copyBox ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, BoxCopy, ArrayView<float>, ArrayView<float>, int>(MemoryKernels.CopyBox))(threads, box, s, d, Flag(accumulate));
    }

    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate)
    {
        Span<bool> seen = stackalloc bool[4];
        foreach (int p in stackalloc[] { g.P0, g.P1, g.P2, g.P3 })
        {
            if (p < 0 || p > 3 || seen[p]) throw new ArgumentException($"{g} is not a permutation of the axes 0..3.", nameof(g));
            seen[p] = true;
        }
        var vx = V(x, n * g.Size, nameof(x));
        var vy = V(y, n * g.Size, nameof(y));
        int threads = Threads(n * g.Size, nameof(n));
        if (threads == 0) return;
        (_permute ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PermuteGeometry, ArrayView<float>, ArrayView<float>, int>(MemoryKernels.Permute))(threads, g, vx, vy, Flag(accumulate));
    }

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

    // ---- pooling ----

    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>? _maxPool;
    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>? _scatterToSwitches;
    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>? _gatherAtSwitches;
    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<float>>? _avgPool;
    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<float>, int>? _avgPoolBackward;
    private MemoryBuffer1D<int, Stride1D.Dense>? _unusedSwitches;

    private static void Check(in PoolGeometry g)
    {
        if (g.Channels <= 0 || g.InH <= 0 || g.InW <= 0 || g.OutH <= 0 || g.OutW <= 0 || g.KernelH <= 0 || g.KernelW <= 0
            || g.StrideH <= 0 || g.StrideW <= 0 || g.DilationH <= 0 || g.DilationW <= 0)
            throw new ArgumentException($"Pooling geometry needs positive sizes, strides and dilations; got {g}.", nameof(g));
    }

    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> ScatterToSwitches =>
        _scatterToSwitches ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(PoolingKernels.ScatterToSwitches);

    private Action<Index1D, PoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> GatherAtSwitches =>
        _gatherAtSwitches ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(PoolingKernels.GatherAtSwitches);

    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches)
    {
        Check(g);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vy = V(y, n * g.OutputSize, nameof(y));
        ArrayView<int> vs = switches is null ? (_unusedSwitches ??= _accelerator.Allocate1D<int>(1)).View : V(switches, n * g.OutputSize, nameof(switches));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        (_maxPool ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PoolGeometry, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(PoolingKernels.MaxForward))
            (threads, g, vx, vy, vs, Flag(switches is not null));
    }

    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        Check(g);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vs = V(switches, n * g.OutputSize, nameof(switches));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        ScatterToSwitches(threads, g, vdy, vs, vdx, Flag(accumulate));
    }

    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        Check(g);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vy = V(y, n * g.OutputSize, nameof(y));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        (_avgPool ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PoolGeometry, ArrayView<float>, ArrayView<float>>(PoolingKernels.AvgForward))(threads, g, vx, vy);
    }

    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        Check(g);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        (_avgPoolBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, PoolGeometry, ArrayView<float>, ArrayView<float>, int>(PoolingKernels.AvgBackward))
            (threads, g, vdy, vdx, Flag(accumulate));
    }

    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y)
    {
        Check(g);
        var vx = V(x, n * g.OutputSize, nameof(x));
        var vs = V(switches, n * g.OutputSize, nameof(switches));
        var vy = V(y, n * g.InputSize, nameof(y));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        ScatterToSwitches(threads, g, vx, vs, vy, 0);
    }

    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        Check(g);
        var vdy = V(dy, n * g.InputSize, nameof(dy));
        var vs = V(switches, n * g.OutputSize, nameof(switches));
        var vdx = V(dx, n * g.OutputSize, nameof(dx));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        GatherAtSwitches(threads, g, vdy, vs, vdx, Flag(accumulate));
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

    // ---- elementwise ----

    private Action<Index1D, float, ulong, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _dropout;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _multiply;

    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        if (!(rate >= 0f && rate <= 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1].");
        var vx = V(x, count, nameof(x));
        var vm = V(mask, count, nameof(mask));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_dropout ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, float, ulong, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Dropout))
            (threads, rate, seed, vx, vm, vy);
    }

    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        var va = V(a, count, nameof(a));
        var vb = V(b, count, nameof(b));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_multiply ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Multiply))
            (threads, va, vb, vy, Flag(accumulate));
    }

    // ---- softmax ----

    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>>? _softmaxForward;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _softmaxBackward;

    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        long count = (long)n * channels * inner;
        var vx = V(x, count, nameof(x));
        var vy = V(y, count, nameof(y));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || channels == 0) return;
        (_softmaxForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>>(SoftmaxKernels.Forward))
            (threads, Flag(log), channels, inner, vx, vy);
    }

    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        long count = (long)n * channels * inner;
        var vy = V(y, count, nameof(y));
        var vdy = V(dy, count, nameof(dy));
        var vdx = V(dx, count, nameof(dx));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || channels == 0) return;
        (_softmaxBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Backward))
            (threads, Flag(log), channels, inner, vy, vdy, vdx, Flag(accumulate));
    }
}

using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Losses: per-position terms and the gradient on the device, block-reduced partial sums, and one read of them by the
// host for the loss value the op returns (the op's only wait for the device).
public sealed partial class IlgpuDevice
{
    // ---- losses ----

    private Action<Index1D, int, int, float, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _sceTerms;
    private Action<Index1D, int, int, float, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>? _sceGradient;
    private Action<KernelConfig, int, float, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _sceRowTerms;
    private Action<KernelConfig, int, float, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>? _sceRowGradient;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _nllTerms;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>? _nllGradient;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>? _squaredError;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>? _bceTerms;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float, float, ArrayView<float>, ArrayView<float>>? _smoothL1Terms;
    private Action<KernelConfig, int, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _diceSums;
    private Action<Index1D, int, int, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _diceGradient;

    /// <summary>Mean of the per-position terms over the valid positions, the gradient scale 1 / valid count, and how many labels were out of range.</summary>
    private (float Mean, float Scale, double Bad) MeanOverValid(long positions, Action<ArrayView<float>, ArrayView<float>, ArrayView<float>> writeTerms)
    {
        long slots = PartialSlots(3, positions);
        var scratch = Scratch(3 * positions + slots);
        var terms = scratch.SubView(0, 3 * positions);
        writeTerms(terms.SubView(0, positions), terms.SubView(positions, positions), terms.SubView(2 * positions, positions));
        Span<double> sums = stackalloc double[3];
        SumsOnHost(terms, 3, positions, square: false, scratch.SubView(3 * positions, slots), sums);
        double total = sums[0], count = sums[1], badCount = sums[2];
        return count == 0 ? (0f, 0f, badCount) : ((float)(total / count), (float)(1.0 / count), badCount);
    }

    /// <summary>The mean of <paramref name="count"/> per-value terms in scratch that <paramref name="writeTerms"/> fills.</summary>
    private float MeanOf(long count, Action<ArrayView<float>> writeTerms)
    {
        long slots = PartialSlots(1, count);
        var scratch = Scratch(count + slots);
        var terms = scratch.SubView(0, count);
        writeTerms(terms);
        Span<double> sum = stackalloc double[1];
        SumsOnHost(terms, 1, count, square: false, scratch.SubView(count, slots), sum);
        return (float)(sum[0] / count);
    }

    /// <summary>Names the first label outside [0, classes) (other than the ignored -1); reads labels back only on this error path.</summary>
    private static void ThrowOnBadLabels(DeviceBuffer<int> labels, int classes, double bad)
    {
        if (bad == 0) return;
        int[] host = labels.ToArray();
        int i = Array.FindIndex(host, l => l < -1 || l >= classes);
        throw new ArgumentOutOfRangeException(nameof(labels), host[i], $"Label at {i} must be in [0, {classes}) or -1 (ignored).");
    }

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits) =>
        SmoothedCrossEntropy(n, classes, inner, logits, labels, 0f, dlogits);

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, float smoothing, DeviceBuffer<float> dlogits)
    {
        if (!(smoothing >= 0 && smoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing must be in [0, 1].");
        return SmoothedCrossEntropy(n, classes, inner, logits, labels, smoothing, dlogits);
    }

    private float SmoothedCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, float smoothing, DeviceBuffer<float> dlogits)
    {
        long count = (long)n * classes * inner;
        var vl = V(logits, count, nameof(logits));
        var vlab = V(labels, (long)n * inner, nameof(labels));
        var vd = V(dlogits, count, nameof(dlogits));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || classes == 0) return 0f;
        if (inner == 1)
        {
            // Rows of logits: one group per row, the classes split across its threads.
            var rowTerms = _sceRowTerms ??= _accelerator.LoadStreamKernel<int, float, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LossKernels.RowCrossEntropyTerms);
            var (rowMean, rowScale, rowBad) = MeanOverValid(threads, (loss, valid, bad) => rowTerms(ReduceLaunch(n), classes, smoothing, vl, vlab, loss, valid, bad));
            ThrowOnBadLabels(labels, classes, rowBad);
            (_sceRowGradient ??= _accelerator.LoadStreamKernel<int, float, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>(LossKernels.RowCrossEntropyGradient))
                (ReduceLaunch(n), classes, smoothing, vl, vlab, rowScale, vd);
            return rowMean;
        }
        var terms = _sceTerms ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, float, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LossKernels.SoftmaxCrossEntropyTerms);
        var (mean, scale, badLabels) = MeanOverValid(threads, (loss, valid, bad) => terms(threads, classes, inner, smoothing, vl, vlab, loss, valid, bad));
        ThrowOnBadLabels(labels, classes, badLabels);
        (_sceGradient ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, float, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>(LossKernels.SoftmaxCrossEntropyGradient))
            (threads, classes, inner, smoothing, vl, vlab, scale, vd);
        return mean;
    }

    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities)
    {
        long count = (long)n * classes * inner;
        var vp = V(probabilities, count, nameof(probabilities));
        var vlab = V(labels, (long)n * inner, nameof(labels));
        var vd = V(dprobabilities, count, nameof(dprobabilities));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || classes == 0) return 0f;
        var terms = _nllTerms ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LossKernels.NllTerms);
        var (mean, scale, badLabels) = MeanOverValid(threads, (loss, valid, bad) => terms(threads, classes, inner, vp, vlab, loss, valid, bad));
        ThrowOnBadLabels(labels, classes, badLabels);
        (_nllGradient ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>(LossKernels.NllGradient))
            (threads, classes, inner, vp, vlab, scale, vd);
        return mean;
    }

    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        var vp = V(prediction, count, nameof(prediction));
        var vt = V(target, count, nameof(target));
        var vd = V(dprediction, count, nameof(dprediction));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return 0f;
        var kernel = _squaredError ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>(LossKernels.SquaredError);
        return MeanOf(count, squared => kernel(threads, vp, vt, (float)(2.0 / count), squared, vd));
    }

    public override float BinaryCrossEntropyWithLogits(long count, DeviceBuffer<float> logits, DeviceBuffer<float> targets, DeviceBuffer<float> dlogits)
    {
        var vx = V(logits, count, nameof(logits));
        var vt = V(targets, count, nameof(targets));
        var vd = V(dlogits, count, nameof(dlogits));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return 0f;
        var kernel = _bceTerms ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>(LossKernels.BinaryCrossEntropyTerms);
        return MeanOf(count, loss => kernel(threads, vx, vt, count, loss, vd));
    }

    public override float SmoothL1Loss(long count, float beta, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        if (!(beta >= 0) || float.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be finite and not negative.");
        var vp = V(prediction, count, nameof(prediction));
        var vt = V(target, count, nameof(target));
        var vd = V(dprediction, count, nameof(dprediction));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return 0f;
        var kernel = _smoothL1Terms ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, float, ArrayView<float>, ArrayView<float>>(LossKernels.SmoothL1Terms);
        return MeanOf(count, loss => kernel(threads, vp, vt, beta, count, loss, vd));
    }

    public override float DiceLoss(int n, long itemSize, float smooth, DeviceBuffer<float> probabilities, DeviceBuffer<float> targets, DeviceBuffer<float> dprobabilities)
    {
        if (!(smooth >= 0) || float.IsInfinity(smooth)) throw new ArgumentOutOfRangeException(nameof(smooth), smooth, "The smoothing term must be finite and not negative.");
        if (n < 0 || itemSize < 0) throw new ArgumentOutOfRangeException(nameof(n), $"DiceLoss needs a batch and item size of 0 or more; got {n} x {itemSize}.");
        long count = n * itemSize;
        var vp = V(probabilities, count, nameof(probabilities));
        var vt = V(targets, count, nameof(targets));
        var vd = V(dprobabilities, count, nameof(dprobabilities));
        int threads = Threads(count, nameof(itemSize));
        if (n == 0) return 0f;
        long slots = PartialSlots(1, n);
        var scratch = Scratch(3L * n + slots);
        var perItem = scratch.SubView(0, 2L * n);
        var loss = scratch.SubView(2L * n, n);
        (_diceSums ??= _accelerator.LoadStreamKernel<int, float, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LossKernels.DiceSums))
            (ReduceLaunch(n), (int)itemSize, smooth, vp, vt, perItem, loss);
        if (threads > 0)
            (_diceGradient ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LossKernels.DiceGradient))
                (threads, (int)itemSize, n, smooth, vt, perItem, vd);
        Span<double> total = stackalloc double[1];
        SumsOnHost(loss, 1, n, square: false, scratch.SubView(3L * n, slots), total);
        return (float)(total[0] / n);
    }
}

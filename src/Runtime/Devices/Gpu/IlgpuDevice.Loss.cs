using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Losses: per-position terms, then a device-side sum (host reads wait for the kernels).
public sealed partial class IlgpuDevice
{
    // ---- losses ----

    private Action<Index1D, ArrayView<float>, int, int, ArrayView<float>>? _partials;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _sceTerms;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>? _sceGradient;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _nllTerms;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>? _nllGradient;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>? _squaredError;

    /// <summary>
    /// Sums <paramref name="values"/> deterministically: <see cref="LossKernels.PartialCount"/> fixed chunks on the device,
    /// then the partials in order on the host (in double). Waits for the device.
    /// </summary>
    private double Sum(ArrayView<float> values, ArrayView<float> partials)
    {
        int length = (int)values.Length;
        int chunk = (length + LossKernels.PartialCount - 1) / LossKernels.PartialCount;
        (_partials ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, int, ArrayView<float>>(LossKernels.Partials))
            (LossKernels.PartialCount, values, length, chunk, partials);
        Span<float> host = stackalloc float[LossKernels.PartialCount];
        partials.SubView(0, LossKernels.PartialCount).CopyToCPU(host);
        double sum = 0;
        foreach (float p in host) sum += p;
        return sum;
    }

    /// <summary>Mean of the per-position terms over the valid positions, the gradient scale 1 / valid count, and how many labels were out of range.</summary>
    private (float Mean, float Scale, double Bad) MeanOverValid(long positions, Action<ArrayView<float>, ArrayView<float>, ArrayView<float>> writeTerms)
    {
        var scratch = Scratch(3 * positions + LossKernels.PartialCount);
        var loss = scratch.SubView(0, positions);
        var valid = scratch.SubView(positions, positions);
        var bad = scratch.SubView(2 * positions, positions);
        var partials = scratch.SubView(3 * positions, LossKernels.PartialCount);
        writeTerms(loss, valid, bad);
        double total = Sum(loss, partials);
        double count = Sum(valid, partials);
        double badCount = Sum(bad, partials);
        return count == 0 ? (0f, 0f, badCount) : ((float)(total / count), (float)(1.0 / count), badCount);
    }

    /// <summary>Names the first label outside [0, classes) (other than the ignored -1); reads labels back only on this error path.</summary>
    private static void ThrowOnBadLabels(DeviceBuffer<int> labels, int classes, double bad)
    {
        if (bad == 0) return;
        int[] host = labels.ToArray();
        int i = Array.FindIndex(host, l => l < -1 || l >= classes);
        throw new ArgumentOutOfRangeException(nameof(labels), host[i], $"Label at {i} must be in [0, {classes}) or -1 (ignored).");
    }

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits)
    {
        long count = (long)n * classes * inner;
        var vl = V(logits, count, nameof(logits));
        var vlab = V(labels, (long)n * inner, nameof(labels));
        var vd = V(dlogits, count, nameof(dlogits));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || classes == 0) return 0f;
        var terms = _sceTerms ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(LossKernels.SoftmaxCrossEntropyTerms);
        var (mean, scale, badLabels) = MeanOverValid(threads, (loss, valid, bad) => terms(threads, classes, inner, vl, vlab, loss, valid, bad));
        ThrowOnBadLabels(labels, classes, badLabels);
        (_sceGradient ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<int>, float, ArrayView<float>>(LossKernels.SoftmaxCrossEntropyGradient))
            (threads, classes, inner, vl, vlab, scale, vd);
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
        var scratch = Scratch(count + LossKernels.PartialCount);
        var squared = scratch.SubView(0, count);
        (_squaredError ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>>(LossKernels.SquaredError))
            (threads, vp, vt, (float)(2.0 / count), squared, vd);
        return (float)(Sum(squared, scratch.SubView(count, LossKernels.PartialCount)) / count);
    }
}

using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Batch normalisation, losses and optimizers: the ops with per-channel or whole-buffer reductions.
public sealed partial class IlgpuDevice
{
    // ---- batch normalisation ----

    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>? _bnStatistics;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _bnNormalize;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>? _bnInference;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _bnBackwardStatistics;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _bnBackwardData;

    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        long count = (long)n * channels * inner;
        var vx = V(x, count, nameof(x));
        var vg = V(gamma, channels, nameof(gamma));
        var vb = V(beta, channels, nameof(beta));
        var vrm = V(runningMean, channels, nameof(runningMean));
        var vrv = V(runningVar, channels, nameof(runningVar));
        var vy = V(y, count, nameof(y));
        var vm = V(savedMean, channels, nameof(savedMean));
        var vs = V(savedInvStd, channels, nameof(savedInvStd));
        int threads = Threads(count, nameof(n));
        if (threads == 0) return;
        (_bnStatistics ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>(BatchNormKernels.Statistics))
            (channels, n, channels, inner, vx, vrm, vrv, vm, vs, momentum, epsilon);
        (_bnNormalize ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.Normalize))
            (threads, channels, inner, vx, vm, vs, vg, vb, vy);
    }

    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y)
    {
        long count = (long)n * channels * inner;
        var vx = V(x, count, nameof(x));
        var vg = V(gamma, channels, nameof(gamma));
        var vb = V(beta, channels, nameof(beta));
        var vrm = V(runningMean, channels, nameof(runningMean));
        var vrv = V(runningVar, channels, nameof(runningVar));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(n));
        if (threads == 0) return;
        (_bnInference ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>(BatchNormKernels.Inference))
            (threads, channels, inner, vx, vrm, vrv, vg, vb, epsilon, vy);
    }

    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        long count = (long)n * channels * inner;
        var vx = V(x, count, nameof(x));
        var vdy = V(dy, count, nameof(dy));
        var vg = V(gamma, channels, nameof(gamma));
        var vm = V(savedMean, channels, nameof(savedMean));
        var vs = V(savedInvStd, channels, nameof(savedInvStd));
        var vdx = V(dx, count, nameof(dx));
        var vdg = V(dgamma, channels, nameof(dgamma));
        var vdb = V(dbeta, channels, nameof(dbeta));
        int threads = Threads(count, nameof(n));
        if (threads == 0) return;
        var sums = Scratch(2L * channels).SubView(0, 2L * channels);
        (_bnBackwardStatistics ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.BackwardStatistics))
            (channels, n, channels, inner, vx, vdy, vm, vs, vdg, vdb, sums);
        (_bnBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BatchNormKernels.BackwardData))
            (threads, n, channels, inner, vx, vdy, vg, vm, vs, sums, vdx, Flag(accumulate));
    }

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

    // ---- optimizers ----

    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float>? _sgd;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamScalars>? _adam;

    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay)
    {
        var vp = V(parameter, count, nameof(parameter));
        var vg = V(gradient, count, nameof(gradient));
        var vv = V(velocity, count, nameof(velocity));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_sgd ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float>(OptimizerKernels.Sgd))
            (threads, vp, vg, vv, learningRate, momentum, weightDecay);
    }

    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "Adam's step counts from 1.");
        var vp = V(parameter, count, nameof(parameter));
        var vg = V(gradient, count, nameof(gradient));
        var vm = V(m, count, nameof(m));
        var vv = V(v, count, nameof(v));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        var scalars = new AdamScalars(learningRate, beta1, beta2, epsilon, weightDecay,
            (float)(1 - Math.Pow(beta1, step)), (float)(1 - Math.Pow(beta2, step)));
        (_adam ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamScalars>(OptimizerKernels.Adam))
            (threads, vp, vg, vm, vv, scalars);
    }
}

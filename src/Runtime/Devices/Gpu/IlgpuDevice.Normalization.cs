using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Batch normalisation: per-channel block reductions and elementwise passes, the fused BatchNorm -> Relu [-> Dropout]
// through the same kernels, and the fold into the convolution before it, all on the device.
public sealed partial class IlgpuDevice
{
    // ---- batch normalisation ----

    private Action<KernelConfig, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>? _bnStatistics;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, ulong, ArrayView<float>>? _bnNormalize;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>? _bnInference;
    private Action<KernelConfig, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _bnBackwardStatistics;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _bnBackwardData;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>? _foldWeights;
    private Action<Index1D, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>? _foldBias;

    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) =>
        BatchNormTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, relu: false, null, 0f, 0, y, savedMean, savedInvStd);

    /// <summary>One statistics launch and one normalise launch that also applies Relu and the dropout mask: y is written once.</summary>
    public override void BatchNormReluForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        if (mask is not null && !(dropoutRate >= 0f && dropoutRate <= 1f))
            throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "The dropout rate must be in [0, 1].");
        BatchNormTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, relu: true, mask, dropoutRate, dropoutSeed, y, savedMean, savedInvStd);
    }

    private void BatchNormTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon, bool relu, DeviceBuffer<float>? mask, float rate, ulong seed,
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
        var vmask = Optional(mask, count, nameof(mask));
        int threads = Threads(count, nameof(n));
        if (threads == 0) return;
        (_bnStatistics ??= _accelerator.LoadStreamKernel<int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>(BatchNormKernels.Statistics))
            (ReduceLaunch(channels), n, channels, inner, vx, vrm, vrv, vm, vs, momentum, epsilon);
        (_bnNormalize ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, ulong, ArrayView<float>>(BatchNormKernels.Normalize))
            (threads, channels, inner, vx, vm, vs, vg, vb, vy, Flag(relu), Flag(mask is not null), rate, seed, vmask);
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
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate) =>
        BatchNormBackward(n, channels, inner, x, null, dy, null, 0, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);

    /// <summary>The norm's two backward passes read dy through the mask and Relu themselves, so <paramref name="scratch"/> is left alone.</summary>
    public override void BatchNormReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy,
        DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd,
        DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate, DeviceBuffer<float> scratch) =>
        BatchNormBackward(n, channels, inner, x, y, dy, mask, BatchNormKernels.ReluOnY | (mask is null ? 0 : BatchNormKernels.Masked),
            gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);

    private void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float>? y, DeviceBuffer<float> dy, DeviceBuffer<float>? mask, int fused,
        DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        long count = (long)n * channels * inner;
        var vx = V(x, count, nameof(x));
        var vy = Optional(y, count, nameof(y));
        var vdy = V(dy, count, nameof(dy));
        var vmask = Optional(mask, count, nameof(mask));
        var vg = V(gamma, channels, nameof(gamma));
        var vm = V(savedMean, channels, nameof(savedMean));
        var vs = V(savedInvStd, channels, nameof(savedInvStd));
        var vdx = V(dx, count, nameof(dx));
        var vdg = V(dgamma, channels, nameof(dgamma));
        var vdb = V(dbeta, channels, nameof(dbeta));
        int threads = Threads(count, nameof(n));
        if (threads == 0) return;
        var sums = Scratch(2L * channels).SubView(0, 2L * channels);
        (_bnBackwardStatistics ??= _accelerator.LoadStreamKernel<int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.BackwardStatistics))
            (ReduceLaunch(channels), n, channels, inner, vx, vdy, vy, vmask, fused, vm, vs, vdg, vdb, sums);
        (_bnBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.BackwardData))
            (threads, n, channels, inner, vx, vdy, vy, vmask, fused | (accumulate ? BatchNormKernels.Accumulate : 0), vg, vm, vs, sums, vdx);
    }

    /// <summary>Two launches (weights, then bias) on the device, with the same float arithmetic as the base's host loop.</summary>
    public override void FoldBatchNorm(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias,
        DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon,
        DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        long size = CheckFold(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, foldedWeights, foldedBias);
        var vw = V(weights, size, nameof(weights));
        var vb = Optional(bias, channels, nameof(bias));
        var vg = V(gamma, channels, nameof(gamma));
        var vbeta = V(beta, channels, nameof(beta));
        var vrm = V(runningMean, channels, nameof(runningMean));
        var vrv = V(runningVar, channels, nameof(runningVar));
        var vfw = V(foldedWeights, size, nameof(foldedWeights));
        var vfb = V(foldedBias, channels, nameof(foldedBias));
        (_foldWeights ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>(BatchNormKernels.FoldWeights))
            (Threads(size, nameof(weights)), channels, inner, vw, vg, vrv, epsilon, vfw);
        (_foldBias ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>>(BatchNormKernels.FoldBias))
            (channels, vb, Flag(bias is not null), vg, vbeta, vrm, vrv, epsilon, vfb);
    }
}

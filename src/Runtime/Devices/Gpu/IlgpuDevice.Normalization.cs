using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Batch normalisation: per-channel reductions, one kernel launch per pass.
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
}

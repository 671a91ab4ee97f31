using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Group and layer normalisation: argument checks, then cached kernel launches (statistics, elementwise, parameters);
// group norm's per-set sums and both norms' parameter sums are block reductions.
public sealed partial class IlgpuDevice
{
    private Action<Index1D, NormSets, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _normStatistics;
    private Action<Index1D, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _normForward;
    private Action<Index1D, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _normBackwardSums;
    private Action<Index1D, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _normBackwardData;
    private Action<KernelConfig, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _normParameters;
    private Action<KernelConfig, NormSets, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _groupNormStatistics;
    private Action<KernelConfig, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _groupNormBackwardSums;

    public override void GroupNormForward(int n, int channels, int inner, int groups, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        CheckGroupNorm(nameof(GroupNormForward), n, channels, inner, groups, epsilon);
        NormForward(new NormSets(n, channels, inner, groups, false), epsilon, x, gamma, beta, y, savedMean, savedInvStd);
    }

    public override void GroupNormBackward(int n, int channels, int inner, int groups, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        CheckGroupNorm(nameof(GroupNormBackward), n, channels, inner, groups, 0f);
        NormBackward(new NormSets(n, channels, inner, groups, false), x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    public override void LayerNormForward(int n, int channels, int inner, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        CheckGroupNorm(nameof(LayerNormForward), n, channels, inner, 1, epsilon);
        NormForward(new NormSets(n, channels, inner, 1, true), epsilon, x, gamma, beta, y, savedMean, savedInvStd);
    }

    public override void LayerNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        CheckGroupNorm(nameof(LayerNormBackward), n, channels, inner, 1, 0f);
        NormBackward(new NormSets(n, channels, inner, 1, true), x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    private void NormForward(NormSets sets, float epsilon, DeviceBuffer<float> x, DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        long size = (long)sets.N * sets.Channels * sets.Inner;
        var vx = V(x, size, nameof(x));
        var vy = V(y, size, nameof(y));
        var vg = Optional(gamma, sets.Channels, nameof(gamma));
        var vb = Optional(beta, sets.Channels, nameof(beta));
        var vm = V(savedMean, sets.Count, nameof(savedMean));
        var vs = V(savedInvStd, sets.Count, nameof(savedInvStd));
        int threads = Threads(size, nameof(x));
        if (threads == 0) return;
        if (sets.Layer != 0)
            (_normStatistics ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, NormSets, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GroupNormKernels.Statistics))
                (Threads(sets.Count, nameof(x)), sets, epsilon, vx, vm, vs);
        else
            (_groupNormStatistics ??= _accelerator.LoadStreamKernel<NormSets, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GroupNormKernels.GroupStatistics))
                (ReduceLaunch(sets.Count), sets, epsilon, vx, vm, vs);
        (_normForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GroupNormKernels.Forward))
            (threads, sets, vx, vg, vb, (gamma is null ? 0 : 1) | (beta is null ? 0 : 2), vm, vs, vy);
    }

    private void NormBackward(NormSets sets, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        long size = (long)sets.N * sets.Channels * sets.Inner;
        var vx = V(x, size, nameof(x));
        var vdy = V(dy, size, nameof(dy));
        var vdx = V(dx, size, nameof(dx));
        var vg = Optional(gamma, sets.Channels, nameof(gamma));
        var vm = V(savedMean, sets.Count, nameof(savedMean));
        var vs = V(savedInvStd, sets.Count, nameof(savedInvStd));
        var vdg = Optional(dgamma, sets.Channels, nameof(dgamma));
        var vdb = Optional(dbeta, sets.Channels, nameof(dbeta));
        int threads = Threads(size, nameof(x));
        if (threads == 0) return;
        var sums = Scratch(2 * sets.Count);
        if (sets.Layer != 0)
            (_normBackwardSums ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GroupNormKernels.BackwardSums))
                (Threads(sets.Count, nameof(x)), sets, vx, vdy, vg, gamma is null ? 0 : 1, vm, vs, sums);
        else
            (_groupNormBackwardSums ??= _accelerator.LoadStreamKernel<NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GroupNormKernels.GroupBackwardSums))
                (ReduceLaunch(sets.Count), sets, vx, vdy, vg, gamma is null ? 0 : 1, vm, vs, sums);
        (_normBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GroupNormKernels.BackwardData))
            (threads, sets, vx, vdy, vg, gamma is null ? 0 : 1, vm, vs, sums, vdx, Flag(accumulate));
        int wanted = (dgamma is null ? 0 : 1) | (dbeta is null ? 0 : 2);
        if (wanted != 0)
            (_normParameters ??= _accelerator.LoadStreamKernel<NormSets, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GroupNormKernels.Parameters))
                (ReduceLaunch(sets.Channels), sets, vx, vdy, vm, vs, vdg, vdb, wanted);
    }
}

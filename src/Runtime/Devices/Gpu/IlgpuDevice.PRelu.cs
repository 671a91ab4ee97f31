using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// PRelu: forward and backward-data kernels over the values, the slope gradient over the channels.
public sealed partial class IlgpuDevice
{
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _preluForward;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _preluBackwardData;
    private Action<KernelConfig, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _preluBackwardSlope;

    public override void PReluForward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y)
    {
        CheckChannelSizes(nameof(PReluForward), n, channels, inner);
        long size = (long)n * channels * inner;
        var vx = V(x, size, nameof(x));
        var vs = V(slope, channels, nameof(slope));
        var vy = V(y, size, nameof(y));
        int threads = Threads(size, nameof(n));
        if (threads == 0) return;
        (_preluForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(PReluKernels.Forward))
            (threads, channels, inner, vx, vs, vy);
    }

    public override void PReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate)
    {
        CheckChannelSizes(nameof(PReluBackward), n, channels, inner);
        long size = (long)n * channels * inner;
        var vx = V(x, size, nameof(x));
        var vs = V(slope, channels, nameof(slope));
        var vdy = V(dy, size, nameof(dy));
        var vdx = V(dx, size, nameof(dx));
        var vds = V(dslope, channels, nameof(dslope));
        int threads = Threads(size, nameof(n));
        if (threads == 0) return;
        (_preluBackwardData ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(PReluKernels.BackwardData))
            (threads, channels, inner, vx, vs, vdy, vdx, Flag(accumulate));
        (_preluBackwardSlope ??= _accelerator.LoadStreamKernel<int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(PReluKernels.BackwardSlope))
            (ReduceLaunch(channels), n, channels, inner, vx, vdy, vds);
    }
}

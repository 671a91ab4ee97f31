using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Adaptive and global pooling: argument checks, then one cached kernel launch per op (global average pooling a block
// reduction per plane, global max pooling an arg-max one).
public sealed partial class IlgpuDevice
{
    private Action<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>>? _adaptiveAvg;
    private Action<KernelConfig, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>>? _globalAvg;
    private Action<KernelConfig, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>, ArrayView<int>>? _globalMax;
    private Action<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>, int>? _adaptiveAvgBackward;
    private Action<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>, ArrayView<int>>? _adaptiveMax;
    private Action<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>? _adaptiveMaxBackward;

    public override void AdaptiveAvgPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        g.Check(nameof(AdaptiveAvgPoolForward), n);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vy = V(y, n * g.OutputSize, nameof(y));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        if (g.OutH == 1 && g.OutW == 1)
            (_globalAvg ??= _accelerator.LoadStreamKernel<AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>>(AdaptivePoolingKernels.GlobalAvgForward))
                (ReduceLaunch(threads), g, vx, vy);
        else
            (_adaptiveAvg ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>>(AdaptivePoolingKernels.AvgForward))
                (threads, g, vx, vy);
    }

    public override void AdaptiveAvgPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        g.Check(nameof(AdaptiveAvgPoolBackward), n);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        (_adaptiveAvgBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>, int>(AdaptivePoolingKernels.AvgBackward))
            (threads, g, vdy, vdx, Flag(accumulate));
    }

    public override void AdaptiveMaxPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int> switches)
    {
        g.Check(nameof(AdaptiveMaxPoolForward), n);
        var vx = V(x, n * g.InputSize, nameof(x));
        var vy = V(y, n * g.OutputSize, nameof(y));
        var vs = V(switches, n * g.OutputSize, nameof(switches));
        int threads = Threads(n * g.OutputSize, nameof(n));
        if (threads == 0) return;
        if (g.OutH == 1 && g.OutW == 1)
            (_globalMax ??= _accelerator.LoadStreamKernel<AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>, ArrayView<int>>(AdaptivePoolingKernels.GlobalMaxForward))
                (ReduceLaunch(threads), g, vx, vy, vs);
        else
            (_adaptiveMax ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<float>, ArrayView<int>>(AdaptivePoolingKernels.MaxForward))
                (threads, g, vx, vy, vs);
    }

    public override void AdaptiveMaxPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        g.Check(nameof(AdaptiveMaxPoolBackward), n);
        var vdy = V(dy, n * g.OutputSize, nameof(dy));
        var vs = V(switches, n * g.OutputSize, nameof(switches));
        var vdx = V(dx, n * g.InputSize, nameof(dx));
        int threads = Threads(n * g.InputSize, nameof(n));
        if (threads == 0) return;
        (_adaptiveMaxBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, AdaptivePoolGeometry, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(AdaptivePoolingKernels.MaxBackward))
            (threads, g, vdy, vs, vdx, Flag(accumulate));
    }
}

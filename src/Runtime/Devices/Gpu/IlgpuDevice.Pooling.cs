using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Pooling and unpooling: argument checks, then one cached kernel launch per op.
public sealed partial class IlgpuDevice
{
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
}

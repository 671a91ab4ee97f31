using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Broadcast add and multiply: argument checks, then cached kernel launches.
public sealed partial class IlgpuDevice
{
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _broadcast;
    private Action<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _broadcastBackwardFull;
    private Action<KernelConfig, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _broadcastBackwardGate;

    public override void BroadcastForward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y)
    {
        CheckBroadcast(nameof(BroadcastForward), op, n, channels, inner);
        long size = (long)n * channels * inner;
        var vf = V(full, size, nameof(full));
        var vg = V(gate, (long)n * channels, nameof(gate));
        var vy = V(y, size, nameof(y));
        int threads = Threads(size, nameof(n));
        if (threads == 0) return;
        (_broadcast ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(BroadcastKernels.Forward))
            (threads, Flag(op == BroadcastOp.Multiply), inner, vf, vg, vy);
    }

    public override void BroadcastBackward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy,
        DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate)
    {
        CheckBroadcast(nameof(BroadcastBackward), op, n, channels, inner);
        long size = (long)n * channels * inner, rows = (long)n * channels;
        bool multiply = op == BroadcastOp.Multiply;
        var vdy = V(dy, size, nameof(dy));
        int threads = Threads(size, nameof(n));
        if (dFull is not null)
        {
            var vg = multiply ? V(gate, rows, nameof(gate)) : (ArrayView<float>)_unused.View;
            var vdf = V(dFull, size, nameof(dFull));
            if (threads > 0)
                (_broadcastBackwardFull ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BroadcastKernels.BackwardFull))
                    (threads, Flag(multiply), inner, vg, vdy, vdf, Flag(accumulateFull));
        }
        if (dGate is not null)
        {
            var vf = multiply ? V(full, size, nameof(full)) : (ArrayView<float>)_unused.View;
            var vdg = V(dGate, rows, nameof(dGate));
            // Rows with no positions still get their (zero) sum written.
            if (rows > 0 && (inner > 0 || !accumulateGate))
                (_broadcastBackwardGate ??= _accelerator.LoadStreamKernel<int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BroadcastKernels.BackwardGate))
                    (ReduceLaunch(rows), Flag(multiply), inner, vf, vdy, vdg, Flag(accumulateGate));
        }
    }
}

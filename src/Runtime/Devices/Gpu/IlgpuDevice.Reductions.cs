using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// The two ops gradient clipping and AdamW run every step, on the device so parameters and gradients stay there.
public sealed partial class IlgpuDevice
{
    private Action<Index1D, ArrayView<float>, float>? _scale;
    private Action<Index1D, ArrayView<float>, ArrayView<float>>? _square;

    public override void Scale(long count, float factor, DeviceBuffer<float> x)
    {
        var vx = V(x, count, nameof(x));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_scale ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(OptimizerKernels.Scale))(threads, vx, factor);
    }

    /// <summary>Squares on the device, then the deterministic partial sums (float per chunk, double across chunks).</summary>
    public override double SumOfSquares(long count, DeviceBuffer<float> x)
    {
        var vx = V(x, count, nameof(x));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return 0;
        var scratch = Scratch(count + LossKernels.PartialCount);
        var squares = scratch.SubView(0, count);
        (_square ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Square))(threads, vx, squares);
        return Sum(squares, scratch.SubView(count, LossKernels.PartialCount));
    }
}

using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// Optimizers, and the two ops gradient clipping and AdamW run every step, on the device so parameters and
// gradients stay there.
public sealed partial class IlgpuDevice
{
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

    // ---- reductions ----

    private Action<Index1D, ArrayView<float>, float>? _scale;

    public override void Scale(long count, float factor, DeviceBuffer<float> x)
    {
        var vx = V(x, count, nameof(x));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_scale ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(OptimizerKernels.Scale))(threads, vx, factor);
    }

    /// <summary>Block reductions of the squares straight from x into a few partial sums, which the host reads once and adds in double.</summary>
    public override double SumOfSquares(long count, DeviceBuffer<float> x)
    {
        var vx = V(x, count, nameof(x));
        Threads(count, nameof(count));
        if (count == 0) return 0;
        var partials = Scratch(PartialSlots(1, count));
        Span<double> sum = stackalloc double[1];
        SumsOnHost(vx.SubView(0, count), 1, count, square: true, partials, sum);
        return sum[0];
    }
}

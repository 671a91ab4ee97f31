using System;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

// The optimizer steps, run by CpuOptimizer, and the reductions gradient clipping and AdamW's decay use, which
// read the buffers in place instead of the base class's copy to the host.
public sealed unsafe partial class CpuDevice
{
    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity,
        float learningRate, float momentum, float weightDecay)
    {
        using var lease = Rent();
        CpuOptimizer.SgdStep(lease.Workspace, count, parameter, gradient, velocity, learningRate, momentum, weightDecay);
    }

    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m,
        DeviceBuffer<float> v, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        using var lease = Rent();
        CpuOptimizer.AdamStep(lease.Workspace, count, parameter, gradient, m, v, learningRate, beta1, beta2, epsilon, weightDecay, step);
    }

    /// <summary>One thread, in index order and in double: the norm does not depend on the thread count.</summary>
    public override double SumOfSquares(long count, DeviceBuffer<float> x)
    {
        float* p = P(x, count, nameof(x));
        double sum = 0;
        for (long i = 0; i < count; i++) sum += (double)p[i] * p[i];
        return sum;
    }

    public override void Scale(long count, float factor, DeviceBuffer<float> x)
    {
        var values = new Span<float>(P(x, count, nameof(x)), checked((int)count));
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
    }
}

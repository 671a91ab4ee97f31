using System;

namespace Strider.Devices.Cpu;

// Gradient clipping and AdamW's decay read the buffers in place instead of the base class's copy to the host.
public sealed unsafe partial class CpuDevice
{
    /// <summary>One thread, in index order and in double: the norm does not depend on the thread count.</summary>
    public override double SumOfSquares(long count, DeviceBuffer<float> x)
    {
        using var op = _gate.EnterScope();
        float* p = P(x, count, nameof(x));
        double sum = 0;
        for (long i = 0; i < count; i++) sum += (double)p[i] * p[i];
        return sum;
    }

    public override void Scale(long count, float factor, DeviceBuffer<float> x)
    {
        using var op = _gate.EnterScope();
        var values = new Span<float>(P(x, count, nameof(x)), checked((int)count));
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
    }
}

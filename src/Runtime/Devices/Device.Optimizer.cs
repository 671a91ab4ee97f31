using System;
using System.Collections.Generic;

namespace Strider.Devices;

// The optimizer steps, in place on the parameter and its state, and the reductions gradient clipping and decoupled
// weight decay need.
public abstract partial class Device
{
    /// <summary>g' = g + wd p; v = momentum v + g'; p -= lr v.</summary>
    public abstract void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay);

    /// <summary>Adam (L2 weight decay added to the gradient); <paramref name="step"/> counts from 1 for bias correction.</summary>
    public abstract void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step);

    // The reductions gradient clipping and decoupled weight decay need: host passes through Download/Upload (see
    // Device.Loss.cs), which a device may override with a kernel.

    /// <summary>The sum of x[i]^2 over <paramref name="count"/> values, accumulated in double (NaN or infinity propagate).</summary>
    public virtual double SumOfSquares(long count, DeviceBuffer<float> x)
    {
        var v = Host(ref t_hostA, x, count, nameof(x));
        double sum = 0;
        foreach (float f in v) sum += (double)f * f;
        return sum;
    }

    /// <summary>
    /// The sum of the squares of several buffers (each its first Count values), accumulated in double: a gradient or
    /// weight norm in one call. The base adds <see cref="SumOfSquares(long, DeviceBuffer{float})"/> per buffer; a
    /// device that waits for each host read overrides it to read them all at once.
    /// </summary>
    public virtual double SumOfSquares(IReadOnlyList<(long Count, DeviceBuffer<float> X)> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        double sum = 0;
        // Indexed: a foreach over the interface would box the list's enumerator each call.
        for (int i = 0; i < buffers.Count; i++) sum += SumOfSquares(buffers[i].Count, buffers[i].X);
        return sum;
    }

    /// <summary>x[i] *= <paramref name="factor"/> over <paramref name="count"/> values, in place.</summary>
    public virtual void Scale(long count, float factor, DeviceBuffer<float> x)
    {
        var v = Host(ref t_hostA, x, count, nameof(x));
        for (int i = 0; i < v.Length; i++) v[i] *= factor;
        x.Upload(v);
    }
}

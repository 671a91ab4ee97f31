using System;

namespace Strider.Devices;

// Elementwise ops: add and multiply, the activations, dropout and softmax over channels of [n, channels, inner].
public abstract partial class Device
{
    /// <summary>y = a + b, elementwise over <paramref name="count"/> values.</summary>
    public abstract void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y);

    /// <summary>y = f(x). <paramref name="p0"/>/<paramref name="p1"/>: Elu's alpha; Clip's min and max.</summary>
    public abstract void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0);

    /// <summary>dx = f'(x) dy, given both x and y = f(x) (each op uses whichever is cheaper).</summary>
    public abstract void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0);

    public abstract void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y);

    public abstract void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>mask[i] = <see cref="DropoutMask.Value"/>(seed, i, rate): 0 or 1/(1-rate), the same on every device; y = x * mask.</summary>
    public abstract void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y);

    /// <summary>dx = dy * mask (multiplies any two buffers elementwise).</summary>
    public abstract void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate);
}

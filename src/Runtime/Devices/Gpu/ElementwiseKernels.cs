using ILGPU;
using Strider.Devices.Activations;

namespace Strider.Devices.Gpu;

/// <summary>Activations, their gradients, dropout and elementwise products: one thread per element.</summary>
internal static class ElementwiseKernels
{
    /// <summary>y = f(x) for the operation struct <typeparamref name="TActivation"/>; ILGPU compiles one kernel per struct.</summary>
    public static void ActivationForward<TActivation>(Index1D i, ArrayView<float> x, ArrayView<float> y, float p0, float p1)
        where TActivation : struct, IActivation
    {
        y[i] = default(TActivation).Forward(x[i], p0, p1);
    }

    /// <summary>y = f(y + r) in place for <typeparamref name="TActivation"/>: a conv epilogue's residual add and activation in one pass.</summary>
    public static void ResidualActivationForward<TActivation>(Index1D i, ArrayView<float> y, ArrayView<float> r, float p0, float p1)
        where TActivation : struct, IActivation
    {
        y[i] = default(TActivation).Forward(y[i] + r[i], p0, p1);
    }

    /// <summary>dx = f'(x) dy (or dx += it) for the operation struct <typeparamref name="TActivation"/>.</summary>
    public static void ActivationBackward<TActivation>(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int accumulate, float p0, float p1)
        where TActivation : struct, IActivation
    {
        float d = default(TActivation).Backward(x[i], y[i], dy[i], p0, p1);
        if (accumulate != 0) dx[i] += d;
        else dx[i] = d;
    }

    /// <summary>mask = <see cref="DropoutMask.Value"/>(seed, i, rate), the hash every device shares; y = x * mask.</summary>
    public static void Dropout(Index1D i, float rate, ulong seed, ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y)
    {
        float m = DropoutMask.Value(seed, (int)i, rate);
        mask[i] = m;
        y[i] = x[i] * m;
    }

    public static void Multiply(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int accumulate)
    {
        float p = a[i] * b[i];
        if (accumulate != 0) y[i] += p;
        else y[i] = p;
    }
}

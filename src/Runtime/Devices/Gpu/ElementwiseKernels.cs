using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>Activations, their gradients, dropout and elementwise products: one thread per element.</summary>
internal static class ElementwiseKernels
{
    public static void ActivationForward(Index1D i, int f, ArrayView<float> x, ArrayView<float> y, float p0, float p1)
    {
        float v = x[i];
        y[i] = (Activation)f switch
        {
            Activation.Relu => v > 0f || FloatBits.IsNaN(v) ? v : 0f, // NaN kept, as PyTorch's relu
            Activation.Elu => v > 0f ? v : p0 * (XMath.Exp(v) - 1f),
            Activation.Sigmoid => 1f / (1f + XMath.Exp(-v)),
            Activation.Tanh => XMath.Tanh(v),
            Activation.SoftSign => v / (1f + XMath.Abs(v)),
            Activation.Clip => FloatBits.IsNaN(v) ? v : v < p0 ? p0 : v > p1 ? p1 : v,
            Activation.Log => XMath.Log(v),
            _ => XMath.Exp(v),
        };
    }

    /// <summary>dx = f'(x) dy, using y = f(x) where that is cheaper (sigmoid, tanh, exp, elu below zero).</summary>
    public static void ActivationBackward(Index1D i, int f, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int accumulate, float p0, float p1)
    {
        float v = x[i], o = y[i], g = dy[i];
        float d;
        switch ((Activation)f)
        {
            // PyTorch's rule (threshold_backward, elu_backward): the gradient stops only where x <= 0 holds, so a NaN
            // position passes it on. NaN is tested on the bits wherever it decides, as a backend may lower compares unordered.
            case Activation.Relu: d = v > 0f || FloatBits.IsNaN(v) ? g : 0f; break;
            case Activation.Elu: d = v > 0f || FloatBits.IsNaN(v) ? g : g * (o + p0); break;
            case Activation.Sigmoid: d = g * o * (1f - o); break;
            case Activation.Tanh: d = g * (1f - o * o); break;
            case Activation.SoftSign:
                float s = 1f + XMath.Abs(v);
                d = g / (s * s);
                break;
            case Activation.Clip: d = v > p0 && v < p1 && !FloatBits.IsNaN(v) ? g : 0f; break; // 0 at NaN, as PyTorch's clamp backward
            case Activation.Log: d = g / v; break;
            default: d = g * o; break;
        }
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

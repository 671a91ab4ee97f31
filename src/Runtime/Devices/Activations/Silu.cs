using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>x sigmoid(x) (PyTorch's silu, swish); the gradient silu_backward's: dy s (1 + x (1 - s)), s = sigmoid(x).</summary>
internal readonly struct Silu : IActivation
{
    public float Forward(float x, float p0, float p1) => x / (1f + XMath.Exp(-x));

    public float Backward(float x, float y, float dy, float p0, float p1)
    {
        float s = 1f / (1f + XMath.Exp(-x));
        return dy * s * (1f + x * (1f - s));
    }
}

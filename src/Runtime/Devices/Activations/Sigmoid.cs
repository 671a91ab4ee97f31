using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>1 / (1 + e^-x); the gradient from y: dy y (1 - y).</summary>
internal readonly struct Sigmoid : IActivation
{
    public float Forward(float x, float p0, float p1) => 1f / (1f + XMath.Exp(-x));

    public float Backward(float x, float y, float dy, float p0, float p1) => dy * y * (1f - y);
}

using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>tanh x; the gradient from y: dy (1 - y^2).</summary>
internal readonly struct Tanh : IActivation
{
    public float Forward(float x, float p0, float p1) => XMath.Tanh(x);

    public float Backward(float x, float y, float dy, float p0, float p1) => dy * (1f - y * y);
}

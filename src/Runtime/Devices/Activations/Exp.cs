using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>e^x; the gradient from y: dy y.</summary>
internal readonly struct Exp : IActivation
{
    public float Forward(float x, float p0, float p1) => XMath.Exp(x);

    public float Backward(float x, float y, float dy, float p0, float p1) => dy * y;
}

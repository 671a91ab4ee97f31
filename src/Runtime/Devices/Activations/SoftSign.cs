using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>x / (1 + |x|); the gradient dy / (1 + |x|)^2.</summary>
internal readonly struct SoftSign : IActivation
{
    public float Forward(float x, float p0, float p1) => x / (1f + XMath.Abs(x));

    public float Backward(float x, float y, float dy, float p0, float p1)
    {
        float s = 1f + XMath.Abs(x);
        return dy / (s * s);
    }
}

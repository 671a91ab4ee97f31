using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>ln x (NaN below zero, -inf at zero); the gradient dy / x.</summary>
internal readonly struct Log : IActivation
{
    public float Forward(float x, float p0, float p1) => XMath.Log(x);

    public float Backward(float x, float y, float dy, float p0, float p1) => dy / x;
}

using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>
/// x above zero, alpha (e^x - 1) elsewhere, alpha = p0. The gradient is elu_backward's: dy above zero and at NaN,
/// dy (y + alpha) elsewhere.
/// </summary>
internal readonly struct Elu : IActivation
{
    public float Forward(float x, float p0, float p1) => x > 0f ? x : p0 * (XMath.Exp(x) - 1f);

    public float Backward(float x, float y, float dy, float p0, float p1) => x <= 0f && !FloatBits.IsNaN(x) ? dy * (y + p0) : dy;
}

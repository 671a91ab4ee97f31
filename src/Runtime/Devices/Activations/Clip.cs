using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>
/// Clamps to [p0, p1] as PyTorch's clamp: min(max(x, p0), p1), so p1 wins where p0 &gt; p1, and NaN stays NaN (tested
/// on the bits first, as a GPU's max drops a NaN operand; x + p0 is that NaN quieted, as the host's max returns it).
/// The gradient passes where p0 &lt; x &lt; p1, not at NaN.
/// </summary>
internal readonly struct Clip : IActivation
{
    public float Forward(float x, float p0, float p1) => FloatBits.IsNaN(x) ? x + p0 : XMath.Min(XMath.Max(x, p0), p1);

    public float Backward(float x, float y, float dy, float p0, float p1) => x > p0 && x < p1 && !FloatBits.IsNaN(x) ? dy : 0f;
}

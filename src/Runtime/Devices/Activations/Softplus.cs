using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's softplus with beta 1 and threshold 20: x above 20, ln(1 + e^x) elsewhere (through an accurate log1p, so
/// e^x far below 1 keeps its digits). The gradient softplus_backward's: dy above 20, dy e^x / (e^x + 1) elsewhere.
/// </summary>
internal readonly struct Softplus : IActivation
{
    public float Forward(float x, float p0, float p1) => x > 20f && !FloatBits.IsNaN(x) ? x : Log1P(XMath.Exp(x));

    public float Backward(float x, float y, float dy, float p0, float p1)
    {
        if (x > 20f && !FloatBits.IsNaN(x)) return dy;
        float z = XMath.Exp(x);
        return dy * z / (z + 1f);
    }

    /// <summary>ln(1 + v) for v &gt;= 0: u = 1 + v rounds, and ln(u) v / (u - 1) corrects for the rounding (exact where u is 1).</summary>
    private static float Log1P(float v)
    {
        float u = 1f + v;
        if (u == 1f) return v;
        float d = u - 1f;
        // u - 1 is infinite only when v is; ln(u) is then the answer.
        return d == v ? XMath.Log(u) : XMath.Log(u) * (v / d);
    }
}

using ILGPU.Algorithms;

namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's exact gelu: x Phi(x), Phi the normal CDF, taken as erfc(-x / sqrt 2) / 2 so the far negative side keeps its
/// digits. The gradient gelu_backward's: dy (Phi(x) + x phi(x)), phi the normal density.
/// </summary>
internal readonly struct Gelu : IActivation
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    public float Forward(float x, float p0, float p1) => x * (0.5f * Erf.Complement(-x * InvSqrt2));

    public float Backward(float x, float y, float dy, float p0, float p1)
    {
        float cdf = 0.5f * Erf.Complement(-x * InvSqrt2);
        float pdf = InvSqrt2Pi * XMath.Exp(-0.5f * x * x);
        return dy * (cdf + x * pdf);
    }
}

/// <summary>
/// PyTorch's gelu with approximate = "tanh": x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2; the gradient the
/// derivative of that formula, as gelu_backward's tanh branch.
/// </summary>
internal readonly struct GeluTanh : IActivation
{
    private const float Beta = 0.79788456080286536f;
    private const float Kappa = 0.044715f;

    public float Forward(float x, float p0, float p1) => 0.5f * x * (1f + XMath.Tanh(Beta * (x + Kappa * x * x * x)));

    public float Backward(float x, float y, float dy, float p0, float p1)
    {
        float th = XMath.Tanh(Beta * (x + Kappa * x * x * x));
        float left = 0.5f * (1f + th);
        float right = 0.5f * x * (1f - th * th) * Beta * (1f + 3f * Kappa * x * x);
        return dy * (left + right);
    }
}

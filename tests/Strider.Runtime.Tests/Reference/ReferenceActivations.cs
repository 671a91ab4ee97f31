using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

/// <summary>
/// The newer activations in double, written from PyTorch's definitions (the kinks as its backward kernels put them),
/// with erf from its series and erfc from its continued fraction. <see cref="ReferenceDevice.Apply"/> and
/// <see cref="ReferenceDevice.Derivative"/> come here for every activation they do not spell out.
/// </summary>
public static class ReferenceActivations
{
    public static double Apply(Activation f, double x, double p0, double p1) => f switch
    {
        Activation.Relu6 => Clamp(x, 0, 6),
        Activation.HardTanh => Clamp(x, p0, p1),
        Activation.Silu => x / (1 + Math.Exp(-x)),
        Activation.Gelu => x * 0.5 * Erfc(-x / Math.Sqrt(2)),
        Activation.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        Activation.HardSwish => x * Clamp(x + 3, 0, 6) / 6,
        Activation.HardSigmoid => Clamp(x + 3, 0, 6) / 6,
        Activation.Softplus => x > 20 ? x : Log1P(Math.Exp(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown activation."),
    };

    /// <summary>
/// f'(x); at NaN as PyTorch's vectorised CPU kernels (what a tensor of more than a few values gets): relu6's, hardtanh's
/// and hardsigmoid's gradients are 0, hardswish's NaN, the smooth ones' NaN.
/// </summary>
    public static double Derivative(Activation f, double x, double p0, double p1)
    {
        switch (f)
        {
            case Activation.Relu6: return x > 0 && x < 6 ? 1 : 0;
            case Activation.HardTanh: return x > p0 && x < p1 ? 1 : 0;
            case Activation.Silu:
                double s = 1 / (1 + Math.Exp(-x));
                return s * (1 + x * (1 - s));
            case Activation.Gelu:
                return 0.5 * Erfc(-x / Math.Sqrt(2)) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
            case Activation.GeluTanh:
                double beta = Math.Sqrt(2 / Math.PI), kappa = 0.044715;
                double th = Math.Tanh(beta * (x + kappa * x * x * x));
                return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * beta * (1 + 3 * kappa * x * x);
            case Activation.HardSwish: return x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5;
            case Activation.HardSigmoid: return x > -3 && x < 3 ? 1.0 / 6 : 0;
            case Activation.Softplus:
                if (x > 20) return 1;
                double e = Math.Exp(x);
                return e / (e + 1);
            default: throw new ArgumentOutOfRangeException(nameof(f), f, "Unknown activation.");
        }
    }

    /// <summary>x clamped to [lo, hi] (hi wins where lo &gt; hi); NaN and -0 stay.</summary>
    private static double Clamp(double x, double lo, double hi)
    {
        double v = x < lo ? lo : x;
        return v > hi ? hi : v;
    }

    private static double Log1P(double v) => v < 1e-5 ? v - v * v / 2 + v * v * v / 3 : Math.Log(1 + v);

    /// <summary>erf(x): the series below 3 in magnitude (relative accuracy down to the smallest x), 1 - erfc above.</summary>
    public static double Erf(double x) => double.IsNaN(x) ? x : Math.Abs(x) < 3 ? Series(x) : Math.CopySign(1 - Erfc(Math.Abs(x)), x);

    /// <summary>erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1 3 5 ... (2n+1)): terms of one sign, no cancellation.</summary>
    private static double Series(double x)
    {
        double term = x, sum = x;
        for (int n = 1; Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    /// <summary>1 - erf(x): the series below 3, the continued fraction above (both within 1e-10 relative).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x < 0) return 2 - Erfc(-x);
        if (x < 3) return 1 - Series(x);
        if (double.IsPositiveInfinity(x)) return 0;
        // erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + (2/2) / (x + (3/2) / (x + ...)))), evaluated from the tail.
        double f = x;
        for (int k = 60; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
    }
}

using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>Adam's scalars, packed so the kernel stays within ILGPU's parameter count.</summary>
internal readonly record struct AdamScalars(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float Correction1, float Correction2);

/// <summary>Optimizer updates, one thread per parameter.</summary>
internal static class OptimizerKernels
{
    /// <summary>g' = g + wd p; v = momentum v + g'; p -= lr v.</summary>
    public static void Sgd(Index1D i, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> velocity, float learningRate, float momentum, float weightDecay)
    {
        float g = gradient[i] + weightDecay * parameter[i];
        float v = momentum * velocity[i] + g;
        velocity[i] = v;
        parameter[i] -= learningRate * v;
    }

    /// <summary>
    /// g' = g + wd p; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p -= lr (m / c1) / (sqrt(v / c2) + eps),
    /// with the bias corrections c1 = 1 - b1^step, c2 = 1 - b2^step computed on the host.
    /// </summary>
    public static void Adam(Index1D i, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> m, ArrayView<float> v, AdamScalars s)
    {
        float g = gradient[i] + s.WeightDecay * parameter[i];
        float mi = s.Beta1 * m[i] + (1f - s.Beta1) * g;
        float vi = s.Beta2 * v[i] + (1f - s.Beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        parameter[i] -= s.LearningRate * (mi / s.Correction1) / (XMath.Sqrt(vi / s.Correction2) + s.Epsilon);
    }

    /// <summary>x *= factor (gradient clipping, AdamW's decoupled decay).</summary>
    public static void Scale(Index1D i, ArrayView<float> x, float factor) => x[i] *= factor;
}

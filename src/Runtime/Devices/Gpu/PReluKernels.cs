using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>PRelu over [n, channels, inner]: one thread per value, and one per channel for the slope gradient (a fixed order, no atomics).</summary>
internal static class PReluKernels
{
    public static void Forward(Index1D i, int channels, int inner, ArrayView<float> x, ArrayView<float> slope, ArrayView<float> y)
    {
        float v = x[i];
        y[i] = v > 0f && !FloatBits.IsNaN(v) ? v : slope[(i / inner) % channels] * v;
    }

    public static void BackwardData(Index1D i, int channels, int inner, ArrayView<float> x, ArrayView<float> slope, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        float v = x[i];
        float d = v > 0f && !FloatBits.IsNaN(v) ? dy[i] : slope[(i / inner) % channels] * dy[i];
        if (accumulate != 0) dx[i] += d;
        else dx[i] = d;
    }

    /// <summary>dslope[c] += the sum of x dy where x &lt;= 0 (or NaN), over the batch and positions, per image in order.</summary>
    public static void BackwardSlope(Index1D c, int n, int channels, int inner, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dslope)
    {
        float sum = 0f;
        for (int b = 0; b < n; b++)
        {
            long offset = ((long)b * channels + c) * inner;
            for (int j = 0; j < inner; j++)
            {
                float v = x[offset + j];
                if (!(v > 0f) || FloatBits.IsNaN(v)) sum += v * dy[offset + j];
            }
        }
        dslope[c] += sum;
    }
}

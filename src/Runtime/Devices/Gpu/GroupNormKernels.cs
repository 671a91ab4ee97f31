using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Group and layer norm (<see cref="NormSets"/>): statistics and backward sums one thread per set, the elementwise
/// passes one thread per value, parameter gradients one thread per channel (fixed orders, no atomics).
/// </summary>
internal static class GroupNormKernels
{
    public static void Statistics(Index1D s, NormSets sets, float epsilon, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd)
    {
        long b0 = sets.Base(s);
        int m = sets.Size, stride = sets.Stride;
        float sum = 0f;
        for (int k = 0; k < m; k++) sum += x[b0 + (long)k * stride];
        float mu = sum / m, squares = 0f;
        for (int k = 0; k < m; k++)
        {
            float d = x[b0 + (long)k * stride] - mu;
            squares += d * d;
        }
        mean[s] = mu;
        invStd[s] = XMath.Rsqrt(squares / m + epsilon);
    }

    public static void Forward(Index1D j, NormSets sets, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, int affine,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> y)
    {
        long s = sets.SetOf(j);
        int c = (int)((long)(int)j / sets.Inner % sets.Channels);
        float v = (x[j] - mean[s]) * invStd[s];
        if ((affine & 1) != 0) v *= gamma[c];
        if ((affine & 2) != 0) v += beta[c];
        y[j] = v;
    }

    /// <summary>sums[2 s] = mean(g), sums[2 s + 1] = mean(g xhat), g = dy gamma[c].</summary>
    public static void BackwardSums(Index1D s, NormSets sets, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma, int hasGamma,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> sums)
    {
        long b0 = sets.Base(s);
        int m = sets.Size, stride = sets.Stride;
        float mu = mean[s], inv = invStd[s], sumG = 0f, sumGX = 0f;
        for (int k = 0; k < m; k++)
        {
            long o = b0 + (long)k * stride;
            float g = hasGamma != 0 ? dy[o] * gamma[sets.ChannelOf(s, k)] : dy[o];
            sumG += g;
            sumGX += g * ((x[o] - mu) * inv);
        }
        sums[2L * (int)s] = sumG / m;
        sums[2L * (int)s + 1] = sumGX / m;
    }

    public static void BackwardData(Index1D j, NormSets sets, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma, int hasGamma,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> sums, ArrayView<float> dx, int accumulate)
    {
        long s = sets.SetOf(j);
        int c = (int)((long)(int)j / sets.Inner % sets.Channels);
        float inv = invStd[s];
        float g = hasGamma != 0 ? dy[j] * gamma[c] : dy[j];
        float d = inv * (g - sums[2 * s] - (x[j] - mean[s]) * inv * sums[2 * s + 1]);
        if (accumulate != 0) dx[j] += d;
        else dx[j] = d;
    }

    public static void Parameters(Index1D c, NormSets sets, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> dgamma, ArrayView<float> dbeta, int wanted)
    {
        float sumDyX = 0f, sumDy = 0f;
        for (int b = 0; b < sets.N; b++)
        {
            long row = ((long)b * sets.Channels + c) * sets.Inner;
            for (int i = 0; i < sets.Inner; i++)
            {
                long j = row + i, s = sets.SetOf(j);
                float d = dy[j];
                sumDy += d;
                sumDyX += d * ((x[j] - mean[s]) * invStd[s]);
            }
        }
        if ((wanted & 1) != 0) dgamma[c] += sumDyX;
        if ((wanted & 2) != 0) dbeta[c] += sumDy;
    }
}

using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Batch normalisation over the channels of [n, channels, inner]. Per-channel statistics come from one thread per
/// channel looping in a fixed order (deterministic); the elementwise passes use one thread per element.
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>
    /// Thread c: mean and biased variance (two passes), savedInvStd = 1/sqrt(var + eps), and
    /// running = (1 - momentum) running + momentum batch with the unbiased variance var * m / (m - 1).
    /// </summary>
    public static void Statistics(Index1D c, int n, int channels, int inner, ArrayView<float> x, ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> savedMean, ArrayView<float> savedInvStd, float momentum, float epsilon)
    {
        int m = n * inner;
        float sum = 0f;
        for (int b = 0; b < n; b++)
        {
            long plane = ((long)b * channels + c) * inner;
            for (int j = 0; j < inner; j++) sum += x[plane + j];
        }
        float mean = sum / m;
        float squares = 0f;
        for (int b = 0; b < n; b++)
        {
            long plane = ((long)b * channels + c) * inner;
            for (int j = 0; j < inner; j++)
            {
                float d = x[plane + j] - mean;
                squares += d * d;
            }
        }
        float variance = squares / m;
        savedMean[c] = mean;
        savedInvStd[c] = 1f / XMath.Sqrt(variance + epsilon);
        float unbiased = m > 1 ? squares / (m - 1) : variance;
        runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean;
        runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
    }

    /// <summary>Thread i is element (b, c, j): y = (x - mean[c]) invStd[c] gamma[c] + beta[c].</summary>
    public static void Normalize(Index1D i, int channels, int inner, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y)
    {
        int c = i / inner % channels;
        y[i] = (x[i] - mean[c]) * invStd[c] * gamma[c] + beta[c];
    }

    /// <summary>Inference: y = (x - runningMean) / sqrt(runningVar + eps) gamma + beta.</summary>
    public static void Inference(Index1D i, int channels, int inner, ArrayView<float> x, ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> gamma, ArrayView<float> beta, float epsilon, ArrayView<float> y)
    {
        int c = i / inner % channels;
        y[i] = (x[i] - runningMean[c]) / XMath.Sqrt(runningVar[c] + epsilon) * gamma[c] + beta[c];
    }

    /// <summary>
    /// Thread c: sumDy = sum dy and sumDyXhat = sum dy xhat over the channel; dbeta += sumDy, dgamma += sumDyXhat.
    /// The sums go to sums[2c], sums[2c + 1] for <see cref="BackwardData"/>.
    /// </summary>
    public static void BackwardStatistics(Index1D c, int n, int channels, int inner, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean,
        ArrayView<float> invStd, ArrayView<float> dgamma, ArrayView<float> dbeta, ArrayView<float> sums)
    {
        float mu = mean[c], s = invStd[c];
        float sumDy = 0f, sumDyXhat = 0f;
        for (int b = 0; b < n; b++)
        {
            long plane = ((long)b * channels + c) * inner;
            for (int j = 0; j < inner; j++)
            {
                float g = dy[plane + j];
                sumDy += g;
                sumDyXhat += g * (x[plane + j] - mu) * s;
            }
        }
        dbeta[c] += sumDy;
        dgamma[c] += sumDyXhat;
        sums[2 * c] = sumDy;
        sums[2 * c + 1] = sumDyXhat;
    }

    /// <summary>Thread i is element (b, c, j): dx = gamma invStd / m (m dy - sumDy - xhat sumDyXhat).</summary>
    public static void BackwardData(Index1D i, int n, int channels, int inner, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> sums, ArrayView<float> dx, int accumulate)
    {
        int c = i / inner % channels;
        float m = (float)n * inner;
        float s = invStd[c];
        float xhat = (x[i] - mean[c]) * s;
        float d = gamma[c] * s / m * (m * dy[i] - sums[2 * c] - xhat * sums[2 * c + 1]);
        if (accumulate != 0) dx[i] += d;
        else dx[i] = d;
    }
}

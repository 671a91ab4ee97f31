using ILGPU;
using ILGPU.Algorithms;
using Strider.Devices.Activations;

namespace Strider.Devices.Gpu;

/// <summary>
/// Batch normalisation over the channels of [n, channels, inner]. Per-channel statistics and backward sums are block
/// reductions (<see cref="GroupReduce"/>), one group per channel with its threads striding over the channel's n·inner
/// values; the elementwise passes use one thread per element. The fused BatchNorm -> Relu [-> Dropout] shares them:
/// forward adds Relu and the mask to the normalise pass, backward folds the Relu and mask into the gradient it reads.
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>Bits of the flags argument: the gradient passes a Relu on y (1) and a dropout mask (2) first; dx accumulates (4).</summary>
    public const int ReluOnY = 1, Masked = 2, Accumulate = 4;

    /// <summary>
    /// Group c: mean and biased variance (two passes), savedInvStd = 1/sqrt(var + eps), and
    /// running = (1 - momentum) running + momentum batch with the unbiased variance var * m / (m - 1).
    /// </summary>
    public static void Statistics(int n, int channels, int inner, ArrayView<float> x, ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> savedMean, ArrayView<float> savedInvStd, float momentum, float epsilon)
    {
        var shared = SharedMemory.Allocate<double>(GroupReduce.MaxWarps);
        int c = Grid.IdxX, m = n * inner;
        double sum = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX) sum += x[GroupReduce.ChannelValue(k, c, channels, inner)];
        double meanSum = GroupReduce.Sum(sum, shared) / m;
        float mean = (float)meanSum;
        double squareSum = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX)
        {
            double d = x[GroupReduce.ChannelValue(k, c, channels, inner)] - meanSum;
            squareSum += d * d;
        }
        float squares = (float)GroupReduce.Sum(squareSum, shared);
        if (!Group.IsFirstThread) return;
        float variance = squares / m;
        savedMean[c] = mean;
        savedInvStd[c] = 1f / XMath.Sqrt(variance + epsilon);
        float unbiased = m > 1 ? squares / (m - 1) : variance;
        runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean;
        runningVar[c] = (1f - momentum) * runningVar[c] + momentum * unbiased;
    }

    /// <summary>
    /// Thread i is element (b, c, j): y = (x - mean[c]) invStd[c] gamma[c] + beta[c]; with <paramref name="relu"/> 1 then
    /// Relu, and with <paramref name="dropout"/> 1 then times mask[i] = <see cref="DropoutMask.Value"/>(seed, i, rate), written too.
    /// </summary>
    public static void Normalize(Index1D i, int channels, int inner, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y, int relu, int dropout, float rate, ulong seed, ArrayView<float> mask)
    {
        int c = i / inner % channels;
        float v = (x[i] - mean[c]) * invStd[c] * gamma[c] + beta[c];
        if (relu != 0) v = default(Relu).Forward(v, 0f, 0f);
        if (dropout != 0)
        {
            float keep = DropoutMask.Value(seed, (int)i, rate);
            mask[i] = keep;
            v *= keep;
        }
        y[i] = v;
    }

    /// <summary>Inference: y = (x - runningMean) / sqrt(runningVar + eps) gamma + beta.</summary>
    public static void Inference(Index1D i, int channels, int inner, ArrayView<float> x, ArrayView<float> runningMean, ArrayView<float> runningVar,
        ArrayView<float> gamma, ArrayView<float> beta, float epsilon, ArrayView<float> y)
    {
        int c = i / inner % channels;
        y[i] = (x[i] - runningMean[c]) / XMath.Sqrt(runningVar[c] + epsilon) * gamma[c] + beta[c];
    }

    /// <summary>The gradient at the norm's output: dy, times the mask when <see cref="Masked"/>, then Relu's backward on y when <see cref="ReluOnY"/>.</summary>
    private static float Gradient(long i, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> mask, int fused)
    {
        float g = dy[i];
        if ((fused & Masked) != 0) g *= mask[i];
        // Relu's gradient tests its input <= 0, the same as its output <= 0 (a NaN passes it).
        if ((fused & ReluOnY) != 0) g = default(Relu).Backward(y[i], y[i], g, 0f, 0f);
        return g;
    }

    /// <summary>
    /// Group c: sumDy = Σ g and sumDyXhat = Σ g xhat over the channel (g the gradient at the norm's output); dbeta += sumDy,
    /// dgamma += sumDyXhat, and the sums to sums[2c], sums[2c + 1] for <see cref="BackwardData"/>.
    /// </summary>
    public static void BackwardStatistics(int n, int channels, int inner, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> mask, int fused,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> dgamma, ArrayView<float> dbeta, ArrayView<float> sums)
    {
        var shared = SharedMemory.Allocate<double>(2 * GroupReduce.MaxWarps);
        int c = Grid.IdxX, m = n * inner;
        float mu = mean[c], s = invStd[c];
        double sumDy = 0, sumDyXhat = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX)
        {
            long i = GroupReduce.ChannelValue(k, c, channels, inner);
            float g = Gradient(i, dy, y, mask, fused);
            sumDy += g;
            sumDyXhat += g * (x[i] - mu) * s;
        }
        GroupReduce.Sum2(ref sumDy, ref sumDyXhat, shared);
        if (!Group.IsFirstThread) return;
        dbeta[c] += (float)sumDy;
        dgamma[c] += (float)sumDyXhat;
        sums[2 * c] = (float)sumDy;
        sums[2 * c + 1] = (float)sumDyXhat;
    }

    /// <summary>Thread i is element (b, c, j): dx = gamma invStd / m (m g - sumDy - xhat sumDyXhat).</summary>
    public static void BackwardData(Index1D i, int n, int channels, int inner, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> mask, int flags,
        ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> sums, ArrayView<float> dx)
    {
        int c = i / inner % channels;
        float m = (float)n * inner;
        float s = invStd[c];
        float xhat = (x[i] - mean[c]) * s;
        float d = gamma[c] * s / m * (m * Gradient(i, dy, y, mask, flags) - sums[2 * c] - xhat * sums[2 * c + 1]);
        if ((flags & Accumulate) != 0) dx[i] += d;
        else dx[i] = d;
    }

    /// <summary>Thread i is weight (o, c, j) of [outer, channels, inner]: folded = w gamma[c] / sqrt(var[c] + eps).</summary>
    public static void FoldWeights(Index1D i, int channels, int inner, ArrayView<float> weights, ArrayView<float> gamma, ArrayView<float> runningVar, float epsilon,
        ArrayView<float> folded)
    {
        int c = i / inner % channels;
        float scale = gamma[c] / XMath.Sqrt(runningVar[c] + epsilon);
        folded[i] = weights[i] * scale;
    }

    /// <summary>Thread c: folded bias = (bias - mean) gamma / sqrt(var + eps) + beta (bias 0 when absent).</summary>
    public static void FoldBias(Index1D c, ArrayView<float> bias, int hasBias, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean,
        ArrayView<float> runningVar, float epsilon, ArrayView<float> folded)
    {
        float scale = gamma[c] / XMath.Sqrt(runningVar[c] + epsilon);
        float b = hasBias != 0 ? bias[c] : 0f;
        folded[c] = (b - runningMean[c]) * scale + beta[c];
    }
}

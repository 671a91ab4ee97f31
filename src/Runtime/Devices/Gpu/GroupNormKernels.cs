using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Group and layer norm (<see cref="NormSets"/>). Group norm's sets are contiguous blocks (channels/groups x inner
/// values): their statistics and backward sums are block reductions, one group per set. Layer norm's sets are the few
/// channels at one position, inner apart: one thread per set, so a warp reads consecutive positions. The elementwise
/// passes use one thread per value; the parameter gradients are block reductions, one group per channel.
/// </summary>
internal static class GroupNormKernels
{
    /// <summary>Group s is group-norm set s: mean and 1/sqrt(biased var + eps), two passes.</summary>
    public static void GroupStatistics(NormSets sets, float epsilon, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invStd)
    {
        var shared = SharedMemory.Allocate<double>(GroupReduce.MaxWarps);
        int s = Grid.IdxX, m = sets.Size;
        long b0 = sets.Base(s);
        double sum = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX) sum += x[b0 + k];
        double mu = GroupReduce.Sum(sum, shared) / m, squares = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX)
        {
            double d = x[b0 + k] - mu;
            squares += d * d;
        }
        squares = GroupReduce.Sum(squares, shared);
        if (!Group.IsFirstThread) return;
        mean[s] = (float)mu;
        invStd[s] = XMath.Rsqrt((float)(squares / m) + epsilon);
    }

    /// <summary>Group s is group-norm set s: sums[2 s] = mean(g), sums[2 s + 1] = mean(g xhat), g = dy gamma[c].</summary>
    public static void GroupBackwardSums(NormSets sets, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma, int hasGamma,
        ArrayView<float> mean, ArrayView<float> invStd, ArrayView<float> sums)
    {
        var shared = SharedMemory.Allocate<double>(2 * GroupReduce.MaxWarps);
        int s = Grid.IdxX, m = sets.Size;
        long b0 = sets.Base(s);
        float mu = mean[s], inv = invStd[s];
        double sumG = 0, sumGX = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX)
        {
            long o = b0 + k;
            float g = hasGamma != 0 ? dy[o] * gamma[sets.ChannelOf(s, k)] : dy[o];
            sumG += g;
            sumGX += g * ((x[o] - mu) * inv);
        }
        GroupReduce.Sum2(ref sumG, ref sumGX, shared);
        if (!Group.IsFirstThread) return;
        sums[2L * s] = (float)(sumG / m);
        sums[2L * s + 1] = (float)(sumGX / m);
    }

    /// <summary>Thread s is layer-norm set s (one position's channels).</summary>
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

    /// <summary>Thread s is layer-norm set s: sums[2 s] = mean(g), sums[2 s + 1] = mean(g xhat), g = dy gamma[c].</summary>
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

    /// <summary>Group c: dgamma[c] += Σ dy xhat and dbeta[c] += Σ dy over the channel's n·inner values.</summary>
    public static void Parameters(NormSets sets, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> invStd,
        ArrayView<float> dgamma, ArrayView<float> dbeta, int wanted)
    {
        var shared = SharedMemory.Allocate<double>(2 * GroupReduce.MaxWarps);
        int c = Grid.IdxX, m = sets.N * sets.Inner;
        double sumDyX = 0, sumDy = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX)
        {
            long j = GroupReduce.ChannelValue(k, c, sets.Channels, sets.Inner), s = sets.SetOf(j);
            float d = dy[j];
            sumDy += d;
            sumDyX += d * ((x[j] - mean[s]) * invStd[s]);
        }
        GroupReduce.Sum2(ref sumDyX, ref sumDy, shared);
        if (!Group.IsFirstThread) return;
        if ((wanted & 1) != 0) dgamma[c] += (float)sumDyX;
        if ((wanted & 2) != 0) dbeta[c] += (float)sumDy;
    }
}

using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>PRelu over [n, channels, inner]: one thread per value, and a block reduction per channel for the slope gradient (a fixed order, no atomics).</summary>
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

    /// <summary>Group c: dslope[c] += the sum of x dy where x &lt;= 0 (or NaN) over the channel's n·inner values (a block reduction).</summary>
    public static void BackwardSlope(int n, int channels, int inner, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dslope)
    {
        var shared = SharedMemory.Allocate<double>(GroupReduce.MaxWarps);
        int c = Grid.IdxX, m = n * inner;
        double sum = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX)
        {
            long i = GroupReduce.ChannelValue(k, c, channels, inner);
            float v = x[i];
            if (!(v > 0f) || FloatBits.IsNaN(v)) sum += v * dy[i];
        }
        sum = GroupReduce.Sum(sum, shared);
        if (Group.IsFirstThread) dslope[c] += (float)sum;
    }
}

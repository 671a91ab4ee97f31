using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>
/// Block reductions for explicitly grouped kernels: each thread of a group first sums its own strided share of the
/// values (so a warp reads consecutive values), then the group combines the per-thread values: shuffles down within
/// each warp, one shared slot per warp, and every thread adds the warp sums in warp order. The order depends only on
/// the group size, never on scheduling, so a result is the same run after run (no atomics). The group size must be a
/// multiple of the warp size and at most <see cref="MaxWarps"/> warps; every thread of the group must call in.
/// </summary>
internal static class GroupReduce
{
    /// <summary>The most warps a group may hold (1024 threads of 32); shared arrays passed in hold this many slots per value.</summary>
    public const int MaxWarps = 32;

    /// <summary>The group's sum of <paramref name="value"/>, returned to every thread. <paramref name="shared"/>: <see cref="MaxWarps"/> slots.</summary>
    public static float Sum(float value, ArrayView<float> shared)
    {
        value = WarpSum(value);
        if (Warp.IsFirstLane) shared[Warp.WarpIdx] = value;
        Group.Barrier();
        float total = 0f;
        int warps = Group.DimX / Warp.WarpSize;
        for (int w = 0; w < warps; w++) total += shared[w];
        // The slots may be reused by the next reduction only once every thread has read them.
        Group.Barrier();
        return total;
    }

    /// <summary>Two sums at once (one pair of barriers); <paramref name="shared"/>: 2 <see cref="MaxWarps"/> slots.</summary>
    public static void Sum2(ref float a, ref float b, ArrayView<float> shared)
    {
        a = WarpSum(a);
        b = WarpSum(b);
        if (Warp.IsFirstLane)
        {
            shared[Warp.WarpIdx] = a;
            shared[MaxWarps + Warp.WarpIdx] = b;
        }
        Group.Barrier();
        float ta = 0f, tb = 0f;
        int warps = Group.DimX / Warp.WarpSize;
        for (int w = 0; w < warps; w++)
        {
            ta += shared[w];
            tb += shared[MaxWarps + w];
        }
        Group.Barrier();
        a = ta;
        b = tb;
    }

    /// <summary>
    /// <see cref="Sum(float, ArrayView{float})"/> in double, for sums that may cancel (normalisation statistics and
    /// their backward sums, bias and slope gradients): the CPU device sums those in double, and a float sum of a few
    /// thousand terms that nearly cancel is off in its third digit. <paramref name="shared"/>: <see cref="MaxWarps"/> slots.
    /// </summary>
    public static double Sum(double value, ArrayView<double> shared)
    {
        value = WarpSum(value);
        if (Warp.IsFirstLane) shared[Warp.WarpIdx] = value;
        Group.Barrier();
        double total = 0;
        int warps = Group.DimX / Warp.WarpSize;
        for (int w = 0; w < warps; w++) total += shared[w];
        Group.Barrier();
        return total;
    }

    /// <summary>Two double sums at once; <paramref name="shared"/>: 2 <see cref="MaxWarps"/> slots.</summary>
    public static void Sum2(ref double a, ref double b, ArrayView<double> shared)
    {
        a = WarpSum(a);
        b = WarpSum(b);
        if (Warp.IsFirstLane)
        {
            shared[Warp.WarpIdx] = a;
            shared[MaxWarps + Warp.WarpIdx] = b;
        }
        Group.Barrier();
        double ta = 0, tb = 0;
        int warps = Group.DimX / Warp.WarpSize;
        for (int w = 0; w < warps; w++)
        {
            ta += shared[w];
            tb += shared[MaxWarps + w];
        }
        Group.Barrier();
        a = ta;
        b = tb;
    }

    /// <summary>The group's maximum (XMath.Max's rule, as the per-thread loops use it), returned to every thread.</summary>
    public static float Max(float value, ArrayView<float> shared)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1)
            value = ILGPU.Algorithms.XMath.Max(value, Warp.ShuffleDown(value, offset));
        if (Warp.IsFirstLane) shared[Warp.WarpIdx] = value;
        Group.Barrier();
        float max = shared[0];
        int warps = Group.DimX / Warp.WarpSize;
        for (int w = 1; w < warps; w++) max = ILGPU.Algorithms.XMath.Max(max, shared[w]);
        Group.Barrier();
        return max;
    }

    /// <summary>
    /// The group's winning (value, index) under max pooling's rule, returned to every thread: the last NaN (largest
    /// index) if any, else the largest value with ties to the smallest index; index -1 is no value. A thread that scans
    /// its own values in increasing index with <see cref="Beats"/> and then calls this gets the sequential scan's answer.
    /// </summary>
    public static void ArgMax(ref float value, ref int index, ArrayView<float> sharedValues, ArrayView<int> sharedIndices)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1)
        {
            float v = Warp.ShuffleDown(value, offset);
            int i = Warp.ShuffleDown(index, offset);
            if (Beats(v, i, value, index))
            {
                value = v;
                index = i;
            }
        }
        if (Warp.IsFirstLane)
        {
            sharedValues[Warp.WarpIdx] = value;
            sharedIndices[Warp.WarpIdx] = index;
        }
        Group.Barrier();
        value = sharedValues[0];
        index = sharedIndices[0];
        int warps = Group.DimX / Warp.WarpSize;
        for (int w = 1; w < warps; w++)
            if (Beats(sharedValues[w], sharedIndices[w], value, index))
            {
                value = sharedValues[w];
                index = sharedIndices[w];
            }
        Group.Barrier();
    }

    /// <summary>Whether (v, i) wins over (best, at): NaN on the bits (a backend's compare with NaN may be unordered), then value, then the earlier index.</summary>
    public static bool Beats(float v, int i, float best, int at)
    {
        if (i < 0) return false;
        if (at < 0) return true;
        bool nan = FloatBits.IsNaN(v), bestNaN = FloatBits.IsNaN(best);
        if (nan || bestNaN) return nan && (!bestNaN || i > at);
        if (v != best) return v > best;
        return i < at;
    }

    /// <summary>Lane 0 gets the warp's sum (the other lanes partial sums): a shuffle-down tree, no shared memory.</summary>
    private static float WarpSum(float value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1) value += Warp.ShuffleDown(value, offset);
        return value;
    }

    private static double WarpSum(double value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1) value += Warp.ShuffleDown(value, offset);
        return value;
    }

    /// <summary>Index of value <paramref name="k"/> of channel <paramref name="c"/> in [n, channels, inner], k running over (image, position).</summary>
    public static long ChannelValue(int k, int c, int channels, int inner) => ((long)(k / inner) * channels + c) * inner + k % inner;
}

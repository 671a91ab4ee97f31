using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>
/// Adaptive and global pooling with PyTorch's windows (<see cref="AdaptivePoolGeometry"/>): forward one thread per
/// output (global average and max pooling one group per plane, block reductions), backward one thread per input position
/// gathering from the windows that hold it (no atomics).
/// </summary>
internal static class AdaptivePoolingKernels
{
    /// <summary>Global average pooling (a 1 x 1 output): group p is plane p, a block-reduced sum of its InH·InW values.</summary>
    public static void GlobalAvgForward(AdaptivePoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        var shared = SharedMemory.Allocate<double>(GroupReduce.MaxWarps);
        int plane = Grid.IdxX, size = g.InH * g.InW;
        long start = (long)plane * size;
        double sum = 0;
        for (int k = Group.IdxX; k < size; k += Group.DimX) sum += x[start + k];
        sum = GroupReduce.Sum(sum, shared);
        if (Group.IsFirstThread) y[plane] = (float)(sum / size);
    }

    /// <summary>Global max pooling (a 1 x 1 output): group p is plane p, its maximum and switch by <see cref="GroupReduce.ArgMax"/> (the first maximum, the last NaN).</summary>
    public static void GlobalMaxForward(AdaptivePoolGeometry g, ArrayView<float> x, ArrayView<float> y, ArrayView<int> switches)
    {
        var values = SharedMemory.Allocate<float>(GroupReduce.MaxWarps);
        var indices = SharedMemory.Allocate<int>(GroupReduce.MaxWarps);
        int plane = Grid.IdxX, size = g.InH * g.InW;
        long start = (long)plane * size;
        float best = float.NegativeInfinity;
        int at = -1;
        for (int k = Group.IdxX; k < size; k += Group.DimX)
        {
            float v = x[start + k];
            if (GroupReduce.Beats(v, k, best, at))
            {
                best = v;
                at = k;
            }
        }
        GroupReduce.ArgMax(ref best, ref at, values, indices);
        if (!Group.IsFirstThread) return;
        y[plane] = best;
        switches[plane] = at;
    }

    public static void AvgForward(Index1D i, AdaptivePoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        int ox = i % g.OutW, t = i / g.OutW, oy = t % g.OutH, plane = t / g.OutH;
        int r0 = AdaptivePoolGeometry.Start(oy, g.InH, g.OutH), r1 = AdaptivePoolGeometry.End(oy, g.InH, g.OutH);
        int c0 = AdaptivePoolGeometry.Start(ox, g.InW, g.OutW), c1 = AdaptivePoolGeometry.End(ox, g.InW, g.OutW);
        long xPlane = (long)plane * g.InH * g.InW;
        float sum = 0f;
        for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++) sum += x[xPlane + (long)r * g.InW + c];
        y[i] = sum / ((r1 - r0) * (c1 - c0));
    }

    /// <summary>The first of equal maxima, the last NaN (tested on the bits: a backend's compare with NaN may be unordered).</summary>
    public static void MaxForward(Index1D i, AdaptivePoolGeometry g, ArrayView<float> x, ArrayView<float> y, ArrayView<int> switches)
    {
        int ox = i % g.OutW, t = i / g.OutW, oy = t % g.OutH, plane = t / g.OutH;
        int r0 = AdaptivePoolGeometry.Start(oy, g.InH, g.OutH), r1 = AdaptivePoolGeometry.End(oy, g.InH, g.OutH);
        int c0 = AdaptivePoolGeometry.Start(ox, g.InW, g.OutW), c1 = AdaptivePoolGeometry.End(ox, g.InW, g.OutW);
        long xPlane = (long)plane * g.InH * g.InW;
        float best = float.NegativeInfinity;
        int arg = r0 * g.InW + c0;
        for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++)
            {
                float v = x[xPlane + (long)r * g.InW + c];
                if (FloatBits.IsNaN(v) || (!FloatBits.IsNaN(best) && v > best))
                {
                    best = v;
                    arg = r * g.InW + c;
                }
            }
        y[i] = best;
        switches[i] = arg;
    }

    public static void AvgBackward(Index1D p, AdaptivePoolGeometry g, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        int c = p % g.InW, t = p / g.InW, r = t % g.InH, plane = t / g.InH;
        long yPlane = (long)plane * g.OutH * g.OutW;
        int i0 = AdaptivePoolGeometry.FirstCovering(r, g.InH, g.OutH), i1 = AdaptivePoolGeometry.EndCovering(r, g.InH, g.OutH);
        int j0 = AdaptivePoolGeometry.FirstCovering(c, g.InW, g.OutW), j1 = AdaptivePoolGeometry.EndCovering(c, g.InW, g.OutW);
        float sum = 0f;
        for (int i = i0; i < i1; i++)
        {
            int r0 = AdaptivePoolGeometry.Start(i, g.InH, g.OutH), r1 = AdaptivePoolGeometry.End(i, g.InH, g.OutH);
            if (r < r0 || r >= r1) continue;
            for (int j = j0; j < j1; j++)
            {
                int c0 = AdaptivePoolGeometry.Start(j, g.InW, g.OutW), c1 = AdaptivePoolGeometry.End(j, g.InW, g.OutW);
                if (c >= c0 && c < c1) sum += dy[yPlane + i * g.OutW + j] / ((r1 - r0) * (c1 - c0));
            }
        }
        if (accumulate != 0) dx[p] += sum;
        else dx[p] = sum;
    }

    public static void MaxBackward(Index1D p, AdaptivePoolGeometry g, ArrayView<float> dy, ArrayView<int> switches, ArrayView<float> dx, int accumulate)
    {
        int c = p % g.InW, t = p / g.InW, r = t % g.InH, plane = t / g.InH;
        long yPlane = (long)plane * g.OutH * g.OutW;
        int i0 = AdaptivePoolGeometry.FirstCovering(r, g.InH, g.OutH), i1 = AdaptivePoolGeometry.EndCovering(r, g.InH, g.OutH);
        int j0 = AdaptivePoolGeometry.FirstCovering(c, g.InW, g.OutW), j1 = AdaptivePoolGeometry.EndCovering(c, g.InW, g.OutW);
        int at = r * g.InW + c;
        float sum = 0f;
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++)
                if (switches[yPlane + i * g.OutW + j] == at) sum += dy[yPlane + i * g.OutW + j];
        if (accumulate != 0) dx[p] += sum;
        else dx[p] = sum;
    }
}

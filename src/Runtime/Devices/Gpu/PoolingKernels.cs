using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Max/average pooling and max unpooling. Window tap (ky, kx) of output (oy, ox) reads iy = oy*StrideH - PadTop + ky*DilationH
/// (<see cref="WindowTap"/>); taps outside the input are skipped. Backward passes gather per input element, so no
/// atomics are needed.
/// </summary>
internal static class PoolingKernels
{
    /// <summary>Thread i is output (b, c, oy, ox): the first maximum of its window (or its last NaN), and its position iy*InW + ix.</summary>
    public static void MaxForward(Index1D i, PoolGeometry g, ArrayView<float> x, ArrayView<float> y, ArrayView<int> switches, int hasSwitches)
    {
        int ox = i % g.OutW;
        int t = i / g.OutW;
        int oy = t % g.OutH;
        int plane = t / g.OutH;
        long xPlane = (long)plane * g.InH * g.InW;
        float best = float.NegativeInfinity;
        int arg = -1;
        for (int ky = 0; ky < g.KernelH; ky++)
        {
            int iy = WindowTap.Input(oy, ky, g.StrideH, g.PadTop, g.DilationH, g.InH);
            if (iy < 0) continue;
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int ix = WindowTap.Input(ox, kx, g.StrideW, g.PadLeft, g.DilationW, g.InW);
                if (ix < 0) continue;
                float v = x[xPlane + (long)iy * g.InW + ix];
                // PyTorch's rule on every device (the CPU's vector paths too): a value wins when greater (ties keep the
                // earlier element) or NaN (the last NaN wins; nothing else beats a NaN best). NaN is tested on the bits,
                // as ILGPU's compares against a NaN may be unordered.
                if (arg < 0 || FloatBits.IsNaN(v) || (!FloatBits.IsNaN(best) && v > best))
                {
                    best = v;
                    arg = iy * g.InW + ix;
                }
            }
        }
        y[i] = arg < 0 ? 0f : best;
        if (hasSwitches != 0) switches[i] = arg < 0 ? 0 : arg;
    }

    /// <summary>
    /// Thread i is element p = (b, c, iy, ix) of the pool's input: the sum of src over the windows whose switch is p.
    /// This is max-pool backward (src = dy) and max-unpool forward (src = the pooled values).
    /// </summary>
    public static void ScatterToSwitches(Index1D i, PoolGeometry g, ArrayView<float> src, ArrayView<int> switches, ArrayView<float> dst, int accumulate)
    {
        int ix = i % g.InW;
        int t = i / g.InW;
        int iy = t % g.InH;
        int plane = t / g.InH;
        int p = iy * g.InW + ix;
        long oPlane = (long)plane * g.OutH * g.OutW;
        float sum = 0f;
        for (int ky = 0; ky < g.KernelH; ky++)
        {
            int oy = WindowTap.Output(iy, ky, g.StrideH, g.PadTop, g.DilationH, g.OutH);
            if (oy < 0) continue;
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int ox = WindowTap.Output(ix, kx, g.StrideW, g.PadLeft, g.DilationW, g.OutW);
                if (ox < 0) continue;
                long o = oPlane + (long)oy * g.OutW + ox;
                if (switches[o] == p) sum += src[o];
            }
        }
        if (accumulate != 0) dst[i] += sum;
        else dst[i] = sum;
    }

    /// <summary>Thread i is pooled element (b, c, oy, ox): dst = src[b, c, switch] (max-unpool backward).</summary>
    public static void GatherAtSwitches(Index1D i, PoolGeometry g, ArrayView<float> src, ArrayView<int> switches, ArrayView<float> dst, int accumulate)
    {
        int plane = i / (g.OutH * g.OutW);
        float v = src[(long)plane * g.InH * g.InW + switches[i]];
        if (accumulate != 0) dst[i] += v;
        else dst[i] = v;
    }

    /// <summary>Thread i is output (b, c, oy, ox): the mean of the window's in-bounds taps.</summary>
    public static void AvgForward(Index1D i, PoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        int ox = i % g.OutW;
        int t = i / g.OutW;
        int oy = t % g.OutH;
        int plane = t / g.OutH;
        long xPlane = (long)plane * g.InH * g.InW;
        float sum = 0f;
        int count = 0;
        for (int ky = 0; ky < g.KernelH; ky++)
        {
            int iy = WindowTap.Input(oy, ky, g.StrideH, g.PadTop, g.DilationH, g.InH);
            if (iy < 0) continue;
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int ix = WindowTap.Input(ox, kx, g.StrideW, g.PadLeft, g.DilationW, g.InW);
                if (ix < 0) continue;
                sum += x[xPlane + (long)iy * g.InW + ix];
                count++;
            }
        }
        y[i] = count > 0 ? sum / count : 0f;
    }

    /// <summary>Thread i is input (b, c, iy, ix): the sum of dy / count over the windows that contain it.</summary>
    public static void AvgBackward(Index1D i, PoolGeometry g, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        int ix = i % g.InW;
        int t = i / g.InW;
        int iy = t % g.InH;
        int plane = t / g.InH;
        long oPlane = (long)plane * g.OutH * g.OutW;
        float sum = 0f;
        for (int ky = 0; ky < g.KernelH; ky++)
        {
            int oy = WindowTap.Output(iy, ky, g.StrideH, g.PadTop, g.DilationH, g.OutH);
            if (oy < 0) continue;
            int countH = WindowTap.InBounds(oy, g.KernelH, g.StrideH, g.PadTop, g.DilationH, g.InH);
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int ox = WindowTap.Output(ix, kx, g.StrideW, g.PadLeft, g.DilationW, g.OutW);
                if (ox < 0) continue;
                int countW = WindowTap.InBounds(ox, g.KernelW, g.StrideW, g.PadLeft, g.DilationW, g.InW);
                sum += dy[oPlane + (long)oy * g.OutW + ox] / (countH * countW);
            }
        }
        if (accumulate != 0) dx[i] += sum;
        else dx[i] = sum;
    }
}

using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>Upsampling and pixel shuffle: forward one thread per output value, backward one per input value gathering what it was read into (no atomics).</summary>
internal static class ResamplingKernels
{
    /// <summary>The geometry in ints (a kernel parameter cannot hold a bool): sizes, 1 for bilinear, 1 for aligned corners.</summary>
    internal readonly struct Geometry(UpsampleGeometry g)
    {
        public readonly int InH = g.InH, InW = g.InW, OutH = g.OutH, OutW = g.OutW;
        public readonly int Bilinear = g.Mode == UpsampleMode.Bilinear ? 1 : 0, AlignCorners = g.AlignCorners ? 1 : 0;
    }

    public static void UpsampleForward(Index1D i, Geometry g, ArrayView<float> x, ArrayView<float> y)
    {
        int ox = i % g.OutW, t = i / g.OutW, oy = t % g.OutH, plane = t / g.OutH;
        long xPlane = (long)plane * g.InH * g.InW;
        if (g.Bilinear == 0)
        {
            y[i] = x[xPlane + (long)(oy / (g.OutH / g.InH)) * g.InW + ox / (g.OutW / g.InW)];
            return;
        }
        var ty = UpsampleGeometry.Tap(oy, g.InH, g.OutH, g.AlignCorners != 0);
        var tx = UpsampleGeometry.Tap(ox, g.InW, g.OutW, g.AlignCorners != 0);
        long r0 = xPlane + (long)ty.I0 * g.InW, r1 = xPlane + (long)ty.I1 * g.InW;
        float wx1 = tx.Weight1, wx0 = 1f - wx1, wy1 = ty.Weight1, wy0 = 1f - wy1;
        y[i] = wy0 * (wx0 * x[r0 + tx.I0] + wx1 * x[r0 + tx.I1]) + wy1 * (wx0 * x[r1 + tx.I0] + wx1 * x[r1 + tx.I1]);
    }

    public static void UpsampleBackward(Index1D p, Geometry g, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        int ix = p % g.InW, t = p / g.InW, iy = t % g.InH, plane = t / g.InH;
        long yPlane = (long)plane * g.OutH * g.OutW;
        float sum = 0f;
        if (g.Bilinear == 0)
        {
            int sh = g.OutH / g.InH, sw = g.OutW / g.InW;
            for (int a = 0; a < sh; a++)
                for (int b = 0; b < sw; b++) sum += dy[yPlane + (long)(iy * sh + a) * g.OutW + ix * sw + b];
        }
        else
        {
            int oy0 = UpsampleGeometry.FirstReaching(iy, g.InH, g.OutH), oy1 = UpsampleGeometry.EndReaching(iy, g.InH, g.OutH);
            int ox0 = UpsampleGeometry.FirstReaching(ix, g.InW, g.OutW), ox1 = UpsampleGeometry.EndReaching(ix, g.InW, g.OutW);
            for (int oy = oy0; oy < oy1; oy++)
            {
                float wy = UpsampleGeometry.Tap(oy, g.InH, g.OutH, g.AlignCorners != 0).WeightOf(iy);
                if (wy == 0f) continue;
                for (int ox = ox0; ox < ox1; ox++)
                {
                    float wx = UpsampleGeometry.Tap(ox, g.InW, g.OutW, g.AlignCorners != 0).WeightOf(ix);
                    if (wx != 0f) sum += wy * wx * dy[yPlane + (long)oy * g.OutW + ox];
                }
            }
        }
        if (accumulate != 0) dx[p] += sum;
        else dx[p] = sum;
    }

    /// <summary>Thread i is output value (b, c, y, x) of [n, channels, h r, w r]; it reads x[b, c r^2 + (y % r) r + x % r, y / r, x / r].</summary>
    public static void PixelShuffleForward(Index1D i, int channels, int h, int w, int r, ArrayView<float> x, ArrayView<float> y)
    {
        y[i] = x[ShuffleSource(i, channels, h, w, r)];
    }

    /// <summary>The same map read the other way: output gradient i lands on its source.</summary>
    public static void PixelShuffleBackward(Index1D i, int channels, int h, int w, int r, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        long s = ShuffleSource(i, channels, h, w, r);
        if (accumulate != 0) dx[s] += dy[i];
        else dx[s] = dy[i];
    }

    private static long ShuffleSource(int i, int channels, int h, int w, int r)
    {
        int outW = w * r, outH = h * r;
        int ox = i % outW, t = i / outW, oy = t % outH, plane = t / outH;
        int b = plane / channels, c = plane % channels;
        long inChannel = (long)b * channels * r * r + (long)c * r * r + (oy % r) * r + ox % r;
        return (inChannel * h + oy / r) * w + ox / r;
    }
}

using System;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Upsampling and pixel shuffle, one (image, channel) plane per step, planes spread over the workers in fixed groups.
/// Backward passes write each plane from one work item (a bilinear plane scatters in output order), so results do not
/// depend on the thread count.
/// </summary>
internal static unsafe class CpuResampling
{
    internal enum Op { Upsample, UpsampleBackward, Shuffle, ShuffleBackward }

    private struct Args
    {
        public UpsampleGeometry G;
        public Op Op;
        public int Planes, PlanesPerItem, R;
        public float* Src, Dst;
        public bool Accumulate;
    }

    internal static void Upsample(CpuWorkspace ws, in UpsampleGeometry g, int n, bool backward, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        g.Check(backward ? "UpsampleBackward" : "UpsampleForward", n);
        long inSize = n * g.InputSize, outSize = n * g.OutputSize;
        var args = new Args
        {
            G = g, Op = backward ? Op.UpsampleBackward : Op.Upsample, Planes = n * g.Channels, Accumulate = accumulate,
            Src = P(src, backward ? outSize : inSize, backward ? "dy" : "x"), Dst = P(dst, backward ? inSize : outSize, backward ? "dx" : "y"),
        };
        Run(ws, ref args);
    }

    /// <summary>Planes are the output's (image, channel) pairs; each gathers its r^2 input planes.</summary>
    internal static void PixelShuffle(CpuWorkspace ws, int n, int channels, int h, int w, int r, bool backward, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        Device.CheckPixelShuffle(backward ? "PixelShuffleBackward" : "PixelShuffleForward", n, channels, h, w, r);
        long size = (long)n * channels * r * r * h * w;
        var args = new Args
        {
            G = new UpsampleGeometry(channels, h, w, h * r, w * r, UpsampleMode.Nearest), R = r,
            Op = backward ? Op.ShuffleBackward : Op.Shuffle, Planes = n * channels, Accumulate = accumulate,
            Src = P(src, size, backward ? "dy" : "x"), Dst = P(dst, size, backward ? "dx" : "y"),
        };
        Run(ws, ref args);
    }

    private static void Run(CpuWorkspace ws, ref Args args)
    {
        if (args.Planes == 0) return;
        args.PlanesPerItem = Math.Max(1, args.Planes / (ws.Workers * 8));
        fixed (Args* p = &args) ws.Run(p, (args.Planes + args.PlanesPerItem - 1) / args.PlanesPerItem, &Item);
    }

    private static void Item(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        long inPlane = (long)a.G.InH * a.G.InW, outPlane = (long)a.G.OutH * a.G.OutW;
        for (int plane = first; plane < last; plane++)
            switch (a.Op)
            {
                case Op.Upsample:
                    if (a.G.Mode == UpsampleMode.Nearest) NearestPlane(a.G, a.Src + plane * inPlane, a.Dst + plane * outPlane);
                    else BilinearPlane(a.G, a.Src + plane * inPlane, a.Dst + plane * outPlane);
                    break;
                case Op.UpsampleBackward:
                    if (a.G.Mode == UpsampleMode.Nearest) NearestBackwardPlane(a.G, a.Src + plane * outPlane, a.Dst + plane * inPlane, a.Accumulate);
                    else BilinearBackwardPlane(a.G, a.Src + plane * outPlane, a.Dst + plane * inPlane, a.Accumulate);
                    break;
                default:
                    // The output plane (image, channel) is input planes channel r^2 .. channel r^2 + r^2 - 1 of the same image.
                    bool back = a.Op == Op.ShuffleBackward;
                    ShufflePlane(a.G.InH, a.G.InW, a.R, (back ? a.Dst : a.Src) + plane * outPlane, (back ? a.Src : a.Dst) + plane * outPlane, back, a.Accumulate);
                    break;
            }
    }

    private static void NearestPlane(in UpsampleGeometry g, float* x, float* y)
    {
        int sh = g.OutH / g.InH, sw = g.OutW / g.InW;
        for (int oy = 0; oy < g.OutH; oy++)
        {
            float* src = x + (long)(oy / sh) * g.InW, dst = y + (long)oy * g.OutW;
            if (sw == 1) new ReadOnlySpan<float>(src, g.InW).CopyTo(new Span<float>(dst, g.OutW));
            else
                for (int ix = 0; ix < g.InW; ix++)
                    new Span<float>(dst + ix * sw, sw).Fill(src[ix]);
        }
    }

    /// <summary>Each input value sums its sh x sw block of dy (rows in order, so the sum's order is fixed).</summary>
    private static void NearestBackwardPlane(in UpsampleGeometry g, float* dy, float* dx, bool accumulate)
    {
        int sh = g.OutH / g.InH, sw = g.OutW / g.InW;
        for (int iy = 0; iy < g.InH; iy++)
            for (int ix = 0; ix < g.InW; ix++)
            {
                float sum = 0f;
                for (int a = 0; a < sh; a++)
                {
                    float* row = dy + (long)(iy * sh + a) * g.OutW + ix * sw;
                    for (int b = 0; b < sw; b++) sum += row[b];
                }
                Put(dx + (long)iy * g.InW + ix, sum, accumulate);
            }
    }

    private static void BilinearPlane(in UpsampleGeometry g, float* x, float* y)
    {
        for (int oy = 0; oy < g.OutH; oy++)
        {
            var ty = UpsampleGeometry.Tap(oy, g.InH, g.OutH, g.AlignCorners);
            float* r0 = x + (long)ty.I0 * g.InW, r1 = x + (long)ty.I1 * g.InW, dst = y + (long)oy * g.OutW;
            float wy1 = ty.Weight1, wy0 = 1f - wy1;
            for (int ox = 0; ox < g.OutW; ox++)
            {
                var tx = UpsampleGeometry.Tap(ox, g.InW, g.OutW, g.AlignCorners);
                float wx1 = tx.Weight1, wx0 = 1f - wx1;
                dst[ox] = wy0 * (wx0 * r0[tx.I0] + wx1 * r0[tx.I1]) + wy1 * (wx0 * r1[tx.I0] + wx1 * r1[tx.I1]);
            }
        }
    }

    private static void BilinearBackwardPlane(in UpsampleGeometry g, float* dy, float* dx, bool accumulate)
    {
        long inPlane = (long)g.InH * g.InW;
        if (!accumulate) new Span<float>(dx, (int)inPlane).Clear();
        for (int oy = 0; oy < g.OutH; oy++)
        {
            var ty = UpsampleGeometry.Tap(oy, g.InH, g.OutH, g.AlignCorners);
            float* r0 = dx + (long)ty.I0 * g.InW, r1 = dx + (long)ty.I1 * g.InW, src = dy + (long)oy * g.OutW;
            float wy1 = ty.Weight1, wy0 = 1f - wy1;
            for (int ox = 0; ox < g.OutW; ox++)
            {
                var tx = UpsampleGeometry.Tap(ox, g.InW, g.OutW, g.AlignCorners);
                float wx1 = tx.Weight1, wx0 = 1f - wx1, d = src[ox];
                r0[tx.I0] += wy0 * wx0 * d;
                r0[tx.I1] += wy0 * wx1 * d;
                r1[tx.I0] += wy1 * wx0 * d;
                r1[tx.I1] += wy1 * wx1 * d;
            }
        }
    }

    /// <summary>
    /// One output plane of the shuffle from its r^2 input planes (<paramref name="inputs"/> points at the first, the
    /// planes back to back), or, backward, those input planes' gradients from the output plane's.
    /// </summary>
    private static void ShufflePlane(int h, int w, int r, float* inputs, float* output, bool backward, bool accumulate)
    {
        long inPlane = (long)h * w;
        int outW = w * r;
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            {
                float* plane = inputs + (i * r + j) * inPlane;
                for (int y = 0; y < h; y++)
                {
                    float* row = plane + (long)y * w, outRow = output + (long)(y * r + i) * outW + j;
                    if (backward)
                        for (int x = 0; x < w; x++) Put(row + x, outRow[x * r], accumulate);
                    else
                        for (int x = 0; x < w; x++) outRow[x * r] = row[x];
                }
            }
    }
}

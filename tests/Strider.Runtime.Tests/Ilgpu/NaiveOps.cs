using Strider.Devices;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>
/// Plain loops written from the definitions, in scatter form where the kernels gather, so the two are independent.
/// </summary>
internal static class NaiveOps
{
    /// <summary>Visits every (b, oc, oy, ox, ic, ky, kx) whose input tap is in bounds, with flat x, w and y indices.</summary>
    private static void ForEachTap(ConvGeometry g, int n, Action<int, int, int, int> visit)
    {
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < g.OutChannels; oc++)
        for (int oy = 0; oy < g.OutH; oy++)
        for (int ox = 0; ox < g.OutW; ox++)
        for (int ic = 0; ic < g.InChannels; ic++)
        for (int ky = 0; ky < g.KernelH; ky++)
        for (int kx = 0; kx < g.KernelW; kx++)
        {
            int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH, ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
            if (iy < 0 || iy >= g.InH || ix < 0 || ix >= g.InW) continue;
            int xi = ((b * g.InChannels + ic) * g.InH + iy) * g.InW + ix;
            int wi = ((oc * g.InChannels + ic) * g.KernelH + ky) * g.KernelW + kx;
            int yi = ((b * g.OutChannels + oc) * g.OutH + oy) * g.OutW + ox;
            visit(xi, wi, yi, oc);
        }
    }

    public static float[] ConvForward(ConvGeometry g, int n, float[] x, float[] w, float[]? bias)
    {
        var y = new float[n * g.OutputSize];
        int plane = g.OutH * g.OutW;
        if (bias != null)
            for (int i = 0; i < y.Length; i++) y[i] = bias[i / plane % g.OutChannels];
        ForEachTap(g, n, (xi, wi, yi, _) => y[yi] += x[xi] * w[wi]);
        return y;
    }

    public static float[] ConvBackwardData(ConvGeometry g, int n, float[] dy, float[] w)
    {
        var dx = new float[n * g.InputSize];
        ForEachTap(g, n, (xi, wi, yi, _) => dx[xi] += dy[yi] * w[wi]);
        return dx;
    }

    public static (float[] Dw, float[] Db) ConvBackwardWeights(ConvGeometry g, int n, float[] x, float[] dy)
    {
        var dw = new float[g.WeightSize];
        var db = new float[g.OutChannels];
        ForEachTap(g, n, (xi, wi, yi, _) => dw[wi] += x[xi] * dy[yi]);
        int plane = g.OutH * g.OutW;
        for (int i = 0; i < dy.Length; i++) db[i / plane % g.OutChannels] += dy[i];
        return (dw, db);
    }

    /// <summary>Max pool with PyTorch's switches (the first maximum, or the last NaN); returns y and switches.</summary>
    public static (float[] Y, int[] Switches) MaxPool(PoolGeometry g, int n, float[] x)
    {
        var y = new float[n * g.OutputSize];
        var s = new int[y.Length];
        for (int p = 0; p < n * g.Channels; p++)
        for (int oy = 0; oy < g.OutH; oy++)
        for (int ox = 0; ox < g.OutW; ox++)
        {
            float best = float.NegativeInfinity;
            int arg = -1;
            for (int ky = 0; ky < g.KernelH; ky++)
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH, ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                if (iy < 0 || iy >= g.InH || ix < 0 || ix >= g.InW) continue;
                float v = x[(p * g.InH + iy) * g.InW + ix];
                if (arg < 0 || v > best || float.IsNaN(v)) { best = v; arg = iy * g.InW + ix; }
            }
            int o = (p * g.OutH + oy) * g.OutW + ox;
            y[o] = best;
            s[o] = arg;
        }
        return (y, s);
    }

    /// <summary>Scatters each pooled value to its switch (max-pool backward, max-unpool forward).</summary>
    public static float[] Scatter(PoolGeometry g, int n, float[] src, int[] switches)
    {
        var dst = new float[n * g.InputSize];
        int outPlane = g.OutH * g.OutW, inPlane = g.InH * g.InW;
        for (int o = 0; o < src.Length; o++) dst[o / outPlane * inPlane + switches[o]] += src[o];
        return dst;
    }

    public static (float[] Y, float[] Dx) AvgPool(PoolGeometry g, int n, float[] x, float[] dy)
    {
        var y = new float[n * g.OutputSize];
        var dx = new float[n * g.InputSize];
        for (int p = 0; p < n * g.Channels; p++)
        for (int oy = 0; oy < g.OutH; oy++)
        for (int ox = 0; ox < g.OutW; ox++)
        {
            var taps = new List<int>();
            for (int ky = 0; ky < g.KernelH; ky++)
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH, ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                if (iy >= 0 && iy < g.InH && ix >= 0 && ix < g.InW) taps.Add((p * g.InH + iy) * g.InW + ix);
            }
            int o = (p * g.OutH + oy) * g.OutW + ox;
            y[o] = taps.Sum(t => x[t]) / taps.Count;
            foreach (int t in taps) dx[t] += dy[o] / taps.Count;
        }
        return (y, dx);
    }
}

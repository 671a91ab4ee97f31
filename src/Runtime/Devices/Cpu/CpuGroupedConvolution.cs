using System;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Grouped and depthwise convolution as a direct kernel (a GEMM per group would have K = InPerGroup x 9, a few taps):
/// each tap adds weight x input row into an output row, 8 output columns at a time where the stride across is 1 (the
/// depthwise 3x3 case), one at a time otherwise. Work items own whole planes: forward an (image, output channel),
/// backward data an (image, input channel), backward weights an output channel over the batch, so sums run in a fixed
/// order whatever the thread count.
/// </summary>
internal static unsafe class CpuGroupedConvolution
{
    private struct Args
    {
        public ConvGeometry G;
        public int N;
        public float* X, W, Bias, Y;
        public bool Accumulate;
    }

    internal static void Forward(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        var args = new Args
        {
            G = g, N = n, X = P(x, n * g.InputSize, nameof(x)), W = P(w, g.WeightSize, nameof(w)),
            Bias = bias is null ? null : P(bias, g.OutChannels, nameof(bias)), Y = P(y, n * g.OutputSize, nameof(y)),
        };
        if (n * g.OutputSize > 0) ws.Run(&args, n * g.OutChannels, &ForwardPlane);
    }

    /// <summary>X = dy, Y = dx.</summary>
    internal static void BackwardData(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        var args = new Args
        {
            G = g, N = n, Accumulate = accumulate, X = P(dy, n * g.OutputSize, nameof(dy)), W = P(w, g.WeightSize, nameof(w)), Y = P(dx, n * g.InputSize, nameof(dx)),
        };
        if (n * g.InputSize > 0) ws.Run(&args, n * g.InChannels, &BackwardDataPlane);
    }

    /// <summary>X = x, Y = dy, W = dw (accumulated), Bias = dbias (accumulated).</summary>
    internal static void BackwardWeights(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        var args = new Args
        {
            G = g, N = n, X = P(x, n * g.InputSize, nameof(x)), Y = P(dy, n * g.OutputSize, nameof(dy)), W = P(dw, g.WeightSize, nameof(dw)),
            Bias = dbias is null ? null : P(dbias, g.OutChannels, nameof(dbias)),
        };
        if (g.WeightSize > 0) ws.Run(&args, g.OutChannels, &BackwardWeightsChannel);
    }

    /// <summary>The output columns [lo, hi) whose tap at column offset <paramref name="offset"/> (ix = ox stride + offset) lies inside the input.</summary>
    private static (int Lo, int Hi) Columns(int offset, int stride, int inW, int outW)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = inW - 1 - offset < 0 ? 0 : Math.Min(outW, (inW - 1 - offset) / stride + 1);
        return (lo, Math.Max(lo, hi));
    }

    private static void ForwardPlane(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        int b = item / g.OutChannels, oc = item % g.OutChannels;
        int icpg = g.InPerGroup, ic0 = oc / g.OutPerGroup * icpg;
        float* y = a.Y + (long)item * g.OutH * g.OutW;
        new Span<float>(y, g.OutH * g.OutW).Fill(a.Bias == null ? 0f : a.Bias[oc]);
        for (int icl = 0; icl < icpg; icl++)
        {
            float* x = a.X + ((long)b * g.InChannels + ic0 + icl) * g.InH * g.InW;
            float* w = a.W + ((long)oc * icpg + icl) * g.KernelH * g.KernelW;
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    float wv = w[ky * g.KernelW + kx];
                    int offset = kx * g.DilationW - g.PadLeft;
                    var (lo, hi) = Columns(offset, g.StrideW, g.InW, g.OutW);
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if (iy < 0 || iy >= g.InH) continue;
                        AxpyRow(y + (long)oy * g.OutW, x + (long)iy * g.InW + offset, wv, lo, hi, g.StrideW);
                    }
                }
        }
    }

    /// <summary>dst[o] += w src[o stride] for o in [lo, hi): 8 at a time when the stride is 1.</summary>
    private static void AxpyRow(float* dst, float* src, float w, int lo, int hi, int stride)
    {
        int o = lo;
        if (stride == 1 && Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            for (; o + 8 <= hi; o += 8) (Vector256.Load(dst + o) + vw * Vector256.Load(src + o)).Store(dst + o);
        }
        for (; o < hi; o++) dst[o] += w * src[(long)o * stride];
    }

    private static void BackwardDataPlane(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        int b = item / g.InChannels, ic = item % g.InChannels;
        int icpg = g.InPerGroup, ocpg = g.OutPerGroup, oc0 = ic / icpg * ocpg;
        float* dx = a.Y + (long)item * g.InH * g.InW;
        if (!a.Accumulate) new Span<float>(dx, g.InH * g.InW).Clear();
        for (int oc = oc0; oc < oc0 + ocpg; oc++)
        {
            float* dy = a.X + ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            float* w = a.W + ((long)oc * icpg + ic % icpg) * g.KernelH * g.KernelW;
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    float wv = w[ky * g.KernelW + kx];
                    int offset = kx * g.DilationW - g.PadLeft;
                    var (lo, hi) = Columns(offset, g.StrideW, g.InW, g.OutW);
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if (iy < 0 || iy >= g.InH) continue;
                        ScatterRow(dx + (long)iy * g.InW + offset, dy + (long)oy * g.OutW, wv, lo, hi, g.StrideW);
                    }
                }
        }
    }

    /// <summary>dst[o stride] += w src[o] for o in [lo, hi): 8 at a time when the stride is 1.</summary>
    private static void ScatterRow(float* dst, float* src, float w, int lo, int hi, int stride)
    {
        int o = lo;
        if (stride == 1 && Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            for (; o + 8 <= hi; o += 8) (Vector256.Load(dst + o) + vw * Vector256.Load(src + o)).Store(dst + o);
        }
        for (; o < hi; o++) dst[(long)o * stride] += w * src[o];
    }

    private static void BackwardWeightsChannel(object state, void* args, int oc, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        int icpg = g.InPerGroup, ic0 = oc / g.OutPerGroup * icpg;
        for (int icl = 0; icl < icpg; icl++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    int offset = kx * g.DilationW - g.PadLeft;
                    var (lo, hi) = Columns(offset, g.StrideW, g.InW, g.OutW);
                    double sum = 0;
                    for (int b = 0; b < a.N; b++)
                    {
                        float* x = a.X + ((long)b * g.InChannels + ic0 + icl) * g.InH * g.InW;
                        float* dy = a.Y + ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
                        for (int oy = 0; oy < g.OutH; oy++)
                        {
                            int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                            if (iy < 0 || iy >= g.InH) continue;
                            sum += DotRow(dy + (long)oy * g.OutW, x + (long)iy * g.InW + offset, lo, hi, g.StrideW);
                        }
                    }
                    a.W[((long)oc * icpg + icl) * g.KernelH * g.KernelW + ky * g.KernelW + kx] += (float)sum;
                }
        if (a.Bias == null) return;
        double db = 0;
        for (int b = 0; b < a.N; b++)
        {
            float* dy = a.Y + ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            for (int i = 0; i < g.OutH * g.OutW; i++) db += dy[i];
        }
        a.Bias[oc] += (float)db;
    }

    /// <summary>The sum of a[o] b[o stride] for o in [lo, hi), 8 lanes in double when the stride is 1.</summary>
    private static double DotRow(float* a, float* b, int lo, int hi, int stride)
    {
        int o = lo;
        double sum = 0;
        if (stride == 1 && Vector256.IsHardwareAccelerated && hi - lo >= 8)
        {
            Vector256<double> s0 = default, s1 = default;
            for (; o + 8 <= hi; o += 8)
            {
                var (p0, p1) = Vector256.Widen(Vector256.Load(a + o) * Vector256.Load(b + o));
                s0 += p0;
                s1 += p1;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; o < hi; o++) sum += a[o] * b[(long)o * stride];
        return sum;
    }
}

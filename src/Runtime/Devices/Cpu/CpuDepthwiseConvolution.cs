using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Depthwise convolution forward (one input channel per group, any channel multiplier, kernel, padding and dilation,
/// stride across up to <see cref="MaxStride"/>). A work item owns one (image, input channel) plane: it copies the plane
/// once into a zero-padded copy whose rows are split by column phase (stride across 2: the even padded columns, then
/// the odd ones), so each tap of 8 neighbouring outputs is one contiguous load and the borders need no tests; then it
/// writes every output plane of that channel row by row, 8 columns at a time, the 3x3 taps' weights in registers.
/// Each output is one fixed sum of its taps, so results do not depend on the thread count or on where a row's vectors
/// fall.
/// </summary>
internal static unsafe class CpuDepthwiseConvolution
{
    private const int Lanes = 8;

    /// <summary>Most stride across the phase-split copy takes (wider strides run the grouped direct kernel).</summary>
    internal const int MaxStride = 4;

    private struct Args
    {
        public ConvGeometry G;
        public float* X, W, Bias, Y;
        /// <summary>The padded copy: rows of <see cref="RowStride"/> floats (Phases segments of PhaseLength each), Rows of them.</summary>
        public int Rows, PhaseLength, RowStride;
    }

    /// <summary>Whether <see cref="Forward"/> runs <paramref name="g"/> (otherwise <see cref="CpuGroupedConvolution"/> does).</summary>
    internal static bool Applies(in ConvGeometry g) =>
        g.Groups == g.InChannels && g.InPerGroup == 1 && g.StrideW >= 1 && g.StrideW <= MaxStride && g.StrideH >= 1
        && g.DilationH >= 1 && g.DilationW >= 1 && Fma.IsSupported && Avx.IsSupported && CopySize(g) <= int.MaxValue / 2;

    private static (int Rows, int PhaseLength) Layout(in ConvGeometry g)
    {
        // Padded rows and columns the outputs reach; the last vector of a row may read up to 7 lanes past OutW.
        int rows = (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        int phaseLength = (g.OutW + Lanes - 1) / Lanes * Lanes + (g.KernelW - 1) * g.DilationW / g.StrideW;
        return (rows, phaseLength);
    }

    private static long CopySize(in ConvGeometry g)
    {
        var (rows, phaseLength) = Layout(g);
        return (long)rows * phaseLength * g.StrideW;
    }

    internal static void Forward(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        var (rows, phaseLength) = Layout(g);
        var args = new Args
        {
            G = g, X = P(x, n * g.InputSize, nameof(x)), W = P(w, g.WeightSize, nameof(w)),
            Bias = bias is null ? null : P(bias, g.OutChannels, nameof(bias)), Y = P(y, n * g.OutputSize, nameof(y)),
            Rows = rows, PhaseLength = phaseLength, RowStride = phaseLength * g.StrideW,
        };
        if (n * g.OutputSize > 0) ws.Run(&args, n * g.InChannels, &ForwardPlane);
    }

    private static void ForwardPlane(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        int b = item / g.InChannels, ic = item % g.InChannels;
        float* copy = Grow(ws.WorkspaceA, worker, (long)a.Rows * a.RowStride);
        float* x = a.X + (long)item * g.InH * g.InW;
        for (int r = 0; r < a.Rows; r++)
        {
            int iy = r - g.PadTop;
            CopyRow((uint)iy < (uint)g.InH ? x + (long)iy * g.InW : null, copy + (long)r * a.RowStride, g.StrideW, a.PhaseLength, g.PadLeft, g.InW);
        }
        // Tap kx of output column ox reads padded column ox sw + kx dw: phase (kx dw) mod sw, index ox + (kx dw) / sw.
        int* offsets = stackalloc int[g.KernelW];
        for (int kx = 0; kx < g.KernelW; kx++) offsets[kx] = kx * g.DilationW % g.StrideW * a.PhaseLength + kx * g.DilationW / g.StrideW;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(g.OutW % Lanes)).AsSingle();
        int multiplier = g.OutPerGroup, taps = g.KernelH * g.KernelW;
        for (int j = 0; j < multiplier; j++)
        {
            int oc = ic * multiplier + j;
            float* w = a.W + (long)oc * taps;
            float* y = a.Y + ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            var vb = Vector256.Create(a.Bias == null ? 0f : a.Bias[oc]);
            if (g.KernelH == 3 && g.KernelW == 3) Rows3x3(g, copy, a.RowStride, offsets, w, vb, tail, y);
            else RowsAny(g, copy, a.RowStride, offsets, w, vb, tail, y);
        }
    }

    /// <summary>
    /// One padded row, split into phases of <paramref name="phaseLength"/>: dst[p L + i] = padded column p + stride i,
    /// that is src[p + stride i - padLeft], zero outside the row (or everywhere when <paramref name="src"/> is null).
    /// </summary>
    private static void CopyRow(float* src, float* dst, int stride, int phaseLength, int padLeft, int inW)
    {
        if (src == null)
        {
            new Span<float>(dst, stride * phaseLength).Clear();
            return;
        }
        int i = 0;
        if (stride == 1)
        {
            // Zeros left of the row, the row, zeros right of it.
            int lo = Math.Clamp(padLeft, 0, phaseLength), hi = Math.Clamp(padLeft + inW, lo, phaseLength);
            new Span<float>(dst, lo).Clear();
            Buffer.MemoryCopy(src + (lo - padLeft), dst + lo, (hi - lo) * sizeof(float), (hi - lo) * sizeof(float));
            new Span<float>(dst + hi, phaseLength - hi).Clear();
            return;
        }
        if (stride == 2)
        {
            // Where 16 columns from src[2i - padLeft] are all inside, one load pair splits into 8 even and 8 odd.
            for (; i < phaseLength && 2 * i - padLeft < 0; i++) CopyColumns(src, dst, stride, phaseLength, padLeft, inW, i);
            for (; i + Lanes <= phaseLength && 2 * i - padLeft + 2 * Lanes <= inW; i += Lanes)
            {
                float* s = src + (2 * i - padLeft);
                var (even, odd) = Deinterleave(Vector256.Load(s), Vector256.Load(s + Lanes));
                even.Store(dst + i);
                odd.Store(dst + phaseLength + i);
            }
        }
        for (; i < phaseLength; i++) CopyColumns(src, dst, stride, phaseLength, padLeft, inW, i);
    }

    /// <summary>Index <paramref name="i"/> of every phase of one padded row.</summary>
    private static void CopyColumns(float* src, float* dst, int stride, int phaseLength, int padLeft, int inW, int i)
    {
        for (int p = 0; p < stride; p++)
        {
            int ix = p + stride * i - padLeft;
            dst[p * phaseLength + i] = (uint)ix < (uint)inW ? src[ix] : 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3x3(in ConvGeometry g, float* copy, int rowStride, int* offsets, float* w, Vector256<float> vb, Vector256<float> tail, float* y)
    {
        var (w00, w01, w02) = (Vector256.Create(w[0]), Vector256.Create(w[1]), Vector256.Create(w[2]));
        var (w10, w11, w12) = (Vector256.Create(w[3]), Vector256.Create(w[4]), Vector256.Create(w[5]));
        var (w20, w21, w22) = (Vector256.Create(w[6]), Vector256.Create(w[7]), Vector256.Create(w[8]));
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], outW = g.OutW;
        long down = (long)g.DilationH * rowStride;
        for (int oy = 0; oy < g.OutH; oy++)
        {
            float* r0 = copy + (long)oy * g.StrideH * rowStride, r1 = r0 + down, r2 = r1 + down;
            float* yr = y + (long)oy * outW;
            int ox = 0;
            for (; ox <= outW - Lanes; ox += Lanes)
            {
                // Three short chains (one per kernel row) summed at the end, so the FMA latency overlaps.
                var s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ox + o0), w00, vb);
                var s1 = Vector256.Load(r1 + ox + o0) * w10;
                var s2 = Vector256.Load(r2 + ox + o0) * w20;
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ox + o1), w01, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + ox + o1), w11, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + ox + o1), w21, s2);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ox + o2), w02, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + ox + o2), w12, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + ox + o2), w22, s2);
                (s0 + s1 + s2).Store(yr + ox);
            }
            if (ox < outW)
            {
                var s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ox + o0), w00, vb);
                var s1 = Vector256.Load(r1 + ox + o0) * w10;
                var s2 = Vector256.Load(r2 + ox + o0) * w20;
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ox + o1), w01, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + ox + o1), w11, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + ox + o1), w21, s2);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ox + o2), w02, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + ox + o2), w12, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + ox + o2), w22, s2);
                Avx.MaskStore(yr + ox, tail, s0 + s1 + s2);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsAny(in ConvGeometry g, float* copy, int rowStride, int* offsets, float* w, Vector256<float> vb, Vector256<float> tail, float* y)
    {
        int kh = g.KernelH, kw = g.KernelW, outW = g.OutW;
        long down = (long)g.DilationH * rowStride;
        for (int oy = 0; oy < g.OutH; oy++)
        {
            float* row = copy + (long)oy * g.StrideH * rowStride;
            float* yr = y + (long)oy * outW;
            for (int ox = 0; ox < outW; ox += Lanes)
            {
                var s = vb;
                for (int ky = 0; ky < kh; ky++)
                {
                    float* r = row + ky * down + ox;
                    float* wr = w + ky * kw;
                    for (int kx = 0; kx < kw; kx++) s = Vector256.FusedMultiplyAdd(Vector256.Load(r + offsets[kx]), Vector256.Create(wr[kx]), s);
                }
                if (ox + Lanes <= outW) s.Store(yr + ox);
                else Avx.MaskStore(yr + ox, tail, s);
            }
        }
    }
}

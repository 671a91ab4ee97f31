using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>Pooling and unpooling, one (batch, channel) plane at a time, planes spread over the workers.</summary>
internal static unsafe partial class CpuPooling
{
    internal enum PoolOp { Max, MaxBackward, Avg, AvgBackward, Unpool, UnpoolBackward }

    internal struct PoolArgs
    {
        public PoolGeometry G;
        public PoolOp Op;
        public int Planes, PlanesPerItem;
        public float* Src, Dst;
        public int* Switches;
        public bool Accumulate;
    }

    private static void RunPool(CpuWorkspace ws, in PoolGeometry g, int n, PoolOp op, float* src, float* dst, int* switches, bool accumulate)
    {
        if (g.Channels <= 0 || g.InH <= 0 || g.InW <= 0 || g.OutH <= 0 || g.OutW <= 0 || g.KernelH <= 0 || g.KernelW <= 0 ||
            g.StrideH <= 0 || g.StrideW <= 0 || g.DilationH <= 0 || g.DilationW <= 0)
            throw new ArgumentException($"Pooling geometry {g} needs positive channels, sizes, kernel, stride and dilation.", nameof(g));
        int planes = n * g.Channels;
        int perItem = Math.Max(1, planes / (ws.Workers * 8));
        var args = new PoolArgs { G = g, Op = op, Planes = planes, PlanesPerItem = perItem, Src = src, Dst = dst, Switches = switches, Accumulate = accumulate };
        ws.Run(&args, (planes + perItem - 1) / perItem, &PoolItem);
    }

    internal static void PoolItem(object state, void* args, int item, int worker)
    {
        ref readonly PoolArgs a = ref *(PoolArgs*)args;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        long inPlane = (long)a.G.InH * a.G.InW, outPlane = (long)a.G.OutH * a.G.OutW;
        for (int plane = first; plane < last; plane++)
        {
            switch (a.Op)
            {
                case PoolOp.Max:
                    MaxPlane(a.G, a.Src + plane * inPlane, a.Dst + plane * outPlane, a.Switches == null ? null : a.Switches + plane * outPlane);
                    break;
                case PoolOp.Avg:
                    AvgPlane(a.G, a.Src + plane * inPlane, a.Dst + plane * outPlane, backward: false);
                    break;
                case PoolOp.AvgBackward:
                    if (!a.Accumulate) new Span<float>(a.Dst + plane * inPlane, (int)inPlane).Clear();
                    AvgPlane(a.G, a.Dst + plane * inPlane, a.Src + plane * outPlane, backward: true);
                    break;
                case PoolOp.MaxBackward:
                case PoolOp.Unpool:
                    {
                        // Both scatter pool-output-shaped values to the switches of the pool-input-shaped plane.
                        float* src = a.Src + plane * outPlane, dst = a.Dst + plane * inPlane;
                        int* sw = a.Switches + plane * outPlane;
                        if (!a.Accumulate) new Span<float>(dst, (int)inPlane).Clear();
                        for (long o = 0; o < outPlane; o++)
                            if (sw[o] >= 0) dst[sw[o]] += src[o];
                        break;
                    }
                case PoolOp.UnpoolBackward:
                    {
                        float* src = a.Src + plane * inPlane, dst = a.Dst + plane * outPlane;
                        int* sw = a.Switches + plane * outPlane;
                        for (long o = 0; o < outPlane; o++) Put(dst + o, sw[o] >= 0 ? src[sw[o]] : 0, a.Accumulate);
                        break;
                    }
            }
        }
    }

    /// <summary>Sends a pool with switches to the window loop even where the separable pool applies (the tests' and the benchmarks' A/B only).</summary>
    internal static bool SeparableSwitchesOff;

    internal static void MaxPlane(in PoolGeometry g, float* x, float* y, int* switches)
    {
        if (g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadTop == 0 && g.PadLeft == 0 &&
            g.DilationH == 1 && g.DilationW == 1 && 2 * g.OutH <= g.InH && 2 * g.OutW <= g.InW)
        {
            MaxPlane2x2(g, x, y, switches);
            return;
        }
        if (SeparableMaxApplies(g) && (switches == null || !SeparableSwitchesOff))
        {
            if (switches == null) MaxPlane3x3Stride2<WithoutSwitches>(g, x, y, null);
            else MaxPlane3x3Stride2<WithSwitches>(g, x, y, switches);
            return;
        }
        if (MaxPlaneWindows(g, x, y, switches)) return;
        // An empty window (all padding) gives 0 and switch -1; ties keep the first in row-major order; any NaN wins
        // (the last one), as PyTorch's max_pool: the output is NaN and its gradient goes to the NaN.
        for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < g.OutW; ow++)
                MaxWindow(g, x, oh, ow, y + (long)oh * g.OutW, switches == null ? null : switches + (long)oh * g.OutW);
    }

    /// <summary>The common 2x2 stride-2 pool with every window inside the input: no bounds checks, same ties and NaN rule as the general loop.</summary>
    internal static void MaxPlane2x2(in PoolGeometry g, float* x, float* y, int* switches)
    {
        int w = g.InW;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            float* r0 = x + (long)2 * oh * w, r1 = r0 + w;
            float* yo = y + (long)oh * g.OutW;
            int* so = switches == null ? null : switches + (long)oh * g.OutW;
            int rowStart = 2 * oh * w;
            int ow = 0;
            if (Vector256.IsHardwareAccelerated && g.OutW >= 8)
            {
                // 8 windows per step; the last step overlaps the previous one (same values rewritten) instead of a scalar tail.
                var lanes = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
                for (int o = 0; ; o += 8)
                {
                    if (o > g.OutW - 8) o = g.OutW - 8;
                    MaxWindows2x2(r0 + 2 * o, r1 + 2 * o, yo + o, so == null ? null : so + o, Vector256.Create(rowStart + 2 * o) + lanes, w);
                    if (o == g.OutW - 8) break;
                }
                ow = g.OutW;
            }
            else if (System.Runtime.Intrinsics.X86.Sse.IsSupported && g.OutW >= 4)
            {
                // LeNet's 8x8 -> 4x4: 4 windows per step with 128-bit vectors, the last step overlapping likewise.
                var lanes = Vector128.Create(0, 2, 4, 6);
                for (int o = 0; ; o += 4)
                {
                    if (o > g.OutW - 4) o = g.OutW - 4;
                    MaxWindows2x2x4(r0 + 2 * o, r1 + 2 * o, yo + o, so == null ? null : so + o, Vector128.Create(rowStart + 2 * o) + lanes, w);
                    if (o == g.OutW - 4) break;
                }
                ow = g.OutW;
            }
            for (; ow < g.OutW; ow++)
            {
                int iw = 2 * ow, best = iw;
                float max = r0[iw], v;
                if (Wins(v = r0[iw + 1], max)) { max = v; best = iw + 1; }
                if (Wins(v = r1[iw], max)) { max = v; best = w + iw; }
                if (Wins(v = r1[iw + 1], max)) { max = v; best = w + iw + 1; }
                yo[ow] = max;
                if (so != null) so[ow] = rowStart + best;
            }
        }
    }

    /// <summary>
    /// Whether window value <paramref name="v"/> replaces the running <paramref name="max"/>: when greater (ties keep
    /// the first) or NaN (the last NaN wins, and a NaN max stays against every number), PyTorch's max_pool rule.
    /// </summary>
    internal static bool Wins(float v, float max) => v > max || float.IsNaN(v);

    /// <summary>
    /// <see cref="Wins(float, float)"/> on 8 lanes in two instructions: with max's NaN turned into +inf (MINPS returns
    /// its second operand when either is NaN), "not v &lt;= max" is v &gt; max or v NaN, and nothing beats a NaN max.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Wins(Vector256<float> v, Vector256<float> max) => Avx.IsSupported
        ? Avx.CompareNotLessThanOrEqual(v, Avx.Min(max, Vector256.Create(float.PositiveInfinity)))
        : Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);

    /// <summary><see cref="Wins(Vector256{float}, Vector256{float})"/> on 4 lanes (the caller checked SSE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Wins(Vector128<float> v, Vector128<float> max) =>
        Sse.CompareNotLessThanOrEqual(v, Sse.Min(max, Vector128.Create(float.PositiveInfinity)));

    /// <summary>
    /// Eight 2x2 windows whose rows start at r0 and r1: the same comparisons in the same order as the scalar loop
    /// (<see cref="Wins(float, float)"/>: ties keep the first, the last NaN wins).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxWindows2x2(float* r0, float* r1, float* y, int* switches, Vector256<int> index, int w)
    {
        var (a, b) = Deinterleave(Vector256.Load(r0), Vector256.Load(r0 + 8));
        var (c, d) = Deinterleave(Vector256.Load(r1), Vector256.Load(r1 + 8));
        var max = a;
        var best = index;
        var m = Wins(b, max);
        max = Vector256.ConditionalSelect(m, b, max);
        best = Vector256.ConditionalSelect(m.AsInt32(), index + Vector256.Create(1), best);
        m = Wins(c, max);
        max = Vector256.ConditionalSelect(m, c, max);
        best = Vector256.ConditionalSelect(m.AsInt32(), index + Vector256.Create(w), best);
        m = Wins(d, max);
        max = Vector256.ConditionalSelect(m, d, max);
        best = Vector256.ConditionalSelect(m.AsInt32(), index + Vector256.Create(w + 1), best);
        max.Store(y);
        if (switches != null) best.Store(switches);
    }

    /// <summary><see cref="MaxWindows2x2"/> for four windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxWindows2x2x4(float* r0, float* r1, float* y, int* switches, Vector128<int> index, int w)
    {
        Vector128<float> l0 = Vector128.Load(r0), h0 = Vector128.Load(r0 + 4), l1 = Vector128.Load(r1), h1 = Vector128.Load(r1 + 4);
        var a = System.Runtime.Intrinsics.X86.Sse.Shuffle(l0, h0, 0b10_00_10_00);
        var b = System.Runtime.Intrinsics.X86.Sse.Shuffle(l0, h0, 0b11_01_11_01);
        var c = System.Runtime.Intrinsics.X86.Sse.Shuffle(l1, h1, 0b10_00_10_00);
        var d = System.Runtime.Intrinsics.X86.Sse.Shuffle(l1, h1, 0b11_01_11_01);
        var max = a;
        var best = index;
        var m = Wins(b, max);
        max = Vector128.ConditionalSelect(m, b, max);
        best = Vector128.ConditionalSelect(m.AsInt32(), index + Vector128.Create(1), best);
        m = Wins(c, max);
        max = Vector128.ConditionalSelect(m, c, max);
        best = Vector128.ConditionalSelect(m.AsInt32(), index + Vector128.Create(w), best);
        m = Wins(d, max);
        max = Vector128.ConditionalSelect(m, d, max);
        best = Vector128.ConditionalSelect(m.AsInt32(), index + Vector128.Create(w + 1), best);
        max.Store(y);
        if (switches != null) best.Store(switches);
    }
    /// <summary>Forward: y = mean of each window. Backward (x is dx, y is dy): each window's dy spread evenly over its in-bounds inputs.</summary>
    internal static void AvgPlane(in PoolGeometry g, float* x, float* y, bool backward)
    {
        if (backward ? AvgBackwardPlaneWindows(g, x, y) : AvgPlaneWindows(g, x, y)) return;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            var (r0, r1) = ValidRows(g, oh);
            for (int ow = 0; ow < g.OutW; ow++) AvgWindow(g, x, y + (long)oh * g.OutW, oh, ow, r0, r1, backward);
        }
    }

    internal static void MaxPoolForward(CpuWorkspace ws, in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches) =>
        RunPool(ws, g, n, PoolOp.Max, P(x, n * g.InputSize, nameof(x)), P(y, n * g.OutputSize, nameof(y)),
            switches is null ? null : P(switches, n * g.OutputSize, nameof(switches)), false);

    internal static void MaxPoolBackward(CpuWorkspace ws, in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) =>
        RunPool(ws, g, n, PoolOp.MaxBackward, P(dy, n * g.OutputSize, nameof(dy)), P(dx, n * g.InputSize, nameof(dx)),
            P(switches, n * g.OutputSize, nameof(switches)), accumulate);

    internal static void AvgPoolForward(CpuWorkspace ws, in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) =>
        RunPool(ws, g, n, PoolOp.Avg, P(x, n * g.InputSize, nameof(x)), P(y, n * g.OutputSize, nameof(y)), null, false);

    internal static void AvgPoolBackward(CpuWorkspace ws, in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) =>
        RunPool(ws, g, n, PoolOp.AvgBackward, P(dy, n * g.OutputSize, nameof(dy)), P(dx, n * g.InputSize, nameof(dx)), null, accumulate);

    internal static void MaxUnpoolForward(CpuWorkspace ws, in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y) =>
        RunPool(ws, g, n, PoolOp.Unpool, P(x, n * g.OutputSize, nameof(x)), P(y, n * g.InputSize, nameof(y)),
            P(switches, n * g.OutputSize, nameof(switches)), false);

    internal static void MaxUnpoolBackward(CpuWorkspace ws, in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) =>
        RunPool(ws, g, n, PoolOp.UnpoolBackward, P(dy, n * g.InputSize, nameof(dy)), P(dx, n * g.OutputSize, nameof(dx)),
            P(switches, n * g.OutputSize, nameof(switches)), accumulate);
}

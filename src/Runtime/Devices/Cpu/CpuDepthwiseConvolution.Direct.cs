using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>
/// 3x3 undilated rows at stride 1 or 2 read straight from the source plane, with no padded copy: MobileNetV2's
/// 112x112, 56x56 and 28x28 planes, in the plain forward and in the fused expansion pass (from the expanded rows in
/// scratch). A band of output rows runs as strips of 16 columns, each strip walking down the input rows once: each
/// input row's three taps (stride 2: its even and odd columns, split in registers by two-source permutes) are loaded
/// once and feed every output row that reads them (3 at stride 1, 2 at stride 2), whose partial sums stay in
/// registers. Only a strip that reaches past a row's ends loads masked (zero in the padding, those lanes not read);
/// a padding row is a zero row. Strips inside the row at stride 1 go in pairs (32 columns a pass). Each row a strip
/// reads, it prefetches the lines the next strip will read of that row: walking down a column of lines defeats the
/// hardware prefetchers, and without it a strip's loads waited on L2 and L3 (one thread, `depthwise 1 direct`, the
/// strips without and with the prefetch: 32x112x112 s1 0.097 / 0.085 ms, 96x112x112 s2 0.156 / 0.128, 144x56x56 s2
/// 0.062 / 0.048, 192x28x28 s1 0.040 / 0.034). Each output is <see cref="Rows3x3{TStore}"/>'s sum in its order, (row 0's chain from
/// the bias + row 1's) + row 2's, on the same values (the copy's zeros where it pads): the same bits.
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
    /// <summary>Output rows a direct band runs (its strips' input rows stay in L1 between neighbouring strips).</summary>
    private const int DirectBand = 16;

    /// <summary>Whether 3x3 undilated rows at stride 1 or 2 read the source in place (<see cref="DirectRows3x3"/>) instead of a padded copy; settable so tests and the A/B run the copy's rows too.</summary>
    internal static bool DirectRows = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

#if NET9_0_OR_GREATER
    /// <summary>Whether <see cref="DirectRows3x3"/> runs <paramref name="g"/>'s rows: 3x3, undilated, stride 1 or 2 both ways, stored plain, Relu or Relu6 (not accumulated).</summary>
    private static bool DirectApplies(in ConvGeometry g, StoreMode mode) =>
        DirectRows && g.KernelH == 3 && g.KernelW == 3 && g.DilationH == 1 && g.DilationW == 1 && g.StrideH == g.StrideW && g.StrideW <= 2
        && mode != StoreMode.Accumulate;

    /// <summary>
    /// Output rows [oy0, oy1) of one channel from its source plane <paramref name="x"/> (input row iy at x + iy InW; only
    /// the rows these outputs read need exist), <paramref name="zero"/> at least InW zeros for the padding rows.
    /// </summary>
    private static void DirectRows3x3(in ConvGeometry g, StoreMode mode, int oy0, int oy1, float* x, float* zero, float* w, float bias, float* y)
    {
        if (mode == StoreMode.Relu) Direct3x3<CpuConvolution.ReluClamp>(g, oy0, oy1, x, zero, w, bias, y);
        else if (mode == StoreMode.Relu6) Direct3x3<CpuConvolution.Relu6Clamp>(g, oy0, oy1, x, zero, w, bias, y);
        else Direct3x3<CpuConvolution.NoClamp>(g, oy0, oy1, x, zero, w, bias, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Direct3x3<TClamp>(in ConvGeometry g, int oy0, int oy1, float* x, float* zero, float* w, float bias, float* y)
        where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        var (w00, w01, w02) = (Vector512.Create(w[0]), Vector512.Create(w[1]), Vector512.Create(w[2]));
        var (w10, w11, w12) = (Vector512.Create(w[3]), Vector512.Create(w[4]), Vector512.Create(w[5]));
        var (w20, w21, w22) = (Vector512.Create(w[6]), Vector512.Create(w[7]), Vector512.Create(w[8]));
        var vb = Vector512.Create(bias);
        int inW = g.InW, inH = g.InH, outW = g.OutW, rows = oy1 - oy0, iy = oy0 * g.StrideH - g.PadTop;
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(outW % WideLanes)).AsSingle();
        var rowInput = new Source(x, zero, inH, inW);
        for (int ox = 0; ox < outW; ox += WideLanes)
        {
            bool full = ox + WideLanes <= outW;
            float* yc = y + (long)oy0 * outW + ox;
            // Lane 0's tap 0 reads input column `start`: stride 1 taps load at start + 0, 1, 2; stride 2 the two vectors
            // from start + 1 (Taps2) and the value at start.
            int start = ox * g.StrideW - g.PadLeft;
            if (g.StrideW == 1)
            {
                if (start >= 0 && start + 2 * WideLanes + 2 <= inW && ox + 2 * WideLanes <= outW)
                {
                    Strip1Pair<TClamp>(rowInput, iy, rows, start, yc, outW, w00, w01, w02, w10, w11, w12, w20, w21, w22, vb);
                    ox += WideLanes;
                }
                else if (start >= 0 && start + WideLanes + 2 <= inW)
                    Strip1<TClamp, Inside>(rowInput, iy, rows, start, yc, outW, full, tail, default, default, default,
                        w00, w01, w02, w10, w11, w12, w20, w21, w22, vb);
                else
                    Strip1<TClamp, Edge>(rowInput, iy, rows, start, yc, outW, full, tail, Within(start, inW), Within(start + 1, inW), Within(start + 2, inW),
                        w00, w01, w02, w10, w11, w12, w20, w21, w22, vb);
            }
            else if (start >= 0 && start + 2 * WideLanes + 1 <= inW)
                Strip2<TClamp, Inside>(rowInput, iy, rows, start, yc, outW, full, tail, default, default, default,
                    w00, w01, w02, w10, w11, w12, w20, w21, w22, vb);
            else
                Strip2<TClamp, Edge>(rowInput, iy, rows, start, yc, outW, full, tail,
                    Within(start, inW) & Vector512.Create(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle(), Within(start + 1, inW), Within(start + WideLanes + 1, inW),
                    w00, w01, w02, w10, w11, w12, w20, w21, w22, vb);
        }
    }

    /// <summary>The lanes of a load at input column <paramref name="start"/> that fall inside the row (all bits set), the rest zero.</summary>
    private static Vector512<float> Within(int start, int inW)
    {
        var index = Vector512.Create(start) + Vector512<int>.Indices;
        return (Vector512.GreaterThanOrEqual(index, Vector512<int>.Zero) & Vector512.LessThan(index, Vector512.Create(inW))).AsSingle();
    }

    /// <summary>The source plane's rows: input row iy, or the zero row where iy falls in the padding.</summary>
    private readonly struct Source(float* x, float* zero, int inH, int inW)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* Row(int iy) => (uint)iy < (uint)inH ? x + (long)iy * inW : zero;
    }

    /// <summary>Whether a strip's loads all fall inside the row (<see cref="Inside"/>: plain loads) or some lanes do not (<see cref="Edge"/>: masked).</summary>
    private interface IStripLoads
    {
        static abstract bool Masked { get; }
    }

    private struct Inside : IStripLoads
    {
        public static bool Masked => false;
    }

    private struct Edge : IStripLoads
    {
        public static bool Masked => true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> StripLoad<TLoads>(float* p, Vector512<float> within) where TLoads : struct, IStripLoads =>
        TLoads.Masked ? Avx512F.MaskLoad(p, within, Vector512<float>.Zero) : Vector512.Load(p);

    /// <summary>
    /// Stride 1: one strip of 16 columns down <paramref name="rows"/> output rows, input row iy + o + k feeding output o's
    /// chain k. <c>mid</c> holds the next output's chains 0 + 1, <c>top</c> the one after's chain 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Strip1<TClamp, TLoads>(Source source, int iy, int rows, int start, float* y, int outW, bool full, Vector512<float> tail,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2,
        Vector512<float> w00, Vector512<float> w01, Vector512<float> w02, Vector512<float> w10, Vector512<float> w11, Vector512<float> w12,
        Vector512<float> w20, Vector512<float> w21, Vector512<float> w22, Vector512<float> vb)
        where TClamp : struct, CpuConvolution.IPointwiseClamp where TLoads : struct, IStripLoads
    {
        float* r = source.Row(iy) + start;
        var top = Row(StripLoad<TLoads>(r, m0), StripLoad<TLoads>(r + 1, m1), StripLoad<TLoads>(r + 2, m2), w00, w01, w02, vb);
        r = source.Row(iy + 1) + start;
        var (a, b, c) = (StripLoad<TLoads>(r, m0), StripLoad<TLoads>(r + 1, m1), StripLoad<TLoads>(r + 2, m2));
        var mid = top + Row(a, b, c, w10, w11, w12);
        top = Row(a, b, c, w00, w01, w02, vb);
        for (int o = 0; o < rows; o++)
        {
            r = source.Row(iy + o + 2) + start;
            Sse.Prefetch0(r + 2 * WideLanes + 1); // the next strip's last line of this row
            (a, b, c) = (StripLoad<TLoads>(r, m0), StripLoad<TLoads>(r + 1, m1), StripLoad<TLoads>(r + 2, m2));
            Put<TClamp>(y + (long)o * outW, mid + Row(a, b, c, w20, w21, w22), full, tail);
            mid = top + Row(a, b, c, w10, w11, w12);
            top = Row(a, b, c, w00, w01, w02, vb);
        }
    }

    /// <summary><see cref="Strip1{TClamp, TLoads}"/> on two neighbouring strips inside the row, whole, in one pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Strip1Pair<TClamp>(Source source, int iy, int rows, int start, float* y, int outW,
        Vector512<float> w00, Vector512<float> w01, Vector512<float> w02, Vector512<float> w10, Vector512<float> w11, Vector512<float> w12,
        Vector512<float> w20, Vector512<float> w21, Vector512<float> w22, Vector512<float> vb)
        where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        float* r = source.Row(iy) + start;
        var top = Row(Vector512.Load(r), Vector512.Load(r + 1), Vector512.Load(r + 2), w00, w01, w02, vb);
        var top2 = Row(Vector512.Load(r + WideLanes), Vector512.Load(r + WideLanes + 1), Vector512.Load(r + WideLanes + 2), w00, w01, w02, vb);
        r = source.Row(iy + 1) + start;
        var (a, b, c) = (Vector512.Load(r), Vector512.Load(r + 1), Vector512.Load(r + 2));
        var (a2, b2, c2) = (Vector512.Load(r + WideLanes), Vector512.Load(r + WideLanes + 1), Vector512.Load(r + WideLanes + 2));
        var mid = top + Row(a, b, c, w10, w11, w12);
        var mid2 = top2 + Row(a2, b2, c2, w10, w11, w12);
        top = Row(a, b, c, w00, w01, w02, vb);
        top2 = Row(a2, b2, c2, w00, w01, w02, vb);
        for (int o = 0; o < rows; o++)
        {
            r = source.Row(iy + o + 2) + start;
            Sse.Prefetch0(r + 3 * WideLanes + 1); // the next pair's lines of this row
            Sse.Prefetch0(r + 4 * WideLanes + 1);
            (a, b, c) = (Vector512.Load(r), Vector512.Load(r + 1), Vector512.Load(r + 2));
            (a2, b2, c2) = (Vector512.Load(r + WideLanes), Vector512.Load(r + WideLanes + 1), Vector512.Load(r + WideLanes + 2));
            float* yo = y + (long)o * outW;
            TClamp.Apply(mid + Row(a, b, c, w20, w21, w22)).Store(yo);
            TClamp.Apply(mid2 + Row(a2, b2, c2, w20, w21, w22)).Store(yo + WideLanes);
            mid = top + Row(a, b, c, w10, w11, w12);
            mid2 = top2 + Row(a2, b2, c2, w10, w11, w12);
            top = Row(a, b, c, w00, w01, w02, vb);
            top2 = Row(a2, b2, c2, w00, w01, w02, vb);
        }
    }

    /// <summary>
    /// Stride 2: one strip of 16 columns down <paramref name="rows"/> output rows, output o reading input rows iy + 2o + k;
    /// row iy + 2o + 2 is chain 2 of output o and chain 0 of output o + 1 (<see cref="Taps2{TLoads}"/> for a row's taps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Strip2<TClamp, TLoads>(Source source, int iy, int rows, int start, float* y, int outW, bool full, Vector512<float> tail,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2,
        Vector512<float> w00, Vector512<float> w01, Vector512<float> w02, Vector512<float> w10, Vector512<float> w11, Vector512<float> w12,
        Vector512<float> w20, Vector512<float> w21, Vector512<float> w22, Vector512<float> vb)
        where TClamp : struct, CpuConvolution.IPointwiseClamp where TLoads : struct, IStripLoads
    {
        var (a, b, c) = Taps2<TLoads>(source.Row(iy) + start, m0, m1, m2);
        var next = Row(a, b, c, w00, w01, w02, vb);
        for (int o = 0; o < rows; o++)
        {
            float* r = source.Row(iy + 2 * o + 1) + start;
            Sse.Prefetch0(r + 3 * WideLanes); // the next strip's lines of this row (it reads r + 32 to r + 65)
            Sse.Prefetch0(r + 4 * WideLanes + 1);
            (a, b, c) = Taps2<TLoads>(r, m0, m1, m2);
            var sum = next + Row(a, b, c, w10, w11, w12);
            r = source.Row(iy + 2 * o + 2) + start;
            Sse.Prefetch0(r + 3 * WideLanes);
            Sse.Prefetch0(r + 4 * WideLanes + 1);
            (a, b, c) = Taps2<TLoads>(r, m0, m1, m2);
            Put<TClamp>(y + (long)o * outW, sum + Row(a, b, c, w20, w21, w22), full, tail);
            next = Row(a, b, c, w00, w01, w02, vb);
        }
    }

    /// <summary>
    /// One input row's three taps of 16 stride-2 outputs whose tap 0 reads column <paramref name="r"/>: the two vectors from
    /// r + 1 split into their even columns (tap 1) and odd ones (tap 2), tap 0 the odd ones one lane on with r[0] first
    /// (two loads of which the first is whole-line aligned on MobileNet's rows, where four unaligned ones cost more).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>) Taps2<TLoads>(float* r, Vector512<float> m0, Vector512<float> m1, Vector512<float> m2)
        where TLoads : struct, IStripLoads
    {
        var evens = Vector512<int>.Indices * 2;
        var (lo, hi) = (StripLoad<TLoads>(r + 1, m1), StripLoad<TLoads>(r + WideLanes + 1, m2));
        var right = Avx512F.PermuteVar16x32x2(lo, evens + Vector512<int>.One, hi);
        var first = TLoads.Masked ? Avx512F.MaskLoad(r, m0, Vector512<float>.Zero) : Vector512.Create(*r);
        var left = Avx512F.PermuteVar16x32x2(first, Vector512.Create(0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30), right);
        return (left, Avx512F.PermuteVar16x32x2(lo, evens, hi), right);
    }
#else
    private static bool DirectApplies(in ConvGeometry g, StoreMode mode) => false;

    private static void DirectRows3x3(in ConvGeometry g, StoreMode mode, int oy0, int oy1, float* x, float* zero, float* w, float bias, float* y) =>
        throw new PlatformNotSupportedException("The direct depthwise rows need .NET 9 or later; DirectApplies is false here.");
#endif
}

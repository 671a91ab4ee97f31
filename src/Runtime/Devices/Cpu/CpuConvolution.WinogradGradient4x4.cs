using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

/// <summary>
/// Backward weights by Winograd F(4x4, 3x3), the transpose of the forward's (CpuConvolution.Winograd4x4.cs, the same
/// points 0, 1, -1, 2, -2 and infinity): dU[e, c, k] = sum over 4x4 output tiles of (B^T d B)[e, c] (A dY A^T)[e, k],
/// 36 GEMMs C x K only as deep as the tiles (0.56x F(2x2, 3x3)'s multiply-adds: a quarter of the tiles, 36 elements
/// against 16), then dW[k, c] += G^T dU[c, k] G. Structured as F(2x2, 3x3)'s with x's tiles read as rows
/// (CpuConvolution.WinogradGradientRows.cs): units of tiles, parts summed in order, x's transformed tiles a channel a
/// row (the GEMM's A operand in place, 8 tiles of a tile row a vector), dY's packed into 32-channel B panels.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>
    /// Whether backward weights runs by F(4x4, 3x3) rather than F(2x2, 3x3) where <see cref="WinogradGradientApplies"/>:
    /// everywhere. Measured (`wgrad 1 15 f4`, one thread's CPU time, F(4x4) / F(2x2), two runs): 0.49-0.53x at 64x56x56
    /// batch 8, 0.54-0.61x at 128x28x28, 0.76-0.78x at 256x14x14, 0.93x at 512x7x7, 0.59-0.61x at 96x20x20 -> 160
    /// batch 4, 0.87-0.96x at 64x33x47 unpadded -> 80 batch 2, 0.69x at 64x16x16 batch 2, 0.86-0.89x at 80x23x23 -> 72
    /// batch 1. The switch alone decides, never the workers, so any thread count gives the same bits.
    /// </summary>
    internal static bool Winograd4GradientApplies => WinogradGradient4 ?? true;

    /// <summary>Forces F(4x4, 3x3) (true) or F(2x2, 3x3) (false) for the benchmarks' A/B and the tests; null leaves it to the geometry.</summary>
    internal static bool? WinogradGradient4;

    /// <summary>dW += the weight gradient of <paramref name="g"/> over the batch by Winograd F(4x4, 3x3) (x and dY checked pointers).</summary>
    internal static void BackwardWeightsWinograd4(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* dy, float* dw)
    {
        int C = g.InChannels, K = g.OutChannels;
        var a = new WinogradGradientArgs
        {
            G = g, X = x, Dy = dy, Dw = dw, TilesH = (g.OutH + 3) / 4, TilesW = (g.OutW + 3) / 4, XRows = true,
            Elements = Winograd4Elements, KPad = Gemm.RoundUp(K, Gemm.NR), CPad = C,
        };
        a.ImageTiles = a.TilesH * a.TilesW;
        long tiles = (long)n * a.ImageTiles;
        if (tiles == 0) return;
        // Tiles per unit: as many as the budget holds, up to a GEMM block, in whole 8s; then a part's units made even
        // (a last unit of a few tiles ran its 36 GEMMs' dU loads and stores for little depth).
        int most = Math.Clamp(WinogradGradientBudget / (Winograd4Elements * (a.KPad + a.CPad)) / 8 * 8, 8, Gemm.KC);
        a.Parts = WinogradGradientParts((int)tiles);
        long partTiles = (tiles + a.Parts - 1) / a.Parts, units = (partTiles + most - 1) / most;
        int unit = (int)Math.Min(most, Gemm.RoundUp((int)((partTiles + units - 1) / units), 8));
        a.DyPlane = (long)a.KPad * unit + PlaneSkew;
        // A channel's row of tiles takes a vector's overrun past the unit's last tile.
        a.XRow = unit + 8;
        a.XPlane = C * a.XRow + PlaneSkew;
        // Each of 8 kept input rows split into its 4 column phases; a phase reaches a vector past the last tile's next.
        a.RowLength = Gemm.RoundUp(a.TilesW + 8, 8);
        a.RowFloats = 8 * 4 * a.RowLength;
        a.DuPlane = (long)K * C + PlaneSkew;
        a.TransformItems = (C + Gemm.MR - 1) / Gemm.MR + a.KPad / Gemm.NR;
        a.Tiles = (int)tiles;
        a.Unit = unit;
        a.PartPanels = Winograd4Elements * (a.DyPlane + a.XPlane);
        a.PackedDy = ws.PhaseOut(a.Parts * a.PartPanels + (long)ws.Workers * a.RowFloats);
        a.PackedX = a.PackedDy + Winograd4Elements * a.DyPlane;
        a.Rows = a.PackedDy + a.Parts * a.PartPanels;
        a.DU = ws.Shared(a.Parts * Winograd4Elements * a.DuPlane);
        WinogradGradientSums(ws, &a);
        ws.Run(&a, (C + WinogradGradientBackBlock - 1) / WinogradGradientBackBlock, &Winograd4GradientWeightsItem);
    }

    /// <summary>
    /// Transform item <paramref name="item"/> of an F(4x4, 3x3) unit: x's tiles of 8 input channels (items below C / 8),
    /// then dY's (A dY A^T) of 32 output channels into a B panel, channels past K written as zeros.
    /// </summary>
    private static void Winograd4GradientTransform(in WinogradGradientArgs a, int item, int worker)
    {
        ref readonly ConvGeometry g = ref a.G;
        int xBlocks = (g.InChannels + Gemm.MR - 1) / Gemm.MR;
        if (item < xBlocks)
        {
            Winograd4GradientInputTiles(a, item * Gemm.MR, a.Rows + (long)worker * a.RowFloats);
            return;
        }
        long plane = a.DyPlane, outPlane = (long)g.OutH * g.OutW;
        int k0 = (item - xBlocks) * Gemm.NR;
        float* panel = a.PackedDy + (long)k0 * a.Count;
        float* lanes = stackalloc float[16 * 8];
        // Tiles outer, the panel's channels inner: each tile's element e of the panel is one run of its lanes.
        for (int tl = 0; tl < a.Count; tl++)
        {
            int t = a.FirstTile + tl, b = t / a.ImageTiles, tt = t % a.ImageTiles, oh = 4 * (tt / a.TilesW), ow = 4 * (tt % a.TilesW);
            int rows = Math.Min(4, g.OutH - oh), cols = Math.Min(4, g.OutW - ow);
            // At a tile row's start, the panel's rows of the next tile row: 32 channels' rows are more streams than the
            // hardware follows (`wgrad 1 21`, one thread, prefetch / not: 0.96x at 64x56x56, 128x28x28 and 256x14x14 b8).
            if (Sse.IsSupported && ow == 0 && oh + 4 < g.OutH)
            {
                float* next = a.Dy + (long)b * g.OutputSize + k0 * outPlane + (long)(oh + 4) * g.OutW;
                int last = Math.Min(Gemm.NR, g.OutChannels - k0), span = Math.Min(4, g.OutH - oh - 4) * g.OutW;
                for (int l = 0; l < last; l++)
                    for (int i = 0; i < span; i += 16) Sse.Prefetch0(next + l * outPlane + i);
            }
            for (int l0 = 0; l0 < Gemm.NR; l0 += 8)
            {
                int count = Math.Clamp(g.OutChannels - k0 - l0, 0, 8);
                float* src = a.Dy + (long)b * g.OutputSize + (k0 + l0) * outPlane + (long)oh * g.OutW + ow;
                DyTile4(src, outPlane, g.OutW, rows, cols, count, Avx.IsSupported && count == 8,
                    lanes, panel + (long)tl * Gemm.NR + l0, plane);
            }
        }
    }

    /// <summary>
    /// The transformed dY tiles A y A^T of the 4x4 output tile at <paramref name="src"/> (its first <paramref name="rows"/>
    /// rows and <paramref name="cols"/> columns inside the plane, the rest zero) for <paramref name="count"/> (at most 8)
    /// channels <paramref name="outPlane"/> apart, element e of lane l at o[e plane + l], lanes past the count zero. With
    /// AVX and 8 channels each tile row is 8 loads of 4 values (masked past the plane's edge) transposed to the 4 columns'
    /// 8 channels (where 4 gathers a row waited on 8 channels' pages); else the values go through <paramref name="lanes"/>
    /// (16 x 8 floats) one at a time. The same vector adds follow either way (the same bits).
    /// </summary>
    private static void DyTile4(float* src, long outPlane, int outW, int rows, int cols, int count, bool transpose, float* lanes, float* o, long plane)
    {
        if (transpose)
        {
            var mask = Vector128.LessThan(Vector128.Create(0, 1, 2, 3), Vector128.Create(cols)).AsSingle();
            var (y00, y01, y02, y03) = DyRow4(src, outPlane, 0 < rows, cols == 4, mask);
            var (y10, y11, y12, y13) = DyRow4(src + outW, outPlane, 1 < rows, cols == 4, mask);
            var (y20, y21, y22, y23) = DyRow4(src + 2 * outW, outPlane, 2 < rows, cols == 4, mask);
            var (y30, y31, y32, y33) = DyRow4(src + 3 * outW, outPlane, 3 < rows, cols == 4, mask);
            DyTile4Transform(y00, y01, y02, y03, y10, y11, y12, y13, y20, y21, y22, y23, y30, y31, y32, y33, o, plane);
            return;
        }
        for (int v = 0; v < 16; v++)
        {
            int i = v / 4, j = v % 4;
            for (int l = 0; l < 8; l++) lanes[8 * v + l] = l < count && i < rows && j < cols ? src[l * outPlane + (long)i * outW + j] : 0f;
        }
        Vector256<float> Y(int v) => Vector256.Load(lanes + 8 * v);
        DyTile4Transform(Y(0), Y(1), Y(2), Y(3), Y(4), Y(5), Y(6), Y(7), Y(8), Y(9), Y(10), Y(11), Y(12), Y(13), Y(14), Y(15), o, plane);
    }

    /// <summary>
    /// One row of 8 channels' 4x4 tiles (channel l's 4 values at p + l outPlane, those under <paramref name="mask"/> only
    /// unless <paramref name="whole"/>, zeros where not <paramref name="inside"/>) as its 4 columns of 8 channels: the
    /// channels' rows paired (l, l + 4) into 256-bit vectors, then a 4x4 transpose in each half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) DyRow4(float* p, long outPlane, bool inside, bool whole, Vector128<float> mask)
    {
        if (!inside) return (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero);
        Vector128<float> Row(int l) => whole ? Vector128.Load(p + l * outPlane) : Avx.MaskLoad(p + l * outPlane, mask);
        Vector256<float> a0 = Vector256.Create(Row(0), Row(4)), a1 = Vector256.Create(Row(1), Row(5));
        Vector256<float> a2 = Vector256.Create(Row(2), Row(6)), a3 = Vector256.Create(Row(3), Row(7));
        Vector256<double> t0 = Avx.UnpackLow(a0, a1).AsDouble(), t1 = Avx.UnpackHigh(a0, a1).AsDouble();
        Vector256<double> t2 = Avx.UnpackLow(a2, a3).AsDouble(), t3 = Avx.UnpackHigh(a2, a3).AsDouble();
        return (Avx.UnpackLow(t0, t2).AsSingle(), Avx.UnpackHigh(t0, t2).AsSingle(), Avx.UnpackLow(t1, t3).AsSingle(), Avx.UnpackHigh(t1, t3).AsSingle());
    }

    /// <summary>
    /// z = A y A^T of a 4x4 tile's 16 vectors (y_ij), element e = 6 i + j of z stored at o + e plane: each row's line
    /// first (4 x 6), then each of the 6 columns' lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DyTile4Transform(Vector256<float> y00, Vector256<float> y01, Vector256<float> y02, Vector256<float> y03,
        Vector256<float> y10, Vector256<float> y11, Vector256<float> y12, Vector256<float> y13,
        Vector256<float> y20, Vector256<float> y21, Vector256<float> y22, Vector256<float> y23,
        Vector256<float> y30, Vector256<float> y31, Vector256<float> y32, Vector256<float> y33, float* o, long plane)
    {
        var (r00, r01, r02, r03, r04, r05) = GradientLine4(y00, y01, y02, y03);
        var (r10, r11, r12, r13, r14, r15) = GradientLine4(y10, y11, y12, y13);
        var (r20, r21, r22, r23, r24, r25) = GradientLine4(y20, y21, y22, y23);
        var (r30, r31, r32, r33, r34, r35) = GradientLine4(y30, y31, y32, y33);
        StoreColumn(GradientLine4(r00, r10, r20, r30), o, plane);
        StoreColumn(GradientLine4(r01, r11, r21, r31), o + plane, plane);
        StoreColumn(GradientLine4(r02, r12, r22, r32), o + 2 * plane, plane);
        StoreColumn(GradientLine4(r03, r13, r23, r33), o + 3 * plane, plane);
        StoreColumn(GradientLine4(r04, r14, r24, r34), o + 4 * plane, plane);
        StoreColumn(GradientLine4(r05, r15, r25, r35), o + 5 * plane, plane);
    }

    /// <summary>Column j's 6 elements (rows 0..5, elements 6 i + j) at o + 6 i plane, o at element j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumn((Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) z, float* o, long plane)
    {
        z.Item1.Store(o);
        z.Item2.Store(o + 6 * plane);
        z.Item3.Store(o + 12 * plane);
        z.Item4.Store(o + 18 * plane);
        z.Item5.Store(o + 24 * plane);
        z.Item6.Store(o + 30 * plane);
    }

    /// <summary>
    /// A y for one line (y0 .. y3) of a 4x4 output-gradient tile, A = A^T's transpose (the forward's A^T = [1 1 1 1 1 0;
    /// 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]): y at the points 0, 1, -1, 2, -2 and infinity.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) GradientLine4(
        Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3)
    {
        Vector256<float> p = y0 + y2, q = y1 + y3, r = y0 + Vector256.Create(4f) * y2, s = Vector256.Create(2f) * y1 + Vector256.Create(8f) * y3;
        return (y0, p + q, p - q, r + s, r - s, y3);
    }

    /// <summary>
    /// B^T x for one line (x0 .. x5) of 8 tiles' 6x6 input tiles, as the forward's scalar <c>InputLine4</c>: the same adds
    /// in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) InputLine4(
        Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, Vector256<float> x4, Vector256<float> x5)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(5f);
        Vector256<float> p = x4 - four * x2, q = x3 - four * x1, r = x4 - x2, s = Vector256.Create(2f) * (x3 - x1);
        return (four * x0 + x4 - five * x2, p + q, p - q, r + s, r - s, four * x1 + x5 - five * x3);
    }

    /// <summary>d B for one input row of 8 tiles from its split row (<see cref="SplitRow4"/>) at the tiles' first phase-0 value: columns phase 0..3, then phase 0, 1 a tile on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) InputRow4(float* p, int L) =>
        InputLine4(Vector256.Load(p), Vector256.Load(p + L), Vector256.Load(p + 2 * L), Vector256.Load(p + 3 * L), Vector256.Load(p + 1), Vector256.Load(p + L + 1));

    /// <summary>
    /// x's transformed tiles of the unit for input channels c0 .. c0 + 7, each channel's tiles in a row of their own
    /// (element e of channel c's tile tl at PackedX + e XPlane + c XRow + tl), 8 tiles of a tile row a vector: each of the
    /// tile row's six input rows split into its four column phases (<see cref="SplitRow4"/>, zero outside the plane), so
    /// tile j's columns are phase 0..3 at j and phase 0, 1 at j + 1, every operand one contiguous load. The next tile row
    /// shares two of the six rows, kept in <paramref name="rows"/> (8 slots, row h in slot h mod 8). The vectors past a
    /// row's last tile write into the next row's tiles, which that row then overwrites, or into the slack after the unit.
    /// </summary>
    private static void Winograd4GradientInputTiles(in WinogradGradientArgs a, int c0, float* rows)
    {
        ref readonly ConvGeometry g = ref a.G;
        int L = a.RowLength, span = Gemm.RoundUp(a.TilesW + 1, 8), channels = Math.Min(Gemm.MR, g.InChannels - c0), end = a.FirstTile + a.Count;
        long inPlane = (long)g.InH * g.InW, plane = a.XPlane;
        long* tags = stackalloc long[8];
        float** phases = stackalloc float*[6];
        for (int c = c0; c < c0 + channels; c++)
        {
            for (int i = 0; i < 8; i++) tags[i] = long.MinValue;
            float* o = a.PackedX + c * a.XRow - a.FirstTile;
            for (int t = a.FirstTile; t < end;)
            {
                int b = t / a.ImageTiles, tt = t % a.ImageTiles, tw = tt % a.TilesW, h0 = 4 * (tt / a.TilesW) - g.PadTop;
                int count = Math.Min(end - t, a.TilesW - tw);
                for (int i = 0; i < 6; i++)
                {
                    int h = h0 + i, slot = h & 7;
                    phases[i] = rows + 4 * slot * L;
                    long tag = (long)b << 32 | (uint)h;
                    if (tags[slot] == tag) continue;
                    tags[slot] = tag;
                    SplitRow4(a.X + (long)b * g.InputSize + c * inPlane, g, h, L, span, phases[i]);
                }
                for (int j = 0; j < count; j += 8)
                {
                    int w = tw + j;
                    // r = d B (each input row's line, its 6 columns phase 0..3 at w and 0, 1 at w + 1), then B^T r by columns.
                    var (r00, r01, r02, r03, r04, r05) = InputRow4(phases[0] + w, L);
                    var (r10, r11, r12, r13, r14, r15) = InputRow4(phases[1] + w, L);
                    var (r20, r21, r22, r23, r24, r25) = InputRow4(phases[2] + w, L);
                    var (r30, r31, r32, r33, r34, r35) = InputRow4(phases[3] + w, L);
                    var (r40, r41, r42, r43, r44, r45) = InputRow4(phases[4] + w, L);
                    var (r50, r51, r52, r53, r54, r55) = InputRow4(phases[5] + w, L);
                    float* to = o + t + j;
                    StoreColumn(InputLine4(r00, r10, r20, r30, r40, r50), to, plane);
                    StoreColumn(InputLine4(r01, r11, r21, r31, r41, r51), to + plane, plane);
                    StoreColumn(InputLine4(r02, r12, r22, r32, r42, r52), to + 2 * plane, plane);
                    StoreColumn(InputLine4(r03, r13, r23, r33, r43, r53), to + 3 * plane, plane);
                    StoreColumn(InputLine4(r04, r14, r24, r34, r44, r54), to + 4 * plane, plane);
                    StoreColumn(InputLine4(r05, r15, r25, r35, r45, r55), to + 5 * plane, plane);
                }
                t += count;
            }
        }
    }

    /// <summary>
    /// Input row <paramref name="h"/> of one channel's plane split into its column phases: phase q (at
    /// <paramref name="phases"/> + q L) holds row[4 j + q - PadLeft] for j &lt; <paramref name="span"/> (a multiple of 8
    /// past the row's last tile, at most L), zero outside the plane (all of it for a row above or below it). The values
    /// from the span to L are left as they were: they reach only the lanes past a row's last tile, whose stores the next
    /// tile row overwrites (splitting them took as long as the tiles' transform on 14x14 planes). With AVX2, 8 tiles' 32
    /// values by four masked loads (no read outside the row) and a 4x4 transpose in each 128-bit half.
    /// </summary>
    private static void SplitRow4(float* channel, in ConvGeometry g, int h, int L, int span, float* phases)
    {
        if ((uint)h >= (uint)g.InH)
        {
            for (int q = 0; q < 4; q++)
                for (int j = 0; j < span; j += 8) Vector256<float>.Zero.Store(phases + q * L + j);
            return;
        }
        float* row = channel + (long)h * g.InW;
        // The rows the next tile row splits, 4 on: the row's loads waited on memory (`wgrad 1 21`, one thread, prefetch /
        // not: 0.90x at 64x56x56 b8, 0.90x at 128x28x28, 0.94x at 256x14x14; 8 rows on measured the same).
        if (Sse.IsSupported && h + 4 < g.InH)
            for (int i = 0; i < g.InW; i += 16) Sse.Prefetch0(row + 4 * g.InW + i);
        if (Avx2.IsSupported)
        {
            var iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            var width = Vector256.Create(g.InW);
            // The transpose leaves tiles 0, 2, 4, 6 in the low half and 1, 3, 5, 7 in the high: back in order.
            var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            for (int j = 0; j < span; j += 8)
            {
                int p = 4 * j - g.PadLeft;
                float* at = row + p;
                Vector256<float> v0, v1, v2, v3;
                if (p >= 0 && p + 32 <= g.InW)
                    (v0, v1, v2, v3) = (Vector256.Load(at), Vector256.Load(at + 8), Vector256.Load(at + 16), Vector256.Load(at + 24));
                else
                {
                    // Loaded under a mask of the positions inside the row (no read outside it).
                    var positions = iota + Vector256.Create(p);
                    var eight = Vector256.Create(8);
                    v0 = Avx.MaskLoad(at, Inside(positions, width));
                    v1 = Avx.MaskLoad(at + 8, Inside(positions += eight, width));
                    v2 = Avx.MaskLoad(at + 16, Inside(positions += eight, width));
                    v3 = Avx.MaskLoad(at + 24, Inside(positions + eight, width));
                }
                // v0 = tiles 0, 1 (4 phases each), v1 = tiles 2, 3, ...
                Vector256<double> t0 = Avx.UnpackLow(v0, v1).AsDouble(), t1 = Avx.UnpackHigh(v0, v1).AsDouble();
                Vector256<double> t2 = Avx.UnpackLow(v2, v3).AsDouble(), t3 = Avx.UnpackHigh(v2, v3).AsDouble();
                Avx2.PermuteVar8x32(Avx.UnpackLow(t0, t2).AsSingle(), order).Store(phases + j);
                Avx2.PermuteVar8x32(Avx.UnpackHigh(t0, t2).AsSingle(), order).Store(phases + L + j);
                Avx2.PermuteVar8x32(Avx.UnpackLow(t1, t3).AsSingle(), order).Store(phases + 2 * L + j);
                Avx2.PermuteVar8x32(Avx.UnpackHigh(t1, t3).AsSingle(), order).Store(phases + 3 * L + j);
            }
            return;
        }
        for (int q = 0; q < 4; q++)
            for (int j = 0; j < span; j++)
            {
                int p = 4 * j + q - g.PadLeft;
                phases[q * L + j] = (uint)p < (uint)g.InW ? row[p] : 0f;
            }
    }

    /// <summary>Lanes of <paramref name="positions"/> in 0 .. width - 1, as a load mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Inside(Vector256<int> positions, Vector256<int> width) =>
        (Avx2.CompareGreaterThan(width, positions) & ~Avx2.CompareGreaterThan(Vector256<int>.Zero, positions)).AsSingle();

    /// <summary>
    /// dW[k, c] += G^T dU[c, k] G for the input channels of block <paramref name="item"/> (as <see
    /// cref="WinogradGradientRowsWeightsItem"/>, 36 elements): 8 kernels k of an input channel at once, kernels past the
    /// last whole 8 one at a time, in the same operation order (the same bits).
    /// </summary>
    internal static void Winograd4GradientWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradGradientArgs a = ref *(WinogradGradientArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, c0 = item * WinogradGradientBackBlock, c1 = Math.Min(C, c0 + WinogradGradientBackBlock);
        int vectorK = Vector256.IsHardwareAccelerated ? K / 8 * 8 : 0;
        long plane = a.DuPlane;
        float* s = stackalloc float[18];
        float* lanes = stackalloc float[18 * 8];
        var rows = stackalloc Vector256<float>[72];
        for (int k0 = 0; k0 < vectorK; k0 += 8)
        {
            int c = c0;
            if (Avx.IsSupported && !Winograd4GradientBackByKernels)
                for (; c + 8 <= c1; c += 8)
                    Winograd4GradientKernels64(a.DU + (long)c * K + k0, plane, K, rows, a.Dw + ((long)k0 * C + c) * 9, (long)C * 9);
            for (; c < c1; c++)
                Winograd4GradientKernels8(a.DU + (long)c * K + k0, plane, lanes, a.Dw + ((long)k0 * C + c) * 9, (long)C * 9);
        }
        for (int k = vectorK; k < K; k++)
            for (int c = c0; c < c1; c++) Winograd4GradientKernel(a.DU + (long)c * K + k, plane, s, a.Dw + ((long)k * C + c) * 9);
    }

    /// <summary>Transforms dU back 8 kernels at a time (<see cref="Winograd4GradientKernels8"/>) where 64 would go at once, for the benchmarks' A/B and the bits test only.</summary>
    internal static bool Winograd4GradientBackByKernels;

    /// <summary>
    /// <see cref="Winograd4GradientKernel"/> for the 64 kernels of 8 output channels (the lanes, dU's element e of input
    /// channel c at u[e plane + c ldu]) and 8 input channels: G^T dU G wholly in vectors, the scalar kernel's operations
    /// in its order (the same bits), into <paramref name="rows"/> (72 vectors, input channel c's tap m at 9 c + m), then
    /// 9 transposes of 8 x 8 give each output channel's 72 taps (its 8 kernels, one run of dW at w + l laneStride), added
    /// 8 at a time where one kernel's 9 values at a time wrote 8 lines a lane.
    /// </summary>
    internal static void Winograd4GradientKernels64(float* u, long plane, int ldu, Vector256<float>* rows, float* w, long laneStride)
    {
        Vector256<float> quarter = Vector256.Create(0.25f), sixth = Vector256.Create(1f / 6f), twelfth = Vector256.Create(1f / 12f), sum24 = Vector256.Create(1f / 24f);
        var s = stackalloc Vector256<float>[18];
        for (int c = 0; c < 8; c++, u += ldu)
        {
            for (int j = 0; j < 6; j++)
            {
                Vector256<float> u0 = Vector256.Load(u + j * plane), u1 = Vector256.Load(u + (6 + j) * plane), u2 = Vector256.Load(u + (12 + j) * plane);
                Vector256<float> u3 = Vector256.Load(u + (18 + j) * plane), u4 = Vector256.Load(u + (24 + j) * plane), u5 = Vector256.Load(u + (30 + j) * plane);
                Vector256<float> p = u1 + u2, q = u2 - u1, r = u3 + u4, d = u3 - u4;
                s[j] = quarter * u0 - sixth * p + sum24 * r;
                s[6 + j] = sixth * q + twelfth * d;
                s[12 + j] = sixth * (r - p) + u5;
            }
            for (int i = 0; i < 3; i++)
            {
                Vector256<float>* si = s + 6 * i;
                Vector256<float> p = si[1] + si[2], q = si[2] - si[1], r = si[3] + si[4], d = si[3] - si[4];
                rows[9 * c + 3 * i] = quarter * si[0] - sixth * p + sum24 * r;
                rows[9 * c + 3 * i + 1] = sixth * q + twelfth * d;
                rows[9 * c + 3 * i + 2] = sixth * (r - p) + si[5];
            }
        }
        for (int block = 0; block < 72; block += 8)
        {
            Vector256<float> r0 = rows[block], r1 = rows[block + 1], r2 = rows[block + 2], r3 = rows[block + 3];
            Vector256<float> r4 = rows[block + 4], r5 = rows[block + 5], r6 = rows[block + 6], r7 = rows[block + 7];
            Transpose8x8.InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            float* o = w + block;
            (Vector256.Load(o) + r0).Store(o);
            (Vector256.Load(o + laneStride) + r1).Store(o + laneStride);
            (Vector256.Load(o + 2 * laneStride) + r2).Store(o + 2 * laneStride);
            (Vector256.Load(o + 3 * laneStride) + r3).Store(o + 3 * laneStride);
            (Vector256.Load(o + 4 * laneStride) + r4).Store(o + 4 * laneStride);
            (Vector256.Load(o + 5 * laneStride) + r5).Store(o + 5 * laneStride);
            (Vector256.Load(o + 6 * laneStride) + r6).Store(o + 6 * laneStride);
            (Vector256.Load(o + 7 * laneStride) + r7).Store(o + 7 * laneStride);
        }
    }

    /// <summary>
    /// <see cref="Winograd4GradientKernel"/> for 8 kernels at once: lane l's element e of dU at u[e plane + l], its 3x3 at
    /// w + l laneStride; s = G^T dU in vectors into <paramref name="lanes"/> (18 x 8 floats; s[6 i + j] of lane l at
    /// lanes[8 (6 i + j) + l]), then s G added a value at a time, the scalar kernel's adds in its order.
    /// </summary>
    internal static void Winograd4GradientKernels8(float* u, long plane, float* lanes, float* w, long laneStride)
    {
        Vector256<float> quarter = Vector256.Create(0.25f), sixth = Vector256.Create(1f / 6f), twelfth = Vector256.Create(1f / 12f), sum24 = Vector256.Create(1f / 24f);
        for (int j = 0; j < 6; j++)
        {
            Vector256<float> u0 = Vector256.Load(u + j * plane), u1 = Vector256.Load(u + (6 + j) * plane), u2 = Vector256.Load(u + (12 + j) * plane);
            Vector256<float> u3 = Vector256.Load(u + (18 + j) * plane), u4 = Vector256.Load(u + (24 + j) * plane), u5 = Vector256.Load(u + (30 + j) * plane);
            Vector256<float> p = u1 + u2, q = u2 - u1, r = u3 + u4, d = u3 - u4;
            Vector256.Store(quarter * u0 - sixth * p + sum24 * r, lanes + 8 * j);
            Vector256.Store(sixth * q + twelfth * d, lanes + 8 * (6 + j));
            Vector256.Store(sixth * (r - p) + u5, lanes + 8 * (12 + j));
        }
        for (int lane = 0; lane < 8; lane++, w += laneStride)
            for (int i = 0; i < 3; i++)
            {
                float* si = lanes + 48 * i + lane;
                AddKernelRow(si[0], si[8], si[16], si[24], si[32], si[40], w + 3 * i);
            }
    }

    /// <summary>w += G^T u G for one kernel whose element e of dU is u[e plane]; s holds 18 floats.</summary>
    internal static void Winograd4GradientKernel(float* u, long plane, float* s, float* w)
    {
        // s = G^T dU (3 x 6), G^T = [1/4 -1/6 -1/6 1/24 1/24 0; 0 -1/6 1/6 1/12 -1/12 0; 0 -1/6 -1/6 1/6 1/6 1].
        for (int j = 0; j < 6; j++)
        {
            float u0 = u[j * plane], u1 = u[(6 + j) * plane], u2 = u[(12 + j) * plane], u3 = u[(18 + j) * plane], u4 = u[(24 + j) * plane], u5 = u[(30 + j) * plane];
            float p = u1 + u2, q = u2 - u1, r = u3 + u4, d = u3 - u4;
            s[j] = 0.25f * u0 - 1f / 6f * p + 1f / 24f * r;
            s[6 + j] = 1f / 6f * q + 1f / 12f * d;
            s[12 + j] = 1f / 6f * (r - p) + u5;
        }
        for (int i = 0; i < 3; i++)
        {
            float* si = s + 6 * i;
            AddKernelRow(si[0], si[1], si[2], si[3], si[4], si[5], w + 3 * i);
        }
    }

    /// <summary>Row i of dW += (s G)[i] from row i of s = G^T dU (the same G^T line as its rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddKernelRow(float s0, float s1, float s2, float s3, float s4, float s5, float* w)
    {
        float p = s1 + s2, q = s2 - s1, r = s3 + s4, d = s3 - s4;
        w[0] += 0.25f * s0 - 1f / 6f * p + 1f / 24f * r;
        w[1] += 1f / 6f * q + 1f / 12f * d;
        w[2] += 1f / 6f * (r - p) + s5;
    }
}

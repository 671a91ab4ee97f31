using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>
/// Winograd F(4x4, 3x3)'s tile transforms with 512-bit vectors, 16 tiles of a tile row per vector: the input's stride-4
/// tile columns split out of four loads by two permutes and a lane shuffle each, the output's four columns per tile
/// interleaved back by permutes. The scalar paths in CpuConvolution.Winograd4x4.cs do the same adds in the same order.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>B^T x for 16 tiles' lines at once (see the scalar <c>InputLine4</c>), stored at o, o + step, ... under <paramref name="valid"/> when masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputLine4(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, Vector512<float> x4, Vector512<float> x5,
        float* o, long step, Vector512<float> valid, bool masked)
    {
        var four = Vector512.Create(4f);
        var five = Vector512.Create(5f);
        Vector512<float> p = x4 - four * x2, q = x3 - four * x1, r = x4 - x2, s = Vector512.Create(2f) * (x3 - x1);
        Vector512<float> o0 = four * x0 + x4 - five * x2, o5 = four * x1 + x5 - five * x3;
        if (!masked)
        {
            o0.Store(o); (p + q).Store(o + step); (p - q).Store(o + 2 * step);
            (r + s).Store(o + 3 * step); (r - s).Store(o + 4 * step); o5.Store(o + 5 * step);
            return;
        }
        MaskStore512(o, valid, o0);
        MaskStore512(o + step, valid, p + q);
        MaskStore512(o + 2 * step, valid, p - q);
        MaskStore512(o + 3 * step, valid, r + s);
        MaskStore512(o + 4 * step, valid, r - s);
        MaskStore512(o + 5 * step, valid, o5);
    }

    /// <summary>
    /// s = A^T m for 16 tiles from <paramref name="t"/> (their m at e = i 6 + j, planes <paramref name="plane"/> apart):
    /// row i of column j at s[(6 i + j) 16], for the output transform's second step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputColumns4(float* t, long plane, float* s)
    {
        for (int j = 0; j < 6; j++)
        {
            float* tj = t + j * plane;
            var (s0, s1, s2, s3) = OutputLine4(Vector512.Load(tj), Vector512.Load(tj + 6 * plane), Vector512.Load(tj + 12 * plane),
                Vector512.Load(tj + 18 * plane), Vector512.Load(tj + 24 * plane), Vector512.Load(tj + 30 * plane));
            s0.Store(s + j * TransformLanes);
            s1.Store(s + (6 + j) * TransformLanes);
            s2.Store(s + (12 + j) * TransformLanes);
            s3.Store(s + (18 + j) * TransformLanes);
        }
    }

    /// <summary>
    /// Output row i of 16 tiles from <see cref="OutputColumns4"/>'s scratch row at <paramref name="si"/>: its line (s A)
    /// plus bias, the tiles' columns 0, 1 and 2, 3 paired, then the pairs joined into four vectors of 4 tiles x 4 columns,
    /// 64 consecutive outputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) OutputRow4(float* si, Vector512<float> bias,
        Vector512<int> pairLow, Vector512<int> pairHigh, Vector512<int> quadLow, Vector512<int> quadHigh)
    {
        var (o0, o1, o2, o3) = OutputLine4(Vector512.Load(si), Vector512.Load(si + TransformLanes), Vector512.Load(si + 2 * TransformLanes),
            Vector512.Load(si + 3 * TransformLanes), Vector512.Load(si + 4 * TransformLanes), Vector512.Load(si + 5 * TransformLanes));
        (o0, o1, o2, o3) = (o0 + bias, o1 + bias, o2 + bias, o3 + bias);
        Vector512<float> p01 = Avx512F.PermuteVar16x32x2(o0, pairLow, o1), p23 = Avx512F.PermuteVar16x32x2(o2, pairLow, o3);
        Vector512<float> q01 = Avx512F.PermuteVar16x32x2(o0, pairHigh, o1), q23 = Avx512F.PermuteVar16x32x2(o2, pairHigh, o3);
        return (Avx512F.PermuteVar16x32x2(p01, quadLow, p23), Avx512F.PermuteVar16x32x2(p01, quadHigh, p23),
            Avx512F.PermuteVar16x32x2(q01, quadLow, q23), Avx512F.PermuteVar16x32x2(q01, quadHigh, q23));
    }

    /// <summary>A^T m for 16 tiles' lines at once (see the scalar <c>OutputLine4</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) OutputLine4(
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5)
    {
        Vector512<float> a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
        return (m0 + a + c, b + Vector512.Create(2f) * d, a + Vector512.Create(4f) * c, b + Vector512.Create(8f) * d + m5);
    }

    /// <summary>
    /// Column j of 16 tiles, x[4 t + j] for t = 0..15, from the 64 floats l0..l3 (j &lt; 4): tiles 0-7 from l0, l1 and
    /// 8-15 from l2, l3 by one two-source permute each, then their low halves joined.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TileColumn4(Vector512<float> l0, Vector512<float> l1, Vector512<float> l2, Vector512<float> l3, Vector512<int> index) =>
        Avx512F.Shuffle4x128(Avx512F.PermuteVar16x32x2(l0, index, l1), Avx512F.PermuteVar16x32x2(l2, index, l3), 0b_01_00_01_00);

    /// <summary>Offsets of the eight 16-float loads of an input row that give 16 tiles' six columns (0-3 from the first four, 4-5 from the last four).</summary>
    private static ReadOnlySpan<int> TileLoadOffsets => [0, 16, 32, 48, 4, 20, 36, 52];

    /// <summary>
    /// The vector input transform (see <see cref="Input4TransformRows"/>) of channels <paramref name="c0"/> ..
    /// <paramref name="c1"/> (channel c's tiles at v + (c - c0) <paramref name="channelStride"/>): per tile row and 16
    /// tiles, each of the six input rows' lines transformed (d B) into a 36-vector scratch, then each column's line
    /// (B^T r) stored to v, the row's last vector under a mask. Columns outside x are read by masked loads (zeros), rows
    /// outside as zeros. One scratch, and the load masks of a row's edge computed once, for all the channels: called per
    /// channel, the scratch's clearing and the masks were a third of ResNet's 28x28 input transform and a fifth of its
    /// 56x56 one (the fused pass calls it once per block, for every channel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Input4TransformChannels(in WinogradArgs a, int b, int c0, int c1, int th0, int th1, float* v, long channelStride, long plane)
    {
        if (TileRowsPerVector(a.TilesW) > 1)
        {
            Input4TransformPackedRows(a, b, c0, c1, th0, th1, v, channelStride, plane);
            return;
        }
        ref readonly var g = ref a.G;
        float* r = stackalloc float[36 * TransformLanes];
        var masks = stackalloc Vector512<float>[8];
        var index0 = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
        Vector512<int> index1 = index0 + Vector512<int>.One, index2 = index1 + Vector512<int>.One, index3 = index2 + Vector512<int>.One;
        int masked = int.MinValue; // the column whose masks are in masks
        for (int c = c0; c < c1; c++, v += channelStride)
        {
            float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
            for (int th = th0; th < th1; th++)
            {
                int h0 = 4 * th - g.PadTop;
                for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
                {
                    // The 16 tiles read columns col .. col + 65 of each row: loads at col + TileLoadOffsets (the last reaches col + 67).
                    int col = 4 * tw - g.PadLeft;
                    bool inside = col >= 0 && col + 68 <= g.InW;
                    if (!inside && col != masked)
                    {
                        for (int l = 0; l < 8; l++)
                        {
                            var at = Vector512<int>.Indices + Vector512.Create(col + TileLoadOffsets[l]);
                            masks[l] = (Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero) & Vector512.LessThan(at, Vector512.Create(g.InW))).AsSingle();
                        }
                        masked = col;
                    }
                    for (int i = 0; i < 6; i++)
                    {
                        int ih = h0 + i;
                        float* ri = r + 6 * i * TransformLanes;
                        if ((uint)ih >= (uint)g.InH)
                        {
                            for (int j = 0; j < 6; j++) Vector512<float>.Zero.Store(ri + j * TransformLanes);
                            continue;
                        }
                        float* row = src + (long)ih * g.InW + col;
                        Vector512<float> l0, l1, l2, l3, l4, l5, l6, l7;
                        if (inside)
                        {
                            (l0, l1, l2, l3) = (Vector512.Load(row), Vector512.Load(row + 16), Vector512.Load(row + 32), Vector512.Load(row + 48));
                            (l4, l5, l6, l7) = (Vector512.Load(row + 4), Vector512.Load(row + 20), Vector512.Load(row + 36), Vector512.Load(row + 52));
                        }
                        else
                        {
                            (l0, l1, l2, l3) = (MaskLoad512(row, masks[0]), MaskLoad512(row + 16, masks[1]), MaskLoad512(row + 32, masks[2]), MaskLoad512(row + 48, masks[3]));
                            (l4, l5, l6, l7) = (MaskLoad512(row + 4, masks[4]), MaskLoad512(row + 20, masks[5]), MaskLoad512(row + 36, masks[6]), MaskLoad512(row + 52, masks[7]));
                        }
                        InputLine4(TileColumn4(l0, l1, l2, l3, index0), TileColumn4(l0, l1, l2, l3, index1), TileColumn4(l0, l1, l2, l3, index2),
                            TileColumn4(l0, l1, l2, l3, index3), TileColumn4(l4, l5, l6, l7, index0), TileColumn4(l4, l5, l6, l7, index1),
                            ri, TransformLanes, default, masked: false);
                    }
                    // A row's last vector stores its tiles under a mask (ResNet's 14x14 and 28x28 are rows of 4 and 7 tiles).
                    bool partial = a.TilesW - tw < TransformLanes;
                    var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(a.TilesW - tw)).AsSingle();
                    float* o = v + (long)(th - th0) * a.TilesW + tw;
                    for (int j = 0; j < 6; j++)
                    {
                        float* rj = r + j * TransformLanes;
                        InputLine4(Vector512.Load(rj), Vector512.Load(rj + 6 * TransformLanes), Vector512.Load(rj + 12 * TransformLanes),
                            Vector512.Load(rj + 18 * TransformLanes), Vector512.Load(rj + 24 * TransformLanes), Vector512.Load(rj + 30 * TransformLanes),
                            o + j * plane, 6 * plane, valid, partial);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The vector output transform (<see cref="Output4TransformRows"/>) of output channels <paramref name="k0"/> ..
    /// <paramref name="k1"/> of image <paramref name="b"/> (channel k's products at m + (k - k0)
    /// <paramref name="channelStride"/>), each plane's epilogue on its rows after it: one scratch for all of them
    /// (the fused pass calls it once per block, as its input transform).
    /// </summary>
    internal static void Output4TransformChannels(in WinogradArgs a, int b, int k0, int k1, int th0, int th1, float* m, long channelStride, long plane)
    {
        ref readonly var g = ref a.G;
        float* s = stackalloc float[24 * TransformLanes];
        float* line = stackalloc float[PackedLine];
        bool packed = TileRowsPerVector(a.TilesW) > 1;
        for (int k = k0; k < k1; k++, m += channelStride)
        {
            float* dst = a.Y + b * g.OutputSize + (long)k * g.OutH * g.OutW;
            float bias = a.Bias == null ? 0f : a.Bias[k];
            if (packed) Output4TransformPackedRows(a, th0, th1, m, plane, dst, bias, s, line);
            else Output4TransformRowsVector(a, th0, th1, m, plane, dst, bias, s);
            Output4Epilogue(a, dst, th0, th1);
        }
    }

    /// <summary>
    /// The vector output transform (see <see cref="Output4TransformRows"/>) into the plane at <paramref name="dst"/>:
    /// per tile row and 16 tiles, each column's line (A^T m) into a 24-vector scratch, then each output row's line
    /// (s A) plus bias, its four columns per tile interleaved into 64 consecutive outputs, the last ones under masks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Output4TransformRowsVector(in WinogradArgs a, int th0, int th1, float* m, long plane, float* dst, float bias, float* s)
    {
        ref readonly var g = ref a.G;
        var biasVector = Vector512.Create(bias);
        var pairLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var pairHigh = pairLow + Vector512.Create(8);
        var quadLow = Vector512.Create(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        var quadHigh = quadLow + Vector512.Create(8);
        for (int th = th0; th < th1; th++)
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                OutputColumns4(m + (long)(th - th0) * a.TilesW + tw, plane, s);
                int ow = 4 * tw, columns = Math.Min(4 * TransformLanes, g.OutW - ow);
                for (int i = 0; i < 4 && 4 * th + i < g.OutH; i++)
                {
                    var (v0, v1, v2, v3) = OutputRow4(s + 6 * i * TransformLanes, biasVector, pairLow, pairHigh, quadLow, quadHigh);
                    float* row = dst + (long)(4 * th + i) * g.OutW + ow;
                    StoreOutputPart(row, v0, columns);
                    if (columns > TransformLanes) StoreOutputPart(row + TransformLanes, v1, columns - TransformLanes);
                    if (columns > 2 * TransformLanes) StoreOutputPart(row + 2 * TransformLanes, v2, columns - 2 * TransformLanes);
                    if (columns > 3 * TransformLanes) StoreOutputPart(row + 3 * TransformLanes, v3, columns - 3 * TransformLanes);
                }
            }

        // 16 outputs, or the first `columns` of them under a mask (nothing past the row's end).
        static void StoreOutputPart(float* at, Vector512<float> value, int columns)
        {
            if (columns >= TransformLanes) value.Store(at);
            else MaskStore512(at, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns)).AsSingle(), value);
        }
    }

    /// <summary>
    /// Tile rows one 16-tile vector of the transforms covers: all of them that fit when a row has at most 8 tiles
    /// (ResNet's 28x28, 14x14 and 7x7 planes: rows of 7, 4 and 2 tiles filled 7, 4 and 2 of 16 lanes a row at a time).
    /// </summary>
    internal static int TileRowsPerVector(int tilesW) => tilesW <= TransformLanes / 2 ? TransformLanes / tilesW : 1;

    /// <summary>Floats per line of the packed rows' scratch: 64 columns of 16 tiles and a load's reach past them.</summary>
    private const int PackedLine = 4 * TransformLanes + TransformLanes;

    /// <summary>
    /// <see cref="Input4TransformChannels"/> for rows of at most 8 tiles: each input line of a group of tile rows is
    /// copied (zeros outside x) into two scratch lines, tile row r at 4 r TilesW, one from the tiles' column 0 and one
    /// from their column 4, so the group's tiles lie 4 columns apart as in one long row and the same loads, permutes and
    /// adds transform them 16 at a time. Lanes past a group's tiles read what an earlier group or channel left in the
    /// scratch (zeros at first): their sums are never stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Input4TransformPackedRows(in WinogradArgs a, int b, int c0, int c1, int th0, int th1, float* v, long channelStride, long plane)
    {
        ref readonly var g = ref a.G;
        float* r = stackalloc float[36 * TransformLanes];
        float* first = stackalloc float[6 * PackedLine];
        float* fifth = stackalloc float[6 * PackedLine];
        var index0 = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
        Vector512<int> index1 = index0 + Vector512<int>.One, index2 = index1 + Vector512<int>.One, index3 = index2 + Vector512<int>.One;
        int perVector = TileRowsPerVector(a.TilesW), width = 4 * a.TilesW;
        // The columns each window copy reads (the same for every row): at most two vectors of a row of 8 tiles.
        Vector512<float> first0 = Window(-g.PadLeft, 0, width, g.InW), first1 = Window(-g.PadLeft, TransformLanes, width, g.InW);
        Vector512<float> fifth0 = Window(4 - g.PadLeft, 0, width, g.InW), fifth1 = Window(4 - g.PadLeft, TransformLanes, width, g.InW);
        for (int c = c0; c < c1; c++, v += channelStride)
        {
            float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
            for (int th = th0; th < th1; th += perVector)
            {
                int rows = Math.Min(perVector, th1 - th), count = rows * a.TilesW;
                for (int i = 0; i < 6; i++)
                {
                    for (int tr = 0; tr < rows; tr++)
                    {
                        int ih = 4 * (th + tr) - g.PadTop + i;
                        float* row = (uint)ih < (uint)g.InH ? src + (long)ih * g.InW : null;
                        CopyWindow(first + i * PackedLine + tr * width, row, -g.PadLeft, width, first0, first1);
                        CopyWindow(fifth + i * PackedLine + tr * width, row, 4 - g.PadLeft, width, fifth0, fifth1);
                    }
                    float* f = first + i * PackedLine, h = fifth + i * PackedLine;
                    Vector512<float> l0 = Vector512.Load(f), l1 = Vector512.Load(f + 16), l2 = Vector512.Load(f + 32), l3 = Vector512.Load(f + 48);
                    Vector512<float> l4 = Vector512.Load(h), l5 = Vector512.Load(h + 16), l6 = Vector512.Load(h + 32), l7 = Vector512.Load(h + 48);
                    InputLine4(TileColumn4(l0, l1, l2, l3, index0), TileColumn4(l0, l1, l2, l3, index1), TileColumn4(l0, l1, l2, l3, index2),
                        TileColumn4(l0, l1, l2, l3, index3), TileColumn4(l4, l5, l6, l7, index0), TileColumn4(l4, l5, l6, l7, index1),
                        r + 6 * i * TransformLanes, TransformLanes, default, masked: false);
                }
                var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
                float* o = v + (long)(th - th0) * a.TilesW;
                for (int j = 0; j < 6; j++)
                {
                    float* rj = r + j * TransformLanes;
                    InputLine4(Vector512.Load(rj), Vector512.Load(rj + 6 * TransformLanes), Vector512.Load(rj + 12 * TransformLanes),
                        Vector512.Load(rj + 18 * TransformLanes), Vector512.Load(rj + 24 * TransformLanes), Vector512.Load(rj + 30 * TransformLanes),
                        o + j * plane, 6 * plane, valid, count < TransformLanes);
                }
            }
        }

        // The lanes of the window copy's vector at x that read row[col0 + x + lane]: inside the row and before count.
        static Vector512<float> Window(int col0, int x, int count, int inW)
        {
            var at = Vector512<int>.Indices + Vector512.Create(col0 + x);
            return (Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero) & Vector512.LessThan(at, Vector512.Create(inW))
                & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - x))).AsSingle();
        }

        // dst[x] = row[col0 + x] for x < count (zero outside the row, or for a row outside x), in whole 16-float stores
        // (count at most 32: the lanes of the first and second vector in inside0 and inside1).
        static void CopyWindow(float* dst, float* row, int col0, int count, Vector512<float> inside0, Vector512<float> inside1)
        {
            if (row == null)
            {
                Vector512<float>.Zero.Store(dst);
                if (count > TransformLanes) Vector512<float>.Zero.Store(dst + TransformLanes);
                return;
            }
            MaskLoad512(row + col0, inside0).Store(dst);
            if (count > TransformLanes) MaskLoad512(row + col0 + TransformLanes, inside1).Store(dst + TransformLanes);
        }
    }

    /// <summary>
    /// <see cref="Output4TransformRowsVector"/> for rows of at most 8 tiles: a group of tile rows per 16-tile vector,
    /// each output line's 64 interleaved outputs put in scratch and each tile row's 4 TilesW of them (cut at the plane's
    /// edge) copied to its output row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Output4TransformPackedRows(in WinogradArgs a, int th0, int th1, float* m, long plane, float* dst, float bias, float* s, float* line)
    {
        ref readonly var g = ref a.G;
        var biasVector = Vector512.Create(bias);
        var pairLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var pairHigh = pairLow + Vector512.Create(8);
        var quadLow = Vector512.Create(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        var quadHigh = quadLow + Vector512.Create(8);
        int perVector = TileRowsPerVector(a.TilesW), width = 4 * a.TilesW, columns = Math.Min(width, g.OutW);
        var firstPart = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns)).AsSingle();
        var secondPart = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns - TransformLanes)).AsSingle();
        for (int th = th0; th < th1; th += perVector)
        {
            int rows = Math.Min(perVector, th1 - th);
            OutputColumns4(m + (long)(th - th0) * a.TilesW, plane, s);
            for (int i = 0; i < 4; i++)
            {
                var (v0, v1, v2, v3) = OutputRow4(s + 6 * i * TransformLanes, biasVector, pairLow, pairHigh, quadLow, quadHigh);
                v0.Store(line);
                v1.Store(line + TransformLanes);
                v2.Store(line + 2 * TransformLanes);
                v3.Store(line + 3 * TransformLanes);
                for (int tr = 0; tr < rows; tr++)
                {
                    int oh = 4 * (th + tr) + i;
                    if (oh >= g.OutH) break;
                    // A tile row's outputs are at most 32 (8 tiles): two masked 16-float stores.
                    float* from = line + tr * width, to = dst + (long)oh * g.OutW;
                    MaskStore512(to, firstPart, Vector512.Load(from));
                    if (columns > TransformLanes) MaskStore512(to + TransformLanes, secondPart, Vector512.Load(from + TransformLanes));
                }
            }
        }
    }
}

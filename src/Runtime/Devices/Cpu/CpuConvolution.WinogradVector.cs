using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Winograd F(2x2, 3x3)'s tile transforms with 512-bit vectors: 16 tiles of a tile row per vector, the input's stride-2
/// tile columns split out of two loads by one permute, the output's two columns per tile interleaved back by one. The
/// scalar items in CpuConvolution.Winograd.cs compute the same adds in the same order (machines without AVX-512).
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Tiles one vector of the transforms covers.</summary>
    private const int TransformLanes = 16;

    /// <summary>V[e, c, tiles of image b] = (B^T d B)[e] for the (image b, channel c) plane, 16 tiles at a time.</summary>
    internal static void WinogradInputVectorItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int b = item / a.G.InChannels, c = item % a.G.InChannels;
        float* v = a.V + (long)c * a.Tiles + (long)b * a.TilesH * a.TilesW;
        if (WholePlaneTransform(a)) InputTransformPlane(a, b, c, v, a.VPlane);
        else InputTransformRows(a, b, c, 0, a.TilesH, v, a.VPlane);
    }

    /// <summary>
    /// Whether <see cref="InputTransformPlane"/> takes a plane: at most 64 input values (four vectors) and 16 tiles (one).
    /// ResNet's 7x7 planes are 4 rows of 4 tiles, which <see cref="InputTransformRows"/> ran as 4 vectors of 4 tiles
    /// (a quarter of the lanes) with 64 masked stores of 16 bytes. In-process A/B (one thread's CPU time, `kernel-ab 1 30
    /// "3x3 512x7x7" w 8 written`, variant wrows): the whole conv 0.92x at batch 8, 0.95x at batch 1 (not written).
    /// </summary>
    internal static bool WholePlaneTransform(in WinogradArgs a) =>
        WholePlaneInputTransform && (long)a.G.InH * a.G.InW <= 4 * TransformLanes && a.TilesH * a.TilesW <= TransformLanes;

    /// <summary>A/B switch (benchmarks only): false runs every plane's input transform by tile rows.</summary>
    internal static bool WholePlaneInputTransform = true;

    /// <summary>
    /// For <see cref="InputTransformPlane"/>: taps[(4 i + j) 16 + t] = the plane offset of tile t's d[i][j] (tile row
    /// t / TilesW, column t % TilesW: input row 2 th + i - pad, column 2 tw + j - pad), or -1 outside x or past the last tile.
    /// </summary>
    internal static void PlaneTaps(in WinogradArgs a, int* taps)
    {
        ref readonly ConvGeometry g = ref a.G;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                for (int t = 0; t < TransformLanes; t++)
                {
                    int h = 2 * (t / a.TilesW) + i - g.PadTop, w = 2 * (t % a.TilesW) + j - g.PadLeft;
                    bool inside = t < a.TilesH * a.TilesW && (uint)h < (uint)g.InH && (uint)w < (uint)g.InW;
                    taps[(4 * i + j) * TransformLanes + t] = inside ? h * g.InW + w : -1;
                }
    }

    /// <summary>
    /// The input transform of a whole (image b, channel c) plane of at most 64 values and 16 tiles, one tile per lane
    /// (element e of tile t at v + e plane + t): the plane in four vectors, each d[i][j] picked out of them by two
    /// two-register permutes and a blend, zero outside x; then the same adds in the same order as
    /// <see cref="InputTransformRows"/>, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void InputTransformPlane(in WinogradArgs a, int b, int c, float* v, long plane)
    {
        ref readonly ConvGeometry g = ref a.G;
        int size = g.InH * g.InW;
        float* src = a.X + b * g.InputSize + (long)c * size;
        var lane = Vector512<int>.Indices;
        Vector512<float> Part(int k) =>
            MaskLoad512(src + k * TransformLanes, Vector512.LessThan(lane + Vector512.Create(k * TransformLanes), Vector512.Create(size)).AsSingle());
        Vector512<float> x0 = Part(0), x1 = Part(1), x2 = Part(2), x3 = Part(3);
        var low = Vector512.Create(31);
        int* taps = a.PlaneTaps;
        Vector512<float> D(int i, int j)
        {
            var at = Vector512.Load(taps + (4 * i + j) * TransformLanes);
            var pick = Vector512.ConditionalSelect(Vector512.GreaterThan(at, low).AsSingle(),
                Avx512F.PermuteVar16x32x2(x2, at, x3), Avx512F.PermuteVar16x32x2(x0, at, x1));
            return pick & Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero).AsSingle();
        }
        var (d00, d01, d02, d03) = (D(0, 0), D(0, 1), D(0, 2), D(0, 3));
        var (d10, d11, d12, d13) = (D(1, 0), D(1, 1), D(1, 2), D(1, 3));
        var (d20, d21, d22, d23) = (D(2, 0), D(2, 1), D(2, 2), D(2, 3));
        var (d30, d31, d32, d33) = (D(3, 0), D(3, 1), D(3, 2), D(3, 3));
        var valid = Vector512.LessThan(lane, Vector512.Create(a.TilesH * a.TilesW)).AsSingle();
        // r = B^T d (rows), then v = r B (columns), as InputTransformRows.
        InputRow(v, plane, valid, d00 - d20, d01 - d21, d02 - d22, d03 - d23);
        InputRow(v + 4 * plane, plane, valid, d10 + d20, d11 + d21, d12 + d22, d13 + d23);
        InputRow(v + 8 * plane, plane, valid, d20 - d10, d21 - d11, d22 - d12, d23 - d13);
        InputRow(v + 12 * plane, plane, valid, d10 - d30, d11 - d31, d12 - d32, d13 - d33);
    }

    /// <summary>
    /// The input transform of tile rows th0 .. th1 of the (image b, channel c) plane: element e of tile (th, tw) at
    /// v + e plane + (th - th0) TilesW + tw. Rows and columns outside x read as zeros: rows by a zero vector, columns by
    /// masked loads where a vector reaches past either edge (with a zero-padded copy of the rows, cleared and filled per
    /// call, ResNet's 256x14x14 conv took 1.24 ms of CPU time instead of 1.09, its 64x56x56 1.41 instead of 1.37).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void InputTransformRows(in WinogradArgs a, int b, int c, int th0, int th1, float* v, long plane)
    {
        ref readonly ConvGeometry g = ref a.G;
        float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        for (int th = th0; th < th1; th++)
        {
            int h = 2 * th - g.PadTop;
            float* row0 = Row(src, h, g), row1 = Row(src, h + 1, g), row2 = Row(src, h + 2, g), row3 = Row(src, h + 3, g);
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                // The 16 tiles read columns col .. col + 33 of each row: loads at col, col + 16, col + 2 and col + 18.
                int col = 2 * tw - g.PadLeft;
                var loads = new ColumnLoads(col, g.InW);
                // d[i][j] for 16 tiles: input row 2 th + i, column 2 tw + j of each.
                var (d00, d01, d02, d03) = Columns(row0, loads, even, odd);
                var (d10, d11, d12, d13) = Columns(row1, loads, even, odd);
                var (d20, d21, d22, d23) = Columns(row2, loads, even, odd);
                var (d30, d31, d32, d33) = Columns(row3, loads, even, odd);
                // A row's last vector stores its tiles under a mask (a row of 4, 7 or 14 tiles, ResNet's 7x7, 14x14 and
                // 28x28, is only that: copying each element's part out of a buffer was 0.2 ms of a 512x7x7 conv).
                var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(a.TilesW - tw)).AsSingle();
                float* o = v + (long)(th - th0) * a.TilesW + tw;
                // r = B^T d (rows), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; then v = r B (columns).
                InputRow(o, plane, valid, d00 - d20, d01 - d21, d02 - d22, d03 - d23);
                InputRow(o + 4 * plane, plane, valid, d10 + d20, d11 + d21, d12 + d22, d13 + d23);
                InputRow(o + 8 * plane, plane, valid, d20 - d10, d21 - d11, d22 - d12, d23 - d13);
                InputRow(o + 12 * plane, plane, valid, d10 - d30, d11 - d31, d12 - d32, d13 - d33);
            }
        }

        static float* Row(float* src, int h, in ConvGeometry g) => (uint)h < (uint)g.InH ? src + (long)h * g.InW : null;

        // Columns 0, 1, 2, 3 of 16 tiles (column col + 2 t + j for tile t): the even and odd lanes of two vector pairs.
        static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Columns(float* row, in ColumnLoads l, Vector512<int> even, Vector512<int> odd)
        {
            if (row == null) return default;
            Vector512<float> a0 = l.Load(row, 0), a1 = l.Load(row, 1), b0 = l.Load(row, 2), b1 = l.Load(row, 3);
            return (Avx512F.PermuteVar16x32x2(a0, even, a1), Avx512F.PermuteVar16x32x2(a0, odd, a1),
                Avx512F.PermuteVar16x32x2(b0, even, b1), Avx512F.PermuteVar16x32x2(b0, odd, b1));
        }
    }

    /// <summary>Row i of v = r B for 16 tiles (r = row i of B^T d): elements 4 i .. 4 i + 3, <paramref name="step"/> apart, the valid lanes only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRow(float* o, long step, Vector512<float> valid, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
    {
        MaskStore512(o, valid, r0 - r2);
        MaskStore512(o + step, valid, r1 + r2);
        MaskStore512(o + 2 * step, valid, r2 - r1);
        MaskStore512(o + 3 * step, valid, r1 - r3);
    }

    /// <summary>The lanes of <paramref name="value"/> that <paramref name="mask"/> selects, stored (an AVX-512 masked move from .NET 9, two AVX masked stores before).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaskStore512(float* dst, Vector512<float> mask, Vector512<float> value)
    {
#if NET9_0_OR_GREATER
        Avx512F.MaskStore(dst, mask, value);
#else
        Avx.MaskStore(dst, mask.GetLower(), value.GetLower());
        Avx.MaskStore(dst + 8, mask.GetUpper(), value.GetUpper());
#endif
    }

    /// <summary>The lanes <paramref name="mask"/> selects, zero elsewhere (those are not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MaskLoad512(float* src, Vector512<float> mask)
    {
#if NET9_0_OR_GREATER
        return Avx512F.MaskLoad(src, mask, Vector512<float>.Zero);
#else
        return Vector512.Create(Avx.MaskLoad(src, mask.GetLower()), Avx.MaskLoad(src + 8, mask.GetUpper()));
#endif
    }

    /// <summary>
    /// The four 16-float loads of a row that give 16 tiles' 4 columns, at col, col + 16, col + 2 and col + 18: plain
    /// loads when all 34 columns are inside the row, else masked ones that read zeros (and touch nothing) outside it.
    /// </summary>
    private readonly struct ColumnLoads
    {
        private readonly int _col;
        private readonly bool _inside;
        private readonly Vector512<float> _m0, _m1, _m2, _m3;

        public ColumnLoads(int col, int width)
        {
            _col = col;
            _inside = col >= 0 && col + 2 * TransformLanes + 2 <= width;
            if (_inside) return;
            var lanes = Vector512<int>.Indices + Vector512.Create(col);
            Vector512<float> Inside(int offset)
            {
                var at = lanes + Vector512.Create(offset);
                return (Vector512.GreaterThanOrEqual(at, Vector512<int>.Zero) & Vector512.LessThan(at, Vector512.Create(width))).AsSingle();
            }
            (_m0, _m1, _m2, _m3) = (Inside(0), Inside(16), Inside(2), Inside(18));
        }

        /// <summary>Load <paramref name="which"/> (0-3) of <paramref name="row"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Load(float* row, int which)
        {
            float* at = row + _col + (which == 0 ? 0 : which == 1 ? 16 : which == 2 ? 2 : 18);
            if (_inside) return Vector512.Load(at);
            var mask = which == 0 ? _m0 : which == 1 ? _m1 : which == 2 ? _m2 : _m3;
            return MaskLoad512(at, mask);
        }
    }

    /// <summary>y[b, k] = A^T m A per tile of the (image b, output channel k) plane plus bias, 16 tiles at a time.</summary>
    internal static void WinogradOutputVectorItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int b = item / a.G.OutChannels, k = item % a.G.OutChannels;
        OutputTransformRows(a, b, k, 0, a.TilesH, a.M + (long)k * a.Tiles + (long)b * a.TilesH * a.TilesW, a.MPlane);
    }

    /// <summary>
    /// The output transform of tile rows th0 .. th1 of the (image b, output channel k) plane, element e of tile (th, tw)
    /// read at m + e plane + (th - th0) TilesW + tw (whole 16-tile vectors: 16 floats of slack past the last).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void OutputTransformRows(in WinogradArgs a, int b, int k, int th0, int th1, float* m, long plane)
    {
        ref readonly ConvGeometry g = ref a.G;
        float* dst = a.Y + b * g.OutputSize + (long)k * g.OutH * g.OutW;
        var bias = Vector512.Create(a.Bias == null ? 0f : a.Bias[k]);
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = low + Vector512.Create(8);
        for (int th = th0; th < th1; th++)
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                float* t = m + (long)(th - th0) * a.TilesW + tw;
                // s = A^T m (2 x 4), A^T = [1 1 1 0; 0 1 -1 -1]; then out = s A (2 x 2).
                var (s00, s10) = OutputColumn(t, plane);
                var (s01, s11) = OutputColumn(t + plane, plane);
                var (s02, s12) = OutputColumn(t + 2 * plane, plane);
                var (s03, s13) = OutputColumn(t + 3 * plane, plane);
                int ow = 2 * tw, columns = Math.Min(2 * TransformLanes, g.OutW - ow);
                StoreInterleavedRow(dst + (long)2 * th * g.OutW + ow, s00 + s01 + s02 + bias, s01 - s02 - s03 + bias, low, high, columns);
                if (2 * th + 1 < g.OutH)
                    StoreInterleavedRow(dst + (long)(2 * th + 1) * g.OutW + ow, s10 + s11 + s12 + bias, s11 - s12 - s13 + bias, low, high, columns);
            }
        // The epilogue (residual add, activation) on these output rows while they are in cache.
        if (a.Epilogue.Active)
        {
            int firstRow = 2 * th0, endRow = Math.Min(2 * th1, g.OutH);
            if (endRow > firstRow) a.Epilogue.Apply(dst + (long)firstRow * g.OutW, (long)(endRow - firstRow) * g.OutW);
        }

        // Column j of s for 16 tiles: m[e] at e = j, 4 + j, 8 + j, 12 + j (a stride of 4 planes).
        static (Vector512<float>, Vector512<float>) OutputColumn(float* t, long plane)
        {
            Vector512<float> m0 = Vector512.Load(t), m1 = Vector512.Load(t + 4 * plane), m2 = Vector512.Load(t + 8 * plane), m3 = Vector512.Load(t + 12 * plane);
            return (m0 + m1 + m2, m1 - m2 - m3);
        }
    }

    /// <summary>
    /// Whether the forward runs fused blocks of tile rows (<see cref="WinogradFusedItem"/>) instead of three passes over
    /// the whole batch: with 512-bit vectors, and U (16 times <see cref="ConvolutionAlgorithm.WinogradFusedWeights"/>
    /// floats at most, 256 KB) small enough to stay in L2 next to one block's transformed input and products.
    /// </summary>
    internal static bool WinogradFused(in ConvGeometry g) =>
        ChannelTiles512 && (long)Gemm.RoundUp(g.OutChannels, TileChannels) * g.InChannels <= ConvolutionAlgorithm.WinogradFusedWeights;

    /// <summary>
    /// One block of tile rows of one image, start to end: its input transform for every channel, the 16 GEMMs, and its
    /// output transform, with V and M in this worker's panels, so at 64 channels (ResNet's 56x56) nothing but x and y
    /// passes through memory (the three passes moved 3 MB of V and 3 MB of M each way, as much time as the GEMMs).
    /// </summary>
    internal static void WinogradFusedItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int C = a.G.InChannels, K = a.G.OutChannels, stride = a.BlockTiles, panels = (K + TileChannels - 1) / TileChannels;
        int b = item / a.Blocks, th0 = item % a.Blocks * a.RowsPerBlock, th1 = Math.Min(a.TilesH, th0 + a.RowsPerBlock);
        int tiles = (th1 - th0) * a.TilesW;
        float* v = Grow(ws.WorkspaceB, worker, 16L * C * stride);
        float* m = Grow(ws.WorkspaceC, worker, 16L * K * stride + TransformLanes);
        for (int c = 0; c < C; c++) InputTransformRows(a, b, c, th0, th1, v + (long)c * stride, (long)C * stride);
        int* lanes = stackalloc int[MaxTilePositions];
        float* tile = stackalloc float[16 * TileChannels];
        for (int t = 0, count; t < tiles; t += count)
        {
            count = NextTileCount(tiles - t);
            for (int j = 0; j < MaxTilePositions; j++) lanes[j] = t + Math.Min(j, count - 1);
            for (int e = 0; e < 16; e++)
            {
                float* u = a.U + (long)e * Gemm.RoundUp(K, TileChannels) * C, ve = v + (long)e * C * stride, me = m + (long)e * K * stride;
                for (int panel = 0; panel < panels; panel++)
                {
                    int m0 = panel * TileChannels, width = PanelWidth(K, panel);
                    RunChannelTile(C, width, count, u + (long)m0 * C, ve, a.Shifts, lanes, tile);
                    StoreTile(tile, Math.Min(width, K - m0), count, me + (long)m0 * stride + t, stride, null);
                }
            }
        }
        for (int k = 0; k < K; k++) OutputTransformRows(a, b, k, th0, th1, m + (long)k * stride, (long)K * stride);
    }
}

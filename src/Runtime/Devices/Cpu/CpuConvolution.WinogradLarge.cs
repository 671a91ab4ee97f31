using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

/// <summary>
/// Winograd F(2x2, r x r) forward for 4x4 and 5x5 stride-1 convs (<see cref="ConvKernel.WinogradLargeKernel"/>): each
/// 2x2 output tile costs (r + 1)^2 multiplies per (output, input) channel pair instead of 4 r^2. The matrices come from
/// <see cref="WinogradTransform"/>; U [E, K, C] (E = (r + 1)^2, in the channel tiles' 32-channel panels) is transformed
/// once per write of the weights (<see cref="PackedConvWeights"/>). One work item is one block of tile rows of one
/// image: the input transform of every channel into V [E, C, block], then per 32-channel panel the E GEMMs into
/// M [E, 32, block] and that panel's output transform, so V, M and a panel of U stay in L2 (LeNet's 500-channel M of a
/// whole block would be 3 MB). 512-bit vectors only: 16 tiles of a tile row per vector.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    internal struct LargeWinogradArgs
    {
        public ConvGeometry G;
        public int N, Alpha, TilesH, TilesW, RowsPerBlock, Blocks, BlockTiles;
        public float* X, Y, Bias, U;
        public CpuEpilogue Epilogue;
        public int* Shifts;
    }

    /// <summary>Tiles a block aims for: about four long GEMM tiles, one or two tile rows of LeNet's planes.</summary>
    private const int LargeWinogradBlockTiles = 64;

    /// <summary>y = f(conv(x, w) + bias) by Winograd F(2x2, r x r) when it applies here (AVX-512); false (nothing done) otherwise.</summary>
    internal static bool TryForwardLargeWinograd(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w,
        DeviceBuffer<float>? bias, DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        if (!ChannelTiles512 || g.Groups != 1 || !ConvolutionAlgorithm.LargeWinogradApplies(g.InChannels, g.OutChannels, g.OutH, g.OutW,
                g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.DilationH, g.DilationW))
            return false;
        var conv = new ConvArgs { G = g };
        var layout = g.KernelH == 4 ? PackedConvWeights.Layout.LargeWinograd4x4 : PackedConvWeights.Layout.LargeWinograd5x5;
        var packed = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv, layout);
        float* py = CpuMath.P(y, n * g.OutputSize, nameof(y));
        LargeWinogradForward(ws, g, n, CpuMath.P(x, n * g.InputSize, nameof(x)), conv.PackedW,
            bias is null ? null : CpuMath.P(bias, g.OutChannels, nameof(bias)), py, CpuEpilogue.Of(epilogue, py, n * g.OutputSize));
        GC.KeepAlive(packed);
        return true;
    }

    /// <summary>The forward pass by Winograd F(2x2, r x r) with transformed weights <paramref name="u"/> (<see cref="LargeWinogradWeightsItem"/>'s layout).</summary>
    internal static void LargeWinogradForward(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* u, float* bias, float* y, in CpuEpilogue epilogue = default)
    {
        var args = new LargeWinogradArgs
        {
            G = g, N = n, X = x, Y = y, Bias = bias, U = u, Epilogue = epilogue, Alpha = g.KernelH + 1,
            TilesH = (g.OutH + 1) / 2, TilesW = (g.OutW + 1) / 2,
        };
        if (n == 0) return;
        // Blocks of whole tile rows; fewer rows a block while that leaves under 8 items (both workers busy at batch 1).
        // The blocking changes no bits: every output is the same tile's transforms and the same chain over C.
        int rows = Math.Max(1, (LargeWinogradBlockTiles + args.TilesW - 1) / args.TilesW);
        while (rows > 1 && (long)n * ((args.TilesH + rows - 1) / rows) < 8) rows--;
        args.RowsPerBlock = rows;
        args.Blocks = (args.TilesH + rows - 1) / rows;
        args.BlockTiles = rows * args.TilesW;
        int* shifts = ws.Shifts(g.InChannels + Gemm.NR);
        for (int c = 0; c < g.InChannels; c++) shifts[c] = checked(c * args.BlockTiles);
        args.Shifts = shifts;
        ws.Run(&args, checked(n * args.Blocks), &LargeWinogradBlockItem);
    }

    /// <summary>
    /// One block of tile rows of one image: its input transform for every channel, then per 32-channel panel the E
    /// GEMMs and the panel's output transform (with the epilogue on the rows it wrote).
    /// </summary>
    internal static void LargeWinogradBlockItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly LargeWinogradArgs a = ref *(LargeWinogradArgs*)args;
        int C = a.G.InChannels, K = a.G.OutChannels, stride = a.BlockTiles, panels = (K + TileChannels - 1) / TileChannels;
        int alpha = a.Alpha, elements = alpha * alpha;
        int b = item / a.Blocks, th0 = item % a.Blocks * a.RowsPerBlock, th1 = Math.Min(a.TilesH, th0 + a.RowsPerBlock);
        int tiles = (th1 - th0) * a.TilesW;
        // A panel's E planes of M a vector past a multiple of the block: at 64 tiles a plane was 8 KB, and the output
        // transform's 25 loads a tile, 8 KB apart, fought over one L1 set (its 500 channels took 6-7 ms of the 4x4 conv's 24).
        long panelPlane = (long)TileChannels * stride + TransformLanes, uPlane = (long)Gemm.RoundUp(K, TileChannels) * C;
        float* v = CpuMath.Grow(ws.WorkspaceB, worker, (long)elements * C * stride);
        // Slack: the output transform reads whole 16-tile vectors past a block's last tile.
        float* m = CpuMath.Grow(ws.WorkspaceC, worker, elements * panelPlane + TransformLanes);
        var transform = WinogradTransform.Of(a.G.KernelH);
        float* inputT = stackalloc float[elements];
        float* outputT = stackalloc float[2 * alpha];
        for (int i = 0; i < elements; i++) inputT[i] = transform.InputT[i];
        for (int i = 0; i < 2 * alpha; i++) outputT[i] = transform.OutputT[i];
        Vector512<float>* scratch = stackalloc Vector512<float>[2 * 36];
        for (int c = 0; c < C; c++) LargeInputTransformRows(a, b, c, th0, th1, v + (long)c * stride, (long)C * stride, inputT, scratch);
        int* lanes = stackalloc int[MaxTilePositions];
        float* tile = stackalloc float[16 * TileChannels];
        for (int panel = 0; panel < panels; panel++)
        {
            int m0 = panel * TileChannels, width = PanelWidth(K, panel), channels = Math.Min(width, K - m0);
            for (int e = 0; e < elements; e++)
            {
                float* ue = a.U + e * uPlane + (long)m0 * C, ve = v + (long)e * C * stride, me = m + e * panelPlane;
                for (int t = 0, count; t < tiles; t += count)
                {
                    count = NextTileCount(tiles - t);
                    for (int j = 0; j < MaxTilePositions; j++) lanes[j] = t + Math.Min(j, count - 1);
                    RunChannelTile(C, width, count, ue, ve, a.Shifts, lanes, tile);
                    StoreTile(tile, channels, count, me + t, stride, null);
                }
            }
            for (int kk = 0; kk < channels; kk++)
                LargeOutputTransformRows(a, b, m0 + kk, th0, th1, m + (long)kk * stride, panelPlane, outputT, scratch);
        }
    }

    /// <summary>
    /// The input transform V = B^T d B of tile rows th0 .. th1 of the (image b, channel c) plane, 16 tiles a vector:
    /// element e of tile (th, tw) at v + e plane + (th - th0) TilesW + tw. A tile's column j of 16 tiles is the even
    /// (j even) or odd lanes of two loads at col + j - j % 2 and 16 past it; rows and columns outside x read as zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LargeInputTransformRows(in LargeWinogradArgs a, int b, int c, int th0, int th1, float* v, long plane, float* bt, Vector512<float>* scratch)
    {
        ref readonly ConvGeometry g = ref a.G;
        int alpha = a.Alpha;
        float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        Vector512<float>* d = scratch, r = scratch + 36;
        for (int th = th0; th < th1; th++)
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                int col = 2 * tw - g.PadLeft;
                for (int i = 0; i < alpha; i++)
                {
                    int h = 2 * th - g.PadTop + i;
                    Vector512<float>* di = d + i * alpha;
                    if ((uint)h >= (uint)g.InH)
                    {
                        for (int j = 0; j < alpha; j++) di[j] = default;
                        continue;
                    }
                    float* row = src + (long)h * g.InW;
                    for (int j = 0; j < alpha; j += 2)
                    {
                        var lo = LoadInside(row, col + j, g.InW);
                        var hi = LoadInside(row, col + j + TransformLanes, g.InW);
                        di[j] = Avx512F.PermuteVar16x32x2(lo, even, hi);
                        if (j + 1 < alpha) di[j + 1] = Avx512F.PermuteVar16x32x2(lo, odd, hi);
                    }
                }
                // r = B^T d (rows), then v = r B (columns); B^T's zeros skipped.
                for (int p = 0; p < alpha; p++)
                    for (int j = 0; j < alpha; j++)
                    {
                        var sum = Vector512<float>.Zero;
                        for (int i = 0; i < alpha; i++)
                        {
                            float f = bt[p * alpha + i];
                            if (f != 0) sum += Vector512.Create(f) * d[i * alpha + j];
                        }
                        r[p * alpha + j] = sum;
                    }
                var valid = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(a.TilesW - tw)).AsSingle();
                float* o = v + (long)(th - th0) * a.TilesW + tw;
                for (int p = 0; p < alpha; p++)
                    for (int q = 0; q < alpha; q++)
                    {
                        var sum = Vector512<float>.Zero;
                        for (int j = 0; j < alpha; j++)
                        {
                            float f = bt[q * alpha + j];
                            if (f != 0) sum += Vector512.Create(f) * r[p * alpha + j];
                        }
                        MaskStore512(o + (p * alpha + q) * plane, valid, sum);
                    }
            }
    }

    /// <summary>16 floats of a row from column <paramref name="at"/>: a plain load inside the row, a masked one (zeros outside it) at its edges.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadInside(float* row, int at, int width)
    {
        if (at >= 0 && at + TransformLanes <= width) return Vector512.Load(row + at);
        var lanes = Vector512<int>.Indices + Vector512.Create(at);
        var inside = Vector512.GreaterThanOrEqual(lanes, Vector512<int>.Zero) & Vector512.LessThan(lanes, Vector512.Create(width));
        return MaskLoad512(row + at, inside.AsSingle());
    }

    /// <summary>
    /// y[b, k] = A^T m A + bias per tile of tile rows th0 .. th1 of the (image b, output channel k) plane, 16 tiles a
    /// vector, element e of tile (th, tw) read at m + e plane + (th - th0) TilesW + tw; then the epilogue on those rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LargeOutputTransformRows(in LargeWinogradArgs a, int b, int k, int th0, int th1, float* m, long plane, float* at, Vector512<float>* scratch)
    {
        ref readonly ConvGeometry g = ref a.G;
        int alpha = a.Alpha;
        float* dst = a.Y + b * g.OutputSize + (long)k * g.OutH * g.OutW;
        var bias = Vector512.Create(a.Bias == null ? 0f : a.Bias[k]);
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = low + Vector512.Create(8);
        Vector512<float>* s0 = scratch, s1 = scratch + alpha;
        for (int th = th0; th < th1; th++)
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                float* t = m + (long)(th - th0) * a.TilesW + tw;
                // s = A^T m (2 x alpha); A^T's first row is ones but at infinity, so only the second multiplies.
                for (int q = 0; q < alpha; q++)
                {
                    Vector512<float> first = Vector512<float>.Zero, second = Vector512<float>.Zero;
                    for (int p = 0; p < alpha; p++)
                    {
                        var mpq = Vector512.Load(t + (p * alpha + q) * plane);
                        if (at[p] != 0) first += Vector512.Create(at[p]) * mpq;
                        if (at[alpha + p] != 0) second += Vector512.Create(at[alpha + p]) * mpq;
                    }
                    (s0[q], s1[q]) = (first, second);
                }
                // out = s A (2 x 2).
                Vector512<float> s00 = Vector512<float>.Zero, s01 = Vector512<float>.Zero, s10 = Vector512<float>.Zero, s11 = Vector512<float>.Zero;
                for (int q = 0; q < alpha; q++)
                {
                    float f0 = at[q], f1 = at[alpha + q];
                    if (f0 != 0)
                    {
                        s00 += Vector512.Create(f0) * s0[q];
                        s10 += Vector512.Create(f0) * s1[q];
                    }
                    if (f1 != 0)
                    {
                        s01 += Vector512.Create(f1) * s0[q];
                        s11 += Vector512.Create(f1) * s1[q];
                    }
                }
                int ow = 2 * tw, columns = Math.Min(2 * TransformLanes, g.OutW - ow);
                StoreInterleavedRow(dst + (long)2 * th * g.OutW + ow, s00 + bias, s01 + bias, low, high, columns);
                if (2 * th + 1 < g.OutH) StoreInterleavedRow(dst + (long)(2 * th + 1) * g.OutW + ow, s10 + bias, s11 + bias, low, high, columns);
            }
        // The epilogue (residual add, activation) on these output rows while they are in cache.
        if (a.Epilogue.Active)
        {
            int firstRow = 2 * th0, endRow = Math.Min(2 * th1, g.OutH);
            if (endRow > firstRow) a.Epilogue.Apply(dst + (long)firstRow * g.OutW, (long)(endRow - firstRow) * g.OutW);
        }
    }

    /// <summary>
    /// A row's outputs 2t (from y0) and 2t + 1 (from y1) of 16 tiles, interleaved (the F(2x2) output transforms of
    /// CpuConvolution.WinogradVector.cs and .WinogradLarge.cs); its last 32 columns or fewer under masks, past the row's end nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreInterleavedRow(float* row, Vector512<float> y0, Vector512<float> y1, Vector512<int> low, Vector512<int> high, int columns)
    {
        var first = Avx512F.PermuteVar16x32x2(y0, low, y1);
        var second = Avx512F.PermuteVar16x32x2(y0, high, y1);
        if (columns == 2 * TransformLanes)
        {
            first.Store(row);
            second.Store(row + TransformLanes);
            return;
        }
        var count = Vector512.Create(columns);
        MaskStore512(row, Vector512.LessThan(Vector512<int>.Indices, count).AsSingle(), first);
        if (columns > TransformLanes)
            MaskStore512(row + TransformLanes, Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(TransformLanes), count).AsSingle(), second);
    }

    /// <summary>
    /// U[e, k, c] = (G w[k, c] G^T)[e] (in double, rounded once) for the 32 output channels of panel
    /// <paramref name="item"/>, in the channel tiles' panels ([c][32] per e, channels past K zero).
    /// </summary>
    internal static void LargeWinogradWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, r = a.G.KernelH, m0 = item * TileChannels, width = PanelWidth(K, item), rows = Math.Min(width, K - m0);
        var transform = WinogradTransform.Of(r);
        int alpha = transform.Alpha;
        long plane = (long)Gemm.RoundUp(K, TileChannels) * C;
        double* gw = stackalloc double[6 * 5];
        double* filter = stackalloc double[6 * 5];
        for (int i = 0; i < alpha * r; i++) filter[i] = transform.Filter[i];
        for (int c = 0; c < C; c++)
        {
            float* panelRow = a.PackedW + (long)m0 * C + (long)c * width;
            for (int kk = 0; kk < width; kk++)
            {
                if (kk >= rows)
                {
                    for (int e = 0; e < alpha * alpha; e++) panelRow[e * plane + kk] = 0;
                    continue;
                }
                float* w = a.W + ((long)(m0 + kk) * C + c) * r * r;
                // gw = G w (alpha x r), then u = gw G^T (alpha x alpha).
                for (int p = 0; p < alpha; p++)
                    for (int j = 0; j < r; j++)
                    {
                        double sum = 0;
                        for (int i = 0; i < r; i++) sum += filter[p * r + i] * w[i * r + j];
                        gw[p * r + j] = sum;
                    }
                for (int p = 0; p < alpha; p++)
                    for (int q = 0; q < alpha; q++)
                    {
                        double sum = 0;
                        for (int j = 0; j < r; j++) sum += gw[p * r + j] * filter[q * r + j];
                        panelRow[(p * alpha + q) * plane + kk] = (float)sum;
                    }
            }
        }
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Winograd F(4x4, 3x3) forward (<see cref="ConvKernel.Winograd4x4"/>): each 4x4 output tile costs 36 multiplies per
/// (output, input) channel pair instead of 144 (F(2x2, 3x3): 64 for the same outputs). The input is cut into
/// overlapping 6x6 tiles (stride 4) transformed by B^T d B, the weights by G g G^T once per write of them, then 36 GEMMs
/// M[e] = U[e] V[e] on the channel tiles (<see cref="WinogradGemmItem"/>, as F(2x2, 3x3)) and Y = A^T m A per tile.
/// Interpolation points 0, 1, -1, 2, -2 and infinity: the transforms' largest entries are 5 (B), 8 (A) and 1/4 (G), so
/// the float error stays a few times F(2x2, 3x3)'s. Layouts as F(2x2, 3x3)'s with 36 elements: U [36, K, C] in the
/// channel tiles' panels, V [36, C, T], M [36, K, T].
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Transform elements of an F(4x4, 3x3) tile (6 x 6).</summary>
    internal const int Winograd4Elements = 36;

    /// <summary>Whether the whole batch's transformed input and products fit the workspace arrays; past that the conv runs as F(2x2, 3x3).</summary>
    internal static bool Winograd4Fits(in ConvGeometry g, int n)
    {
        long tiles = (long)n * ((g.OutH + 3) / 4) * ((g.OutW + 3) / 4);
        return (long)Winograd4Elements * Math.Max(g.InChannels, g.OutChannels) * tiles < int.MaxValue - 64;
    }

    /// <summary>Floats of F(4x4, 3x3)'s U for <paramref name="rows"/> output channels by <paramref name="channels"/> input channels.</summary>
    internal static long Winograd4WeightsSize(int rows, int channels) => (long)Winograd4Elements * Gemm.RoundUp(rows, TileChannels) * channels;

    /// <summary>G g for one column (g0, g1, g2) of a 3x3 kernel, G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) WeightColumn4(
        Vector256<float> g0, Vector256<float> g1, Vector256<float> g2)
    {
        var sixth = Vector256.Create(-1f / 6f);
        Vector256<float> s = g0 + g2, p = Vector256.Create(0.25f) * g0 + g2, h = Vector256.Create(0.5f) * g1;
        return (Vector256.Create(0.25f) * g0, (s + g1) * sixth, (s - g1) * sixth, (p + h) * -sixth, (p - h) * -sixth, g2);
    }

    /// <summary>
    /// One row of an F(4x4, 3x3) weight panel: u[e · plane + kk] = (G w_kk G^T)[e] for the panel's lanes kk &lt; rows,
    /// whose kernel's tap t is src[kk laneStride + step t] (step -1 from the last tap reads the kernel turned half a
    /// circle), 0 for lanes rows..width; eight lanes at once (AVX2 gathers where a whole eight are there), into
    /// <paramref name="lanes"/> (36 x 32 floats) first, then each element's run stored whole (see <see cref="WinogradWeightRow"/>).
    /// </summary>
    internal static void Winograd4WeightRow(float* src, long laneStride, int step, int rows, int width, float* lanes, float* u, long plane)
    {
        bool gather = Avx2.IsSupported && laneStride * 7 + 9 < int.MaxValue;
        int ls = (int)Math.Min(laneStride, int.MaxValue);
        var index = Vector256.Create(0, ls, 2 * ls, 3 * ls, 4 * ls, 5 * ls, 6 * ls, 7 * ls);
        float* taps = stackalloc float[9 * 8];
        var w = stackalloc Vector256<float>[9];
        var t = stackalloc Vector256<float>[18];
        for (int v0 = 0; v0 < width; v0 += 8)
        {
            float* from = src + v0 * laneStride;
            if (gather && v0 + 8 <= rows)
                for (int tap = 0; tap < 9; tap++) w[tap] = Avx2.GatherVector256(from + step * tap, index, 4);
            else
                for (int tap = 0; tap < 9; tap++)
                {
                    for (int l = 0; l < 8; l++) taps[tap * 8 + l] = v0 + l < rows ? from[l * laneStride + step * tap] : 0f;
                    w[tap] = Vector256.Load(taps + tap * 8);
                }
            // t = G w (6 x 3), a column j at a time; then u = t G^T, a row i at a time.
            for (int j = 0; j < 3; j++)
                (t[j], t[3 + j], t[6 + j], t[9 + j], t[12 + j], t[15 + j]) = WeightColumn4(w[j], w[3 + j], w[6 + j]);
            for (int i = 0; i < 6; i++)
            {
                var (u0, u1, u2, u3, u4, u5) = WeightColumn4(t[3 * i], t[3 * i + 1], t[3 * i + 2]);
                float* o = lanes + 6 * i * TileChannels + v0;
                u0.Store(o); u1.Store(o + TileChannels); u2.Store(o + 2 * TileChannels);
                u3.Store(o + 3 * TileChannels); u4.Store(o + 4 * TileChannels); u5.Store(o + 5 * TileChannels);
            }
        }
        for (int e = 0; e < Winograd4Elements; e++)
        {
            float* from = lanes + e * TileChannels, to = u + e * plane;
            for (int kk = 0; kk < width; kk += 8) Vector256.Store(Vector256.Load(from + kk), to + kk);
        }
    }

    /// <summary>
    /// One element of G g for a column (g0, g1, g2) of a 3x3 kernel (<see cref="WeightColumn4"/>'s row
    /// <paramref name="i"/>, by the same operations, so the same bits), 16 lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WeightColumn4Element(int i, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2)
    {
        var sixth = Vector512.Create(-1f / 6f);
        return i switch
        {
            0 => Vector512.Create(0.25f) * g0,
            1 => (g0 + g2 + g1) * sixth,
            2 => (g0 + g2 - g1) * sixth,
            3 => (Vector512.Create(0.25f) * g0 + g2 + Vector512.Create(0.5f) * g1) * -sixth,
            4 => (Vector512.Create(0.25f) * g0 + g2 - Vector512.Create(0.5f) * g1) * -sixth,
            _ => g2,
        };
    }

    /// <summary>
    /// Sixteen rows of a whole F(4x4, 3x3) weight panel, 16 lanes at a time (taps as <see cref="WinogradWeightPlanes"/>
    /// reads them): a row i of t = G w at a time, then its six elements 6 i .. 6 i + 5 of u = t G^T for all 16 rows, six
    /// contiguous runs of 16 width floats (the 36 at once fell on lines a power of two apart, see <see cref="WinogradWeightPlanes"/>).
    /// </summary>
    private static void Winograd4WeightPlanes(float* taps, int rowStride, int halfStride, int first, int step, int width, float* u, long plane)
    {
        for (int i = 0; i < 6; i++)
            for (int r = 0; r < 16; r++)
                for (int h = 0; h < width / 16; h++)
                {
                    float* w = taps + r * rowStride + h * halfStride + first;
                    var t0 = WeightColumn4Element(i, Vector512.Load(w), Vector512.Load(w + 3 * step), Vector512.Load(w + 6 * step));
                    var t1 = WeightColumn4Element(i, Vector512.Load(w + step), Vector512.Load(w + 4 * step), Vector512.Load(w + 7 * step));
                    var t2 = WeightColumn4Element(i, Vector512.Load(w + 2 * step), Vector512.Load(w + 5 * step), Vector512.Load(w + 8 * step));
                    float* o = u + 6 * i * plane + r * width + 16 * h;
                    for (int j = 0; j < 6; j++) Vector512.Store(WeightColumn4Element(j, t0, t1, t2), o + j * plane);
                }
    }

    /// <summary>
    /// U[e, k, c] = (G w[k, c] G^T)[e] for the 32 output channels of panel <paramref name="item"/> (as <see cref="WinogradWeightsItem"/>,
    /// 36 elements: whole panels 16 input channels at a time by transposes, the rest by <see cref="Winograd4WeightRow"/>).
    /// </summary>
    internal static void Winograd4WeightsItem(object state, void* args, int item, int worker) =>
        WinogradWeightPanel(*(ConvArgs*)args, item, Winograd4Elements, &Winograd4WeightPlanes, &Winograd4WeightRow);

    /// <summary>
    /// U'[e, c, k] of the flipped weights w'[c, k] = w[k, c] turned half a circle, for panel <paramref name="item"/> of 32
    /// dx channels (args as <see cref="PackFlippedWeightsItem"/>; as <see cref="FlippedWinogradWeightsItem"/>, 36 elements).
    /// </summary>
    internal static void FlippedWinograd4WeightsItem(object state, void* args, int item, int worker) =>
        FlippedWinogradWeightPanel(*(ConvArgs*)args, item, Winograd4Elements, &Winograd4WeightPlanes, &Winograd4WeightRow);

    /// <summary>The forward pass by Winograd F(4x4, 3x3), the weights transformed once per write of them.</summary>
    internal static void ConvForwardWinograd4(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w,
        DeviceBuffer<float>? bias, DeviceBuffer<float> y, in ConvEpilogue epilogue = default)
    {
        CheckConv(g, n);
        if (!ConvolutionAlgorithm.WinogradApplies(g.InChannels, g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.DilationH, g.DilationW)
            || g.Groups != 1 || !Winograd4Fits(g, n))
            throw new ArgumentException($"Winograd F(4x4, 3x3) needs a 3x3 stride-1 undilated ungrouped conv with at least {ConvolutionAlgorithm.WinogradMinChannels} channels each way; {g} does not qualify.", nameof(g));
        var conv = new ConvArgs { G = g };
        var packed = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels * 9, &conv, PackedConvWeights.Layout.Winograd4x4);
        float* py = P(y, n * g.OutputSize, nameof(y));
        Winograd4Forward(ws, g, n, P(x, n * g.InputSize, nameof(x)), conv.PackedW,
            bias is null ? null : P(bias, g.OutChannels, nameof(bias)), py, CpuEpilogue.Of(epilogue, py, n * g.OutputSize));
        LastKernel = ConvKernel.Winograd4x4;
        GC.KeepAlive(packed);
    }

    /// <summary>
    /// Whether the F(4x4, 3x3) forward runs fused blocks of tile rows (<see cref="Winograd4FusedItem"/>): with 512-bit
    /// vectors and at most <see cref="ConvolutionAlgorithm.Winograd4x4FusedWeights"/> weights (U up to 2.3 MB, read
    /// once per block from L3, where the three passes move V and M through memory).
    /// </summary>
    internal static bool Winograd4Fused(in ConvGeometry g) =>
        ChannelTiles512 && (long)Gemm.RoundUp(g.OutChannels, TileChannels) * g.InChannels <= ConvolutionAlgorithm.Winograd4x4FusedWeights;

    /// <summary>The forward pass by Winograd F(4x4, 3x3) with transformed weights <paramref name="u"/> (<see cref="Winograd4WeightsItem"/>'s layout).</summary>
    internal static void Winograd4Forward(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* u, float* bias, float* y,
        in CpuEpilogue epilogue = default)
    {
        var args = new WinogradArgs
        {
            G = g, N = n, X = x, Y = y, Bias = bias, U = u, Epilogue = epilogue,
            TilesH = (g.OutH + 3) / 4, TilesW = (g.OutW + 3) / 4,
        };
        args.Tiles = n * args.TilesH * args.TilesW;
        if (args.Tiles == 0) return;
        if (Winograd4Fused(g))
        {
            // Blocks of about one GEMM tile's worth of tiles (one tile row of ResNet's 56x56), so batch 1 splits into 14.
            args.RowsPerBlock = Math.Max(1, TilePositions / args.TilesW);
            args.Blocks = (args.TilesH + args.RowsPerBlock - 1) / args.RowsPerBlock;
            args.BlockTiles = args.RowsPerBlock * args.TilesW;
            int* blockShifts = ws.Shifts(g.InChannels + Gemm.NR);
            for (int c = 0; c < g.InChannels; c++) blockShifts[c] = checked(c * args.BlockTiles);
            args.Shifts = blockShifts;
            ws.Run(&args, n * args.Blocks, &Winograd4FusedItem);
            return;
        }
        args.VPlane = ElementPlane((long)g.InChannels * args.Tiles);
        args.MPlane = ElementPlane((long)g.OutChannels * args.Tiles);
        args.V = ws.Padded(Winograd4Elements * args.VPlane);
        // Slack: the vector output transform reads whole 16-tile vectors past a plane's last tile.
        args.M = ws.PhaseOut(Winograd4Elements * args.MPlane + 16);
        // Runs of whole 14-tile GEMM tiles, about 8 items per worker over the 36 transform elements.
        int runs = Math.Clamp(ItemsPerWorker * ws.Workers / Winograd4Elements, 1, (args.Tiles + TilePositions - 1) / TilePositions);
        args.TilesPerItem = Gemm.RoundUp((args.Tiles + runs - 1) / runs, TilePositions);
        args.TileChunks = (args.Tiles + args.TilesPerItem - 1) / args.TilesPerItem;
        int* shifts = ws.Shifts(g.InChannels + Gemm.NR);
        for (int c = 0; c < g.InChannels; c++) shifts[c] = checked(c * args.Tiles);
        args.Shifts = shifts;
        ws.Run(&args, n * g.InChannels, &Winograd4InputItem);
        ws.Run(&args, Winograd4Elements * args.TileChunks, &WinogradGemmItem);
        ws.Run(&args, n * g.OutChannels, &Winograd4OutputItem);
    }

    /// <summary>V[e, c, tiles of image b] = (B^T d B)[e] for the (image b, channel c) plane.</summary>
    internal static void Winograd4InputItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int b = item / a.G.InChannels, c = item % a.G.InChannels;
        Input4TransformRows(a, b, c, 0, a.TilesH, a.V + (long)c * a.Tiles + (long)b * a.TilesH * a.TilesW, a.VPlane);
    }

    /// <summary>y[b, k] = A^T m A per tile of the (image b, output channel k) plane, plus bias and the epilogue.</summary>
    internal static void Winograd4OutputItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int b = item / a.G.OutChannels, k = item % a.G.OutChannels;
        Output4TransformRows(a, b, k, 0, a.TilesH, a.M + (long)k * a.Tiles + (long)b * a.TilesH * a.TilesW, a.MPlane);
    }

    /// <summary>
    /// One block of tile rows of one image, start to end: its input transform for every channel, the 36 GEMMs, and its
    /// output transform, with V and M in this worker's panels (as <see cref="WinogradFusedItem"/>).
    /// </summary>
    internal static void Winograd4FusedItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int C = a.G.InChannels, K = a.G.OutChannels, stride = a.BlockTiles, panels = (K + TileChannels - 1) / TileChannels;
        int b = item / a.Blocks, th0 = item % a.Blocks * a.RowsPerBlock, th1 = Math.Min(a.TilesH, th0 + a.RowsPerBlock);
        int tiles = (th1 - th0) * a.TilesW;
        float* v = Grow(ws.WorkspaceB, worker, (long)Winograd4Elements * C * stride);
        float* m = Grow(ws.WorkspaceC, worker, (long)Winograd4Elements * K * stride + TransformLanes);
        // Fused only with 512-bit vectors (Winograd4Fused): every channel's transform in one call.
        Input4TransformChannels(a, b, 0, C, th0, th1, v, stride, (long)C * stride);
        int* lanes = stackalloc int[MaxTilePositions];
        float* tile = stackalloc float[16 * TileChannels];
        long uPlane = (long)Gemm.RoundUp(K, TileChannels) * C;
        for (int t = 0, count; t < tiles; t += count)
        {
            count = NextTileCount(tiles - t);
            for (int j = 0; j < MaxTilePositions; j++) lanes[j] = t + Math.Min(j, count - 1);
            for (int e = 0; e < Winograd4Elements; e++)
            {
                float* u = a.U + e * uPlane, ve = v + (long)e * C * stride, me = m + (long)e * K * stride;
                for (int panel = 0; panel < panels; panel++)
                {
                    int m0 = panel * TileChannels, width = PanelWidth(K, panel);
                    RunChannelTile(C, width, count, u + (long)m0 * C, ve, a.Shifts, lanes, tile);
                    StoreTile(tile, Math.Min(width, K - m0), count, me + (long)m0 * stride + t, stride, null);
                }
            }
        }
        Output4TransformChannels(a, b, 0, K, th0, th1, m, stride, (long)K * stride);
    }

    /// <summary>
    /// B^T x for one line (x0 .. x5) of a 6x6 input tile, B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
    /// 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]; the vector form (16 tiles' lines at once) does the same adds in the same order.
    /// </summary>
    private static void InputLine4(float x0, float x1, float x2, float x3, float x4, float x5, float* o, long step)
    {
        float p = x4 - 4f * x2, q = x3 - 4f * x1, r = x4 - x2, s = 2f * (x3 - x1);
        o[0] = 4f * x0 + x4 - 5f * x2;
        o[step] = p + q;
        o[2 * step] = p - q;
        o[3 * step] = r + s;
        o[4 * step] = r - s;
        o[5 * step] = 4f * x1 + x5 - 5f * x3;
    }

    /// <summary>
    /// A^T m for one line (m0 .. m5) of a 6x6 product tile, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1];
    /// the vector form does the same adds in the same order.
    /// </summary>
    private static (float, float, float, float) OutputLine4(float m0, float m1, float m2, float m3, float m4, float m5)
    {
        float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
        return (m0 + a + c, b + 2f * d, a + 4f * c, b + 8f * d + m5);
    }

    /// <summary>
    /// The input transform of tile rows th0 .. th1 of the (image b, channel c) plane: element e of tile (th, tw) at
    /// v + e plane + (th - th0) TilesW + tw, inputs outside x read as zeros; 16 tiles per vector with 512-bit vectors.
    /// </summary>
    internal static void Input4TransformRows(in WinogradArgs a, int b, int c, int th0, int th1, float* v, long plane)
    {
        if (ChannelTiles512)
        {
            Input4TransformChannels(a, b, c, c + 1, th0, th1, v, 0, plane);
            return;
        }
        ref readonly ConvGeometry g = ref a.G;
        float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
        float* d = stackalloc float[36];
        float* r = stackalloc float[36];
        for (int th = th0; th < th1; th++)
            for (int tw = 0; tw < a.TilesW; tw++)
            {
                int h0 = 4 * th - g.PadTop, w0 = 4 * tw - g.PadLeft;
                for (int i = 0; i < 6; i++)
                {
                    int ih = h0 + i;
                    bool row = (uint)ih < (uint)g.InH;
                    for (int j = 0; j < 6; j++)
                    {
                        int iw = w0 + j;
                        d[6 * i + j] = row && (uint)iw < (uint)g.InW ? src[(long)ih * g.InW + iw] : 0f;
                    }
                }
                // r = d B (each row's line), then v = B^T r (each column's line), as the vector form.
                for (int i = 0; i < 6; i++) InputLine4(d[6 * i], d[6 * i + 1], d[6 * i + 2], d[6 * i + 3], d[6 * i + 4], d[6 * i + 5], r + 6 * i, 1);
                float* o = v + (long)(th - th0) * a.TilesW + tw;
                for (int j = 0; j < 6; j++) InputLine4(r[j], r[6 + j], r[12 + j], r[18 + j], r[24 + j], r[30 + j], o + j * plane, 6 * plane);
            }
    }

    /// <summary>
    /// The output transform of tile rows th0 .. th1 of the (image b, output channel k) plane (4x4 outputs per tile, cut
    /// at the plane's edge), element e of tile (th, tw) read at m + e plane + (th - th0) TilesW + tw, plus bias; then the
    /// epilogue on those rows while they are in cache. 16 tiles per vector with 512-bit vectors.
    /// </summary>
    internal static void Output4TransformRows(in WinogradArgs a, int b, int k, int th0, int th1, float* m, long plane)
    {
        if (ChannelTiles512)
        {
            Output4TransformChannels(a, b, k, k + 1, th0, th1, m, 0, plane);
            return;
        }
        ref readonly ConvGeometry g = ref a.G;
        float* dst = a.Y + b * g.OutputSize + (long)k * g.OutH * g.OutW;
        float bias = a.Bias == null ? 0f : a.Bias[k];
        float* s = stackalloc float[24];
        for (int th = th0; th < th1; th++)
            for (int tw = 0; tw < a.TilesW; tw++)
            {
                float* t = m + (long)(th - th0) * a.TilesW + tw;
                // s = A^T m (each column's line, 4 x 6), then out = s A (each row's line), as the vector form.
                for (int j = 0; j < 6; j++)
                    (s[j], s[6 + j], s[12 + j], s[18 + j]) = OutputLine4(t[j * plane], t[(6 + j) * plane], t[(12 + j) * plane],
                        t[(18 + j) * plane], t[(24 + j) * plane], t[(30 + j) * plane]);
                int oh = 4 * th, ow = 4 * tw;
                for (int i = 0; i < 4 && oh + i < g.OutH; i++)
                {
                    float* si = s + 6 * i;
                    var (o0, o1, o2, o3) = OutputLine4(si[0], si[1], si[2], si[3], si[4], si[5]);
                    float* row = dst + (long)(oh + i) * g.OutW + ow;
                    int columns = Math.Min(4, g.OutW - ow);
                    row[0] = o0 + bias;
                    if (columns > 1) row[1] = o1 + bias;
                    if (columns > 2) row[2] = o2 + bias;
                    if (columns > 3) row[3] = o3 + bias;
                }
            }
        Output4Epilogue(a, dst, th0, th1);
    }

    /// <summary>The epilogue (residual add, activation) on the output rows of tile rows th0 .. th1 of the plane at <paramref name="dst"/>, while they are in cache.</summary>
    private static void Output4Epilogue(in WinogradArgs a, float* dst, int th0, int th1)
    {
        if (!a.Epilogue.Active) return;
        int firstRow = 4 * th0, endRow = Math.Min(4 * th1, a.G.OutH);
        if (endRow > firstRow) a.Epilogue.Apply(dst + (long)firstRow * a.G.OutW, (long)(endRow - firstRow) * a.G.OutW);
    }
}

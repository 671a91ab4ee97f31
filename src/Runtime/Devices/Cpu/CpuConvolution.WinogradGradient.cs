using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Backward weights by Winograd F(2x2, 3x3), the transpose of the forward's (CpuConvolution.Winograd.cs): the forward
/// is y = A^T [sum over c of U[k, c] (.) V[c]] A per 2x2 output tile with U = G w G^T and V = B^T d B, so
/// dU[e, k, c] = sum over tiles of (A dY A^T)[e, k] V[e, c], 16 GEMMs K x C only as deep as the tiles (2.25x fewer
/// multiply-adds than the tap-split GEMM's 9 taps per position), and dW[k, c] += G^T dU[k, c] G. The tiles are taken in
/// units of up to 256: every (image, channel) tile of a unit is transformed straight into the GEMM's packed panels
/// (dY's into MR-row A panels, x's into NR-column B panels), then one item per transform element e adds the unit into
/// its dU[e] (units in order, so the sums are the same for any thread count). From 1024 tiles the batch's tiles are
/// split into 2 or 4 parts by their count alone, each part's units run start to end by one worker into a dU of its own,
/// and the parts' dU are summed in order. On large planes (<see cref="WinogradGradientRowsApply"/>) x's tiles are read
/// from its rows instead of gathered across channels, and the GEMMs run transposed: dU[e] is C x K, x's tiles its
/// unpacked A operand, dY's packed as B panels.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    internal struct WinogradGradientArgs
    {
        public ConvGeometry G;
        public int TilesH, TilesW, ImageTiles, FirstTile, Count, KPad, CPad;
        /// <summary>The batch's tiles, the tiles of a unit, and the parts the tiles are split into (each its own dU).</summary>
        public int Tiles, Unit, Parts;
        /// <summary>Floats of one part's packed panels (x's and dY's).</summary>
        public long PartPanels;
        /// <summary>Floats from one transform element's packed panels to the next (padded off a multiple of 4 KB).</summary>
        public long DyPlane, XPlane;
        /// <summary>Floats from one transform element's dU to the next (K C, and <see cref="PlaneSkew"/> when x is read as rows).</summary>
        public long DuPlane;
        /// <summary>Items of <see cref="WinogradGradientTransformItem"/> a unit.</summary>
        public int TransformItems;
        /// <summary>Transform elements of a tile: 16 for F(2x2, 3x3), 36 for F(4x4, 3x3) (<see cref="BackwardWeightsWinograd4"/>).</summary>
        public int Elements;
        /// <summary>Whether x's tiles are read as rows (<see cref="WinogradGradientRowsApply"/>): dU transposed, C x K.</summary>
        public bool XRows;
        /// <summary>With <see cref="XRows"/>: floats from one input channel's transformed tiles to the next (a unit's tiles and a vector's overrun).</summary>
        public long XRow;
        /// <summary>With <see cref="XRows"/>: floats of one worker's <see cref="Rows"/> (four input rows split into even and odd columns), and of one split half.</summary>
        public int RowFloats, RowLength;
        public bool Accumulate;
        public float* X, Dy, PackedDy, PackedX, DU, Dw, Rows;
    }

    /// <summary>Floats of packed transformed tiles one unit holds at most (x's and dY's, all 16 elements): 8 MB (128 tiles at 256 channels; 64 ran 12% slower).</summary>
    internal const int WinogradGradientBudget = 1 << 21;

    /// <summary>
    /// Whether backward weights runs by Winograd: 3x3 stride 1 undilated ungrouped with at least 64 channels each way,
    /// so that the 16 GEMMs are K x C = 64 x 64 or more and the tile transforms (about 100 adds per tile and channel pair
    /// of x and dY) stay small against them; at most 512 x 512 weights (dU is 16 times their size); and at least
    /// <see cref="WinogradGradientMinTiles"/> tiles in the batch, over which dU is summed once and transformed back.
    /// </summary>
    internal static bool WinogradGradientApplies(in ConvGeometry g, int n) =>
        !WinogradGradientOff && g.Groups <= 1 && g.InChannels >= WinogradGradientMinChannels && g.OutChannels >= WinogradGradientMinChannels
        && (long)g.InChannels * g.OutChannels <= WinogradGradientMaxWeights
        && g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && (long)n * ((g.OutH + 1) / 2) * ((g.OutW + 1) / 2) is var tiles && tiles >= WinogradGradientMinTiles && tiles < int.MaxValue;

    /// <summary>
    /// Fewest tiles in the batch for <see cref="WinogradGradientApplies"/>. Measured (`wgrad 1 9` A/B, one thread's CPU
    /// time, Winograd / tap-split GEMM, with dU transformed back 8 channels a vector): 0.68-0.79x from 392 tiles (ResNet's
    /// 256x14x14 at batch 8) up, 0.81-0.84x at 128 (512x7x7 at batch 8), 0.87x at 128 with 64 channels, 0.75x at 144;
    /// below 128 it depends on the channels and the run (0.77x at 100 tiles of 128 channels, 0.83-0.97x at 49 of 256,
    /// 1.00-1.02x at 64 of 512 and at 98 of 96 -> 64) and 1.12-1.17x at 32-36. Before dU went back a vector at a time,
    /// 128 tiles measured 0.98x. Settable for the benchmarks' A/B (`network-ab W7 wgrad-tiles`).
    /// </summary>
    internal static int WinogradGradientMinTiles = 128;

    /// <summary>Most input times output channels for <see cref="WinogradGradientApplies"/> (its dU is 16 times that many floats).</summary>
    internal const long WinogradGradientMaxWeights = 512 * 512;

    /// <summary>Turns the Winograd weight gradient off, for the benchmarks' in-process A/B against the tap-split GEMM only.</summary>
    internal static bool WinogradGradientOff;

    /// <summary>Transforms the tiles past a plane's edge one channel at a time, as before the gathers took them (for the A/B and the bits test only).</summary>
    internal static bool WinogradGradientScalarEdges;

    /// <summary>
    /// Whether x's tiles are read as rows (<see cref="WinogradGradientInputTiles"/>) rather than gathered 8 channels a
    /// vector: output planes of at least 14 x 14 and K a multiple of a B panel's 32 channels. Measured (`wgrad 1 25 rows`,
    /// one thread's CPU time, rows / gathers, 4 runs): 0.80-0.83x at 64x56x56 batch 8, 0.91-0.93x at 128x28x28,
    /// 0.90-0.95x at 256x14x14, 0.88-0.94x at 96x20x20 -> 160; 0.89-1.15x at 64x16x16 batch 2; 1.17-1.21x at 512x7x7
    /// (4 tiles a row fill half a vector) and 1.30-1.47x where K is 72 or 80 (short B panels). Geometry alone decides,
    /// never the workers, so any thread count gives the same bits.
    /// </summary>
    internal static bool WinogradGradientRowsApply(in ConvGeometry g) =>
        WinogradGradientXRows ?? (g.OutH >= WinogradGradientRowsMinPlane && g.OutW >= WinogradGradientRowsMinPlane && g.OutChannels % Gemm.NR == 0);

    /// <summary>Smallest output plane side for <see cref="WinogradGradientRowsApply"/>.</summary>
    internal const int WinogradGradientRowsMinPlane = 14;

    /// <summary>Forces x's tiles read as rows (true) or gathered (false) for the benchmarks' A/B and the bits tests; null leaves it to the geometry.</summary>
    internal static bool? WinogradGradientXRows;

    /// <summary>Fewest channels each way for <see cref="WinogradGradientApplies"/>.</summary>
    internal const int WinogradGradientMinChannels = 64;

    /// <summary>Floats added to each packed plane's stride (two cache lines).</summary>
    private const int PlaneSkew = 32;

    /// <summary>
    /// dW += the weight gradient of <paramref name="g"/> over the batch by Winograd F(4x4, 3x3) (<see
    /// cref="BackwardWeightsWinograd4"/>, faster on every geometry measured), or by F(2x2, 3x3) where <see
    /// cref="WinogradGradient4"/> turns it off (x and dY checked pointers).
    /// </summary>
    internal static void BackwardWeightsWinograd(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* dy, float* dw)
    {
        if (Winograd4GradientApplies)
        {
            BackwardWeightsWinograd4(ws, g, n, x, dy, dw);
            return;
        }
        int C = g.InChannels, K = g.OutChannels;
        bool rows = WinogradGradientRowsApply(g);
        var a = new WinogradGradientArgs
        {
            G = g, X = x, Dy = dy, Dw = dw, TilesH = (g.OutH + 1) / 2, TilesW = (g.OutW + 1) / 2, XRows = rows, Elements = 16,
            // With rows dY's tiles are the B operand (32-channel panels) and x's are not packed.
            KPad = Gemm.RoundUp(K, rows ? Gemm.NR : Gemm.MR), CPad = rows ? C : Gemm.RoundUp(C, Gemm.NR),
        };
        a.ImageTiles = a.TilesH * a.TilesW;
        int tiles = n * a.ImageTiles;
        if (tiles == 0) return;
        // Tiles per unit: as many as the budget holds, up to a GEMM block, in whole 8s.
        int unit = Math.Clamp(WinogradGradientBudget / (16 * (a.KPad + a.CPad)) / 8 * 8, 8, Gemm.KC);
        // Planes a line pair past a multiple of 4 KB: 16 planes 64 KB apart fell in one L1 set.
        a.DyPlane = (long)a.KPad * unit + PlaneSkew;
        if (rows)
        {
            a.XRow = unit + 8;
            a.XPlane = C * a.XRow + PlaneSkew;
            // A row of split values reaches a vector past the last tile's second pair.
            a.RowLength = Gemm.RoundUp(a.TilesW + 8, 8);
            a.RowFloats = 8 * a.RowLength;
            // dU's planes skewed too, so the back transform's 16 loads of a kernel fall in different L1 sets.
            a.DuPlane = (long)K * C + PlaneSkew;
            a.TransformItems = (C + Gemm.MR - 1) / Gemm.MR + a.KPad / Gemm.NR;
        }
        else
        {
            a.XPlane = (long)a.CPad * unit + PlaneSkew;
            a.DuPlane = (long)K * C;
            a.TransformItems = a.KPad / Gemm.MR + a.CPad / Gemm.NR;
        }
        a.Tiles = tiles;
        a.Unit = unit;
        a.Parts = WinogradGradientParts(tiles);
        a.PartPanels = 16 * (a.DyPlane + a.XPlane);
        a.PackedDy = ws.PhaseOut(a.Parts * a.PartPanels + (long)ws.Workers * a.RowFloats);
        a.PackedX = a.PackedDy + 16 * a.DyPlane;
        a.Rows = a.PackedDy + a.Parts * a.PartPanels;
        a.DU = ws.Shared(a.Parts * 16 * a.DuPlane);
        WinogradGradientSums(ws, &a);
        if (rows) ws.Run(&a, (C + WinogradGradientBackBlock - 1) / WinogradGradientBackBlock, &WinogradGradientRowsWeightsItem);
        else ws.Run(&a, (K + Gemm.MR - 1) / Gemm.MR, &WinogradGradientWeightsItem);
    }

    /// <summary>dU (part 0's) = the sum over the batch's tiles, unit by unit, or part by part and the parts' dU summed in order.</summary>
    private static void WinogradGradientSums(CpuWorkspace ws, WinogradGradientArgs* a)
    {
        if (a->Parts > 1)
        {
            // Each part's units on one worker, start to end, into its own dU; then the parts' dU summed in order.
            ws.Run(a, a->Parts, &WinogradGradientPartItem);
            ws.Run(a, a->Elements, &WinogradGradientSumItem);
            return;
        }
        for (int t0 = 0; t0 < a->Tiles; t0 += a->Unit)
        {
            a->FirstTile = t0;
            a->Count = Math.Min(a->Unit, a->Tiles - t0);
            a->Accumulate = t0 > 0;
            ws.Run(a, a->TransformItems, &WinogradGradientTransformItem);
            ws.Run(a, a->Elements, &WinogradGradientGemmItem);
        }
    }

    /// <summary>
    /// Parts the batch's tiles are split into, each summed into a dU of its own by one worker (<see
    /// cref="WinogradGradientPartItem"/>): 4 from <see cref="WinogradGradientPartTiles"/> 4 times over, 2 from it, else
    /// 1 (the units' transforms and GEMMs split into items, two jobs a unit). The count depends on the batch alone, never
    /// on the workers, so the sums are the same bits for any thread count.
    /// </summary>
    internal static int WinogradGradientParts(int tiles) =>
        WinogradGradientOneSum ? 1 : tiles >= 4 * WinogradGradientPartTiles ? 4 : tiles >= 2 * WinogradGradientPartTiles ? 2 : 1;

    /// <summary>Fewest tiles of a part (<see cref="WinogradGradientParts"/>): two units of 256 at 64 channels, so a part's dU (16 K C floats) stays small against its GEMMs.</summary>
    internal const int WinogradGradientPartTiles = 512;

    /// <summary>Sums the batch into one dU by units split into items (as before the parts), for the benchmarks' A/B only.</summary>
    internal static bool WinogradGradientOneSum;

    /// <summary>
    /// Part <paramref name="item"/> of the tiles, unit by unit, on this worker alone: every transform item then every
    /// element's GEMM into the part's own packed panels and dU. The two jobs and their barrier a unit took more than
    /// the transforms saved on two workers, and the panels moved between the cores' caches.
    /// </summary>
    internal static void WinogradGradientPartItem(object state, void* args, int item, int worker)
    {
        var part = *(WinogradGradientArgs*)args;
        int first = (int)((long)part.Tiles * item / part.Parts), end = (int)((long)part.Tiles * (item + 1) / part.Parts);
        part.PackedDy += item * part.PartPanels;
        part.PackedX += item * part.PartPanels;
        part.DU += item * part.Elements * part.DuPlane;
        for (int t0 = first; t0 < end; t0 += part.Unit)
        {
            part.FirstTile = t0;
            part.Count = Math.Min(part.Unit, end - t0);
            part.Accumulate = t0 > first;
            for (int i = 0; i < part.TransformItems; i++) WinogradGradientTransformItem(state, &part, i, worker);
            for (int e = 0; e < part.Elements; e++) WinogradGradientGemmItem(state, &part, e, worker);
        }
    }

    /// <summary>dU[e] of part 0 += that of parts 1, 2, ... in order, for e = item.</summary>
    internal static void WinogradGradientSumItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradGradientArgs a = ref *(WinogradGradientArgs*)args;
        long size = (long)a.G.OutChannels * a.G.InChannels, partSize = a.Elements * a.DuPlane;
        float* sum = a.DU + item * a.DuPlane;
        for (int p = 1; p < a.Parts; p++)
        {
            float* add = sum + p * partSize;
            long i = 0;
            for (; i + Vector256<float>.Count <= size; i += Vector256<float>.Count)
                (Vector256.Load(sum + i) + Vector256.Load(add + i)).Store(sum + i);
            for (; i < size; i++) sum[i] += add[i];
        }
    }

    /// <summary>
    /// The transformed dY tiles A y A^T (A^T = [1 1 1 0; 0 1 -1 -1]) of the 2x2 output tile at <paramref name="src"/> for
    /// <paramref name="lanes"/> (at most 8) channels <paramref name="outPlane"/> apart, element e of lane l at
    /// o[e plane + l], zero past the plane's edge and in lanes <paramref name="lanes"/>..7: the 8 channels at once by
    /// gathers where <paramref name="gather"/>, else one at a time (the same adds, so the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void DyTile8(float* src, long outPlane, int outW, bool down, bool across, int lanes, bool gather, float* o, long plane)
    {
        int lane = 0;
        if (gather)
        {
            var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (int)outPlane;
            var y00 = Avx2.GatherVector256(src, index, 4);
            var y01 = across ? Avx2.GatherVector256(src + 1, index, 4) : Vector256<float>.Zero;
            var y10 = down ? Avx2.GatherVector256(src + outW, index, 4) : Vector256<float>.Zero;
            var y11 = down && across ? Avx2.GatherVector256(src + outW + 1, index, 4) : Vector256<float>.Zero;
            Spread(o, plane, 0, y00, y01);
            Spread(o, plane, 4, y00 + y10, y01 + y11);
            Spread(o, plane, 8, y00 - y10, y01 - y11);
            Spread(o, plane, 12, -y10, -y11);
            lane = lanes;
        }
        for (src += lane * outPlane; lane < lanes; lane++, src += outPlane)
        {
            float y00 = src[0], y01 = across ? src[1] : 0, y10 = down ? src[outW] : 0, y11 = down && across ? src[outW + 1] : 0;
            Spread(o + lane, plane, 0, y00, y01);
            Spread(o + lane, plane, 4, y00 + y10, y01 + y11);
            Spread(o + lane, plane, 8, y00 - y10, y01 - y11);
            Spread(o + lane, plane, 12, -y10, -y11);
        }
        for (int pad = lanes; pad < 8; pad++)
            for (int e = 0; e < 16; e++) o[e * plane + pad] = 0;
    }

    /// <summary>
    /// Transforms the unit's tiles of one panel's channels: dY's (A dY A^T, 8 channels, items below KPad / 8) into an A
    /// panel, or x's (B^T d B, 32 channels: items sharing a panel's cache lines slowed each other) into a B panel;
    /// channels past K or C are written as zeros.
    /// </summary>
    internal static void WinogradGradientTransformItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradGradientArgs a = ref *(WinogradGradientArgs*)args;
        if (a.Elements == Winograd4Elements)
        {
            Winograd4GradientTransform(a, item, worker);
            return;
        }
        if (a.XRows)
        {
            WinogradGradientRowsTransform(a, item, worker);
            return;
        }
        ref readonly ConvGeometry g = ref a.G;
        int dyBlocks = a.KPad / Gemm.MR;
        // Tiles outer, the panel's channels inner: each tile's element e of the panel is one run of its lanes (channels
        // outer rewrote every 128-byte line of the panel 32 times, far apart).
        if (item < dyBlocks)
        {
            long plane = a.DyPlane, outPlane = (long)g.OutH * g.OutW;
            int k0 = item * Gemm.MR, lanes = Math.Min(Gemm.MR, g.OutChannels - k0);
            float* panel = a.PackedDy + (long)k0 * a.Count;
            for (int tl = 0; tl < a.Count; tl++)
            {
                int t = a.FirstTile + tl, b = t / a.ImageTiles, tt = t % a.ImageTiles, oh = 2 * (tt / a.TilesW), ow = 2 * (tt % a.TilesW);
                bool down = oh + 1 < g.OutH, across = ow + 1 < g.OutW;
                float* src = a.Dy + (long)b * g.OutputSize + k0 * outPlane + (long)oh * g.OutW + ow;
                float* o = panel + (long)tl * Gemm.MR;
                DyTile8(src, outPlane, g.OutW, down, across, lanes,
                    Avx2.IsSupported && lanes == Gemm.MR && (down && across || !WinogradGradientScalarEdges) && outPlane * Gemm.MR < int.MaxValue, o, plane);
            }
            return;
        }
        int c0 = (item - dyBlocks) * Gemm.NR, channels = Math.Min(Gemm.NR, g.InChannels - c0);
        long xPlane = a.XPlane, inPlane = (long)g.InH * g.InW;
        float* d = stackalloc float[16];
        float* xPanel = a.PackedX + (long)c0 * a.Count;
        for (int tl = 0; tl < a.Count; tl++)
        {
            int t = a.FirstTile + tl, b = t / a.ImageTiles, tt = t % a.ImageTiles;
            int h0 = 2 * (tt / a.TilesW) - g.PadTop, w0 = 2 * (tt % a.TilesW) - g.PadLeft;
            bool inside = h0 >= 0 && w0 >= 0 && h0 + 4 <= g.InH && w0 + 4 <= g.InW;
            float* src = a.X + (long)b * g.InputSize + c0 * inPlane + (long)h0 * g.InW + w0;
            float* o = xPanel + (long)tl * Gemm.NR;
            int lane = 0;
            if (Avx2.IsSupported && (inside || !WinogradGradientScalarEdges) && inPlane * Gemm.MR < int.MaxValue)
            {
                // 8 channels at once, gathered, zero outside the plane (the same adds as below, so the same bits): a tile
                // past an edge takes this path too (three quarters of a 7x7 plane's tiles, half of a 14x14 one's).
                var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (int)inPlane;
                int inW = g.InW, inH = g.InH, top = h0, left = w0;
                for (; lane + 8 <= channels; lane += 8)
                {
                    float* p = src + lane * inPlane;
                    Vector256<float> Load(int i, int j) => inside || (uint)(top + i) < (uint)inH && (uint)(left + j) < (uint)inW
                        ? Avx2.GatherVector256(p + (long)i * inW + j, index, 4) : Vector256<float>.Zero;
                    var (d0, d1, d2, d3) = (Load(0, 0), Load(0, 1), Load(0, 2), Load(0, 3));
                    var (d4, d5, d6, d7) = (Load(1, 0), Load(1, 1), Load(1, 2), Load(1, 3));
                    var (d8, d9, d10, d11) = (Load(2, 0), Load(2, 1), Load(2, 2), Load(2, 3));
                    var (d12, d13, d14, d15) = (Load(3, 0), Load(3, 1), Load(3, 2), Load(3, 3));
                    float* v = o + lane;
                    Columns(v, xPlane, 0, d0 - d8, d1 - d9, d2 - d10, d3 - d11);
                    Columns(v, xPlane, 4, d4 + d8, d5 + d9, d6 + d10, d7 + d11);
                    Columns(v, xPlane, 8, d8 - d4, d9 - d5, d10 - d6, d11 - d7);
                    Columns(v, xPlane, 12, d4 - d12, d5 - d13, d6 - d14, d7 - d15);
                }
            }
            for (src += lane * inPlane; lane < channels; lane++, src += inPlane)
            {
                if (inside)
                    for (int i = 0; i < 4; i++)
                    {
                        float* row = src + (long)i * g.InW;
                        d[4 * i] = row[0];
                        d[4 * i + 1] = row[1];
                        d[4 * i + 2] = row[2];
                        d[4 * i + 3] = row[3];
                    }
                else
                    for (int i = 0; i < 4; i++)
                    {
                        bool inRow = (uint)(h0 + i) < (uint)g.InH;
                        for (int j = 0; j < 4; j++)
                            d[4 * i + j] = inRow && (uint)(w0 + j) < (uint)g.InW ? src[(long)i * g.InW + j] : 0f;
                    }
                // r = B^T d (rows), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; then v = r B (columns), as the forward.
                float r00 = d[0] - d[8], r01 = d[1] - d[9], r02 = d[2] - d[10], r03 = d[3] - d[11];
                float r10 = d[4] + d[8], r11 = d[5] + d[9], r12 = d[6] + d[10], r13 = d[7] + d[11];
                float r20 = d[8] - d[4], r21 = d[9] - d[5], r22 = d[10] - d[6], r23 = d[11] - d[7];
                float r30 = d[4] - d[12], r31 = d[5] - d[13], r32 = d[6] - d[14], r33 = d[7] - d[15];
                float* v = o + lane;
                Columns(v, xPlane, 0, r00, r01, r02, r03);
                Columns(v, xPlane, 4, r10, r11, r12, r13);
                Columns(v, xPlane, 8, r20, r21, r22, r23);
                Columns(v, xPlane, 12, r30, r31, r32, r33);
            }
            for (int pad = channels; pad < Gemm.NR; pad++)
                for (int e = 0; e < 16; e++) o[e * xPlane + pad] = 0;
        }
    }

    /// <summary><see cref="Columns(float*, long, int, float, float, float, float)"/> for 8 channels' lanes.</summary>
    private static void Columns(float* v, long plane, int e0, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3)
    {
        (r0 - r2).Store(v + e0 * plane);
        (r1 + r2).Store(v + (e0 + 1) * plane);
        (r2 - r1).Store(v + (e0 + 2) * plane);
        (r1 - r3).Store(v + (e0 + 3) * plane);
    }

    /// <summary><see cref="Spread(float*, long, int, float, float)"/> for 8 channels' lanes.</summary>
    private static void Spread(float* o, long plane, int e0, Vector256<float> c, Vector256<float> e)
    {
        c.Store(o + e0 * plane);
        (c + e).Store(o + (e0 + 1) * plane);
        (c - e).Store(o + (e0 + 2) * plane);
        (-e).Store(o + (e0 + 3) * plane);
    }

    /// <summary>Row i of r B from row i of r = B^T d: [r0 - r2, r1 + r2, r2 - r1, r1 - r3] at elements e0 ...</summary>
    private static void Columns(float* v, long plane, int e0, float r0, float r1, float r2, float r3)
    {
        v[e0 * plane] = r0 - r2;
        v[(e0 + 1) * plane] = r1 + r2;
        v[(e0 + 2) * plane] = r2 - r1;
        v[(e0 + 3) * plane] = r1 - r3;
    }

    /// <summary>Row i of (A y) A^T from row i of A y (its two columns c and e): [c, c + e, c - e, -e] at elements e0 ...</summary>
    private static void Spread(float* o, long plane, int e0, float c, float e)
    {
        o[e0 * plane] = c;
        o[(e0 + 1) * plane] = c + e;
        o[(e0 + 2) * plane] = c - e;
        o[(e0 + 3) * plane] = -e;
    }

    /// <summary>
    /// dU[e] (K x C) (+)= the unit's transformed dY (K x tiles) times its transformed x (tiles x C), for e = item; with
    /// <see cref="WinogradGradientArgs.XRows"/> transposed, dU[e] (C x K) (+)= x's (C x tiles, in place) times dY's
    /// (tiles x K, packed): the same multiply-adds in the same order, so the same bits.
    /// </summary>
    internal static void WinogradGradientGemmItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradGradientArgs a = ref *(WinogradGradientArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels;
        if (a.XRows)
            Gemm.RunStridedA(C, K, a.Count, a.PackedX + item * a.XPlane, a.XRow, a.PackedDy + item * a.DyPlane,
                a.DU + item * a.DuPlane, K, a.Accumulate);
        else
            Gemm.RunPacked(K, C, a.Count, a.PackedDy + item * a.DyPlane, a.PackedX + item * a.XPlane,
                a.DU + item * a.DuPlane, C, a.Accumulate);
    }

    /// <summary>
    /// dW[k, c] += G^T dU[k, c] G for the 8 output channels of block <paramref name="item"/>: 8 input channels at once
    /// (one vector load per element e, where a value at a time read 16 lines a power of two apart, K C floats, for each
    /// kernel: more than an L1 set holds) for s = G^T dU, in the scalar kernel's operation order (the same bits), then
    /// s G added into the 8 kernels a value at a time; the input channels past the last whole 8 one kernel at a time.
    /// </summary>
    internal static void WinogradGradientWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradGradientArgs a = ref *(WinogradGradientArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, vectorC = Vector256.IsHardwareAccelerated ? C / 8 * 8 : 0;
        long plane = (long)K * C;
        float* s = stackalloc float[12];
        float* lanes = stackalloc float[12 * 8];
        for (int k = item * Gemm.MR, k1 = Math.Min(K, k + Gemm.MR); k < k1; k++)
        {
            for (int c = 0; c < vectorC; c += 8)
                WinogradGradientKernels8(a.DU + (long)k * C + c, plane, lanes, a.Dw + ((long)k * C + c) * 9, 9);
            for (int c = vectorC; c < C; c++) WinogradGradientKernel(a.DU + (long)k * C + c, plane, s, a.Dw + ((long)k * C + c) * 9);
        }
    }

    /// <summary>
    /// <see cref="WinogradGradientKernel"/> for 8 kernels at once: lane l's element e of dU at u[e plane + l], its 3x3 at
    /// w + l laneStride; s = G^T dU in vectors into <paramref name="lanes"/> (12 x 8 floats; s[4 i + j] of lane l at
    /// lanes[8 (4 i + j) + l]), then s G added a value at a time, the scalar kernel's adds in its order.
    /// </summary>
    internal static void WinogradGradientKernels8(float* u, long plane, float* lanes, float* w, long laneStride)
    {
        var half = Vector256.Create(0.5f);
        for (int j = 0; j < 4; j++)
        {
            var u0 = Vector256.Load(u + j * plane);
            var u1 = Vector256.Load(u + (4 + j) * plane);
            var u2 = Vector256.Load(u + (8 + j) * plane);
            var u3 = Vector256.Load(u + (12 + j) * plane);
            Vector256.Store(u0 + half * (u1 + u2), lanes + 8 * j);
            Vector256.Store(half * (u1 - u2), lanes + 8 * (4 + j));
            Vector256.Store(half * (u1 + u2) + u3, lanes + 8 * (8 + j));
        }
        for (int lane = 0; lane < 8; lane++, w += laneStride)
            for (int i = 0; i < 3; i++)
            {
                float* si = lanes + 32 * i + lane;
                float s0 = si[0], s1 = si[8], s2 = si[16], s3 = si[24];
                w[3 * i] += s0 + 0.5f * (s1 + s2);
                w[3 * i + 1] += 0.5f * (s1 - s2);
                w[3 * i + 2] += 0.5f * (s1 + s2) + s3;
            }
    }

    /// <summary>w += G^T u G for one kernel whose element e of dU is u[e plane]; s holds 12 floats.</summary>
    internal static void WinogradGradientKernel(float* u, long plane, float* s, float* w)
    {
        // s = G^T dU (3 x 4), G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1].
        for (int j = 0; j < 4; j++)
        {
            float u0 = u[j * plane], u1 = u[(4 + j) * plane], u2 = u[(8 + j) * plane], u3 = u[(12 + j) * plane];
            s[j] = u0 + 0.5f * (u1 + u2);
            s[4 + j] = 0.5f * (u1 - u2);
            s[8 + j] = 0.5f * (u1 + u2) + u3;
        }
        // dW += s G (3 x 3).
        for (int i = 0; i < 3; i++)
        {
            float s0 = s[4 * i], s1 = s[4 * i + 1], s2 = s[4 * i + 2], s3 = s[4 * i + 3];
            w[3 * i] += s0 + 0.5f * (s1 + s2);
            w[3 * i + 1] += 0.5f * (s1 - s2);
            w[3 * i + 2] += 0.5f * (s1 + s2) + s3;
        }
    }
}

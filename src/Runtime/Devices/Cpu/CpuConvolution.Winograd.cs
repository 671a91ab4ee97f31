using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Winograd F(2x2, 3x3) forward for 3x3 stride-1 convs with enough channels (<see cref="ConvolutionAlgorithm.Forward"/>
/// says where): each 2x2 output tile costs 16 multiplies per (output, input) channel pair instead of 36. The input is cut
/// into overlapping 4x4 tiles (stride 2), V = B^T d B per tile and channel; the weights U = G g G^T are transformed once
/// per write (<see cref="PackedConvWeights"/>); then 16 GEMMs M[e] = U[e] V[e] (K x C times C x tiles), and
/// Y = A^T m A per tile. Layouts: U [16, K, C], V [16, C, T], M [16, K, T] with T = n x tiles per image.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    internal struct WinogradArgs
    {
        public ConvGeometry G;
        public int N, TilesH, TilesW, Tiles, TileChunks, TilesPerItem;
        /// <summary>The three-pass forward: floats from one transform element's V or M to the next (<see cref="ElementPlane"/>).</summary>
        public long VPlane, MPlane;
        /// <summary>The fused pass: tile rows per block, blocks per image, and the tile stride of a block's V and M rows.</summary>
        public int RowsPerBlock, Blocks, BlockTiles;
        public float* X, Y, Bias, U, V, M;
        public CpuEpilogue Epilogue;
        public int* Shifts;
        /// <summary>The three-pass forward's input taps of a whole plane per tile lane, where it transforms whole planes (<see cref="PlaneTaps"/>).</summary>
        public int* PlaneTaps;
    }

    /// <summary>
    /// Floats from one transform element's plane of V or M to the next, for <paramref name="floats"/> a plane: rounded
    /// up to whole 64-byte lines, and an odd number of them, so the 16 (36) elements of a tile lie in different cache
    /// sets. [C, tiles] planes back to back were a multiple of 4 KB apart (ResNet's 512x7x7 at batch 8: 256 KB), so the
    /// transforms' 16 stores or loads of one tile's elements all fell into one L1 set (and one L2 set), more than its ways.
    /// </summary>
    internal static long ElementPlane(long floats)
    {
        long lines = (floats + 15) / 16;
        return (lines | 1) * 16;
    }

    /// <summary>Whether the whole batch's transformed input and products fit the workspace arrays; past that the conv runs as im2col + GEMM.</summary>
    internal static bool WinogradFits(in ConvGeometry g, int n)
    {
        long tiles = (long)n * ((g.OutH + 1) / 2) * ((g.OutW + 1) / 2);
        return 16L * Math.Max(g.InChannels, g.OutChannels) * tiles < int.MaxValue - 64;
    }

    /// <summary>
    /// u[e · plane] = (G w G^T)[e] of one 3x3 kernel whose tap (i, j) is w[step (3 i + j)] (step 1; -1 from the last tap
    /// reads the kernel turned half a circle), with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; t holds 12 floats.
    /// </summary>
    internal static void WinogradWeightTile(float* w, int step, float* t, float* u, long plane)
    {
        // t = G w (4 x 3).
        for (int j = 0; j < 3; j++)
        {
            float w0 = w[step * j], w1 = w[step * (3 + j)], w2 = w[step * (6 + j)];
            t[j] = w0;
            t[3 + j] = 0.5f * (w0 + w1 + w2);
            t[6 + j] = 0.5f * (w0 - w1 + w2);
            t[9 + j] = w2;
        }
        // u = t G^T (4 x 4).
        for (int i = 0; i < 4; i++)
        {
            float t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
            float* o = u + (long)(4 * i) * plane;
            o[0] = t0;
            o[plane] = 0.5f * (t0 + t1 + t2);
            o[2 * plane] = 0.5f * (t0 - t1 + t2);
            o[3 * plane] = t2;
        }
    }

    /// <summary>
    /// U[e, k, c] = (G w[k, c] G^T)[e] for the 32 output channels of panel <paramref name="item"/>, in the channel tiles'
    /// panels ([c][32] per e, channels past K zero), so its 16 GEMMs run on ChannelTile: one panel row per input channel.
    /// A whole panel (no lanes past K) goes 16 input channels at a time (<see cref="WinogradTaps"/>, then
    /// <see cref="WinogradWeightPlanes"/>); the rest of C, and a ragged last panel, a row at a time by <see cref="WinogradWeightRow"/>.
    /// </summary>
    internal static void WinogradWeightsItem(object state, void* args, int item, int worker) =>
        WinogradWeightPanel(*(ConvArgs*)args, item, 16, &WinogradWeightPlanes, &WinogradWeightRow);

    /// <summary>
    /// Panel <paramref name="item"/> of a Winograd weight transform of <paramref name="elements"/> elements (F(2x2): 16,
    /// F(4x4): 36), by its <paramref name="planes"/> (16 input channels of a whole panel at a time) and its
    /// <paramref name="row"/> (one input channel by gathers: the rest of C, and a ragged last panel); fenced after
    /// streaming stores (<see cref="StreamsWinogradWeights"/>, F(2x2)'s planes only).
    /// </summary>
    private static void WinogradWeightPanel(in ConvArgs a, int item, int elements,
        delegate*<float*, int, int, int, int, int, float*, long, void> planes,
        delegate*<float*, long, int, int, int, float*, float*, long, void> row)
    {
        int K = a.G.OutChannels, C = a.G.InChannels, m0 = item * TileChannels, width = PanelWidth(K, item), rows = Math.Min(width, K - m0);
        long plane = (long)Gemm.RoundUp(K, TileChannels) * C;
        float* lanes = stackalloc float[Winograd4Elements * TileChannels];
        int c = 0;
        if (WinogradWeightTransposes && rows == width)
        {
            float* taps = AlignTaps(stackalloc float[TileChannels * 9 * 16 + 15]);
            for (; c + 16 <= C; c += 16)
            {
                WinogradTaps(a.W + ((long)m0 * C + c) * 9, (long)C * 9, width, taps);
                planes(taps, 9 * 16, 144 * 16, 0, 16, width, a.PackedW + (long)m0 * C + (long)c * width, plane);
            }
        }
        for (; c < C; c++)
            row(a.W + ((long)m0 * C + c) * 9, (long)C * 9, 1, rows, width, lanes, a.PackedW + (long)m0 * C + (long)c * width, plane);
        if (elements == 16 && StreamsWinogradWeights(plane)) Sse.StoreFence();
    }

    /// <summary>
    /// Whether the Winograd weight transforms read whole rows of w and transpose them (<see cref="WinogradTaps"/>,
    /// <see cref="FlippedWinogradTaps"/>, AVX-512) rather than gather each tap of 8 kernels (<see cref="WinogradWeightRow"/>,
    /// <see cref="Winograd4WeightRow"/>); an A/B switch for the benchmarks, on wherever AVX-512 is.
    /// </summary>
    internal static bool WinogradWeightTransposes = Avx512F.IsSupported;

    /// <summary>
    /// The taps of 16 input channels' kernels (c .. c + 15) for a whole weight panel of <paramref name="width"/> output
    /// channels, 16 kernels a vector: each output channel's 16 kernels are 144 floats in a row of w (from
    /// <paramref name="src"/>, rows <paramref name="rowStride"/> apart), transposed 16 x 16 into <paramref name="taps"/>
    /// ([width / 16][144][16]: tap t of channel c + i at row 9 i + t). The gathers of <see cref="WinogradWeightRow"/>
    /// read each tap of 8 kernels from 8 rows 18 KB apart (ResNet's 512 channels); here each line of w is loaded once, whole.
    /// </summary>
    private static void WinogradTaps(float* src, long rowStride, int width, float* taps)
    {
        for (int h = 0; h < width / 16; h++)
            for (int b = 0; b < 9; b++)
                Transpose16x16.Store(src + 16 * h * rowStride + 16 * b, rowStride, taps + (h * 144 + 16 * b) * 16, 16);
    }

    /// <summary>
    /// Sixteen rows of a whole Winograd weight panel, 16 lanes at a time: u[e · plane + r width + lane] = (G w G^T)[e] of
    /// the kernel whose tap t is the 16-lane vector at taps + r rowStride + h halfStride + first + step t, lane = 16 h +
    /// its lane. The same adds and multiplies per lane as <see cref="WinogradWeightTile"/>, so the same bits. Written a
    /// row i of t = G w at a time: elements 4 i .. 4 i + 3 of all 16 rows, each a contiguous run of 16 width floats, so
    /// four runs go to memory at once (a row's 16 elements at once are 16 lines a power of two apart, ResNet's planes
    /// 256 KB or 1 MB, which fall into one cache set and evict each other's lines before they fill). By streaming
    /// stores for a U of <see cref="StreamedWinogradWeightBytes"/> or more on a line boundary (the caller fences).
    /// </summary>
    private static void WinogradWeightPlanes(float* taps, int rowStride, int halfStride, int first, int step, int width, float* u, long plane)
    {
        bool stream = StreamsWinogradWeights(plane) && ((long)u & 63) == 0;
        var half = Vector512.Create(0.5f);
        for (int i = 0; i < 4; i++)
            for (int r = 0; r < 16; r++)
                for (int h = 0; h < width / 16; h++)
                {
                    float* w = taps + r * rowStride + h * halfStride + first;
                    // Row i of t = G w: w's row 0, half (row 0 + row 1 + row 2), half (row 0 - row 1 + row 2), row 2.
                    float* w0 = w + 3 * step * (i == 3 ? 2 : 0);
                    Vector512<float> t0 = Vector512.Load(w0), t1 = Vector512.Load(w0 + step), t2 = Vector512.Load(w0 + 2 * step);
                    if (i is 1 or 2)
                    {
                        Vector512<float> w10 = Vector512.Load(w + 3 * step), w11 = Vector512.Load(w + 4 * step), w12 = Vector512.Load(w + 5 * step);
                        Vector512<float> w20 = Vector512.Load(w + 6 * step), w21 = Vector512.Load(w + 7 * step), w22 = Vector512.Load(w + 8 * step);
                        if (i == 1) (t0, t1, t2) = (half * (t0 + w10 + w20), half * (t1 + w11 + w21), half * (t2 + w12 + w22));
                        else (t0, t1, t2) = (half * (t0 - w10 + w20), half * (t1 - w11 + w21), half * (t2 - w12 + w22));
                    }
                    float* o = u + 4 * i * plane + r * width + 16 * h;
                    StoreWinogradWeights(t0, o, stream);
                    StoreWinogradWeights(half * (t0 + t1 + t2), o + plane, stream);
                    StoreWinogradWeights(half * (t0 - t1 + t2), o + 2 * plane, stream);
                    StoreWinogradWeights(t2, o + 3 * plane, stream);
                }
    }

    /// <summary>
    /// The first 64-byte line of a stack buffer allocated 15 floats longer, for the taps' 512-bit loads and stores: on the
    /// stack's own alignment, which moves from process to process, they split across lines, and a 512 x 512 transform
    /// took 0.6-0.8 ms in some processes and 4.5-9 ms in others (`wpack`).
    /// </summary>
    private static float* AlignTaps(Span<float> buffer) => (float*)(((long)Unsafe.AsPointer(ref buffer[0]) + 63) & ~63L);

    /// <summary>Stores 16 floats of U: past the caches where <paramref name="stream"/> (a whole aligned line), else cached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWinogradWeights(Vector512<float> v, float* u, bool stream)
    {
        if (stream) Avx512F.StoreAlignedNonTemporal(u, v);
        else Vector512.Store(v, u);
    }

    /// <summary>
    /// One row of a Winograd weight panel: u[e · plane + kk] = (G w_kk G^T)[e] for the panel's lanes kk &lt; rows, whose
    /// kernel's tap t is src[kk laneStride + step t] (as <see cref="WinogradWeightTile"/>), and 0 for lanes rows..width.
    /// Eight lanes at once by AVX2 gathers, into <paramref name="lanes"/> (16 x 32 floats) first, then each e's run of the
    /// row stored whole: the 16 e rows lie a power of two apart (K C floats), and a float per tile to each of them kept
    /// evicting half-written lines from L1 (`wpack`: a 512 x 512 transform took 13-18 ms of one thread, now about 3).
    /// </summary>
    internal static void WinogradWeightRow(float* src, long laneStride, int step, int rows, int width, float* lanes, float* u, long plane)
    {
        int vectors = Avx2.IsSupported && laneStride * 7 + 9 < int.MaxValue ? rows / 8 : 0;
        if (vectors > 0)
        {
            int ls = (int)laneStride;
            var index = Vector256.Create(0, ls, 2 * ls, 3 * ls, 4 * ls, 5 * ls, 6 * ls, 7 * ls);
            var half = Vector256.Create(0.5f);
            for (int v = 0; v < vectors; v++)
            {
                float* w = src + (long)v * 8 * laneStride, o = lanes + v * 8;
                // t = G w (4 x 3), one column j at a time, kept in registers; then u = t G^T row by row, as the scalar tile.
                var w00 = Avx2.GatherVector256(w, index, 4);
                var w10 = Avx2.GatherVector256(w + step * 3, index, 4);
                var w20 = Avx2.GatherVector256(w + step * 6, index, 4);
                var w01 = Avx2.GatherVector256(w + step, index, 4);
                var w11 = Avx2.GatherVector256(w + step * 4, index, 4);
                var w21 = Avx2.GatherVector256(w + step * 7, index, 4);
                var w02 = Avx2.GatherVector256(w + step * 2, index, 4);
                var w12 = Avx2.GatherVector256(w + step * 5, index, 4);
                var w22 = Avx2.GatherVector256(w + step * 8, index, 4);
                WinogradWeightVectorRow(w00, w01, w02, half, o);
                WinogradWeightVectorRow(half * (w00 + w10 + w20), half * (w01 + w11 + w21), half * (w02 + w12 + w22), half, o + 4 * TileChannels);
                WinogradWeightVectorRow(half * (w00 - w10 + w20), half * (w01 - w11 + w21), half * (w02 - w12 + w22), half, o + 8 * TileChannels);
                WinogradWeightVectorRow(w20, w21, w22, half, o + 12 * TileChannels);
            }
        }
        float* t = stackalloc float[12];
        for (int kk = vectors * 8; kk < rows; kk++) WinogradWeightTile(src + kk * laneStride, step, t, lanes + kk, TileChannels);
        bool stream = StreamsWinogradWeights(plane) && width == TileChannels && ((long)u & 63) == 0;
        for (int e = 0; e < 16; e++)
        {
            float* from = lanes + e * TileChannels, to = u + e * plane;
            for (int kk = rows; kk < width; kk++) from[kk] = 0;
            if (stream)
            {
                // Two whole lines: written past the caches, no read of the lines first (the caller fences).
                Avx512F.StoreAlignedNonTemporal(to, Vector512.Load(from));
                Avx512F.StoreAlignedNonTemporal(to + 16, Vector512.Load(from + 16));
            }
            else
                for (int kk = 0; kk < width; kk += 8) Vector256.Store(Vector256.Load(from + kk), to + kk);
        }
    }

    /// <summary>Fewest bytes of U (16 planes of <c>plane</c> floats) that <see cref="WinogradWeightRow"/> writes by streaming stores.</summary>
    internal const long StreamedWinogradWeightBytes = 8L << 20;

    /// <summary>
    /// Whether a Winograd weight transform with element planes of <paramref name="plane"/> floats writes U by streaming
    /// (non-temporal) stores: with AVX-512, and U of at least <see cref="StreamedWinogradWeightBytes"/>, more than the
    /// caches keep for the GEMMs that read it next, so a cached store only read each line from memory before writing it.
    /// In-process A/B (one thread's CPU time, `wpack`): ResNet's 512 x 512 transform (16.8 MB) took 0.67x; in the conv
    /// with weights written every call (`kernel-ab 1 30 "3x3 512x7x7" w 8 written`) 0.94x; 256 x 256 (4.2 MB) was
    /// no faster in the conv (1.00x), so it keeps cached stores. The caller ends each item with a store fence.
    /// </summary>
    internal static bool StreamsWinogradWeights(long plane) => Avx512F.IsSupported && 16 * plane * sizeof(float) >= StreamedWinogradWeightBytes;

    /// <summary>One row i of u = t G^T for eight lanes: o[j · 32] for j = 0..3 (row 4 i + j of the lanes' block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WinogradWeightVectorRow(Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> half, float* o)
    {
        Vector256.Store(t0, o);
        Vector256.Store(half * (t0 + t1 + t2), o + TileChannels);
        Vector256.Store(half * (t0 - t1 + t2), o + 2 * TileChannels);
        Vector256.Store(t2, o + 3 * TileChannels);
    }

    /// <summary>The forward pass by Winograd F(2x2, 3x3), the weights transformed once per write of them.</summary>
    internal static void ConvForwardWinograd(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w,
        DeviceBuffer<float>? bias, DeviceBuffer<float> y, in ConvEpilogue epilogue = default)
    {
        CheckConv(g, n);
        if (!ConvolutionAlgorithm.WinogradApplies(g.InChannels, g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.DilationH, g.DilationW)
            || g.Groups != 1 || !WinogradFits(g, n))
            throw new ArgumentException($"Winograd F(2x2, 3x3) needs a 3x3 stride-1 undilated ungrouped conv with at least {ConvolutionAlgorithm.WinogradMinChannels} channels each way and 32 tiles per image; {g} does not qualify.", nameof(g));
        var conv = new ConvArgs { G = g };
        var packed = PackedConvWeights.Get(ws, w, g.OutChannels, g.InChannels * 9, &conv, PackedConvWeights.Layout.Winograd);
        float* py = P(y, n * g.OutputSize, nameof(y));
        WinogradForward(ws, g, n, P(x, n * g.InputSize, nameof(x)), conv.PackedW,
            bias is null ? null : P(bias, g.OutChannels, nameof(bias)), py, CpuEpilogue.Of(epilogue, py, n * g.OutputSize));
        LastKernel = ConvKernel.Winograd;
        GC.KeepAlive(packed);
    }

    /// <summary>The forward pass by Winograd F(2x2, 3x3) with transformed weights <paramref name="u"/>.</summary>
    internal static void WinogradForward(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* u, float* bias, float* y,
        in CpuEpilogue epilogue = default)
    {
        var args = new WinogradArgs
        {
            G = g, N = n, X = x, Y = y, Bias = bias, U = u, Epilogue = epilogue,
            TilesH = (g.OutH + 1) / 2, TilesW = (g.OutW + 1) / 2,
        };
        args.Tiles = n * args.TilesH * args.TilesW;
        if (args.Tiles == 0) return;
        if (WinogradFused(g))
        {
            // Blocks of about two GEMM tiles' worth of tiles (one tile row of ResNet's 56x56).
            args.RowsPerBlock = Math.Max(1, 2 * TilePositions / args.TilesW);
            args.Blocks = (args.TilesH + args.RowsPerBlock - 1) / args.RowsPerBlock;
            args.BlockTiles = args.RowsPerBlock * args.TilesW;
            int* blockShifts = ws.Shifts(g.InChannels + Gemm.NR);
            for (int c = 0; c < g.InChannels; c++) blockShifts[c] = checked(c * args.BlockTiles);
            args.Shifts = blockShifts;
            ws.Run(&args, n * args.Blocks, &WinogradFusedItem);
            return;
        }
        args.VPlane = ElementPlane((long)g.InChannels * args.Tiles);
        args.MPlane = ElementPlane((long)g.OutChannels * args.Tiles);
        args.V = ws.Padded(16 * args.VPlane);
        // Slack: the vector output transform reads whole 16-tile vectors past a plane's last tile.
        args.M = ws.PhaseOut(16 * args.MPlane + 16);
        // Runs of whole 14-tile GEMM tiles, about 8 items per worker over the 16 transform elements.
        int runs = Math.Clamp(ItemsPerWorker * ws.Workers / 16, 1, (args.Tiles + TilePositions - 1) / TilePositions);
        args.TilesPerItem = Gemm.RoundUp((args.Tiles + runs - 1) / runs, TilePositions);
        args.TileChunks = (args.Tiles + args.TilesPerItem - 1) / args.TilesPerItem;
        int* shifts = ws.Shifts(g.InChannels + Gemm.NR);
        for (int c = 0; c < g.InChannels; c++) shifts[c] = checked(c * args.Tiles);
        args.Shifts = shifts;
        if (ChannelTiles512 && WholePlaneTransform(args))
        {
            int* planeTaps = stackalloc int[16 * TransformLanes];
            PlaneTaps(args, planeTaps);
            args.PlaneTaps = planeTaps;
        }
        ws.Run(&args, n * g.InChannels, ChannelTiles512 ? &WinogradInputVectorItem : &WinogradInputItem);
        ws.Run(&args, 16 * args.TileChunks, &WinogradGemmItem);
        ws.Run(&args, n * g.OutChannels, ChannelTiles512 ? &WinogradOutputVectorItem : &WinogradOutputItem);
    }

    /// <summary>V[e, c, tiles of image b] = (B^T d B)[e] for the (image b, channel c) plane, d the 4x4 input patch (zero outside x).</summary>
    internal static void WinogradInputItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int b = item / g.InChannels, c = item % g.InChannels;
        float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
        long plane = a.VPlane;
        float* v = a.V + (long)c * a.Tiles + (long)b * a.TilesH * a.TilesW;
        float* d = stackalloc float[16];
        float* r = stackalloc float[16];
        for (int th = 0; th < a.TilesH; th++)
            for (int tw = 0; tw < a.TilesW; tw++, v++)
            {
                int h0 = 2 * th - g.PadTop, w0 = 2 * tw - g.PadLeft;
                for (int i = 0; i < 4; i++)
                {
                    int ih = h0 + i;
                    bool row = (uint)ih < (uint)g.InH;
                    for (int j = 0; j < 4; j++)
                    {
                        int iw = w0 + j;
                        d[4 * i + j] = row && (uint)iw < (uint)g.InW ? src[(long)ih * g.InW + iw] : 0f;
                    }
                }
                // r = B^T d (rows), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; then v = r B (columns).
                for (int j = 0; j < 4; j++)
                {
                    float d0 = d[j], d1 = d[4 + j], d2 = d[8 + j], d3 = d[12 + j];
                    r[j] = d0 - d2;
                    r[4 + j] = d1 + d2;
                    r[8 + j] = d2 - d1;
                    r[12 + j] = d1 - d3;
                }
                for (int i = 0; i < 4; i++)
                {
                    float r0 = r[4 * i], r1 = r[4 * i + 1], r2 = r[4 * i + 2], r3 = r[4 * i + 3];
                    float* o = v + (long)(4 * i) * plane;
                    o[0] = r0 - r2;
                    o[plane] = r1 + r2;
                    o[2 * plane] = r2 - r1;
                    o[3 * plane] = r1 - r3;
                }
            }
    }

    /// <summary>
    /// M[e, :, run] = U[e] (K x C) V[e, :, run] (C x tiles) for one transform element e and one run of tiles, by channel
    /// tiles: V[e] is read in place (its rows are input channels, so the tap shift of row c is c times the row length).
    /// Where U[e] is the larger operand (<see cref="WinogradPanelsFirst"/>), one 32-channel panel of it at a time over the
    /// whole run, so each panel comes from memory once and the run's V rows from L2: tile by tile over every panel read
    /// all of U[e] once per 14 tiles (ResNet's 512x7x7 at batch 8: 1 MB ten times per element).
    /// </summary>
    internal static void WinogradGemmItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, e = item / a.TileChunks, run = item % a.TileChunks;
        int t0 = run * a.TilesPerItem, t1 = Math.Min(a.Tiles, t0 + a.TilesPerItem), panels = (K + TileChannels - 1) / TileChannels;
        float* v = a.V + e * a.VPlane, u = a.U + (long)e * Gemm.RoundUp(K, TileChannels) * C, m = a.M + e * a.MPlane;
        int* lanes = stackalloc int[MaxTilePositions];
        float* tile = stackalloc float[16 * TileChannels];
        if (WinogradPanelsFirst(K, t1 - t0))
            for (int panel = 0; panel < panels; panel++)
            {
                int m0 = panel * TileChannels, width = PanelWidth(K, panel);
                for (int t = t0, count; t < t1; t += count)
                {
                    count = NextTileCount(t1 - t);
                    for (int j = 0; j < MaxTilePositions; j++) lanes[j] = t + Math.Min(j, count - 1);
                    RunChannelTile(C, width, count, u + (long)m0 * C, v, a.Shifts, lanes, tile);
                    StoreTile(tile, Math.Min(width, K - m0), count, m + (long)m0 * a.Tiles + t, a.Tiles, null);
                }
            }
        else
            for (int t = t0, count; t < t1; t += count)
            {
                count = NextTileCount(t1 - t);
                for (int j = 0; j < MaxTilePositions; j++) lanes[j] = t + Math.Min(j, count - 1);
                for (int panel = 0; panel < panels; panel++)
                {
                    int m0 = panel * TileChannels, width = PanelWidth(K, panel);
                    RunChannelTile(C, width, count, u + (long)m0 * C, v, a.Shifts, lanes, tile);
                    StoreTile(tile, Math.Min(width, K - m0), count, m + (long)m0 * a.Tiles + t, a.Tiles, null);
                }
            }
    }

    /// <summary>
    /// Whether a Winograd GEMM item runs one U panel at a time over its run of <paramref name="tiles"/> tiles (V re-read
    /// per panel) rather than one GEMM tile of positions at a time over every panel (U[e] re-read per 14 tiles): where
    /// U[e] (K rounded up to a panel, times C) is larger than the run's V (tiles times C), so the smaller one is re-read.
    /// In-process A/B (one thread's CPU time, weights written every call, `kernel-ab 1 30 "3x3 512x7x7" w 8 written`):
    /// ResNet's 512x7x7 at batch 8 (1 MB of U[e] against 256 KB of V) panels first 0.86x tiles first; its 256x14x14
    /// (256 KB against 392 KB) panels first 1.02x (60 calls each, written and not), so it keeps the tiles first.
    /// </summary>
    internal static bool WinogradPanelsFirst(int outChannels, int tiles) => WinogradGemmOrder ?? Gemm.RoundUp(outChannels, TileChannels) > tiles;

    /// <summary>A/B switch (benchmarks only): true runs every Winograd GEMM item panels first, false tiles first, null by <see cref="WinogradPanelsFirst"/>'s rule.</summary>
    internal static bool? WinogradGemmOrder;

    /// <summary>y[b, k] = A^T m A per tile of the (image b, output channel k) plane (2x2 outputs, cut at the plane's edge), plus bias.</summary>
    internal static void WinogradOutputItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int b = item / g.OutChannels, k = item % g.OutChannels;
        long plane = a.MPlane;
        float* m = a.M + (long)k * a.Tiles + (long)b * a.TilesH * a.TilesW;
        float* dst = a.Y + b * g.OutputSize + (long)k * g.OutH * g.OutW;
        float bias = a.Bias == null ? 0f : a.Bias[k];
        float* s = stackalloc float[8];
        for (int th = 0; th < a.TilesH; th++)
            for (int tw = 0; tw < a.TilesW; tw++, m++)
            {
                // s = A^T m (2 x 4), A^T = [1 1 1 0; 0 1 -1 -1]; then out = s A (2 x 2).
                for (int j = 0; j < 4; j++)
                {
                    float m0 = m[(long)j * plane], m1 = m[(long)(4 + j) * plane], m2 = m[(long)(8 + j) * plane], m3 = m[(long)(12 + j) * plane];
                    s[j] = m0 + m1 + m2;
                    s[4 + j] = m1 - m2 - m3;
                }
                int oh = 2 * th, ow = 2 * tw;
                for (int i = 0; i < 2 && oh + i < g.OutH; i++)
                {
                    float s0 = s[4 * i], s1 = s[4 * i + 1], s2 = s[4 * i + 2], s3 = s[4 * i + 3];
                    float* row = dst + (long)(oh + i) * g.OutW + ow;
                    row[0] = s0 + s1 + s2 + bias;
                    if (ow + 1 < g.OutW) row[1] = s1 - s2 - s3 + bias;
                }
            }
        if (a.Epilogue.Active) a.Epilogue.Apply(dst, (long)g.OutH * g.OutW);
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// The forward pass as an implicit GEMM held in registers (<see cref="ConvKernel.ChannelTiles"/>): a tile of 32 output
/// channels (two 16-wide vectors) by 14 output positions keeps its 28 sums in zmm registers over the whole C R S depth,
/// each step loading 32 packed weights and broadcasting the 14 positions' input values straight from the padded copy
/// (no im2col panels, no partial sums through memory). Vectors run along output channels, so a 7x7 or 14x14 plane
/// wastes no lanes (the im2col GEMM's 32-position panels padded 49 positions to 64); the tile is transposed once into y.
/// Each output is one item's chain of multiply-adds in C R S order, whatever the split: the same bits on any thread count.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Output channels of a full tile (two zmm vectors), positions of a long tile and the most one call runs (two tiles of 8, <see cref="EightTile"/>).</summary>
    internal const int TileChannels = ConvolutionAlgorithm.TileChannels, TilePositions = 14, MaxTilePositions = 16;

    /// <summary>
    /// Positions of the next tile call of a run with <paramref name="remaining"/> left: a long tile, but all of them when
    /// 15 or 16 are left and 512-bit tiles run (Winograd's 16 tiles of a 7x7 or 8x8 plane: two tiles of 8 positions,
    /// 16 sums computed where a long and a short tile computed 21).
    /// </summary>
    internal static int NextTileCount(int remaining) =>
        remaining <= TilePositions || (remaining <= MaxTilePositions && ChannelTiles512) ? remaining : TilePositions;

    /// <summary>
    /// Whether the channel-tile kernels and Winograd's tile transforms run with 512-bit vectors (else a 256-bit loop over
    /// the same layout and scalar transforms, with the same bits); settable so tests run those on an AVX-512 machine too.
    /// </summary>
    internal static bool ChannelTiles512 = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// How many depth steps ahead the channel tiles prefetch their weights (0: the line in use, no look-ahead). At a
    /// small batch the weights of ResNet's late layers stream from memory once a call (the network's weights are
    /// larger than the last-level cache) and the hardware prefetcher alone keeps too few lines in flight: 64 steps
    /// measured 0.92-0.96x on W5 (one thread's CPU time, `network-ab W5 prefetch`, 16 to 256 steps tried). Settable
    /// for that A/B.
    /// </summary>
    internal static int WeightPrefetchSteps = 64;

    /// <summary>Floats of the packed weights: panels of 32 channels, [k][32] each (the last one [k][16] when 16 or fewer channels are left).</summary>
    internal static long ChannelPanelsSize(int outChannels, int depth) => (long)Gemm.RoundUp(outChannels, TileChannels) * depth;

    /// <summary>Channels in panel <paramref name="panel"/>'s rows: 32, or 16 for a last panel of at most 16 channels.</summary>
    internal static int PanelWidth(int outChannels, int panel) => outChannels - panel * TileChannels <= TileChannels / 2 ? TileChannels / 2 : TileChannels;

    /// <summary>Packs panel <paramref name="item"/> of the weights (w[K, CRS] at W) into PackedW, channels past K zero.</summary>
    internal static void PackChannelPanelItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int K = a.G.OutChannels, crs = a.G.InChannels * a.G.KernelH * a.G.KernelW, m0 = item * TileChannels;
        int width = PanelWidth(K, item), rows = Math.Min(width, K - m0);
        float* dst = a.PackedW + (long)m0 * crs;
        // Blocks of 64 taps: the block's 32 row pieces and its panel rows stay in L1 (a tap at a time read 32 rows 3 KB
        // apart per panel row; LeNet's 500 x 800 weights, repacked after every optimizer step, took 0.2 ms that way).
        const int Block = 64;
        // Whole 8x8 blocks (8 rows by 8 taps) by one AVX transpose each, the rest a value at a time.
        int vectorRows = Avx.IsSupported ? rows / 8 * 8 : 0;
        for (int k0 = 0; k0 < crs; k0 += Block)
        {
            int k1 = Math.Min(crs, k0 + Block), k8 = k0 + (k1 - k0) / 8 * 8;
            for (int v = 0; v < vectorRows; v += 8)
            {
                float* src = a.W + (long)(m0 + v) * crs;
                for (int k = k0; k < k8; k += 8)
                    Transpose8x8.Store(Vector256.Load(src + k), Vector256.Load(src + crs + k), Vector256.Load(src + 2 * crs + k),
                        Vector256.Load(src + 3 * crs + k), Vector256.Load(src + 4 * crs + k), Vector256.Load(src + 5 * crs + k),
                        Vector256.Load(src + 6 * crs + k), Vector256.Load(src + 7 * crs + k), dst + (long)k * width + v, width);
                for (int r = 0; r < 8; r++, src += crs)
                    for (int k = k8; k < k1; k++) dst[(long)k * width + v + r] = src[k];
            }
            for (int v = vectorRows; v < rows; v++)
            {
                float* src = a.W + (long)(m0 + v) * crs;
                for (int k = k0; k < k1; k++) dst[(long)k * width + v] = src[k];
            }
            for (int v = rows; v < width; v++)
                for (int k = k0; k < k1; k++) dst[(long)k * width + v] = 0;
        }
    }

    /// <summary>Bytes of packed weights one item keeps in L2 (half of a 1 MB L2, the rest for the padded input's rows).</summary>
    internal const int TileWeightBytes = 512 * 1024;

    /// <summary>
    /// Forward by channel tiles with <paramref name="packedW"/> in <see cref="PackChannelPanelItem"/>'s layout: the padded
    /// copy is filled, then each item runs a group of channel panels over a run of 14-position tiles of the batch's
    /// columns, every panel of the group on a tile before the next tile (so a large plane's input is read once, not once per panel).
    /// A non-null <paramref name="shared"/> is a filled padded copy (stride 1, dilation 1) read from its Q on, as in <see cref="ConvForwardCore"/>;
    /// <paramref name="tapRowMajor"/>: the panels' depth runs (r, c, s), not (c, r, s) (the phase split's).
    /// </summary>
    internal static void ForwardChannelTiles(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* packedW, float* bias, float* y,
        in CpuEpilogue epilogue = default, ConvArgs* shared = null, bool tapRowMajor = false)
    {
        var conv = new ConvArgs { G = g, N = n, X = x, Y = y, Bias = bias, PackedW = packedW, Epilogue = epilogue };
        // A stride phase's sub-conv reads the one padded copy of dY that every phase shares (stride 1, from its Q on),
        // its panels tap row by tap row (tapRowMajor).
        if (shared != null) SharedLayout(ws, ref conv, *shared, tapRowMajor);
        else if (TapsInsideInput(g)) DirectLayout(ws, ref conv);
        else
        {
            PreparePadded(ws, ref conv, mayAlias: true);
            FillPadded(ws, &conv);
        }
        long columns = (long)n * g.OutH * g.OutW;
        if (columns == 0) return;
        int crs = g.InChannels * g.KernelH * g.KernelW, panels = (g.OutChannels + TileChannels - 1) / TileChannels;
        SplitTiles(ref conv, columns, crs, panels, ws.Workers);
        ws.Run(&conv, conv.ChannelBlocks * conv.ItemsPerImage, &ChannelTilesItem);
    }

    /// <summary>
    /// The channel tiles' work items for <paramref name="columns"/> output positions and <paramref name="panels"/> panels
    /// <paramref name="depth"/> deep: the tiles (Chunks), groups of panels (ChannelBlock, ChannelBlocks) and runs of tiles
    /// (ChunksPerItem, ItemsPerImage); the items are ChannelBlocks x ItemsPerImage.
    /// </summary>
    internal static void SplitTiles(ref ConvArgs conv, long columns, long depth, int panels, int workers)
    {
        // Panels per group: as many as fit TileWeightBytes (ResNet's 64 channels: both; 512 channels of depth 4608: one
        // each), in groups of equal size.
        int fit = (int)Math.Clamp(TileWeightBytes / ((long)TileChannels * depth * sizeof(float)), 1, panels);
        conv.Chunks = checked((int)((columns + TilePositions - 1) / TilePositions));
        (conv.ChannelBlock, conv.ChannelBlocks) = PanelGroups(panels, fit, conv.Chunks, workers);
        // About 8 items per worker: runs of tiles when there are fewer groups than that.
        int runs = Math.Clamp((ItemsPerWorker * workers + conv.ChannelBlocks - 1) / conv.ChannelBlocks, 1, conv.Chunks);
        conv.ChunksPerItem = (conv.Chunks + runs - 1) / runs;
        conv.ItemsPerImage = (conv.Chunks + conv.ChunksPerItem - 1) / conv.ChunksPerItem;
    }

    /// <summary>
    /// Panels per group and groups: as many panels as <paramref name="fit"/> in groups of equal size, but smaller groups
    /// when there are too few tiles to go round the workers in about 8 items each (a 7x7 plane at batch 1 is 4 tiles:
    /// ResNet's 1x1 256 -> 512 downsample ran as 4 items of 16 panels, 3 long tiles and a short one on 2 workers).
    /// </summary>
    internal static (int Block, int Blocks) PanelGroups(int panels, int fit, int tiles, int workers)
    {
        int blocks = (panels + fit - 1) / fit, wanted = ItemsPerWorker * workers;
        if ((long)blocks * tiles < wanted) blocks = Math.Min(panels, Math.Max(blocks, (wanted + tiles - 1) / tiles));
        int block = (panels + blocks - 1) / blocks;
        return (block, (panels + block - 1) / block);
    }

    /// <summary>
    /// Whether every tap of every output lies inside x (no padding), so the tiles, which broadcast one value per
    /// position and tap and need no contiguous runs, read x in place: ResNet's 1x1 stride-2 downsample convs copied
    /// half their input into the phase-split copy first.
    /// </summary>
    internal static bool TapsInsideInput(in ConvGeometry g) =>
        g.PadTop == 0 && g.PadLeft == 0
        && (long)(g.OutH - 1) * g.StrideH + (long)(g.KernelH - 1) * g.DilationH < g.InH
        && (long)(g.OutW - 1) * g.StrideW + (long)(g.KernelW - 1) * g.DilationW < g.InW;

    /// <summary>The layout of x itself as the tiles' input (<see cref="TapsInsideInput"/>): tap shifts within x's planes, columns StrideW apart.</summary>
    internal static void DirectLayout(CpuWorkspace ws, ref ConvArgs a)
    {
        ref readonly ConvGeometry g = ref a.G;
        a.Q = a.X;
        (a.Hq, a.Wq, a.QPlane) = (g.InH, g.InW, (long)g.InH * g.InW);
        a.QImage = g.InChannels * a.QPlane;
        a.ColumnStep = g.StrideW;
        int* shifts = ws.Shifts(g.InChannels * g.KernelH * g.KernelW + Gemm.NR);
        for (int c = 0, row = 0; c < g.InChannels; c++)
            for (int r = 0; r < g.KernelH; r++)
                for (int s = 0; s < g.KernelW; s++, row++)
                    shifts[row] = checked((int)(c * a.QPlane + (long)r * g.DilationH * g.InW + s * g.DilationW));
        a.Shifts = shifts;
    }

    /// <summary>One group of channel panels (item / runs) over one run of tiles (item % runs): tiles of 14 columns, 7 for a short last one.</summary>
    internal static void ChannelTilesItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int group = item / a.ItemsPerImage, run = item % a.ItemsPerImage;
        int K = g.OutChannels, crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW;
        int panel0 = group * a.ChannelBlock, panel1 = Math.Min((K + TileChannels - 1) / TileChannels, panel0 + a.ChannelBlock);
        long columns = (long)a.N * p;
        int* lanes = stackalloc int[TilePositions];
        long* outputs = stackalloc long[TilePositions];
        float* tile = stackalloc float[16 * TileChannels];
        int t1 = Math.Min(a.Chunks, (run + 1) * a.ChunksPerItem);
        for (int t = run * a.ChunksPerItem; t < t1; t++)
        {
            long first = (long)t * TilePositions;
            int count = (int)Math.Min(TilePositions, columns - first);
            float* q = TileLanes(a, first, count, lanes, outputs, out bool oneImage);
            for (int panel = panel0; panel < panel1; panel++)
            {
                int m0 = panel * TileChannels, width = PanelWidth(K, panel), channels = Math.Min(width, K - m0);
                RunChannelTile(crs, width, count, a.PackedW + (long)m0 * crs, q, a.Shifts, lanes, tile);
                float* b = a.Bias == null ? null : a.Bias + m0;
                if (oneImage) StoreTile(tile, channels, count, a.Y + outputs[0] + (long)m0 * p, p, b);
                else
                    for (int v = 0; v < channels; v++)
                        for (int j = 0; j < count; j++)
                            a.Y[outputs[j] + (long)(m0 + v) * p] = tile[j * TileChannels + v] + (b == null ? 0 : b[v]);
            }
        }
        // The epilogue (residual add, activation) on this item's outputs, its run of columns for its channels, per image.
        if (a.Epilogue.Active)
        {
            long c0 = (long)run * a.ChunksPerItem * TilePositions, c1 = Math.Min(columns, (long)t1 * TilePositions);
            int m0 = panel0 * TileChannels, channels = Math.Min(K, panel1 * TileChannels) - m0;
            while (c0 < c1)
            {
                int b = (int)(c0 / p), pos = (int)(c0 % p);
                long length = Math.Min(c1 - c0, p - pos);
                a.Epilogue.ApplyRows(a.Y + (long)b * g.OutputSize + (long)m0 * p + pos, channels, p, length);
                c0 += length;
            }
        }
    }

    /// <summary>
    /// The channel tile of <paramref name="width"/> channels and a long (8-14) or short (1-7) run of <paramref name="count"/>
    /// positions, or 15-16 positions as a tile of 8 and one of 8 or 7 (with 512-bit vectors only; lanes holds 16 then).
    /// Two tiles of 8 rather than one of 16 channels by 16 positions: that square tile (16 sums, one weight load and 16
    /// broadcasts a depth step) ran at 134-139 GFLOP/s on one thread against 218-220 for two of 8 (`kernel-ab peak`).
    /// </summary>
    internal static void RunChannelTile(int depth, int width, int count, float* w, float* q, int* shifts, int* lanes, float* tile)
    {
        bool longTile = count > TilePositions / 2;
        if (count > TilePositions)
        {
            if (!ChannelTiles512 || count > MaxTilePositions) throw new ArgumentOutOfRangeException(nameof(count), count, "A channel tile covers at most 14 positions, 16 with 512-bit vectors.");
            if (width == TileChannels) EightTiles<WideTile>(depth, count, w, q, shifts, lanes, tile);
            else EightTiles<NarrowTile>(depth, count, w, q, shifts, lanes, tile);
        }
        else if (!ChannelTiles512) ChannelTile256(depth, width, longTile ? TilePositions : TilePositions / 2, w, q, shifts, lanes, tile);
        else if (width == TileChannels)
        {
            if (longTile) ChannelTile<WideTile, LongTile>(depth, w, q, shifts, lanes, tile);
            else ChannelTile<WideTile, ShortTile>(depth, w, q, shifts, lanes, tile);
        }
        else if (longTile) ChannelTile<NarrowTile, LongTile>(depth, w, q, shifts, lanes, tile);
        else ChannelTile<NarrowTile, ShortTile>(depth, w, q, shifts, lanes, tile);
    }

    /// <summary>
    /// A run of 15 or 16 positions: a tile of the first 8, then one of the other 8 (or 7) at lanes + 8, stored 8 positions
    /// on. Where the panel is larger than <see cref="EightTileWholeBytes"/>, both go over one chunk of
    /// <see cref="EightTileChunk"/> depth steps, then the next chunk on from their sums, so the second tile reads the
    /// chunk's weights from L1: over the whole depth at once, it read a 512-deep panel (64 KB, ResNet's 512x7x7 at batch
    /// 1) again from L2. The same sums in the same order as whole-depth tiles, so the same bits.
    /// </summary>
    private static void EightTiles<TWidth>(int depth, int count, float* w, float* q, int* shifts, int* lanes, float* tile) where TWidth : struct, ITileWidth
    {
        int stride = TWidth.Wide ? TileChannels : TileChannels / 2;
        int chunk = EightTileChunk > 0 && (long)depth * stride * sizeof(float) > EightTileWholeBytes ? EightTileChunk : depth;
        for (int k0 = 0; k0 < depth; k0 += chunk)
        {
            int steps = Math.Min(chunk, depth - k0);
            float* wk = w + (long)k0 * stride;
            bool more = k0 > 0;
            ChannelTile<TWidth, EightTile>(steps, wk, q, shifts + k0, lanes, tile, more);
            if (count == MaxTilePositions) ChannelTile<TWidth, EightTile>(steps, wk, q, shifts + k0, lanes + 8, tile + 8 * TileChannels, more);
            else ChannelTile<TWidth, ShortTile>(steps, wk, q, shifts + k0, lanes + 8, tile + 8 * TileChannels, more);
        }
    }

    /// <summary>
    /// Depth steps per chunk of <see cref="EightTiles{TWidth}"/> (0: the whole depth at once). 64 (8 KB of a 32-channel
    /// panel): W5 0.948-0.974x against the whole depth (`network-ab W5 eight-chunks 60`, 2 threads, four runs; 32 about
    /// the same, 128 0.984x, 256 no change). Settable for that A/B.
    /// </summary>
    internal static int EightTileChunk = 64;

    /// <summary>
    /// The largest panel (bytes) <see cref="EightTiles{TWidth}"/> runs over the whole depth at once: one that stays in L1
    /// gains nothing from chunks and pays their reloads (`kernel-ab peak`, depth 128 in L1: 200-211 GFLOP/s by chunks
    /// against 218).
    /// </summary>
    internal const int EightTileWholeBytes = 32 << 10;

    /// <summary>
    /// The padded-copy offsets of batch columns first .. first + count (relative to the returned image base) and their
    /// offsets in y at channel 0; a short tile repeats its last column (computed, never stored), so every read is inside the copy.
    /// </summary>
    internal static float* TileLanes(in ConvArgs a, long first, int count, int* lanes, long* outputs, out bool oneImage)
    {
        ref readonly ConvGeometry g = ref a.G;
        int p = g.OutH * g.OutW, b0 = (int)(first / p), pos = (int)(first % p), oh = pos / g.OutW, ow = pos % g.OutW, b = b0;
        int step = a.ColumnStep == 0 ? 1 : a.ColumnStep;
        long rowStep = (long)g.StrideH * a.Wq, lane = oh * rowStep + (long)ow * step, output = (long)b0 * g.OutputSize + pos;
        oneImage = pos + count <= p;
        if (ow + count <= g.OutW)
        {
            // One output row (most tiles of a plane 14 or more wide): offsets a column step apart.
            for (int j = 0; j < count; j++) lanes[j] = (int)lane + j * step;
        }
        else
            for (int j = 0; j < count; j++)
            {
                lanes[j] = checked((int)lane);
                outputs[j] = output++;
                if (++ow < g.OutW) lane += step;
                else if (++oh < g.OutH) { ow = 0; lane = (b - b0) * a.QImage + oh * rowStep; }
                else { ow = oh = 0; lane = (++b - b0) * a.QImage; output = (long)b * g.OutputSize; }
            }
        outputs[0] = (long)b0 * g.OutputSize + pos;
        for (int j = count; j < TilePositions; j++) lanes[j] = lanes[count - 1];
        return a.Q + b0 * a.QImage;
    }

    internal interface ITileWidth { static abstract bool Wide { get; } }
    internal interface ITileLength { static abstract bool Long { get; } static abstract bool Eighth { get; } }
    internal struct WideTile : ITileWidth { public static bool Wide => true; }
    internal struct NarrowTile : ITileWidth { public static bool Wide => false; }
    internal struct LongTile : ITileLength { public static bool Long => true; public static bool Eighth => true; }
    internal struct ShortTile : ITileLength { public static bool Long => false; public static bool Eighth => false; }
    /// <summary>8 positions: half of a 16-tile run (Winograd's 7x7 and 8x8 planes), 16 sums for 10 loads a depth step.</summary>
    internal struct EightTile : ITileLength { public static bool Long => false; public static bool Eighth => true; }

    /// <summary>
    /// tile[j][v] = sum over k &lt; depth of w[k][v] q[shifts[k] + lanes[j]] for 32 (Wide) or 16 channels v and 14 (Long)
    /// or 7 positions j; the shape parameters are constants to the JIT, so each instantiation keeps only its own sums.
    /// With <paramref name="more"/> the sums start from tile's (a later chunk of the depth) instead of zero; only tiles of
    /// at most 8 positions do (<see cref="EightTiles{TWidth}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ChannelTile<TWidth, TLength>(int depth, float* w, float* q, int* shifts, int* lanes, float* tile, bool more = false)
        where TWidth : struct, ITileWidth where TLength : struct, ITileLength
    {
        int stride = TWidth.Wide ? TileChannels : TileChannels / 2;
        int l0 = lanes[0];
        int l1 = lanes[1];
        int l2 = lanes[2];
        int l3 = lanes[3];
        int l4 = lanes[4];
        int l5 = lanes[5];
        int l6 = lanes[6];
        int l7 = TLength.Eighth ? lanes[7] : 0;
        int l8 = TLength.Long ? lanes[8] : 0;
        int l9 = TLength.Long ? lanes[9] : 0;
        int l10 = TLength.Long ? lanes[10] : 0;
        int l11 = TLength.Long ? lanes[11] : 0;
        int l12 = TLength.Long ? lanes[12] : 0;
        int l13 = TLength.Long ? lanes[13] : 0;
        Vector512<float> lo0 = default, hi0 = default, lo1 = default, hi1 = default, lo2 = default, hi2 = default, lo3 = default, hi3 = default, lo4 = default, hi4 = default, lo5 = default, hi5 = default, lo6 = default, hi6 = default;
        Vector512<float> lo7 = default, hi7 = default, lo8 = default, hi8 = default, lo9 = default, hi9 = default, lo10 = default, hi10 = default, lo11 = default, hi11 = default, lo12 = default, hi12 = default, lo13 = default, hi13 = default;
        long ahead = (long)WeightPrefetchSteps * stride;
        if (more)
        {
            // Go on from the sums in tile (the next chunk of the depth): only the tiles of EightTiles, 8 positions at most.
            if (TLength.Long) throw new ArgumentException("Only tiles of at most 8 positions go on from their sums.", nameof(more));
            lo0 = Vector512.Load(tile + 0); if (TWidth.Wide) hi0 = Vector512.Load(tile + 16);
            lo1 = Vector512.Load(tile + 32); if (TWidth.Wide) hi1 = Vector512.Load(tile + 48);
            lo2 = Vector512.Load(tile + 64); if (TWidth.Wide) hi2 = Vector512.Load(tile + 80);
            lo3 = Vector512.Load(tile + 96); if (TWidth.Wide) hi3 = Vector512.Load(tile + 112);
            lo4 = Vector512.Load(tile + 128); if (TWidth.Wide) hi4 = Vector512.Load(tile + 144);
            lo5 = Vector512.Load(tile + 160); if (TWidth.Wide) hi5 = Vector512.Load(tile + 176);
            lo6 = Vector512.Load(tile + 192); if (TWidth.Wide) hi6 = Vector512.Load(tile + 208);
            if (TLength.Eighth) { lo7 = Vector512.Load(tile + 224); if (TWidth.Wide) hi7 = Vector512.Load(tile + 240); }
        }
        for (int k = 0; k < depth; k++, w += stride)
        {
            float* s = q + shifts[k];
            Sse.Prefetch0(w + ahead);
            if (TWidth.Wide) Sse.Prefetch0(w + ahead + 16);
            var w0 = Vector512.Load(w);
            var w1 = TWidth.Wide ? Vector512.Load(w + 16) : default;
            Vector512<float> v;
            v = Vector512.Create(s[l0]); lo0 = Vector512.FusedMultiplyAdd(w0, v, lo0); if (TWidth.Wide) hi0 = Vector512.FusedMultiplyAdd(w1, v, hi0);
            v = Vector512.Create(s[l1]); lo1 = Vector512.FusedMultiplyAdd(w0, v, lo1); if (TWidth.Wide) hi1 = Vector512.FusedMultiplyAdd(w1, v, hi1);
            v = Vector512.Create(s[l2]); lo2 = Vector512.FusedMultiplyAdd(w0, v, lo2); if (TWidth.Wide) hi2 = Vector512.FusedMultiplyAdd(w1, v, hi2);
            v = Vector512.Create(s[l3]); lo3 = Vector512.FusedMultiplyAdd(w0, v, lo3); if (TWidth.Wide) hi3 = Vector512.FusedMultiplyAdd(w1, v, hi3);
            v = Vector512.Create(s[l4]); lo4 = Vector512.FusedMultiplyAdd(w0, v, lo4); if (TWidth.Wide) hi4 = Vector512.FusedMultiplyAdd(w1, v, hi4);
            v = Vector512.Create(s[l5]); lo5 = Vector512.FusedMultiplyAdd(w0, v, lo5); if (TWidth.Wide) hi5 = Vector512.FusedMultiplyAdd(w1, v, hi5);
            v = Vector512.Create(s[l6]); lo6 = Vector512.FusedMultiplyAdd(w0, v, lo6); if (TWidth.Wide) hi6 = Vector512.FusedMultiplyAdd(w1, v, hi6);
            if (TLength.Eighth)
            {
                v = Vector512.Create(s[l7]); lo7 = Vector512.FusedMultiplyAdd(w0, v, lo7); if (TWidth.Wide) hi7 = Vector512.FusedMultiplyAdd(w1, v, hi7);
            }
            if (TLength.Long)
            {
                v = Vector512.Create(s[l8]); lo8 = Vector512.FusedMultiplyAdd(w0, v, lo8); if (TWidth.Wide) hi8 = Vector512.FusedMultiplyAdd(w1, v, hi8);
                v = Vector512.Create(s[l9]); lo9 = Vector512.FusedMultiplyAdd(w0, v, lo9); if (TWidth.Wide) hi9 = Vector512.FusedMultiplyAdd(w1, v, hi9);
                v = Vector512.Create(s[l10]); lo10 = Vector512.FusedMultiplyAdd(w0, v, lo10); if (TWidth.Wide) hi10 = Vector512.FusedMultiplyAdd(w1, v, hi10);
                v = Vector512.Create(s[l11]); lo11 = Vector512.FusedMultiplyAdd(w0, v, lo11); if (TWidth.Wide) hi11 = Vector512.FusedMultiplyAdd(w1, v, hi11);
                v = Vector512.Create(s[l12]); lo12 = Vector512.FusedMultiplyAdd(w0, v, lo12); if (TWidth.Wide) hi12 = Vector512.FusedMultiplyAdd(w1, v, hi12);
                v = Vector512.Create(s[l13]); lo13 = Vector512.FusedMultiplyAdd(w0, v, lo13); if (TWidth.Wide) hi13 = Vector512.FusedMultiplyAdd(w1, v, hi13);
            }
        }
        lo0.Store(tile + 0); if (TWidth.Wide) hi0.Store(tile + 16);
        lo1.Store(tile + 32); if (TWidth.Wide) hi1.Store(tile + 48);
        lo2.Store(tile + 64); if (TWidth.Wide) hi2.Store(tile + 80);
        lo3.Store(tile + 96); if (TWidth.Wide) hi3.Store(tile + 112);
        lo4.Store(tile + 128); if (TWidth.Wide) hi4.Store(tile + 144);
        lo5.Store(tile + 160); if (TWidth.Wide) hi5.Store(tile + 176);
        lo6.Store(tile + 192); if (TWidth.Wide) hi6.Store(tile + 208);
        if (!TLength.Eighth) return;
        lo7.Store(tile + 224); if (TWidth.Wide) hi7.Store(tile + 240);
        if (!TLength.Long) return;
        lo8.Store(tile + 256); if (TWidth.Wide) hi8.Store(tile + 272);
        lo9.Store(tile + 288); if (TWidth.Wide) hi9.Store(tile + 304);
        lo10.Store(tile + 320); if (TWidth.Wide) hi10.Store(tile + 336);
        lo11.Store(tile + 352); if (TWidth.Wide) hi11.Store(tile + 368);
        lo12.Store(tile + 384); if (TWidth.Wide) hi12.Store(tile + 400);
        lo13.Store(tile + 416); if (TWidth.Wide) hi13.Store(tile + 432);
    }

    /// <summary>
    /// <see cref="ChannelTile{TWidth, TLength}"/> with 256-bit vectors (machines without AVX-512): the same sums in the
    /// same order, 8 channels by 7 positions at a time (their 7 sums and a weight vector fit the 16 ymm registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ChannelTile256(int depth, int width, int positions, float* w, float* q, int* shifts, int* lanes, float* tile)
    {
        for (int j0 = 0; j0 < positions; j0 += 7)
        {
            int l0 = lanes[j0], l1 = lanes[j0 + 1], l2 = lanes[j0 + 2], l3 = lanes[j0 + 3], l4 = lanes[j0 + 4], l5 = lanes[j0 + 5], l6 = lanes[j0 + 6];
            for (int v0 = 0; v0 < width; v0 += 8)
            {
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default;
                float* wk = w + v0;
                for (int k = 0; k < depth; k++, wk += width)
                {
                    float* s = q + shifts[k];
                    var wv = Vector256.Load(wk);
                    s0 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l0]), s0);
                    s1 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l1]), s1);
                    s2 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l2]), s2);
                    s3 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l3]), s3);
                    s4 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l4]), s4);
                    s5 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l5]), s5);
                    s6 = Vector256.FusedMultiplyAdd(wv, Vector256.Create(s[l6]), s6);
                }
                float* t = tile + j0 * TileChannels + v0;
                s0.Store(t); s1.Store(t + TileChannels); s2.Store(t + 2 * TileChannels); s3.Store(t + 3 * TileChannels);
                s4.Store(t + 4 * TileChannels); s5.Store(t + 5 * TileChannels); s6.Store(t + 6 * TileChannels);
            }
        }
    }

    /// <summary>
    /// y[v, j] = tile[j][v] + bias[v] for v &lt; channels, j &lt; count, where the tile's positions are consecutive in
    /// one image (row v of the output at y + v p): 8x8 register transposes of positions 0 .. 7 and count - 8 .. count - 1
    /// (overlapping, so 14 positions need no masked store: AVX masked stores are slow on AMD), scalar below 8 positions.
    /// </summary>
    internal static void StoreTile(float* tile, int channels, int count, float* y, long p, float* bias)
    {
        if (!Avx.IsSupported || count < 8)
        {
            for (int v = 0; v < channels; v++)
                for (int j = 0; j < count; j++) y[v * p + j] = tile[j * TileChannels + v] + (bias == null ? 0 : bias[v]);
            return;
        }
        for (int v0 = 0; v0 < channels; v0 += 8)
        {
            int rows = Math.Min(8, channels - v0);
            for (int j0 = 0; ; j0 = Math.Min(j0 + 8, count - 8))
            {
                float* t = tile + j0 * TileChannels + v0;
                var r0 = Vector256.Load(t); var r1 = Vector256.Load(t + TileChannels);
                var r2 = Vector256.Load(t + 2 * TileChannels); var r3 = Vector256.Load(t + 3 * TileChannels);
                var r4 = Vector256.Load(t + 4 * TileChannels); var r5 = Vector256.Load(t + 5 * TileChannels);
                var r6 = Vector256.Load(t + 6 * TileChannels); var r7 = Vector256.Load(t + 7 * TileChannels);
                Transpose8x8.InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                float* d = y + v0 * p + j0;
                StoreRow(d, r0, bias, v0);
                if (rows > 1) StoreRow(d + p, r1, bias, v0 + 1);
                if (rows > 2) StoreRow(d + 2 * p, r2, bias, v0 + 2);
                if (rows > 3) StoreRow(d + 3 * p, r3, bias, v0 + 3);
                if (rows > 4) StoreRow(d + 4 * p, r4, bias, v0 + 4);
                if (rows > 5) StoreRow(d + 5 * p, r5, bias, v0 + 5);
                if (rows > 6) StoreRow(d + 6 * p, r6, bias, v0 + 6);
                if (rows > 7) StoreRow(d + 7 * p, r7, bias, v0 + 7);
                if (j0 + 8 >= count) break;
            }
        }

        static void StoreRow(float* d, Vector256<float> row, float* bias, int v) =>
            (bias == null ? row : row + Vector256.Create(bias[v])).Store(d);
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Devices.Activations;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// The forward pass of a 1x1 stride-1 unpadded conv (<see cref="ConvKernel.Pointwise"/>; where it is chosen:
/// ConvolutionAlgorithm.PointwiseApplies): y[K, P] = w[K, C] x[C, P] with vectors along the output positions. A tile
/// of 8 output channels by 48 positions keeps its 24 sums in zmm registers over the whole depth C, each step loading
/// 3 vectors of one input row straight from x (no packing of x, no transposing store) and broadcasting 8 weights
/// packed once per write of them; the tile is stored once, row by row into y, with the bias, the residual and Relu or
/// Relu6 applied in registers (other activations on the stored tile while it is in L1). MobileNetV2's expansions
/// (16 -> 96 at 112x112) are only C deep, so the 1x1 GEMM's per-call packing and the channel tiles' transposing store
/// (both paid per output) cost as much as the multiply-adds. Each output is one item's chain of multiply-adds in C
/// order whatever the split: the same bits on any thread count and vector width.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Output channels (a panel of the GEMM's packed weights) and output positions (3 zmm vectors) of a full pointwise tile.</summary>
    internal const int PointwiseRows = Gemm.MR, PointwisePositions = ConvolutionAlgorithm.PointwisePositions, PointwiseVector = 16;

    /// <summary>Positions of a long pointwise tile: a full tile and one more column, its 8 rows' sums in one ymm register.</summary>
    internal const int PointwiseLongSpan = PointwisePositions + 1;

    /// <summary>
    /// Positions per pointwise tile on a plane of <paramref name="positions"/>: 49 where that tiles the plane exactly and
    /// 48 would not (ConvolutionAlgorithm.LongPointwiseTiles: 7x7 and 14x14, where 48 left a last tile of one vector, 1
    /// or 4 of its 16 lanes used, through a scratch copy), else 48.
    /// </summary>
    internal static int PointwiseSpan(int positions) =>
        PointwiseLongTiles && ConvolutionAlgorithm.LongPointwiseTiles(positions) ? PointwiseLongSpan : PointwisePositions;

    /// <summary>Whether <see cref="PointwiseSpan"/> takes long tiles; settable so tests and the A/B run 48-position tiles on the same planes.</summary>
    internal static bool PointwiseLongTiles = true;

    /// <summary>
    /// Whether the pointwise tiles run with 512-bit vectors (else a 256-bit loop over the same tile with the same bits);
    /// settable so tests run the 256-bit loop on an AVX-512 machine too.
    /// </summary>
    internal static bool Pointwise512 = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Forward by pointwise tiles with <paramref name="packedW"/> in <see cref="PackPointwisePanelItem"/>'s layout
    /// ([K/8][C][8]). Each item runs a group of 8-channel panels over a run of 48-position tiles of one image, in blocks
    /// of tiles whose inputs fit <see cref="PointwiseBlockBytes"/> (one tile past 256 channels), every panel of the group
    /// over a block before the next block, so the block's inputs are read from L2 and each output row is written in
    /// one stretch of the block.
    /// The epilogue's residual add and a Relu or Relu6 (MobileNetV2's expansions and projections) are applied in registers
    /// before the store (the separate Add's one rounding, the activation's own 16-lane form: the same bits); other
    /// activations, and part-filled tiles, run the epilogue on each stored tile while it is in L1.
    /// </summary>
    internal static void ForwardPointwise(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* packedW, float* bias, float* y,
        in ConvEpilogue epilogue = default)
    {
        int p = g.OutH * g.OutW;
        if (n == 0 || p == 0) return;
        var conv = new ConvArgs { G = g, N = n, X = x, Y = y, Bias = bias, PackedW = packedW, Epilogue = CpuEpilogue.Of(epilogue, y, (long)n * g.OutputSize) };
        var item = epilogue.Activation switch
        {
            null => (delegate*<object, void*, int, int, void>)&PointwiseItem<NoClamp>,
            Activation.Relu => &PointwiseItem<ReluClamp>,
            Activation.Relu6 => &PointwiseItem<Relu6Clamp>,
            _ => &PointwiseItem<AfterStore>,
        };
        int span = PointwiseSpan(p), panels = (g.OutChannels + PointwiseRows - 1) / PointwiseRows, tiles = (p + span - 1) / span;
        // About 8 items per worker, as runs of tiles per image times groups of panels: each run reads all the group's
        // weights and each group the run's inputs, so the split reads the fewest of both (16 -> 96 at 112x112: runs of
        // tiles; 320 -> 1280 at 7x7, 1.6 MB of weights: groups of panels over both tiles).
        int target = ItemsPerWorker * ws.Workers, runs = 1;
        long weights = (long)g.OutChannels * g.InChannels, inputs = (long)g.InChannels * p, best = long.MaxValue;
        for (int r = 1; r <= Math.Min(tiles, target); r++)
        {
            int perImage = (tiles + (tiles + r - 1) / r - 1) / ((tiles + r - 1) / r);
            long groupsNeeded = Math.Clamp((target + (long)n * perImage - 1) / ((long)n * perImage), 1, panels);
            long cost = perImage * weights + groupsNeeded * inputs;
            if (cost < best) (best, runs) = (cost, r);
        }
        conv.ChunksPerItem = (tiles + runs - 1) / runs;
        conv.ItemsPerImage = (tiles + conv.ChunksPerItem - 1) / conv.ChunksPerItem;
        conv.Chunks = tiles;
        conv.ChunkWidth = span; // the items' tiles, read once here
        int groups = (int)Math.Clamp((target + (long)n * conv.ItemsPerImage - 1) / ((long)n * conv.ItemsPerImage), 1, panels);
        conv.ChannelBlock = (panels + groups - 1) / groups;
        conv.ChannelBlocks = (panels + conv.ChannelBlock - 1) / conv.ChannelBlock;
        ws.Run(&conv, n * conv.ItemsPerImage * conv.ChannelBlocks, item);
    }

    /// <summary>The activation a pointwise tile's store applies in registers: the activation's own 16- and 8-lane forms.</summary>
    internal interface IPointwiseClamp
    {
        static abstract Vector512<float> Apply(Vector512<float> v);

        static abstract Vector256<float> Apply(Vector256<float> v);
    }

    internal struct NoClamp : IPointwiseClamp
    {
        public static Vector512<float> Apply(Vector512<float> v) => v;

        public static Vector256<float> Apply(Vector256<float> v) => v;
    }

    internal struct ReluClamp : IPointwiseClamp
    {
        public static Vector512<float> Apply(Vector512<float> v) => default(Relu).Forward(v);

        public static Vector256<float> Apply(Vector256<float> v) => default(Relu).Forward(v);
    }

    internal struct Relu6Clamp : IPointwiseClamp
    {
        public static Vector512<float> Apply(Vector512<float> v) => default(Relu6).Forward(v);

        public static Vector256<float> Apply(Vector256<float> v) => default(Relu6).Forward(v);
    }

    /// <summary>An activation without a 16-lane form: the tile is stored plain and the whole epilogue runs on it after.</summary>
    internal struct AfterStore : IPointwiseClamp
    {
        public static Vector512<float> Apply(Vector512<float> v) => v;

        public static Vector256<float> Apply(Vector256<float> v) => v;
    }

    /// <summary>One group of panels (item % groups) over one run of tiles of one image (item / groups).</summary>
    internal static void PointwiseItem<TClamp>(object state, void* args, int item, int worker) where TClamp : struct, IPointwiseClamp
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int group = item % a.ChannelBlocks, rest = item / a.ChannelBlocks, b = rest / a.ItemsPerImage, run = rest % a.ItemsPerImage;
        int C = g.InChannels, K = g.OutChannels, p = g.OutH * g.OutW;
        int panel0 = group * a.ChannelBlock, panel1 = Math.Min((K + PointwiseRows - 1) / PointwiseRows, panel0 + a.ChannelBlock);
        int t0 = run * a.ChunksPerItem, t1 = Math.Min(a.Chunks, t0 + a.ChunksPerItem);
        float* xb = a.X + (long)b * C * p, yb = a.Y + (long)b * K * p;
        float* tile = stackalloc float[PointwiseRows * PointwiseLongSpan];
        float* tailBias = stackalloc float[PointwiseRows];
        int span = a.ChunkWidth;
        // Blocks of full tiles whose inputs stay in L2, each panel over the whole block before the next: the stores run
        // as 8 long rows at a time, which the prefetchers follow, where a tile at a time wrote 8 rows of 48 positions
        // per panel into every output plane (96 planes of 50 KB for 16 -> 96 at 112x112), each a miss from memory.
        int block = PointwiseBlockTiles(C, span);
        if (block > 1)
        {
            // The tiles before the plane's last short one (whose inputs go through a scratch copy).
            int full = Math.Min(t1, p / span);
            while (t0 < full)
            {
                int tb = Math.Min(full, t0 + block);
                for (int panel = panel0; panel < panel1; panel++)
                {
                    int k0 = panel * PointwiseRows, rows = Math.Min(PointwiseRows, K - k0);
                    float* w = a.PackedW + (long)k0 * C, bias = a.Bias == null ? null : a.Bias + k0;
                    if (bias != null && rows < PointwiseRows)
                    {
                        for (int r = 0; r < PointwiseRows; r++) tailBias[r] = r < rows ? bias[r] : 0;
                        bias = tailBias;
                    }
                    for (int t = t0; t < tb; t++)
                    {
                        int j0 = t * span;
                        float* o = yb + (long)k0 * p + j0;
                        if (rows == PointwiseRows && typeof(TClamp) != typeof(AfterStore))
                        {
                            float* residual = a.Epilogue.Residual == null ? null : a.Epilogue.Residual + (o - a.Epilogue.Y);
                            RunPointwiseTile<TClamp>(C, span / PointwiseVector, span > PointwisePositions, w, xb + j0, p, bias, residual, o, p);
                            continue;
                        }
                        if (rows == PointwiseRows) RunPointwiseTile<NoClamp>(C, span / PointwiseVector, span > PointwisePositions, w, xb + j0, p, bias, null, o, p);
                        else
                        {
                            // A part-filled panel: through a stack tile, only its rows copied out.
                            RunPointwiseTile<NoClamp>(C, span / PointwiseVector, span > PointwisePositions, w, xb + j0, p, bias, null, tile, PointwiseLongSpan);
                            for (int r = 0; r < rows; r++)
                                new ReadOnlySpan<float>(tile + r * PointwiseLongSpan, span).CopyTo(new Span<float>(o + (long)r * p, span));
                        }
                        if (a.Epilogue.Active) a.Epilogue.ApplyRows(o, rows, p, span);
                    }
                }
                t0 = tb;
            }
        }
        for (int t = t0; t < t1; t++)
        {
            // A long tile (span 49, which tiles the plane exactly) is 3 vectors and a column.
            int j0 = t * span, width = Math.Min(span, p - j0);
            bool column = width > PointwisePositions;
            int vectors = (width - (column ? 1 : 0) + PointwiseVector - 1) / PointwiseVector, lanes = vectors * PointwiseVector;
            int computed = lanes + (column ? 1 : 0);
            float* xs = xb + j0;
            long xStride = p;
            if (j0 + lanes > p)
            {
                // A short last tile: its inputs zero-padded to whole vectors in a scratch copy (reading past the plane
                // would read the next row, or past the buffer on the last one).
                float* scratch = Grow(ws.WorkspaceA, worker, (long)C * lanes);
                for (int c = 0; c < C; c++)
                {
                    new ReadOnlySpan<float>(xs + (long)c * p, width).CopyTo(new Span<float>(scratch + c * lanes, width));
                    new Span<float>(scratch + c * lanes + width, lanes - width).Clear();
                }
                xs = scratch;
                xStride = lanes;
            }
            else if (t + 1 < t1) PrefetchRows(xs + span, C, p);
            for (int panel = panel0; panel < panel1; panel++)
            {
                int k0 = panel * PointwiseRows, rows = Math.Min(PointwiseRows, K - k0);
                float* w = a.PackedW + (long)k0 * C, bias = a.Bias == null ? null : a.Bias + k0;
                float* o = yb + (long)k0 * p + j0;
                if (rows == PointwiseRows && width == computed && typeof(TClamp) != typeof(AfterStore))
                {
                    // The whole epilogue in registers: the residual's rows sit at the output's offsets.
                    float* residual = a.Epilogue.Residual == null ? null : a.Epilogue.Residual + (o - a.Epilogue.Y);
                    RunPointwiseTile<TClamp>(C, vectors, column, w, xs, xStride, bias, residual, o, p);
                    continue;
                }
                if (rows == PointwiseRows && width == computed) RunPointwiseTile<NoClamp>(C, vectors, column, w, xs, xStride, bias, null, o, p);
                else
                {
                    // A part-filled panel or a short tile: through a stack tile, only its outputs copied out.
                    if (bias != null && rows < PointwiseRows)
                    {
                        for (int r = 0; r < PointwiseRows; r++) tailBias[r] = r < rows ? bias[r] : 0;
                        bias = tailBias;
                    }
                    RunPointwiseTile<NoClamp>(C, vectors, column, w, xs, xStride, bias, null, tile, PointwiseLongSpan);
                    for (int r = 0; r < rows; r++)
                        new ReadOnlySpan<float>(tile + r * PointwiseLongSpan, width).CopyTo(new Span<float>(o + (long)r * p, width));
                }
                if (a.Epilogue.Active) a.Epilogue.ApplyRows(o, rows, p, width);
            }
        }
    }

    /// <summary>
    /// Most bytes of input of a block of pointwise tiles (<see cref="PointwiseBlockTiles"/>), kept in L2 while each panel
    /// runs over the block; settable so tests and the A/B run one tile at a time (0). In-process A/B (one thread's CPU
    /// time, `Strider.Benchmarks pointwise-block 1 98304 all cold`, 64 MB written between calls as in a network's pass):
    /// 0.69-0.83x on MobileNetV2's 16 -> 96 at 112x112, 0.80-0.88x on 24 -> 144 at 56x56, 0.90x on 32 -> 192 at 28x28;
    /// hot (`... all`) 0.96-1.0x.
    /// </summary>
    internal static int PointwiseBlockBytes = 96 * 1024;

    /// <summary>Full tiles of <paramref name="span"/> positions per block at depth <paramref name="depth"/>: as many as keep the block's inputs in <see cref="PointwiseBlockBytes"/>, at least 1.</summary>
    internal static int PointwiseBlockTiles(int depth, int span) => Math.Max(1, PointwiseBlockBytes / (depth * span * sizeof(float)));

    /// <summary>Packs panel <paramref name="item"/> of the weights (w[K, C] at W) into PackedW as [C][8], rows past K zero.</summary>
    internal static void PackPointwisePanelItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, k0 = item * PointwiseRows, rows = Math.Min(PointwiseRows, K - k0);
        float* dst = a.PackedW + (long)k0 * C;
        for (int c = 0; c < C; c++, dst += PointwiseRows)
        {
            int r = 0;
            for (; r < rows; r++) dst[r] = a.W[(long)(k0 + r) * C + c];
            for (; r < PointwiseRows; r++) dst[r] = 0;
        }
    }

    /// <summary>Asks for the next tile's input rows (C rows of 48 positions, 3 cache lines each) while this tile computes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(float* x, int rows, long stride)
    {
        if (!Sse.IsSupported) return;
        for (int c = 0; c < rows; c++, x += stride)
        {
            Sse.Prefetch0(x);
            Sse.Prefetch0(x + 16);
            Sse.Prefetch0(x + 32);
        }
    }

    /// <summary>
    /// y[r * yStride + j] = TClamp(sum over c &lt; depth of w[c * 8 + r] x[c * xStride + j] + bias[r] + residual[r * yStride + j])
    /// for the 8 rows r and 16 <paramref name="vectors"/> positions j, and the next position too with <paramref name="column"/>
    /// (3 vectors only; a null bias or residual adds nothing).
    /// </summary>
    internal static void RunPointwiseTile<TClamp>(int depth, int vectors, bool column, float* w, float* x, long xStride, float* bias, float* residual, float* y, long yStride)
        where TClamp : struct, IPointwiseClamp
    {
        if (column && vectors != 3) throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "A pointwise tile with a column has 3 vectors.");
        if (!Pointwise512) PointwiseTile256<TClamp>(depth, vectors * PointwiseVector, column, w, x, xStride, bias, residual, y, yStride);
        else if (column) PointwiseTile<ThreeVectorsAndColumn, TClamp>(depth, w, x, xStride, bias, residual, y, yStride);
        else if (vectors == 3) PointwiseTile<ThreeVectors, TClamp>(depth, w, x, xStride, bias, residual, y, yStride);
        else if (vectors == 2) PointwiseTile<TwoVectors, TClamp>(depth, w, x, xStride, bias, residual, y, yStride);
        else PointwiseTile<OneVector, TClamp>(depth, w, x, xStride, bias, residual, y, yStride);
    }

    internal interface IPointwiseVectors
    {
        static abstract int Count { get; }

        /// <summary>Whether the tile has one more position after its vectors: 8 sums in a ymm register, 8 weights times one input.</summary>
        static abstract bool Column { get; }
    }

    internal struct OneVector : IPointwiseVectors { public static int Count => 1; public static bool Column => false; }
    internal struct TwoVectors : IPointwiseVectors { public static int Count => 2; public static bool Column => false; }
    internal struct ThreeVectors : IPointwiseVectors { public static int Count => 3; public static bool Column => false; }
    internal struct ThreeVectorsAndColumn : IPointwiseVectors { public static int Count => 3; public static bool Column => true; }

    /// <summary>
    /// The tile with 512-bit vectors: 8 rows by 1-3 vectors of sums (a constant to the JIT per instantiation), and with
    /// a column the 8 rows' sums of the next position in a ymm register (each lane the same chain of fused multiply-adds).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PointwiseTile<TVectors, TClamp>(int depth, float* w, float* x, long xStride, float* bias, float* residual, float* y, long yStride)
        where TVectors : struct, IPointwiseVectors where TClamp : struct, IPointwiseClamp
    {
        bool two = TVectors.Count > 1, three = TVectors.Count > 2;
        Vector512<float> a0 = default, b0 = default, c0 = default, a1 = default, b1 = default, c1 = default;
        Vector512<float> a2 = default, b2 = default, c2 = default, a3 = default, b3 = default, c3 = default;
        Vector512<float> a4 = default, b4 = default, c4 = default, a5 = default, b5 = default, c5 = default;
        Vector512<float> a6 = default, b6 = default, c6 = default, a7 = default, b7 = default, c7 = default;
        Vector256<float> e = default;
        for (int c = 0; c < depth; c++, w += PointwiseRows, x += xStride)
        {
            if (TVectors.Column) e = Vector256.FusedMultiplyAdd(Vector256.Load(w), Vector256.Create(x[PointwisePositions]), e);
            var x0 = Vector512.Load(x);
            var x1 = two ? Vector512.Load(x + 16) : default;
            var x2 = three ? Vector512.Load(x + 32) : default;
            Vector512<float> v;
            v = Vector512.Create(w[0]); a0 = Vector512.FusedMultiplyAdd(x0, v, a0); if (two) b0 = Vector512.FusedMultiplyAdd(x1, v, b0); if (three) c0 = Vector512.FusedMultiplyAdd(x2, v, c0);
            v = Vector512.Create(w[1]); a1 = Vector512.FusedMultiplyAdd(x0, v, a1); if (two) b1 = Vector512.FusedMultiplyAdd(x1, v, b1); if (three) c1 = Vector512.FusedMultiplyAdd(x2, v, c1);
            v = Vector512.Create(w[2]); a2 = Vector512.FusedMultiplyAdd(x0, v, a2); if (two) b2 = Vector512.FusedMultiplyAdd(x1, v, b2); if (three) c2 = Vector512.FusedMultiplyAdd(x2, v, c2);
            v = Vector512.Create(w[3]); a3 = Vector512.FusedMultiplyAdd(x0, v, a3); if (two) b3 = Vector512.FusedMultiplyAdd(x1, v, b3); if (three) c3 = Vector512.FusedMultiplyAdd(x2, v, c3);
            v = Vector512.Create(w[4]); a4 = Vector512.FusedMultiplyAdd(x0, v, a4); if (two) b4 = Vector512.FusedMultiplyAdd(x1, v, b4); if (three) c4 = Vector512.FusedMultiplyAdd(x2, v, c4);
            v = Vector512.Create(w[5]); a5 = Vector512.FusedMultiplyAdd(x0, v, a5); if (two) b5 = Vector512.FusedMultiplyAdd(x1, v, b5); if (three) c5 = Vector512.FusedMultiplyAdd(x2, v, c5);
            v = Vector512.Create(w[6]); a6 = Vector512.FusedMultiplyAdd(x0, v, a6); if (two) b6 = Vector512.FusedMultiplyAdd(x1, v, b6); if (three) c6 = Vector512.FusedMultiplyAdd(x2, v, c6);
            v = Vector512.Create(w[7]); a7 = Vector512.FusedMultiplyAdd(x0, v, a7); if (two) b7 = Vector512.FusedMultiplyAdd(x1, v, b7); if (three) c7 = Vector512.FusedMultiplyAdd(x2, v, c7);
        }
        StoreRow<TVectors, TClamp>(y, a0, b0, c0, bias, residual, 0 * yStride, 0);
        StoreRow<TVectors, TClamp>(y + yStride, a1, b1, c1, bias, residual, 1 * yStride, 1);
        StoreRow<TVectors, TClamp>(y + 2 * yStride, a2, b2, c2, bias, residual, 2 * yStride, 2);
        StoreRow<TVectors, TClamp>(y + 3 * yStride, a3, b3, c3, bias, residual, 3 * yStride, 3);
        StoreRow<TVectors, TClamp>(y + 4 * yStride, a4, b4, c4, bias, residual, 4 * yStride, 4);
        StoreRow<TVectors, TClamp>(y + 5 * yStride, a5, b5, c5, bias, residual, 5 * yStride, 5);
        StoreRow<TVectors, TClamp>(y + 6 * yStride, a6, b6, c6, bias, residual, 6 * yStride, 6);
        StoreRow<TVectors, TClamp>(y + 7 * yStride, a7, b7, c7, bias, residual, 7 * yStride, 7);
        if (TVectors.Column) StoreColumn<TClamp>(y + PointwisePositions, e, bias, residual == null ? null : residual + PointwisePositions, yStride);
    }

    /// <summary>
    /// A column's 8 rows' sums plus their bias, then their residual values (each the separate op's one rounding), clamped
    /// by the activation's 8-lane form, into y at rows <paramref name="yStride"/> apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumn<TClamp>(float* y, Vector256<float> s, float* bias, float* residual, long yStride) where TClamp : struct, IPointwiseClamp
    {
        if (bias != null) s += Vector256.Load(bias);
        if (residual != null)
            s += Vector256.Create(residual[0], residual[yStride], residual[2 * yStride], residual[3 * yStride],
                residual[4 * yStride], residual[5 * yStride], residual[6 * yStride], residual[7 * yStride]);
        s = TClamp.Apply(s);
        for (int r = 0; r < PointwiseRows; r++) y[r * yStride] = s.GetElement(r);
    }

    /// <summary>One row of the tile plus its bias, then its residual row at <paramref name="offset"/> (each the separate op's one rounding), clamped, into y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TVectors, TClamp>(float* y, Vector512<float> a, Vector512<float> b, Vector512<float> c, float* bias, float* residual, long offset, int row)
        where TVectors : struct, IPointwiseVectors where TClamp : struct, IPointwiseClamp
    {
        if (bias != null)
        {
            var v = Vector512.Create(bias[row]);
            (a, b, c) = (a + v, b + v, c + v);
        }
        if (residual != null)
        {
            float* r = residual + offset;
            a += Vector512.Load(r);
            if (TVectors.Count > 1) b += Vector512.Load(r + 16);
            if (TVectors.Count > 2) c += Vector512.Load(r + 32);
        }
        TClamp.Apply(a).Store(y);
        if (TVectors.Count > 1) TClamp.Apply(b).Store(y + 16);
        if (TVectors.Count > 2) TClamp.Apply(c).Store(y + 32);
    }

    /// <summary>
    /// The tile with 256-bit vectors (machines without AVX-512): 8 positions at a time, their 8 rows' sums in ymm
    /// registers, in the same order as <see cref="PointwiseTile{TVectors, TClamp}"/> (the same bits), then the column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PointwiseTile256<TClamp>(int depth, int positions, bool column, float* w, float* x, long xStride, float* bias, float* residual, float* y, long yStride)
        where TClamp : struct, IPointwiseClamp
    {
        if (column)
        {
            Vector256<float> e = default;
            float* xc = x + positions, wc = w;
            for (int c = 0; c < depth; c++, wc += PointwiseRows, xc += xStride) e = Vector256.FusedMultiplyAdd(Vector256.Load(wc), Vector256.Create(*xc), e);
            StoreColumn<TClamp>(y + positions, e, bias, residual == null ? null : residual + positions, yStride);
        }
        for (int j = 0; j < positions; j += 8)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            float* xc = x + j, wc = w;
            for (int c = 0; c < depth; c++, wc += PointwiseRows, xc += xStride)
            {
                var xv = Vector256.Load(xc);
                s0 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[0]), s0);
                s1 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[1]), s1);
                s2 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[2]), s2);
                s3 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[3]), s3);
                s4 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[4]), s4);
                s5 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[5]), s5);
                s6 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[6]), s6);
                s7 = Vector256.FusedMultiplyAdd(xv, Vector256.Create(wc[7]), s7);
            }
            float* o = y + j, r = residual == null ? null : residual + j;
            Store256(o, s0, bias, r, 0); Store256(o + yStride, s1, bias, r, 1);
            Store256(o + 2 * yStride, s2, bias, r, 2); Store256(o + 3 * yStride, s3, bias, r, 3);
            Store256(o + 4 * yStride, s4, bias, r, 4); Store256(o + 5 * yStride, s5, bias, r, 5);
            Store256(o + 6 * yStride, s6, bias, r, 6); Store256(o + 7 * yStride, s7, bias, r, 7);
        }

        void Store256(float* d, Vector256<float> s, float* bias, float* r, int row)
        {
            if (bias != null) s += Vector256.Create(bias[row]);
            if (r != null) s += Vector256.Load(r + row * yStride);
            TClamp.Apply(s).Store(d);
        }
    }
}

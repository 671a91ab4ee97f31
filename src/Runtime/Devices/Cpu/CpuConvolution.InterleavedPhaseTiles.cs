using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

/// <summary>
/// The phase split's sub-convs on the channel tiles with every tile stored straight into dx: the column phases of one
/// row phase rh run on one grid of the widest phase's nh x nw positions (a narrower phase computes its last column and
/// drops it), each tile computing all of them for the same positions, so a tile's phases interleave in registers into
/// whole dx rows (a register transpose of both phases' rows in dx order at stride 2). No phase buffer and no interleave pass over dx (8 x 32 x 77 x 77
/// values written, read back and written again in W3's U-net); bias, accumulate and the epilogue as the interleave applies them.
/// The panels run tap row by tap row, so a tile whose rows reach dY's padding skips those tap rows (zero terms).
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>
    /// Runs the phase split's tiles into a phase buffer and interleaves it into dx in a pass of its own (the earlier way)
    /// instead of storing each tile's phases into dx (settable, for A/B runs and for tests of both paths).
    /// </summary>
    internal static bool InterleavedTilesOff;

    internal struct InterleavedArgs
    {
        /// <summary>The grid of row phase Rh (its rows, the widest column phase's columns) as the tiles' layout: lanes, runs and panel groups.</summary>
        public ConvArgs Tiles;
        public PhaseArgs* Phase;
        /// <summary>Row phase, and its column phases with outputs (the first Phases of 0 .. StrideW - 1); its tap rows and their padding.</summary>
        public int Rh, Phases, TapRows, RowPad;
        /// <summary>Per column phase: depth (K th tw), its channel panels, its tap shifts and its columns' offset in the padded copy.</summary>
        public fixed int Depth[MaxPhaseStride];
        public fixed long Panels[MaxPhaseStride], Shifts[MaxPhaseStride], QOffset[MaxPhaseStride];
    }

    /// <summary>Whether every phase's sub-conv runs on the channel tiles (and neither switch is off), so the tiles can store into dx.</summary>
    internal static bool InterleavedTilesApply(in ConvGeometry g)
    {
        if (PhaseTilesOff || InterleavedTilesOff) return false;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH);
            if (ph.Count == 0) continue;
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = PhaseAxis(rw, g.StrideW, g.KernelW, g.PadLeft, g.InW);
                if (pw.Count > 0 && !ConvolutionAlgorithm.ChannelTilesApply(g.OutChannels * ph.Taps * pw.Taps, g.InChannels)) return false;
            }
        }
        return true;
    }

    /// <summary>
    /// dx (+)= every phase, row phase by row phase, each tile's column phases stored interleaved into dx's rows; the
    /// padded copy of dY filled (<paramref name="shared"/>), the kept weights at the phase args' Subs.
    /// </summary>
    internal static void InterleavedPhaseTiles(CpuWorkspace ws, PhaseArgs* phase, in ConvArgs shared, int padH, int padW)
    {
        ref readonly ConvGeometry g = ref phase->G;
        int C = g.InChannels, K = g.OutChannels, sw = g.StrideW, widest = PhaseAxis(0, sw, g.KernelW, g.PadLeft, g.InW).Count;
        int panels = (C + TileChannels - 1) / TileChannels;
        var a = new InterleavedArgs { Phase = phase };
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH);
            if (ph.Count == 0) continue;
            (a.Rh, a.TapRows, a.RowPad) = (rh, ph.Taps, ph.Pad);
            a.Phases = 0;
            int depths = 0;
            // Column phases' counts only fall with rw: the first Phases have outputs.
            for (int rw = 0; rw < sw && PhaseAxis(rw, sw, g.KernelW, g.PadLeft, g.InW).Count > 0; rw++)
            {
                a.Depth[rw] = K * ph.Taps * PhaseAxis(rw, sw, g.KernelW, g.PadLeft, g.InW).Taps;
                depths += a.Depth[rw];
                a.Phases++;
            }
            int* shifts = ws.Shifts(depths + Gemm.NR);
            for (int rw = 0, row = 0; rw < a.Phases; rw++)
            {
                var pw = PhaseAxis(rw, sw, g.KernelW, g.PadLeft, g.InW);
                a.Panels[rw] = (long)(phase->Subs + phase->PanelOffsets[rh * sw + rw]);
                a.QOffset[rw] = padW - pw.Pad;
                a.Shifts[rw] = (long)(shifts + row);
                // Tap row by tap row, as the panels (PhaseSplitWeights): a tile's rows of padding are a prefix or suffix.
                for (int r = 0; r < ph.Taps; r++)
                    for (int k = 0; k < K; k++)
                        for (int s = 0; s < pw.Taps; s++, row++)
                            shifts[row] = checked((int)(k * shared.QPlane + (long)r * shared.Wq + s));
            }
            // The grid: row phase rh's rows by the widest column phase's columns, read from the copy's rows (Pmax - pad) on.
            ref ConvArgs t = ref a.Tiles;
            t = new ConvArgs
            {
                G = new ConvGeometry(K, g.OutH, g.OutW, C, ph.Count, widest, ph.Taps, 1, 1, 1, ph.Pad, 0, 1, 1), N = phase->N,
                Q = shared.Q + (long)(padH - ph.Pad) * shared.Wq, Hq = shared.Hq, Wq = shared.Wq, QPlane = shared.QPlane, QImage = shared.QImage,
            };
            long columns = (long)phase->N * ph.Count * widest;
            // Items as the forward's tiles choose them, for all column phases' panels together.
            SplitTiles(ref t, columns, depths, panels, ws.Workers);
            ws.Run(&a, t.ChannelBlocks * t.ItemsPerImage, &InterleavedTilesItem);
        }
    }

    /// <summary>One group of channel panels over one run of the grid's tiles: every column phase's tile, stored into dx; then the epilogue on the dx rows it finished.</summary>
    internal static void InterleavedTilesItem(object state, void* args, int item, int worker)
    {
        var a = (InterleavedArgs*)args;
        ref readonly ConvArgs t = ref a->Tiles;
        ref readonly PhaseArgs phase = ref *a->Phase;
        ref readonly ConvGeometry g = ref phase.G;
        int group = item / t.ItemsPerImage, run = item % t.ItemsPerImage, C = g.InChannels, nw = t.G.OutW, p = t.G.OutH * nw;
        int panel0 = group * t.ChannelBlock, panel1 = Math.Min((C + TileChannels - 1) / TileChannels, panel0 + t.ChannelBlock);
        long columns = (long)t.N * p, plane = (long)g.InH * g.InW;
        int* lanes = stackalloc int[TilePositions];
        long* outputs = stackalloc long[TilePositions];
        const int TileFloats = MaxTilePositions * TileChannels;
        float* tiles = stackalloc float[a->Phases * TileFloats];
        int t1 = Math.Min(t.Chunks, (run + 1) * t.ChunksPerItem);
        for (int tile = run * t.ChunksPerItem; tile < t1; tile++)
        {
            long first = (long)tile * TilePositions;
            int count = (int)Math.Min(TilePositions, columns - first);
            float* q = TileLanes(t, first, count, lanes, outputs, out _);
            PrefetchRows(a, first, count, panel0 * TileChannels, Math.Min(C, panel1 * TileChannels));
            // Tap rows r0 .. r1 - 1 reach dY for some of the tile's rows; the others read only padding (zero terms, skipped).
            long last = first + count - 1;
            int row0 = (int)(first % p) / nw, row1 = (int)(last % p) / nw;
            if (first / p != last / p) (row0, row1) = (0, t.G.OutH - 1);
            int r0 = Math.Max(0, a->RowPad - row1), r1 = Math.Max(r0, Math.Min(a->TapRows, g.OutH + a->RowPad - row0));
            for (int panel = panel0; panel < panel1; panel++)
            {
                int m0 = panel * TileChannels, width = PanelWidth(C, panel), channels = Math.Min(width, C - m0);
                for (int rw = 0; rw < a->Phases; rw++)
                {
                    int depth = a->Depth[rw], rowDepth = depth / a->TapRows;
                    RunChannelTile((r1 - r0) * rowDepth, width, count, (float*)a->Panels[rw] + (long)m0 * depth + (long)r0 * rowDepth * width, q + a->QOffset[rw],
                        (int*)a->Shifts[rw] + r0 * rowDepth, lanes, tiles + rw * TileFloats);
                }
                // The tile's positions row piece by row piece of the grid (a tile runs on across rows and images).
                for (int j = 0; j < count;)
                {
                    long pos = first + j;
                    int b = (int)(pos / p), i = (int)(pos % p) / nw, col = (int)(pos % p) % nw, length = Math.Min(count - j, nw - col);
                    float* row = phase.Dx + ((long)b * C + m0) * plane + (long)(a->Rh + g.StrideH * i) * g.InW;
                    StoreInterleaved(a, tiles + j * TileChannels, length, channels, row, col, plane, phase.Bias == null ? null : phase.Bias + m0);
                    j += length;
                }
            }
        }
        if (!phase.Epilogue.Active) return;
        // The epilogue on the dx row pieces this item finished (every column phase of its positions, its group's channels).
        long c0 = (long)run * t.ChunksPerItem * TilePositions, c1 = Math.Min(columns, (long)t1 * TilePositions);
        int channel0 = panel0 * TileChannels, groupChannels = Math.Min(C, panel1 * TileChannels) - channel0;
        while (c0 < c1)
        {
            int b = (int)(c0 / p), i = (int)(c0 % p) / nw, col = (int)(c0 % p) % nw, length = (int)Math.Min(c1 - c0, nw - col);
            int iw0 = g.StrideW * col, iw1 = Math.Min(g.InW, g.StrideW * (col + length));
            float* row = phase.Dx + ((long)b * C + channel0) * plane + (long)(a->Rh + g.StrideH * i) * g.InW + iw0;
            phase.Epilogue.ApplyRows(row, groupChannels, plane, iw1 - iw0);
            c0 += length;
        }
    }

    /// <summary>
    /// Asks for the dx lines of a tile's positions (channels c0 .. c1) into L2 before its tiles are computed: dx (6 MB
    /// in W3's U-net) is not in cache, and its stores' misses stalled the tiles once the store buffer filled.
    /// </summary>
    private static void PrefetchRows(InterleavedArgs* a, long first, int count, int c0, int c1)
    {
        if (!Sse.IsSupported) return;
        ref readonly PhaseArgs phase = ref *a->Phase;
        ref readonly ConvGeometry g = ref phase.G;
        int nw = a->Tiles.G.OutW, p = a->Tiles.G.OutH * nw;
        long plane = (long)g.InH * g.InW;
        for (int j = 0; j < count;)
        {
            long pos = first + j;
            int b = (int)(pos / p), i = (int)(pos % p) / nw, col = (int)(pos % p) % nw, length = Math.Min(count - j, nw - col);
            int iw0 = g.StrideW * col, iw1 = Math.Min(g.InW, g.StrideW * (col + length));
            byte* row = (byte*)(phase.Dx + ((long)b * g.InChannels + c0) * plane + (long)(a->Rh + g.StrideH * i) * g.InW + iw0);
            // Whole lines from the piece's first one to its last.
            long start = (long)row & 63, bytes = start + (long)(iw1 - iw0) * sizeof(float);
            for (int c = c0; c < c1; c++, row += plane * sizeof(float))
                for (long o = -start; o < bytes - start; o += 64) Sse.Prefetch1(row + o);
            j += length;
        }
    }

    /// <summary>
    /// dx (+)= a row piece of <paramref name="length"/> grid positions from column <paramref name="col"/> on, every
    /// column phase's value (tile rw at tiles + rw x 512, [position][channel]) at dx column rw + sw (col + j), then +
    /// bias; columns past dx's width dropped. Stride 2 interleaves 4 positions of both phases into 8 dx values by
    /// one register transpose (pieces of 4 or more); the rest a value at a time.
    /// </summary>
    private static void StoreInterleaved(InterleavedArgs* a, float* tiles, int length, int channels, float* row, int col, long plane, float* bias)
    {
        ref readonly PhaseArgs phase = ref *a->Phase;
        int sw = phase.G.StrideW, inW = phase.G.InW;
        bool acc = phase.Accumulate;
        const int TileFloats = MaxTilePositions * TileChannels;
        int vectorLength = 0;
        if (sw == 2 && a->Phases == 2 && Avx.IsSupported)
        {
            // The last position's odd column may be past dx's width: that position goes a value at a time.
            vectorLength = 2 * (col + length - 1) + 1 < inW ? length : length - 1;
            if (vectorLength < 4) vectorLength = 0;
        }
        if (vectorLength > 0) StoreInterleaved2(tiles, tiles + TileFloats, vectorLength, channels, row + 2 * col, plane, bias, acc);
        for (int j = vectorLength; j < length; j++)
            for (int rw = 0; rw < a->Phases; rw++)
            {
                int iw = rw + sw * (col + j);
                if (iw >= inW) continue;
                float* src = tiles + rw * TileFloats + j * TileChannels;
                for (int v = 0; v < channels; v++)
                {
                    float* d = row + v * plane + iw;
                    float value = acc ? *d + src[v] : src[v];
                    *d = bias == null ? value : value + bias[v];
                }
            }
    }

    /// <summary>
    /// dx[v, 2j] and dx[v, 2j + 1] (+)= even[j][v] and odd[j][v] (+ bias[v]) for j &lt; length (at least 4): blocks of 4
    /// positions, each one 8x8 register transpose of its rows in dx order (even j, odd j, even j + 1, ...) giving every
    /// channel's 8 dx values; the last block overlapping (accumulating, the overlap keeps the values stored already).
    /// </summary>
    private static void StoreInterleaved2(float* even, float* odd, int length, int channels, float* dx, long plane, float* bias, bool acc)
    {
        var lane = Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7);
        for (int v0 = 0; v0 < channels; v0 += 8)
        {
            int rows = Math.Min(8, channels - v0);
            for (int j0 = 0, done = 0; ; done = j0 + 4, j0 = Math.Min(j0 + 4, length - 4))
            {
                float* e = even + j0 * TileChannels + v0, o = odd + j0 * TileChannels + v0;
                var r0 = Vector256.Load(e); var r1 = Vector256.Load(o);
                var r2 = Vector256.Load(e + TileChannels); var r3 = Vector256.Load(o + TileChannels);
                var r4 = Vector256.Load(e + 2 * TileChannels); var r5 = Vector256.Load(o + 2 * TileChannels);
                var r6 = Vector256.Load(e + 3 * TileChannels); var r7 = Vector256.Load(o + 3 * TileChannels);
                Transpose8x8.InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                // dx values of this block stored by the previous one (an overlapping last block): kept when accumulating.
                var keep = Vector256.LessThan(lane, Vector256.Create(acc ? 2f * Math.Max(0, done - j0) : 0f));
                float* d = dx + v0 * plane + 2 * j0;
                float* b = bias == null ? null : bias + v0;
                Store(d, r0, b, acc, keep);
                if (rows > 1) Store(d + plane, r1, b == null ? null : b + 1, acc, keep);
                if (rows > 2) Store(d + 2 * plane, r2, b == null ? null : b + 2, acc, keep);
                if (rows > 3) Store(d + 3 * plane, r3, b == null ? null : b + 3, acc, keep);
                if (rows > 4) Store(d + 4 * plane, r4, b == null ? null : b + 4, acc, keep);
                if (rows > 5) Store(d + 5 * plane, r5, b == null ? null : b + 5, acc, keep);
                if (rows > 6) Store(d + 6 * plane, r6, b == null ? null : b + 6, acc, keep);
                if (rows > 7) Store(d + 7 * plane, r7, b == null ? null : b + 7, acc, keep);
                if (j0 + 4 >= length) break;
            }
        }

        static void Store(float* d, Vector256<float> v, float* bias, bool acc, Vector256<float> keep)
        {
            if (acc)
            {
                var old = Vector256.Load(d);
                v += old;
                if (bias != null) v += Vector256.Create(*bias);
                v = Avx.BlendVariable(v, old, keep);
            }
            else if (bias != null) v += Vector256.Create(*bias);
            v.Store(d);
        }
    }
}

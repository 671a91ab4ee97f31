using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Devices.Activations;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// The forward pass of a conv from few input channels (an RGB or gray stem) as a direct kernel
/// (<see cref="ConvKernel.ShallowDirect"/>): a tile of 8 output channels by 3 output rows by 16 output columns keeps
/// its 24 zmm sums in registers over the whole C R S depth, each tap one 16-wide load per row from the padded,
/// phase-split copy (see CpuConvolution.Padded.cs; a stride-2 row's taps are contiguous in its phase rows) times 8
/// broadcast weights. Vectors run along output columns, so the tile stores straight into y's rows (no im2col panels
/// 27 deep, no transposing store). Each output is one chain of multiply-adds in C R S order whatever the split: the
/// same bits on any thread count.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Output channels, rows and columns of a shallow tile.</summary>
    internal const int ShallowChannels = 8, ShallowRows = 3, ShallowColumns = 16;

    /// <summary>Switches the shallow direct kernel off (im2col + GEMM or the channel tiles instead), for in-process A/B runs.</summary>
    internal static bool ShallowDirectOff;

    /// <summary>Floats of the shallow tiles' packed weights: blocks of 8 channels, [C R S][8] each, channels past K zero.</summary>
    internal static long ShallowPanelsSize(int outChannels, int depth) => (long)Gemm.RoundUp(outChannels, ShallowChannels) * depth;

    /// <summary>Packs block <paramref name="item"/> of 8 output channels of the weights (w[K, CRS] at W) into PackedW as [CRS][8].</summary>
    internal static void PackShallowPanelItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int K = a.G.OutChannels, crs = a.G.InChannels * a.G.KernelH * a.G.KernelW, m0 = item * ShallowChannels;
        float* dst = a.PackedW + (long)m0 * crs;
        for (int t = 0; t < crs; t++, dst += ShallowChannels)
            for (int v = 0; v < ShallowChannels; v++) dst[v] = m0 + v < K ? a.W[(long)(m0 + v) * crs + t] : 0;
    }

    /// <summary>
    /// Forward by shallow tiles with <paramref name="packedW"/> in <see cref="PackShallowPanelItem"/>'s layout: each
    /// item runs a band of 3-row blocks of one image: it fills its own padded, phase-split copy of the input rows the
    /// band reads (a worker's workspace, kept in L1/L2, instead of a pass over the whole copy before the tiles), then
    /// every channel block and column vector of a row block before the next. A lone Relu or Relu6 (the stems' folded
    /// BatchNorm's activation) is applied in registers at the store (the activation's own 16-lane form: the separate
    /// op's bits); a residual or another activation runs on the rows an item wrote while they are in L1 (a Relu6 pass
    /// there took a third of MobileNetV2's stem). Bands are cut for at least 8 items per worker, so a batch of one
    /// keeps both cores busy.
    /// </summary>
    internal static void ForwardShallow(CpuWorkspace ws, in ConvGeometry g, int n, float* x, float* packedW, float* bias, float* y, in ConvEpilogue epilogue = default)
    {
        if (n == 0) return;
        var conv = new ConvArgs { G = g, N = n, X = x, Y = y, Bias = bias, PackedW = packedW, Epilogue = CpuEpilogue.Of(epilogue, y, (long)n * g.OutputSize) };
        var item = epilogue.Residual is not null ? &ShallowItem<AfterStore> : epilogue.Activation switch
        {
            null => (delegate*<object, void*, int, int, void>)&ShallowItem<NoClamp>,
            Activation.Relu => &ShallowItem<ReluClamp>,
            Activation.Relu6 => &ShallowItem<Relu6Clamp>,
            _ => &ShallowItem<AfterStore>,
        };
        // Row blocks per item: at least 8 items per worker in all (rounded down, so a batch of one's 38 blocks of 112
        // rows are 19 items of 2, not 13 of 3 on two workers).
        int blocks = (g.OutH + ShallowRows - 1) / ShallowRows, perImage = (ItemsPerWorker * ws.Workers + n - 1) / n;
        conv.RowBlocks = Math.Max(1, blocks / perImage);
        conv.ItemsPerImage = (blocks + conv.RowBlocks - 1) / conv.RowBlocks;
        // The padded layout of one band's rows (Hq of them, the most a band reads) and its tap shifts.
        var band = new ConvArgs { G = g with { OutH = Math.Min(g.OutH, conv.RowBlocks * ShallowRows) } };
        PaddedLayout(ws, ref band);
        (conv.Hq, conv.Wq, conv.QPlane) = (band.Hq, band.Wq, band.QPlane);
        conv.Shifts = band.Shifts;
        ws.Run(&conv, n * conv.ItemsPerImage, item);
    }

    /// <summary>One band of row blocks (item % bands) of one image (item / bands): its padded rows, then every channel block, column vector and row block of it.</summary>
    internal static void ShallowItem<TClamp>(object state, void* args, int item, int worker) where TClamp : struct, IPointwiseClamp
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int b = item / a.ItemsPerImage, band = item % a.ItemsPerImage;
        int K = g.OutChannels, crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW, ow = g.OutW;
        int block0 = band * a.RowBlocks, block1 = Math.Min((g.OutH + ShallowRows - 1) / ShallowRows, block0 + a.RowBlocks);
        int oh0 = block0 * ShallowRows, rowsIn = (Math.Min(g.OutH, block1 * ShallowRows) - oh0 - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        // Slack after the copy: a last part-filled column vector reads up to 15 values past its row.
        float* q = Grow(ws.WorkspaceA, worker, g.InChannels * a.QPlane + 2 * Slack) + Slack;
        float* xb = a.X + b * g.InputSize;
        long phasePlane = (long)a.Hq * a.Wq;
        for (int c = 0; c < g.InChannels; c++)
            for (int h = 0; h < rowsIn; h++)
            {
                int ih = oh0 * g.StrideH - g.PadTop + h;
                PadRow(g, a.Wq, (uint)ih < (uint)g.InH ? xb + ((long)c * g.InH + ih) * g.InW : null, q + c * a.QPlane + (long)h * a.Wq, phasePlane);
            }
        long rowStep = (long)g.StrideH * a.Wq;
        float* yb = a.Y + b * g.OutputSize;
        for (int block = block0; block < block1; block++)
        {
            int oh = block * ShallowRows, rows = Math.Min(ShallowRows, g.OutH - oh);
            // Rows past the output's last read row 0's inputs again (inside the copy) and are not stored.
            long step1 = rows > 1 ? rowStep : 0, step2 = rows > 2 ? 2 * rowStep : step1;
            for (int m0 = 0; m0 < K; m0 += ShallowChannels)
            {
                int channels = Math.Min(ShallowChannels, K - m0);
                float* w = a.PackedW + (long)m0 * crs;
                float* yt = yb + (long)m0 * p + (long)oh * ow;
                for (int c0 = 0; c0 < ow; c0 += ShallowColumns)
                    ShallowTile<TClamp>(crs, w, q + (oh - oh0) * rowStep + c0, a.Shifts, step1, step2, yt + c0, p, ow, rows, channels, Math.Min(ShallowColumns, ow - c0),
                        a.Bias == null ? null : a.Bias + m0);
                if (typeof(TClamp) == typeof(AfterStore) && a.Epilogue.Active) a.Epilogue.ApplyRows(yt, channels, p, (long)rows * ow);
            }
        }
    }

    /// <summary>
    /// Sums one tile (8 channels x 3 rows x 16 columns) over the <paramref name="depth"/> taps in registers: tap t reads
    /// 16 values at q + shifts[t] for row 0 (+ step1, step2 for rows 1 and 2) and weights w[t][8]; then stores
    /// TClamp(sum + bias) to the tile's first <paramref name="rows"/> rows, <paramref name="channels"/> channels and
    /// <paramref name="columns"/> columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ShallowTile<TClamp>(int depth, float* w, float* q, int* shifts, long step1, long step2, float* y, long plane, int outW,
        int rows, int channels, int columns, float* bias) where TClamp : struct, IPointwiseClamp
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default, a16 = default, a17 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
        for (int t = 0; t < depth; t++, w += ShallowChannels)
        {
            float* src = q + shifts[t];
            var x0 = Vector512.Load(src);
            var x1 = Vector512.Load(src + step1);
            var x2 = Vector512.Load(src + step2);
            var v = Vector512.Create(w[0]);
            a00 = Avx512F.FusedMultiplyAdd(x0, v, a00); a10 = Avx512F.FusedMultiplyAdd(x1, v, a10); a20 = Avx512F.FusedMultiplyAdd(x2, v, a20);
            v = Vector512.Create(w[1]);
            a01 = Avx512F.FusedMultiplyAdd(x0, v, a01); a11 = Avx512F.FusedMultiplyAdd(x1, v, a11); a21 = Avx512F.FusedMultiplyAdd(x2, v, a21);
            v = Vector512.Create(w[2]);
            a02 = Avx512F.FusedMultiplyAdd(x0, v, a02); a12 = Avx512F.FusedMultiplyAdd(x1, v, a12); a22 = Avx512F.FusedMultiplyAdd(x2, v, a22);
            v = Vector512.Create(w[3]);
            a03 = Avx512F.FusedMultiplyAdd(x0, v, a03); a13 = Avx512F.FusedMultiplyAdd(x1, v, a13); a23 = Avx512F.FusedMultiplyAdd(x2, v, a23);
            v = Vector512.Create(w[4]);
            a04 = Avx512F.FusedMultiplyAdd(x0, v, a04); a14 = Avx512F.FusedMultiplyAdd(x1, v, a14); a24 = Avx512F.FusedMultiplyAdd(x2, v, a24);
            v = Vector512.Create(w[5]);
            a05 = Avx512F.FusedMultiplyAdd(x0, v, a05); a15 = Avx512F.FusedMultiplyAdd(x1, v, a15); a25 = Avx512F.FusedMultiplyAdd(x2, v, a25);
            v = Vector512.Create(w[6]);
            a06 = Avx512F.FusedMultiplyAdd(x0, v, a06); a16 = Avx512F.FusedMultiplyAdd(x1, v, a16); a26 = Avx512F.FusedMultiplyAdd(x2, v, a26);
            v = Vector512.Create(w[7]);
            a07 = Avx512F.FusedMultiplyAdd(x0, v, a07); a17 = Avx512F.FusedMultiplyAdd(x1, v, a17); a27 = Avx512F.FusedMultiplyAdd(x2, v, a27);
        }
        var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns)).AsSingle();
        ShallowRow<TClamp>(y, plane, channels, m, bias, a00, a01, a02, a03, a04, a05, a06, a07);
        if (rows > 1) ShallowRow<TClamp>(y + outW, plane, channels, m, bias, a10, a11, a12, a13, a14, a15, a16, a17);
        if (rows > 2) ShallowRow<TClamp>(y + 2 * outW, plane, channels, m, bias, a20, a21, a22, a23, a24, a25, a26, a27);
    }

    /// <summary>Stores one row of a tile: channel k's TClamp(16 sums + bias[k]) at y + k plane, the columns <paramref name="m"/> selects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShallowRow<TClamp>(float* y, long plane, int channels, Vector512<float> m, float* bias,
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7) where TClamp : struct, IPointwiseClamp
    {
        Store(y, m, s0, bias, 0);
        if (channels > 1) Store(y + plane, m, s1, bias, 1);
        if (channels > 2) Store(y + 2 * plane, m, s2, bias, 2);
        if (channels > 3) Store(y + 3 * plane, m, s3, bias, 3);
        if (channels > 4) Store(y + 4 * plane, m, s4, bias, 4);
        if (channels > 5) Store(y + 5 * plane, m, s5, bias, 5);
        if (channels > 6) Store(y + 6 * plane, m, s6, bias, 6);
        if (channels > 7) Store(y + 7 * plane, m, s7, bias, 7);

        static void Store(float* y, Vector512<float> m, Vector512<float> s, float* bias, int k) =>
            MaskStore512(y, m, TClamp.Apply(bias == null ? s : s + Vector512.Create(bias[k])));
    }
}

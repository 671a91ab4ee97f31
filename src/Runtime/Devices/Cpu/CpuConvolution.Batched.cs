using System;
using Strider.Shapes;
using System.Runtime.CompilerServices;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Convolutions whose output plane is smaller than a column chunk (LeNet's 4x4 -> 1x1 "fully connected" conv, 1x1
/// convs on small maps): the GEMM's column (or depth) axis runs over the (image, position) pairs of the whole batch,
/// column j = b OH OW + oh OW + ow, so a 1x1 output fills a 32-wide panel with 32 images instead of padding one
/// column to 32.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Output channels one batched forward or backward-weights item covers (a multiple of Gemm.MR).</summary>
    internal const int BatchedRowBlock = 128;

    /// <summary>Whether an image's output is smaller than a column chunk and would waste its panels (<see cref="ConvolutionAlgorithm.SmallOutput"/>).</summary>
    internal static bool SmallOutput(in ConvGeometry g) => ConvolutionAlgorithm.SmallOutput(g.OutH, g.OutW);

    /// <summary>Small output, and every lane offset into the whole batch's padded copy fits an int.</summary>
    internal static bool BatchedPadded(in ConvArgs a) => SmallOutput(a.G) && a.N * a.QImage + Slack < int.MaxValue;

    /// <summary>Y[K, (b, p)] = W x col over a chunk of columns and a block of output channels, scattered back to [n, K, P].</summary>
    internal static void ForwardBatchedItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int K = g.OutChannels, crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW;
        int j0 = item / a.RowBlocks * ColumnChunk, m0 = item % a.RowBlocks * BatchedRowBlock;
        int nb = Math.Min(ColumnChunk, a.N * p - j0), rows = Math.Min(BatchedRowBlock, K - m0), mPad = Gemm.RoundUp(K, Gemm.MR);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.KC * ColumnChunk);
        float* tile = Grow(ws.WorkspaceC, worker, (long)BatchedRowBlock * ColumnChunk);
        for (int k0 = 0; k0 < crs; k0 += Gemm.KC)
        {
            int kc = Math.Min(Gemm.KC, crs - k0);
            PackColumnsPadded(a, a.Q, k0, kc, j0, nb, packB);
            // Packed W holds KC-deep blocks of MR-row panels: rows from m0 start m0 kc floats into a block.
            Gemm.RunPacked(rows, nb, kc, a.PackedW + (long)mPad * k0 + (long)m0 * kc, packB, tile, ColumnChunk, k0 > 0);
        }
        for (int j = 0; j < nb;)
        {
            int b = (j0 + j) / p, pos = (j0 + j) % p, run = Math.Min(p - pos, nb - j);
            float* yb = a.Y + b * g.OutputSize + pos;
            for (int m = 0; m < rows; m++)
            {
                float* src = tile + (long)m * ColumnChunk + j, dst = yb + (long)(m0 + m) * p;
                AddScalar(src, dst, run, a.Bias == null ? 0 : a.Bias[m0 + m]);
            }
            if (a.Epilogue.Active) a.Epilogue.ApplyRows(yb + (long)m0 * p, rows, p, run);
            j += run;
        }
    }

    /// <summary>col = W^T dY for a group of whole images and a block of input channels, then col2im per image.</summary>
    internal static void BackwardDataBatchedItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int group = item / a.ChannelBlocks, c0 = item % a.ChannelBlocks * a.ChannelBlock, c1 = Math.Min(g.InChannels, c0 + a.ChannelBlock);
        int b0 = group * a.ImagesPerGroup, b1 = Math.Min(a.N, b0 + a.ImagesPerGroup);
        int rs = g.KernelH * g.KernelW, crs = g.InChannels * rs, p = g.OutH * g.OutW, K = g.OutChannels, plane = g.InH * g.InW;
        int rows = (c1 - c0) * rs, mPad = Gemm.RoundUp(rows, Gemm.MR), nb = (b1 - b0) * p;
        float* packA = Grow(ws.WorkspaceA, worker, (long)mPad * K);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.KC * ColumnChunk);
        float* cols = Grow(ws.WorkspaceC, worker, (long)mPad * ColumnChunk);
        for (int k0 = 0; k0 < K; k0 += Gemm.KC)
            Gemm.PackA(a.W + (long)c0 * rs + (long)k0 * crs, 1, crs, rows, Math.Min(Gemm.KC, K - k0), packA + (long)mPad * k0);
        if (!a.Accumulate)
            for (int b = b0; b < b1; b++) new Span<float>(a.X + b * g.InputSize + (long)c0 * plane, (c1 - c0) * plane).Clear();
        for (int k0 = 0; k0 < K; k0 += Gemm.KC)
        {
            int kc = Math.Min(Gemm.KC, K - k0);
            PackOutputColumns(g, a.Y, k0, kc, b0 * p, nb, packB);
            Gemm.RunPacked(rows, nb, kc, packA + (long)mPad * k0, packB, cols, ColumnChunk, k0 > 0);
        }
        Col2ImImages(g, cols, ColumnChunk, c0 * rs, rows, b1 - b0, a.X + b0 * g.InputSize);
    }

    /// <summary>
    /// <see cref="Col2Im"/> for whole small images side by side in cols (image i at columns i P ..): each row's tap is
    /// decoded once for all the images, as a 1x1 output otherwise pays the decoding per value.
    /// </summary>
    internal static void Col2ImImages(in ConvGeometry g, float* cols, int ldc, int row0, int rows, int images, float* x)
    {
        int rs = g.KernelH * g.KernelW, plane = g.InH * g.InW, p = g.OutH * g.OutW;
        for (int m = 0; m < rows; m++)
        {
            int row = row0 + m, c = row / rs, r = row % rs / g.KernelW, s = row % g.KernelW;
            int dyo = r * g.DilationH - g.PadTop, dxo = s * g.DilationW - g.PadLeft;
            float* src = cols + (long)m * ldc, dst = x + (long)c * plane;
            // The output columns whose input column is inside x, [lo, hi): the same for every row and image.
            int lo = 0, hi = g.OutW;
            while (lo < hi && (uint)(lo * g.StrideW + dxo) >= (uint)g.InW) lo++;
            while (hi > lo && (uint)((hi - 1) * g.StrideW + dxo) >= (uint)g.InW) hi--;
            for (int i = 0; i < images; i++)
                for (int oh = 0; oh < g.OutH; oh++)
                {
                    int ih = oh * g.StrideH + dyo;
                    if ((uint)ih >= (uint)g.InH) continue;
                    float* s0 = src + (long)i * p + oh * g.OutW, d0 = dst + (long)i * g.InputSize + (long)ih * g.InW + dxo;
                    for (int ow = lo; ow < hi; ow++) d0[ow * g.StrideW] += s0[ow];
                }
        }
    }

    /// <summary>This item's rows of its partial dW += dY[rows, (b, p)] col[CRS, (b, p)]^T over its runs of batch columns.</summary>
    internal static void BackwardWeightsBatchedItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, p = g.OutH * g.OutW, K = g.OutChannels, total = a.N * p;
        int part = item / a.RowBlocks, m0 = item % a.RowBlocks * BatchedRowBlock, rows = Math.Min(BatchedRowBlock, K - m0);
        int u0 = (int)((long)part * a.Chunks / a.Partials), u1 = (int)((long)(part + 1) * a.Chunks / a.Partials);
        float* target = (a.Partials == 1 ? a.W : a.PackedW + (long)part * K * crs) + (long)m0 * crs;
        if (a.Partials > 1) new Span<float>(target, rows * crs).Clear();
        float* packA = Grow(ws.WorkspaceA, worker, (long)BatchedRowBlock * Gemm.KC);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.RoundUp(crs, Gemm.NR) * Gemm.KC);
        int* lanes = (int*)Grow(ws.WorkspaceC, worker, Gemm.KC);
        for (int u = u0; u < u1; u++)
        {
            int first = u * Gemm.KC, kc = Math.Min(Gemm.KC, total - first);
            PackOutputRows(g, a.Y, m0, rows, first, kc, packA);
            PackRowsPadded(a, a.Q, crs, first, kc, lanes, packB);
            Gemm.RunPacked(rows, crs, kc, packA, packB, target, crs, accumulate: true);
        }
    }

    /// <summary>The offset in [n, K, P] of batch column j (image j / P, position j % P) at channel 0.</summary>
    internal static long OutputOffset(in ConvGeometry g, int p, int j) => j / p * g.OutputSize + j % p;

    /// <summary>Packs B[k, j] = dy[image, k0 + k, position] for batch columns first .. first + nb into NR-column panels.</summary>
    internal static void PackOutputColumns(in ConvGeometry g, float* dy, int k0, int kc, int first, int nb, float* dst)
    {
        int p = g.OutH * g.OutW;
        long* offsets = stackalloc long[Gemm.NR];
        for (int j0 = 0; j0 < nb; j0 += Gemm.NR)
        {
            int count = Math.Min(Gemm.NR, nb - j0);
            for (int j = 0; j < count; j++) offsets[j] = OutputOffset(g, p, first + j0 + j);
            for (int k = 0; k < kc; k++, dst += Gemm.NR)
            {
                float* row = dy + (long)(k0 + k) * p;
                int j = 0;
                for (; j < count; j++) dst[j] = row[offsets[j]];
                for (; j < Gemm.NR; j++) dst[j] = 0;
            }
        }
    }

    /// <summary>Packs A[m, k] = dy[image, m0 + m, position] for m &lt; rows and batch columns first .. first + kc into MR-row panels.</summary>
    internal static void PackOutputRows(in ConvGeometry g, float* dy, int m0, int rows, int first, int kc, float* dst)
    {
        int p = g.OutH * g.OutW;
        long* offsets = stackalloc long[Gemm.KC];
        for (int k = 0; k < kc; k++) offsets[k] = OutputOffset(g, p, first + k) + (long)m0 * p;
        for (int r0 = 0; r0 < rows; r0 += Gemm.MR)
        {
            int mr = Math.Min(Gemm.MR, rows - r0);
            for (int k = 0; k < kc; k++, dst += Gemm.MR)
            {
                float* s = dy + offsets[k] + (long)r0 * p;
                int i = 0;
                for (; i < mr; i++) dst[i] = s[(long)i * p];
                for (; i < Gemm.MR; i++) dst[i] = 0;
            }
        }
    }
}

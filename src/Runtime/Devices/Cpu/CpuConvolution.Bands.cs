using System;
using System.Runtime.CompilerServices;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Strided col2im backward data with fewer (image, dx channel block) items than workers: the U-net's 1-channel deconv
/// (32x781x781 -> 1x1565x1565) was one item, so one core, 13% of W4's two-thread pass. dY's rows are cut into
/// <see cref="ConvolutionAlgorithm.ColumnBands"/> bands fixed by the geometry; the even bands run on the workers, then
/// the odd ones, each scattering into one shared phase-split accumulator. Two bands of one pass lie a whole band apart, more rows than
/// the kernel spans, so they never add into the same value, and since the bands do not depend on the worker count
/// neither do the bits.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Runs strided col2im as one item per (image, channel block) even where the bands apply: for the in-process A/B benchmark only.</summary>
    internal static bool BandsOff;

    /// <summary>Whether a strided col2im of <paramref name="n"/> images runs by bands (<see cref="ConvolutionAlgorithm.ColumnBandsApply"/>).</summary>
    internal static bool BandsApply(in ConvGeometry g, int n) => ConvolutionAlgorithm.ColumnBandsApply((long)n * g.InChannels, g.OutH, g.OutW, g.StrideW);

    /// <summary>dY rows per band: an even share, and at least the rows whose scatters can meet ((R - 1) dh / sh, rounded up).</summary>
    internal static int BandRows(in ConvGeometry g) =>
        Math.Max(((g.KernelH - 1) * g.DilationH + g.StrideH - 1) / g.StrideH, (g.OutH + ConvolutionAlgorithm.ColumnBands - 1) / ConvolutionAlgorithm.ColumnBands);

    internal static void BackwardDataByBands(CpuWorkspace ws, ref ConvArgs conv)
    {
        ref readonly ConvGeometry g = ref conv.G;
        conv.BandRows = BandRows(g);
        int bands = (g.OutH + conv.BandRows - 1) / conv.BandRows;
        for (int b = 0; b < conv.N; b++)
            for (int c0 = 0; c0 < g.InChannels; c0 += conv.ChannelBlock)
            {
                int c1 = Math.Min(g.InChannels, c0 + conv.ChannelBlock);
                (conv.BandImage, conv.BandChannel0, conv.BandChannel1) = (b, c0, c1);
                long planes = (c1 - c0) * conv.QPlane;
                conv.BandAcc = ws.PhaseOut(planes);
                new Span<float>(conv.BandAcc, checked((int)planes)).Clear();
                fixed (ConvArgs* args = &conv)
                {
                    conv.BandParity = 0;
                    ws.Run(args, (bands + 1) / 2, &BandItem);
                    conv.BandParity = 1;
                    ws.Run(args, bands / 2, &BandItem);
                }
                float* dxb = conv.X + b * g.InputSize + (long)c0 * g.InH * g.InW;
                if (!conv.Accumulate) new Span<float>(dxb, (c1 - c0) * g.InH * g.InW).Clear();
                for (int c = c0; c < c1; c++) UnpadAdd(conv, conv.BandAcc + (c - c0) * conv.QPlane, dxb + (long)(c - c0) * g.InH * g.InW);
            }
    }

    /// <summary>Band 2 item + parity: W^T dY over its rows' columns, chunk by chunk, scattered into the shared accumulator.</summary>
    private static void BandItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int band = 2 * item + a.BandParity, r0 = band * a.BandRows, r1 = Math.Min(g.OutH, r0 + a.BandRows);
        int c0 = a.BandChannel0, rs = g.KernelH * g.KernelW, crs = g.InChannels * rs, p = g.OutH * g.OutW, K = g.OutChannels;
        int rows = (a.BandChannel1 - c0) * rs, mPad = Gemm.RoundUp(rows, Gemm.MR);
        float* packA = Grow(ws.WorkspaceA, worker, (long)mPad * K);
        float* packB = Grow(ws.WorkspaceB, worker, (long)Gemm.KC * ColumnChunk);
        float* cols = Grow(ws.WorkspaceC, worker, (long)mPad * ColumnChunk);
        for (int k0 = 0; k0 < K; k0 += Gemm.KC)
            Gemm.PackA(a.W + (long)c0 * rs + (long)k0 * crs, 1, crs, rows, Math.Min(Gemm.KC, K - k0), packA + (long)mPad * k0);
        float* dyb = a.Y + a.BandImage * g.OutputSize;
        for (int n0 = r0 * g.OutW, end = r1 * g.OutW; n0 < end; n0 += ColumnChunk)
        {
            int nb = Math.Min(ColumnChunk, end - n0);
            for (int k0 = 0; k0 < K; k0 += Gemm.KC)
            {
                int kc = Math.Min(Gemm.KC, K - k0);
                Gemm.PackB(dyb + (long)k0 * p + n0, p, 1, kc, nb, packB);
                Gemm.RunPacked(rows, nb, kc, packA + (long)mPad * k0, packB, cols, ColumnChunk, k0 > 0);
            }
            Col2ImPhased(a, cols, ColumnChunk, c0 * rs, rows, n0, nb, a.BandAcc - c0 * a.QPlane);
        }
    }
}

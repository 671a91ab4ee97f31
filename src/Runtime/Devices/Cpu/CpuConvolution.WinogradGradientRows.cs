using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

/// <summary>
/// The Winograd weight gradient with x's tiles read as rows (<see cref="WinogradGradientRowsApply"/>): each input row
/// split into its even and odd columns gives 8 tiles of a tile row a vector from contiguous loads, where the gathers read
/// 8 channels' planes for each of a tile's 16 values. x's transformed tiles are kept a channel a row (the GEMM's A operand
/// in place), dY's are packed into 32-channel B panels, and dU[e] is C x K.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Input channels per item of <see cref="WinogradGradientRowsWeightsItem"/>: a kernel's 16 are 9 whole lines of dW.</summary>
    internal const int WinogradGradientBackBlock = 16;

    /// <summary>
    /// Transform item <paramref name="item"/> of a unit read as rows: x's tiles of 8 input channels (items below C / 8),
    /// then dY's (A dY A^T) of 32 output channels into a B panel, channels past K written as zeros.
    /// </summary>
    private static void WinogradGradientRowsTransform(in WinogradGradientArgs a, int item, int worker)
    {
        ref readonly ConvGeometry g = ref a.G;
        int xBlocks = (g.InChannels + Gemm.MR - 1) / Gemm.MR;
        if (item < xBlocks)
        {
            WinogradGradientInputTiles(a, item * Gemm.MR, a.Rows + (long)worker * a.RowFloats);
            return;
        }
        long plane = a.DyPlane, outPlane = (long)g.OutH * g.OutW;
        int k0 = (item - xBlocks) * Gemm.NR;
        float* panel = a.PackedDy + (long)k0 * a.Count;
        // Tiles outer, the panel's channels inner: each tile's element e of the panel is one run of its lanes.
        for (int tl = 0; tl < a.Count; tl++)
        {
            int t = a.FirstTile + tl, b = t / a.ImageTiles, tt = t % a.ImageTiles, oh = 2 * (tt / a.TilesW), ow = 2 * (tt % a.TilesW);
            bool down = oh + 1 < g.OutH, across = ow + 1 < g.OutW;
            for (int l0 = 0; l0 < Gemm.NR; l0 += 8)
            {
                int lanes = Math.Clamp(g.OutChannels - k0 - l0, 0, 8);
                float* src = a.Dy + (long)b * g.OutputSize + (k0 + l0) * outPlane + (long)oh * g.OutW + ow;
                float* o = panel + (long)tl * Gemm.NR + l0;
                DyTile8(src, outPlane, g.OutW, down, across, lanes, Avx2.IsSupported && lanes == 8 && outPlane * 8 < int.MaxValue, o, plane);
            }
        }
    }

    /// <summary>
    /// x's transformed tiles of the unit for input channels c0 .. c0 + 7, each channel's tiles in a row of their own
    /// (element e of channel c's tile tl at PackedX + e XPlane + c XRow + tl), 8 tiles of a tile row a vector: the tile
    /// row's four input rows are split into their even and odd columns (zero outside the plane), so tile j's columns
    /// are even[j], odd[j], even[j + 1] and odd[j + 1] and every operand is one contiguous load. The next tile row shares
    /// two of the four input rows, kept in <paramref name="rows"/>. The vectors past a row's last tile write into the
    /// next row's tiles, which that row then overwrites, or into the slack after the unit's last tile.
    /// </summary>
    private static void WinogradGradientInputTiles(in WinogradGradientArgs a, int c0, float* rows)
    {
        ref readonly ConvGeometry g = ref a.G;
        int L = a.RowLength, channels = Math.Min(Gemm.MR, g.InChannels - c0), end = a.FirstTile + a.Count;
        long inPlane = (long)g.InH * g.InW, plane = a.XPlane;
        long* tags = stackalloc long[4];
        float** even = stackalloc float*[4];
        float** odd = stackalloc float*[4];
        for (int c = c0; c < c0 + channels; c++)
        {
            for (int i = 0; i < 4; i++) tags[i] = long.MinValue;
            float* o = a.PackedX + c * a.XRow - a.FirstTile;
            for (int t = a.FirstTile; t < end;)
            {
                int b = t / a.ImageTiles, tt = t % a.ImageTiles, tw = tt % a.TilesW, h0 = 2 * (tt / a.TilesW) - g.PadTop;
                int count = Math.Min(end - t, a.TilesW - tw);
                for (int i = 0; i < 4; i++)
                {
                    // Row h kept in slot h mod 4: the tile row's four rows take four slots, two of them the last row's.
                    int h = h0 + i, slot = h & 3;
                    even[i] = rows + 2 * slot * L;
                    odd[i] = even[i] + L;
                    long tag = (long)b << 32 | (uint)h;
                    if (tags[slot] == tag) continue;
                    tags[slot] = tag;
                    SplitRow(a.X + (long)b * g.InputSize + c * inPlane, g, h, L, even[i], odd[i]);
                }
                for (int j = 0; j < count; j += 8)
                {
                    int w = tw + j;
                    // d[i][0 .. 3] of 8 tiles: row i's even[w], odd[w], even[w + 1], odd[w + 1].
                    var (d0, d1, d2, d3) = (Vector256.Load(even[0] + w), Vector256.Load(odd[0] + w), Vector256.Load(even[0] + w + 1), Vector256.Load(odd[0] + w + 1));
                    var (d4, d5, d6, d7) = (Vector256.Load(even[1] + w), Vector256.Load(odd[1] + w), Vector256.Load(even[1] + w + 1), Vector256.Load(odd[1] + w + 1));
                    var (d8, d9, d10, d11) = (Vector256.Load(even[2] + w), Vector256.Load(odd[2] + w), Vector256.Load(even[2] + w + 1), Vector256.Load(odd[2] + w + 1));
                    var (d12, d13, d14, d15) = (Vector256.Load(even[3] + w), Vector256.Load(odd[3] + w), Vector256.Load(even[3] + w + 1), Vector256.Load(odd[3] + w + 1));
                    // r = B^T d (rows), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; then v = r B (columns), as the forward.
                    float* v = o + t + j;
                    Columns(v, plane, 0, d0 - d8, d1 - d9, d2 - d10, d3 - d11);
                    Columns(v, plane, 4, d4 + d8, d5 + d9, d6 + d10, d7 + d11);
                    Columns(v, plane, 8, d8 - d4, d9 - d5, d10 - d6, d11 - d7);
                    Columns(v, plane, 12, d4 - d12, d5 - d13, d6 - d14, d7 - d15);
                }
                t += count;
            }
        }
    }

    /// <summary>
    /// Input row <paramref name="h"/> of one channel's plane split into even[j] = row[2 j - PadLeft] and odd[j] =
    /// row[2 j + 1 - PadLeft] for j &lt; L (a multiple of 8), zero outside the plane (all of it for a row above or below it).
    /// </summary>
    private static void SplitRow(float* channel, in ConvGeometry g, int h, int L, float* even, float* odd)
    {
        if ((uint)h >= (uint)g.InH)
        {
            for (int j = 0; j < L; j += 8)
            {
                Vector256<float>.Zero.Store(even + j);
                Vector256<float>.Zero.Store(odd + j);
            }
            return;
        }
        float* row = channel + (long)h * g.InW;
        if (Avx2.IsSupported)
        {
            // 16 values (8 pairs) at a time, loaded under a mask of the positions inside the row (no read outside it).
            var iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            var width = Vector256.Create(g.InW);
            for (int j = 0; j < L; j += 8)
            {
                int p = 2 * j - g.PadLeft;
                var p0 = iota + Vector256.Create(p);
                var p1 = p0 + Vector256.Create(8);
                var v0 = Avx.MaskLoad(row + p, (Avx2.CompareGreaterThan(width, p0) & ~Avx2.CompareGreaterThan(Vector256<int>.Zero, p0)).AsSingle());
                var v1 = Avx.MaskLoad(row + p + 8, (Avx2.CompareGreaterThan(width, p1) & ~Avx2.CompareGreaterThan(Vector256<int>.Zero, p1)).AsSingle());
                // Per 128-bit half: v0's pairs then v1's; the 64-bit quarters reordered put v0's 4 before v1's.
                Avx.Store(even + j, Avx2.Permute4x64(Avx.Shuffle(v0, v1, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle());
                Avx.Store(odd + j, Avx2.Permute4x64(Avx.Shuffle(v0, v1, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle());
            }
            return;
        }
        for (int j = 0; j < L; j++)
        {
            int p = 2 * j - g.PadLeft;
            even[j] = (uint)p < (uint)g.InW ? row[p] : 0f;
            odd[j] = (uint)(p + 1) < (uint)g.InW ? row[p + 1] : 0f;
        }
    }

    /// <summary>
    /// dW[k, c] += G^T dU[c, k] G for the input channels of block <paramref name="item"/>: 8 kernels k of an input
    /// channel at once (one vector load per element e) for s = G^T dU, in the scalar kernel's operation order (the same
    /// bits), then s G added into the 8 kernels a value at a time; kernels past the last whole 8 one at a time. The block's
    /// channels are inner, so each kernel's block is one run of dW (9 whole lines for 16 channels), and dU's lines are read
    /// twice from L1.
    /// </summary>
    internal static void WinogradGradientRowsWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradGradientArgs a = ref *(WinogradGradientArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, c0 = item * WinogradGradientBackBlock, c1 = Math.Min(C, c0 + WinogradGradientBackBlock);
        int vectorK = Vector256.IsHardwareAccelerated ? K / 8 * 8 : 0;
        long plane = a.DuPlane;
        float* s = stackalloc float[12];
        float* lanes = stackalloc float[12 * 8];
        for (int k0 = 0; k0 < vectorK; k0 += 8)
            for (int c = c0; c < c1; c++)
                WinogradGradientKernels8(a.DU + (long)c * K + k0, plane, lanes, a.Dw + ((long)k0 * C + c) * 9, (long)C * 9);
        for (int k = vectorK; k < K; k++)
            for (int c = c0; c < c1; c++) WinogradGradientKernel(a.DU + (long)c * K + k, plane, s, a.Dw + ((long)k * C + c) * 9);
    }
}

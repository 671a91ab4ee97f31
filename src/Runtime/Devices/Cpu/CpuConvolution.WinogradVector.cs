using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Winograd F(2x2, 3x3)'s tile transforms with 512-bit vectors: 16 tiles of a tile row per vector, the input's stride-2
/// tile columns split out of two loads by one permute, the output's two columns per tile interleaved back by one. The
/// scalar items in CpuConvolution.Winograd.cs compute the same adds in the same order (machines without AVX-512).
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Tiles one vector of the transforms covers.</summary>
    private const int TransformLanes = 16;

    /// <summary>V[e, c, tiles of image b] = (B^T d B)[e] for the (image b, channel c) plane, 16 tiles at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WinogradInputVectorItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int b = item / g.InChannels, c = item % g.InChannels;
        // The plane zero-padded to every row and column the tiles and their last whole vectors read.
        int rows = 2 * a.TilesH + 2, width = 2 * Gemm.RoundUp(a.TilesW, TransformLanes) + 4 + 2 * TransformLanes;
        float* padded = Grow(ws.WorkspaceA, worker, (long)rows * width);
        new Span<float>(padded, rows * width).Clear();
        float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
        for (int h = 0; h < g.InH; h++)
        {
            int r = h + g.PadTop;
            if (r >= rows) break;
            int n = Math.Min(g.InW, width - g.PadLeft);
            new ReadOnlySpan<float>(src + (long)h * g.InW, n).CopyTo(new Span<float>(padded + (long)r * width + g.PadLeft, n));
        }
        long plane = (long)g.InChannels * a.Tiles;
        float* v = a.V + (long)c * a.Tiles + (long)b * a.TilesH * a.TilesW;
        float* rest = stackalloc float[16 * TransformLanes];
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        for (int th = 0; th < a.TilesH; th++)
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                float* s = padded + (long)2 * th * width + 2 * tw;
                // d[i][j] for 16 tiles: input row 2 th + i, column 2 tw + j of each.
                var (d00, d01, d02, d03) = Columns(s, even, odd);
                var (d10, d11, d12, d13) = Columns(s + width, even, odd);
                var (d20, d21, d22, d23) = Columns(s + 2 * width, even, odd);
                var (d30, d31, d32, d33) = Columns(s + 3 * width, even, odd);
                int count = Math.Min(TransformLanes, a.TilesW - tw);
                float* o = count == TransformLanes ? v + (long)th * a.TilesW + tw : rest;
                long step = count == TransformLanes ? plane : TransformLanes;
                // r = B^T d (rows), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; then v = r B (columns).
                InputRow(o, step, d00 - d20, d01 - d21, d02 - d22, d03 - d23);
                InputRow(o + 4 * step, step, d10 + d20, d11 + d21, d12 + d22, d13 + d23);
                InputRow(o + 8 * step, step, d20 - d10, d21 - d11, d22 - d12, d23 - d13);
                InputRow(o + 12 * step, step, d10 - d30, d11 - d31, d12 - d32, d13 - d33);
                if (count < TransformLanes)
                    for (int e = 0; e < 16; e++)
                        new ReadOnlySpan<float>(rest + e * TransformLanes, count).CopyTo(new Span<float>(v + e * plane + (long)th * a.TilesW + tw, count));
            }

        static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Columns(float* s, Vector512<int> even, Vector512<int> odd)
        {
            Vector512<float> a0 = Vector512.Load(s), a1 = Vector512.Load(s + 16), b0 = Vector512.Load(s + 2), b1 = Vector512.Load(s + 18);
            return (Avx512F.PermuteVar16x32x2(a0, even, a1), Avx512F.PermuteVar16x32x2(a0, odd, a1),
                Avx512F.PermuteVar16x32x2(b0, even, b1), Avx512F.PermuteVar16x32x2(b0, odd, b1));
        }

        static void InputRow(float* o, long step, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
        {
            (r0 - r2).Store(o);
            (r1 + r2).Store(o + step);
            (r2 - r1).Store(o + 2 * step);
            (r1 - r3).Store(o + 3 * step);
        }
    }

    /// <summary>y[b, k] = A^T m A per tile of the (image b, output channel k) plane plus bias, 16 tiles at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WinogradOutputVectorItem(object state, void* args, int item, int worker)
    {
        ref readonly WinogradArgs a = ref *(WinogradArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int b = item / g.OutChannels, k = item % g.OutChannels;
        long plane = (long)g.OutChannels * a.Tiles;
        float* m = a.M + (long)k * a.Tiles + (long)b * a.TilesH * a.TilesW;
        float* dst = a.Y + b * g.OutputSize + (long)k * g.OutH * g.OutW;
        var bias = Vector512.Create(a.Bias == null ? 0f : a.Bias[k]);
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = low + Vector512.Create(8);
        float* rest = stackalloc float[2 * TransformLanes];
        for (int th = 0; th < a.TilesH; th++)
            for (int tw = 0; tw < a.TilesW; tw += TransformLanes)
            {
                float* t = m + (long)th * a.TilesW + tw;
                // s = A^T m (2 x 4), A^T = [1 1 1 0; 0 1 -1 -1]; then out = s A (2 x 2).
                var (s00, s10) = OutputColumn(t, plane);
                var (s01, s11) = OutputColumn(t + plane, plane);
                var (s02, s12) = OutputColumn(t + 2 * plane, plane);
                var (s03, s13) = OutputColumn(t + 3 * plane, plane);
                int ow = 2 * tw, columns = Math.Min(2 * TransformLanes, g.OutW - ow);
                StoreOutputRow(dst + (long)2 * th * g.OutW + ow, s00 + s01 + s02 + bias, s01 - s02 - s03 + bias, low, high, columns, rest);
                if (2 * th + 1 < g.OutH)
                    StoreOutputRow(dst + (long)(2 * th + 1) * g.OutW + ow, s10 + s11 + s12 + bias, s11 - s12 - s13 + bias, low, high, columns, rest);
            }

        // Column j of s for 16 tiles: m[e] at e = j, 4 + j, 8 + j, 12 + j (a stride of 4 planes).
        static (Vector512<float>, Vector512<float>) OutputColumn(float* t, long plane)
        {
            Vector512<float> m0 = Vector512.Load(t), m1 = Vector512.Load(t + 4 * plane), m2 = Vector512.Load(t + 8 * plane), m3 = Vector512.Load(t + 12 * plane);
            return (m0 + m1 + m2, m1 - m2 - m3);
        }

        static void StoreOutputRow(float* row, Vector512<float> y0, Vector512<float> y1, Vector512<int> low, Vector512<int> high, int columns, float* rest)
        {
            var first = Avx512F.PermuteVar16x32x2(y0, low, y1);
            var second = Avx512F.PermuteVar16x32x2(y0, high, y1);
            if (columns == 2 * TransformLanes)
            {
                first.Store(row);
                second.Store(row + TransformLanes);
                return;
            }
            first.Store(rest);
            second.Store(rest + TransformLanes);
            new ReadOnlySpan<float>(rest, columns).CopyTo(new Span<float>(row, columns));
        }
    }
}

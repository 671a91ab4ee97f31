using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>
/// The row kernel's 3x3 stride-1 undilated rows with 512-bit vectors (16 outputs a vector): the same taps of the same
/// padded copy, summed in <see cref="Rows3x3{TStore}"/>'s order, so the same bits with half the instructions on
/// MobileNetV2's 112x112, 56x56 and 28x28 planes. A row's last vector reads up to 16 values past its outputs (the
/// next padded row, or the copy's slack), whose lanes are not stored. Stride 2 (the same loop with the phase offsets)
/// measured 0.98-1.03x (`depthwise 1 wide`): its time is the phase-split copy's, so it keeps the 256-bit rows.
/// Where the direct rows apply (<see cref="DirectApplies"/>, on by default with AVX-512) the forward and the fused
/// pass run those instead; these rows serve backward data and the copy's side of the `direct` A/Bs. (The fused pass's
/// 512-bit stride-2 rows from the phase-split copy, 0.98-0.99x its 8-wide ones, went with the direct rows, which left
/// them no caller.)
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
    private const int WideLanes = 16;

    /// <summary>Values past the padded copy that a wide row's last vector may read.</summary>
    private const int WideSlack = WideLanes;

    /// <summary>
    /// Whether 3x3 stride-1 rows, and the stride-2 copy's rows (<c>CopyRowWide</c>), run with 512-bit vectors
    /// where AVX-512 is; settable so tests and the A/B run the 256-bit ones too.
    /// </summary>
    internal static bool WideRows = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

#if NET9_0_OR_GREATER
    /// <summary>Whether <see cref="ForwardPlane"/> runs its rows by <see cref="Rows3x3Wide{TClamp}"/>: 3x3, stride 1, undilated, stored plain, Relu or Relu6 (not accumulated).</summary>
    private static bool WideApplies(in ConvGeometry g, StoreMode mode) =>
        WideRows && g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && mode != StoreMode.Accumulate;

    /// <summary><see cref="Rows3x3{TStore}"/> at stride 1 with 16 outputs a vector, two output rows sharing the loads of their two common rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3x3Wide<TClamp>(in ConvGeometry g, int oyStart, int oyEnd, float* copy, int rowStride, float* w, float bias, float* y)
        where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        var (w00, w01, w02) = (Vector512.Create(w[0]), Vector512.Create(w[1]), Vector512.Create(w[2]));
        var (w10, w11, w12) = (Vector512.Create(w[3]), Vector512.Create(w[4]), Vector512.Create(w[5]));
        var (w20, w21, w22) = (Vector512.Create(w[6]), Vector512.Create(w[7]), Vector512.Create(w[8]));
        var vb = Vector512.Create(bias);
        int outW = g.OutW;
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(outW % WideLanes)).AsSingle();
        int oy = oyStart;
        for (; oy + 2 <= oyEnd; oy += 2)
        {
            float* r0 = copy + (long)oy * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
            float* y0 = y + (long)oy * outW, y1 = y0 + outW;
            for (int ox = 0; ox < outW; ox += WideLanes)
            {
                var (a0, b0, c0) = (Vector512.Load(r0 + ox), Vector512.Load(r0 + ox + 1), Vector512.Load(r0 + ox + 2));
                var (a1, b1, c1) = (Vector512.Load(r1 + ox), Vector512.Load(r1 + ox + 1), Vector512.Load(r1 + ox + 2));
                var (a2, b2, c2) = (Vector512.Load(r2 + ox), Vector512.Load(r2 + ox + 1), Vector512.Load(r2 + ox + 2));
                var (a3, b3, c3) = (Vector512.Load(r3 + ox), Vector512.Load(r3 + ox + 1), Vector512.Load(r3 + ox + 2));
                var top = Row(a0, b0, c0, w00, w01, w02, vb) + Row(a1, b1, c1, w10, w11, w12) + Row(a2, b2, c2, w20, w21, w22);
                var bottom = Row(a1, b1, c1, w00, w01, w02, vb) + Row(a2, b2, c2, w10, w11, w12) + Row(a3, b3, c3, w20, w21, w22);
                bool full = ox + WideLanes <= outW;
                Put<TClamp>(y0 + ox, top, full, tail);
                Put<TClamp>(y1 + ox, bottom, full, tail);
            }
        }
        for (; oy < oyEnd; oy++)
        {
            float* r0 = copy + (long)oy * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride;
            float* yr = y + (long)oy * outW;
            for (int ox = 0; ox < outW; ox += WideLanes)
            {
                var s = Row(Vector512.Load(r0 + ox), Vector512.Load(r0 + ox + 1), Vector512.Load(r0 + ox + 2), w00, w01, w02, vb)
                    + Row(Vector512.Load(r1 + ox), Vector512.Load(r1 + ox + 1), Vector512.Load(r1 + ox + 2), w10, w11, w12)
                    + Row(Vector512.Load(r2 + ox), Vector512.Load(r2 + ox + 1), Vector512.Load(r2 + ox + 2), w20, w21, w22);
                Put<TClamp>(yr + ox, s, ox + WideLanes <= outW, tail);
            }
        }
    }

    /// <summary>
    /// <see cref="CopyRow"/> at stride 2, 16 indices of each phase at a time (one two-source permute per phase where
    /// the 8-wide loop shuffles four times per 8): the same values, masked loads reading only inside the row. Returns
    /// the indices done (whole 16s); the 8-wide loop copies the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CopyRowWide(float* src, float* dst, int phaseLength, int padLeft, int inW)
    {
        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        int i = 0;
        for (; i + WideLanes <= phaseLength; i += WideLanes)
        {
            int q = 2 * i - padLeft;
            var (lo, hi) = (WideLoad(src, q, inW), WideLoad(src, q + WideLanes, inW));
            Avx512F.PermuteVar16x32x2(lo, evens, hi).Store(dst + i);
            Avx512F.PermuteVar16x32x2(lo, odds, hi).Store(dst + phaseLength + i);
        }
        return i;
    }

    /// <summary>src[start .. start + 16), zero where an index falls outside [0, length) (those lanes not read): <see cref="Load"/>'s 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WideLoad(float* src, int start, int length)
    {
        if (start >= 0 && start + WideLanes <= length) return Vector512.Load(src + start);
        var index = Vector512.Create(start) + Vector512<int>.Indices;
        var inside = Vector512.GreaterThanOrEqual(index, Vector512<int>.Zero) & Vector512.LessThan(index, Vector512.Create(length));
        return Avx512F.MaskLoad(src + start, inside.AsSingle(), Vector512<float>.Zero);
    }

    /// <summary>The vector clamped, stored whole or only its lanes in <paramref name="tail"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TClamp>(float* dst, Vector512<float> value, bool full, Vector512<float> tail) where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        value = TClamp.Apply(value);
        if (full) value.Store(dst);
        else Avx512F.MaskStore(dst, tail, value);
    }
#else
    /// <summary>The wide rows use .NET 9's 512-bit row helpers (<see cref="FlatApplies"/>'s): on .NET 8 the 256-bit rows run.</summary>
    private static bool WideApplies(in ConvGeometry g, StoreMode mode) => false;

    private static void Rows3x3Wide<TClamp>(in ConvGeometry g, int oyStart, int oyEnd, float* copy, int rowStride, float* w, float bias, float* y)
        where TClamp : struct, CpuConvolution.IPointwiseClamp => throw new PlatformNotSupportedException("The wide depthwise rows need .NET 9 or later; WideApplies is false here.");

#endif
}

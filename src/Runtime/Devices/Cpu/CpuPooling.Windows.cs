using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Pooling windows of any size, stride, padding and dilation, 8 output columns per vector step: the columns whose
/// taps all lie inside the input row (the interior) run in vectors, the few edge columns of each row through the
/// scalar window; rows of a window that fall in the padding are skipped for the whole row of outputs, as the scalar loop does.
/// </summary>
internal static unsafe partial class CpuPooling
{
    /// <summary>Output columns [Lo, Hi) of a row whose every horizontal tap is inside the input.</summary>
    private static (int Lo, int Hi) InteriorColumns(in PoolGeometry g)
    {
        int lo = (g.PadLeft + g.StrideW - 1) / g.StrideW;
        int reach = g.InW - 1 + g.PadLeft - (g.KernelW - 1) * g.DilationW;
        int hi = reach < 0 ? 0 : reach / g.StrideW + 1;
        lo = Math.Min(lo, g.OutW);
        return (lo, Math.Max(lo, Math.Min(hi, g.OutW)));
    }

    /// <summary>Window rows [R0, R1) of output row <paramref name="oh"/> that are inside the input.</summary>
    private static (int R0, int R1) ValidRows(in PoolGeometry g, int oh)
    {
        int r0 = 0, r1 = g.KernelH;
        while (r0 < r1 && (uint)(oh * g.StrideH - g.PadTop + r0 * g.DilationH) >= (uint)g.InH) r0++;
        while (r1 > r0 && (uint)(oh * g.StrideH - g.PadTop + (r1 - 1) * g.DilationH) >= (uint)g.InH) r1--;
        return (r0, r1);
    }

    /// <summary>
    /// Eight values of the plane at <paramref name="at"/>, at + stride, ... (in-plane offsets): one load for stride 1,
    /// two and a deinterleave for stride 2 when the 16 values are inside the plane, else a gather (which reads only the 8).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Taps(float* plane, long planeSize, int at, int stride, Vector256<int> laneOffsets)
    {
        if (stride == 1) return Vector256.Load(plane + at);
        if (stride == 2 && at + 16 <= planeSize) return Deinterleave(Vector256.Load(plane + at), Vector256.Load(plane + at + 8)).Even;
        return Avx2.GatherVector256(plane + at, laneOffsets, 4);
    }

    /// <summary>Max pool of one plane with vector interior columns; false (nothing written) when too narrow or without AVX2.</summary>
    internal static bool MaxPlaneWindows(in PoolGeometry g, float* x, float* y, int* switches)
    {
        var (lo, hi) = InteriorColumns(g);
        if (!Avx2.IsSupported || hi - lo < 8) return false;
        long planeSize = (long)g.InH * g.InW;
        int sw = g.StrideW;
        var laneOffsets = Vector256<int>.Indices * sw;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            var (r0, r1) = ValidRows(g, oh);
            float* yo = y + (long)oh * g.OutW;
            int* so = switches == null ? null : switches + (long)oh * g.OutW;
            for (int ow = 0; ow < lo; ow++) MaxWindow(g, x, oh, ow, yo, so);
            for (int ow = hi; ow < g.OutW; ow++) MaxWindow(g, x, oh, ow, yo, so);
            // 8 windows per step; the last step overlaps the previous one (the same values rewritten) instead of a scalar tail.
            for (int o = lo; ; o += 8)
            {
                if (o > hi - 8) o = hi - 8;
                if (r0 == r1)
                {
                    Vector256<float>.Zero.Store(yo + o);
                    if (so != null) Vector256.Create(-1).Store(so + o);
                }
                else
                {
                    // The same comparisons in the same row-major tap order as the scalar window: ties keep the first, the last NaN wins.
                    Vector256<float> max = default;
                    Vector256<int> best = default;
                    bool first = true;
                    for (int r = r0; r < r1; r++)
                    {
                        int row = (oh * g.StrideH - g.PadTop + r * g.DilationH) * g.InW + o * sw - g.PadLeft;
                        for (int s = 0; s < g.KernelW; s++)
                        {
                            int at = row + s * g.DilationW;
                            var v = Taps(x, planeSize, at, sw, laneOffsets);
                            var index = Vector256.Create(at) + laneOffsets;
                            if (first)
                            {
                                (max, best, first) = (v, index, false);
                                continue;
                            }
                            var m = Wins(v, max);
                            max = Vector256.ConditionalSelect(m, v, max);
                            best = Vector256.ConditionalSelect(m.AsInt32(), index, best);
                        }
                    }
                    max.Store(yo + o);
                    if (so != null) best.Store(so + o);
                }
                if (o == hi - 8) break;
            }
        }
        return true;
    }

    /// <summary>The scalar max window (oh, ow): an empty window gives 0 and switch -1; <see cref="Wins(float, float)"/> decides.</summary>
    private static void MaxWindow(in PoolGeometry g, float* x, int oh, int ow, float* yo, int* so)
    {
        int best = -1;
        float max = 0;
        for (int r = 0; r < g.KernelH; r++)
        {
            int ih = oh * g.StrideH - g.PadTop + r * g.DilationH;
            if ((uint)ih >= (uint)g.InH) continue;
            float* line = x + (long)ih * g.InW;
            for (int s = 0; s < g.KernelW; s++)
            {
                int iw = ow * g.StrideW - g.PadLeft + s * g.DilationW;
                if ((uint)iw >= (uint)g.InW) continue;
                float v = line[iw];
                if (best < 0 || Wins(v, max)) { best = ih * g.InW + iw; max = v; }
            }
        }
        yo[ow] = max;
        if (so != null) so[ow] = best;
    }

    /// <summary>
    /// Average pool of one plane with vector interior columns: the window's in-bounds values summed in the scalar
    /// loop's order and divided by their count (so the same bits); false when too narrow or without AVX2.
    /// </summary>
    internal static bool AvgPlaneWindows(in PoolGeometry g, float* x, float* y)
    {
        var (lo, hi) = InteriorColumns(g);
        if (!Avx2.IsSupported || hi - lo < 8) return false;
        long planeSize = (long)g.InH * g.InW;
        int sw = g.StrideW;
        var laneOffsets = Vector256<int>.Indices * sw;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            var (r0, r1) = ValidRows(g, oh);
            float* yo = y + (long)oh * g.OutW;
            for (int ow = 0; ow < lo; ow++) AvgWindow(g, x, yo, oh, ow, r0, r1, backward: false);
            for (int ow = hi; ow < g.OutW; ow++) AvgWindow(g, x, yo, oh, ow, r0, r1, backward: false);
            float count = (r1 - r0) * g.KernelW;
            for (int o = lo; ; o += 8)
            {
                if (o > hi - 8) o = hi - 8;
                var sum = Vector256<float>.Zero;
                for (int r = r0; r < r1; r++)
                {
                    int row = (oh * g.StrideH - g.PadTop + r * g.DilationH) * g.InW + o * sw - g.PadLeft;
                    for (int s = 0; s < g.KernelW; s++) sum += Taps(x, planeSize, row + s * g.DilationW, sw, laneOffsets);
                }
                (r0 == r1 ? Vector256<float>.Zero : sum / Vector256.Create(count)).Store(yo + o);
                if (o == hi - 8) break;
            }
        }
        return true;
    }

    /// <summary>
    /// Average pool backward of one plane (dx at <paramref name="dx"/>, already cleared or holding what to add to) for
    /// strides 1 and 2: each interior step adds 8 windows' shares to each tap's 8 (stride 2: 16, every other one -0,
    /// which adds nothing to any value) consecutive dx values, windows in order so no lane meets another's tap. False
    /// (nothing written) for other strides, narrow rows or without AVX2.
    /// </summary>
    internal static bool AvgBackwardPlaneWindows(in PoolGeometry g, float* dx, float* dy)
    {
        var (lo, hi) = InteriorColumns(g);
        int sw = g.StrideW;
        if (!Avx2.IsSupported || hi - lo < 8 || sw > 2) return false;
        long planeSize = (long)g.InH * g.InW;
        var noAdd = Vector256.Create(-0f);
        for (int oh = 0; oh < g.OutH; oh++)
        {
            var (r0, r1) = ValidRows(g, oh);
            float* dyo = dy + (long)oh * g.OutW;
            for (int ow = 0; ow < lo; ow++) AvgWindow(g, dx, dyo, oh, ow, r0, r1, backward: true);
            if (r0 < r1)
            {
                var count = Vector256.Create((float)((r1 - r0) * g.KernelW));
                int o = lo;
                for (; o + 8 <= hi; o += 8)
                {
                    var share = Vector256.Load(dyo + o) / count;
                    // Stride 2: the shares spread to even lanes of two vectors, odd lanes -0 (x + -0 is x, for every x).
                    var low = Avx.UnpackLow(share, noAdd);
                    var high = Avx.UnpackHigh(share, noAdd);
                    var first = Avx.Permute2x128(low, high, 0x20);
                    var second = Avx.Permute2x128(low, high, 0x31);
                    for (int r = r0; r < r1; r++)
                    {
                        int row = (oh * g.StrideH - g.PadTop + r * g.DilationH) * g.InW + o * sw - g.PadLeft;
                        for (int s = 0; s < g.KernelW; s++)
                        {
                            float* at = dx + row + s * g.DilationW;
                            if (sw == 1) (Vector256.Load(at) + share).Store(at);
                            else if (row + s * g.DilationW + 16 <= planeSize)
                            {
                                (Vector256.Load(at) + first).Store(at);
                                (Vector256.Load(at + 8) + second).Store(at + 8);
                            }
                            else
                            {
                                // The plane's last values: each lane's own dx value, scalar.
                                for (int j = 0; j < 8; j++) at[2 * j] += share.GetElement(j);
                            }
                        }
                    }
                }
                for (; o < hi; o++) AvgWindow(g, dx, dyo, oh, o, r0, r1, backward: true);
            }
            for (int ow = hi; ow < g.OutW; ow++) AvgWindow(g, dx, dyo, oh, ow, r0, r1, backward: true);
        }
        return true;
    }

    /// <summary>One scalar average window (rows [r0, r1) of it inside the input), forward or backward as <see cref="AvgPlane"/>.</summary>
    private static void AvgWindow(in PoolGeometry g, float* x, float* yo, int oh, int ow, int r0, int r1, bool backward)
    {
        int s0 = 0, s1 = g.KernelW;
        while (s0 < s1 && (uint)(ow * g.StrideW - g.PadLeft + s0 * g.DilationW) >= (uint)g.InW) s0++;
        while (s1 > s0 && (uint)(ow * g.StrideW - g.PadLeft + (s1 - 1) * g.DilationW) >= (uint)g.InW) s1--;
        int count = (r1 - r0) * (s1 - s0);
        if (count == 0)
        {
            if (!backward) yo[ow] = 0;
            return;
        }
        float share = backward ? yo[ow] / count : 0, sum = 0;
        for (int r = r0; r < r1; r++)
        {
            float* line = x + (long)(oh * g.StrideH - g.PadTop + r * g.DilationH) * g.InW + ow * g.StrideW - g.PadLeft;
            for (int s = s0; s < s1; s++)
            {
                if (backward) line[s * g.DilationW] += share;
                else sum += line[s * g.DilationW];
            }
        }
        if (!backward) yo[ow] = sum / count;
    }
}

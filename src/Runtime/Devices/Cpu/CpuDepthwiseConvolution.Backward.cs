using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

// The depthwise backward passes on the forward's phase-split padded copy.
internal static unsafe partial class CpuDepthwiseConvolution
{
    /// <summary>
    /// Whether <see cref="BackwardData"/> runs <paramref name="g"/>: stride 1 and one output channel per group, where the
    /// input gradient is the forward of the flipped kernel over dY (strided or multiplied ones run the grouped direct kernel).
    /// </summary>
    internal static bool AppliesBackwardData(in ConvGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.OutPerGroup == 1 && Applies(g) && Applies(DataAsForward(g));

    /// <summary>
    /// The forward conv whose output is dx at stride 1: dY in, the kernel flipped, padding (k - 1) d - pad on each
    /// side's start (dY rows and columns outside its plane read as zero, whatever the sign).
    /// </summary>
    private static ConvGeometry DataAsForward(in ConvGeometry g) =>
        new(g.OutChannels, g.OutH, g.OutW, g.InChannels, g.InH, g.InW, g.KernelH, g.KernelW, 1, 1,
            (g.KernelH - 1) * g.DilationH - g.PadTop, (g.KernelW - 1) * g.DilationW - g.PadLeft, g.DilationH, g.DilationW, g.InChannels);

    /// <summary>dx (+)= the input gradient of a stride-1 depthwise conv: <see cref="ForwardPlane"/> over dY with the flipped kernel.</summary>
    internal static void BackwardData(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        var t = DataAsForward(g);
        var (rows, phaseLength) = Layout(t);
        var args = new Args
        {
            G = t, X = P(dy, n * g.OutputSize, nameof(dy)), W = P(w, g.WeightSize, nameof(w)), Y = P(dx, n * g.InputSize, nameof(dx)),
            Rows = rows, PhaseLength = phaseLength, RowStride = phaseLength * t.StrideW, Flip = true, Mode = accumulate ? StoreMode.Accumulate : StoreMode.Plain,
        };
        if (n * g.InputSize > 0) ws.Run(&args, n * t.InChannels, &ForwardPlane);
    }

    /// <summary>
    /// dw += the weight gradient (and dbias += the bias gradient) of a depthwise conv: a work item owns one output
    /// channel over the whole batch; per image it copies the input plane as the forward does and adds dY's 8-column
    /// vectors times every tap's input vectors into one float accumulator per tap, whose lanes go into a double sum per
    /// tap at the end of the image. The order is fixed per channel, so results do not depend on the thread count.
    /// </summary>
    internal static void BackwardWeights(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        var (rows, phaseLength) = Layout(g);
        var args = new Args
        {
            G = g, X = P(x, n * g.InputSize, nameof(x)), Y = P(dy, n * g.OutputSize, nameof(dy)), W = P(dw, g.WeightSize, nameof(dw)),
            Bias = dbias is null ? null : P(dbias, g.OutChannels, nameof(dbias)), Images = n,
            Rows = rows, PhaseLength = phaseLength, RowStride = phaseLength * g.StrideW,
        };
        if (g.WeightSize > 0) ws.Run(&args, g.OutChannels, &WeightsChannel);
    }

    private static void WeightsChannel(object state, void* args, int oc, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        int ic = oc / g.OutPerGroup, taps = g.KernelH * g.KernelW, outW = g.OutW;
        float* copy = Grow(ws.WorkspaceA, worker, (long)a.Rows * a.RowStride);
        int* offsets = stackalloc int[g.KernelW];
        for (int kx = 0; kx < g.KernelW; kx++) offsets[kx] = kx * g.DilationW % g.StrideW * a.PhaseLength + kx * g.DilationW / g.StrideW;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(outW % Lanes)).AsSingle();
        double* sums = stackalloc double[taps + 1];
        new Span<double>(sums, taps + 1).Clear();
        var acc = stackalloc Vector256<float>[taps];
        long down = (long)g.DilationH * a.RowStride, next = (long)g.StrideH * a.RowStride;
        for (int b = 0; b < a.Images; b++)
        {
            float* x = a.X + ((long)b * g.InChannels + ic) * g.InH * g.InW;
            for (int r = 0; r < a.Rows; r++)
            {
                int iy = r - g.PadTop;
                CopyRow((uint)iy < (uint)g.InH ? x + (long)iy * g.InW : null, copy + (long)r * a.RowStride, g.StrideW, a.PhaseLength, g.PadLeft, g.InW);
            }
            float* dy = a.Y + ((long)b * g.OutChannels + oc) * g.OutH * outW;
            for (int t = 0; t < taps; t++) acc[t] = default;
            var dbias = Vector256<float>.Zero;
            if (g.KernelH == 3 && g.KernelW == 3) dbias = Plane3x3(g, copy, a.RowStride, offsets, dy, tail, acc);
            else
                for (int oy = 0; oy < g.OutH; oy++)
                {
                    float* row = copy + oy * next;
                    float* dyr = dy + (long)oy * outW;
                    for (int ox = 0; ox < outW; ox += Lanes)
                    {
                        // Lanes past the row read as zero, so they add nothing.
                        var d = ox + Lanes <= outW ? Vector256.Load(dyr + ox) : LoadMasked(dyr + ox, tail);
                        dbias += d;
                        for (int ky = 0; ky < g.KernelH; ky++)
                        {
                            float* r = row + ky * down + ox;
                            Vector256<float>* ak = acc + ky * g.KernelW;
                            for (int kx = 0; kx < g.KernelW; kx++) ak[kx] = Vector256.FusedMultiplyAdd(d, Vector256.Load(r + offsets[kx]), ak[kx]);
                        }
                    }
                }
            for (int t = 0; t < taps; t++) sums[t] += LaneSum(acc[t]);
            sums[taps] += LaneSum(dbias);
        }
        float* dw = a.W + (long)oc * taps;
        for (int t = 0; t < taps; t++) dw[t] += (float)sums[t];
        if (a.Bias != null) a.Bias[oc] += (float)sums[taps];
    }

    /// <summary>One image's 3x3 weight gradient into <paramref name="acc"/> with the nine accumulators in registers; returns dY's lane sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Plane3x3(in ConvGeometry g, float* copy, int rowStride, int* offsets, float* dy, Vector256<float> tail, Vector256<float>* acc)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, sum = default;
        int o1 = offsets[1] - offsets[0], o2 = offsets[2] - offsets[0], outW = g.OutW;
        long down = (long)g.DilationH * rowStride, next = (long)g.StrideH * rowStride;
        for (int oy = 0; oy < g.OutH; oy++)
        {
            float* r0 = copy + oy * next + offsets[0], r1 = r0 + down, r2 = r1 + down;
            float* dyr = dy + (long)oy * outW;
            for (int ox = 0; ox < outW; ox += Lanes)
            {
                // Lanes past the row read as zero, so they add nothing.
                var d = ox + Lanes <= outW ? Vector256.Load(dyr + ox) : LoadMasked(dyr + ox, tail);
                sum += d;
                a0 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r0 + ox), a0);
                a1 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r0 + ox + o1), a1);
                a2 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r0 + ox + o2), a2);
                a3 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r1 + ox), a3);
                a4 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r1 + ox + o1), a4);
                a5 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r1 + ox + o2), a5);
                a6 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r2 + ox), a6);
                a7 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r2 + ox + o1), a7);
                a8 = Vector256.FusedMultiplyAdd(d, Vector256.Load(r2 + ox + o2), a8);
            }
        }
        (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7], acc[8]) = (a0, a1, a2, a3, a4, a5, a6, a7, a8);
        return sum;
    }

    /// <summary>The eight lanes summed in double, in lane order.</summary>
    private static double LaneSum(Vector256<float> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        return Vector256.Sum(lo + hi);
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
    /// Whether <see cref="BackwardDataStride2"/> runs <paramref name="g"/>: stride 2 across (any stride down), one output
    /// channel per group; MobileNet's downsampling depthwise convs.
    /// </summary>
    internal static bool AppliesBackwardDataStride2(in ConvGeometry g) =>
        g.StrideW == 2 && g.OutPerGroup == 1 && Applies(g) && (long)g.OutH * (g.OutW + 2 * g.KernelW * g.DilationW + 2 * Lanes) <= int.MaxValue / 2;

    /// <summary>
    /// dx (+)= the input gradient of a depthwise conv with stride 2 across, gathered: dx column 2j + rx takes the taps kx
    /// with rx + padLeft - kx d even, each reading dY column j + (rx + padLeft - kx d) / 2, so the even and the odd
    /// columns of a dx row are each 8 consecutive j per vector over a zero-padded copy of dY's rows, interleaved at the
    /// store. A work item owns one (image, channel) plane.
    /// </summary>
    internal static void BackwardDataStride2(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        var args = new Args
        {
            G = g, X = P(dy, n * g.OutputSize, nameof(dy)), W = P(w, g.WeightSize, nameof(w)), Y = P(dx, n * g.InputSize, nameof(dx)),
            Mode = accumulate ? StoreMode.Accumulate : StoreMode.Plain,
        };
        if (n * g.InputSize > 0) ws.Run(&args, n * g.InChannels, &DataPlaneStride2);
    }

    private static void DataPlaneStride2(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        int kw = g.KernelW, taps = g.KernelH * kw;
        // Per column phase rx, the taps that reach it and the dY column shift q of each (dY column j + q for dx column 2j + rx).
        int* tapX = stackalloc int[2 * kw];
        int* shift = stackalloc int[2 * kw];
        int* count = stackalloc int[2];
        int left = 0, right = 0;
        for (int rx = 0; rx < 2; rx++)
        {
            count[rx] = 0;
            for (int kx = 0; kx < kw; kx++)
            {
                int v = rx + g.PadLeft - kx * g.DilationW;
                if ((v & 1) != 0) continue;
                tapX[rx * kw + count[rx]] = kx;
                shift[rx * kw + count[rx]++] = v / 2;
                left = Math.Max(left, -(v / 2));
                right = Math.Max(right, v / 2);
            }
        }
        int pairs = (g.InW + 1) / 2, vectors = (pairs + Lanes - 1) / Lanes * Lanes;
        int length = (left + right + vectors + Lanes - 1) / Lanes * Lanes;
        float* copy = Grow(ws.WorkspaceA, worker, (long)g.OutH * length);
        float* dyPlane = a.X + (long)item * g.OutH * g.OutW;
        for (int r = 0; r < g.OutH; r++) CopyRow(dyPlane + (long)r * g.OutW, copy + (long)r * length, 1, length, left, g.OutW);
        float* w = a.W + (long)(item % g.InChannels) * taps;
        float* dx = a.Y + (long)item * g.InH * g.InW;
        bool accumulate = a.Mode == StoreMode.Accumulate;
        var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        // Per dx row, the kernel rows that reach it (dY row (iy + padTop - ky d) / stride when that divides): their dY rows and weights.
        float** rows = stackalloc float*[g.KernelH];
        Vector256<float>** rowWeights = stackalloc Vector256<float>*[g.KernelH];
        var weights = stackalloc Vector256<float>[taps];
        for (int t = 0; t < taps; t++) weights[t] = Vector256.Create(w[t]);
        for (int iy = 0; iy < g.InH; iy++)
        {
            float* dxr = dx + (long)iy * g.InW;
            int reach = 0;
            for (int ky = 0; ky < g.KernelH; ky++)
            {
                int t = iy + g.PadTop - ky * g.DilationH;
                if (t < 0 || t % g.StrideH != 0 || t / g.StrideH >= g.OutH) continue;
                rows[reach] = copy + (long)(t / g.StrideH) * length + left;
                rowWeights[reach++] = weights + ky * kw;
            }
            for (int j = 0; j < pairs; j += Lanes)
            {
                Vector256<float> even = default, odd = default;
                for (int h = 0; h < reach; h++)
                {
                    float* row = rows[h] + j;
                    Vector256<float>* wr = rowWeights[h];
                    for (int k = 0; k < count[0]; k++) even = Vector256.FusedMultiplyAdd(Vector256.Load(row + shift[k]), wr[tapX[k]], even);
                    for (int k = 0; k < count[1]; k++) odd = Vector256.FusedMultiplyAdd(Vector256.Load(row + shift[kw + k]), wr[tapX[kw + k]], odd);
                }
                // Interleave: dx columns 2j .. 2j + 7 and 2j + 8 .. 2j + 15, the lanes past the row left alone.
                var (lo, hi) = (Avx.UnpackLow(even, odd), Avx.UnpackHigh(even, odd));
                var first = Avx.Permute2x128(lo, hi, 0x20);
                var second = Avx.Permute2x128(lo, hi, 0x31);
                int rest = g.InW - 2 * j;
                StoreColumns(dxr + 2 * j, first, rest, index, accumulate);
                if (rest > Lanes) StoreColumns(dxr + 2 * j + Lanes, second, rest - Lanes, index, accumulate);
            }
        }
    }

    /// <summary>The first min(8, <paramref name="rest"/>) lanes stored (or added to what is there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(float* dst, Vector256<float> value, int rest, Vector256<int> index, bool accumulate)
    {
        if (rest >= Lanes)
        {
            if (accumulate) value += Vector256.Load(dst);
            value.Store(dst);
            return;
        }
        var mask = Vector256.LessThan(index, Vector256.Create(rest)).AsSingle();
        if (accumulate) value += LoadMasked(dst, mask);
        StoreMasked(dst, mask, value);
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

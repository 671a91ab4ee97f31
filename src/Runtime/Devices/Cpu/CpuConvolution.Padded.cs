using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// The padded, phase-split copy of a conv input that makes every im2col row a run of contiguous loads:
/// q[b, c, phase, hp, wq] = x[b, c, hp - pt, wq sw + phase - pl] (zero outside x), so the value an output position
/// (oh, ow) reads through kernel tap (r, s) is q[b, c, (s dw) % sw, oh sh + r dh, ow + (s dw) / sw]. The offset
/// splits into a part that depends only on the tap (<see cref="ConvArgs.Shifts"/>) and one that depends only on the
/// output position (oh sh Wq + ow), for any stride, dilation and padding.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Floats of slack before and after the padded copy, so 16-wide loads that straddle a run stay inside it.</summary>
    internal const int Slack = 32;

    /// <summary>
    /// Sets the padded-copy layout in <paramref name="a"/>, fills the tap shift table and allocates the copy; returns
    /// the floats it needs. With <paramref name="mayAlias"/>, a 1x1 stride-1 conv without padding (a plain GEMM over
    /// x, whose copy would be x itself) reads x directly: Q = X, nothing allocated, and <see cref="FillPadded"/> copies nothing.
    /// </summary>
    internal static long PreparePadded(CpuWorkspace ws, ref ConvArgs a, bool mayAlias = false)
    {
        PaddedLayout(ws, ref a);
        if (mayAlias && a.G.KernelH == 1 && a.G.KernelW == 1 && a.G.StrideH == 1 && IdentityLayout(a))
        {
            a.Q = a.X;
            return 0;
        }
        long size = a.N * a.QImage + 2 * Slack;
        a.Q = ws.Padded(size) + Slack;
        return size;
    }

    /// <summary>Sets the padded-copy layout (Hq, Wq, QPlane, QImage) in <paramref name="a"/> and fills the tap shift table.</summary>
    internal static void PaddedLayout(CpuWorkspace ws, ref ConvArgs a)
    {
        ref readonly ConvGeometry g = ref a.G;
        int sw = g.StrideW;
        int hp = (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        int wp = (g.OutW - 1) * sw + (g.KernelW - 1) * g.DilationW + 1;
        int wq = (wp + sw - 1) / sw;
        a.Hq = hp;
        a.Wq = wq;
        a.QPlane = (long)sw * hp * wq;
        a.QImage = g.InChannels * a.QPlane;
        int crs = g.InChannels * g.KernelH * g.KernelW;
        // Gemm.NR entries of slack: a partial last panel gathers whole index vectors.
        int* shifts = ws.Shifts(crs + Gemm.NR);
        for (int c = 0, row = 0; c < g.InChannels; c++)
            for (int r = 0; r < g.KernelH; r++)
                for (int s = 0; s < g.KernelW; s++, row++)
                {
                    int sd = s * g.DilationW;
                    shifts[row] = checked((int)(c * a.QPlane + (long)(sd % sw) * hp * wq + (long)r * g.DilationH * wq + sd / sw));
                }
        a.Shifts = shifts;
    }

    /// <summary>Takes <paramref name="shared"/>'s padded copy and layout for a stride-1, dilation-1 conv, with the tap shifts on its rows.</summary>
    internal static void SharedLayout(CpuWorkspace ws, ref ConvArgs a, in ConvArgs shared, bool tapRowMajor = false)
    {
        ref readonly ConvGeometry g = ref a.G;
        a.Q = shared.Q;
        (a.Hq, a.Wq, a.QPlane, a.QImage) = (shared.Hq, shared.Wq, shared.QPlane, shared.QImage);
        int crs = g.InChannels * g.KernelH * g.KernelW;
        int* shifts = ws.Shifts(crs + Gemm.NR);
        if (tapRowMajor)
        {
            // The phase split's channel panels run tap row by tap row (r, c, s), so a tile skips the rows of padding.
            for (int r = 0, row = 0; r < g.KernelH; r++)
                for (int c = 0; c < g.InChannels; c++)
                    for (int s = 0; s < g.KernelW; s++, row++)
                        shifts[row] = checked((int)(c * a.QPlane + (long)r * a.Wq + s));
        }
        else
            for (int c = 0, row = 0; c < g.InChannels; c++)
                for (int r = 0; r < g.KernelH; r++)
                    for (int s = 0; s < g.KernelW; s++, row++)
                        shifts[row] = checked((int)(c * a.QPlane + (long)r * a.Wq + s));
        a.Shifts = shifts;
    }

    /// <summary>Fills <paramref name="conv"/>'s padded copy of the whole batch over the workers, several small planes per item.</summary>
    internal static void FillPadded(CpuWorkspace ws, ConvArgs* conv)
    {
        if (conv->Q == conv->X) return;
        if (IdentityLayout(*conv))
        {
            // The copy is x itself (no padding, stride 1 across, nothing cropped): one contiguous copy, not a call per plane.
            ws.Run(conv, (int)((conv->N * conv->QImage + IdentityCopyChunk - 1) / IdentityCopyChunk), &CopyIdentityItem);
            return;
        }
        int planes = conv->N * conv->G.InChannels;
        // About 4096 floats per item: a 1x1 plane per item would cost more in hand-off than in copying.
        conv->PadPlanes = (int)Math.Clamp(4096 / Math.Max(1, conv->QPlane), 1, Math.Max(1, planes / (4 * ws.Workers)));
        ws.Run(conv, (planes + conv->PadPlanes - 1) / conv->PadPlanes, &PadItem);
    }

    /// <summary>Floats one item of the identity copy moves.</summary>
    internal const int IdentityCopyChunk = 1 << 16;

    /// <summary>Whether the padded copy's layout is x's own: stride 1 across, no padding, and every input row and column read.</summary>
    internal static bool IdentityLayout(in ConvArgs a) =>
        a.G.StrideW == 1 && a.G.PadTop == 0 && a.G.PadLeft == 0 && a.Hq == a.G.InH && a.Wq == a.G.InW;

    /// <summary>Copies one chunk of the whole batch's x into the padded copy (identity layout).</summary>
    internal static void CopyIdentityItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        long first = (long)item * IdentityCopyChunk, count = Math.Min(IdentityCopyChunk, a.N * a.QImage - first);
        CopyOrAdd(a.X + first, a.Q + first, count, accumulate: false);
    }

    /// <summary>Fills the padded copy for a run of (image, channel) planes.</summary>
    internal static void PadItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        int first = item * a.PadPlanes, last = Math.Min(a.N * a.G.InChannels, first + a.PadPlanes);
        for (int plane = first; plane < last; plane++) PadPlane(a, plane);
    }

    /// <summary>Fills the padded copy of one (image, channel) plane.</summary>
    internal static void PadPlane(in ConvArgs a, int item)
    {
        ref readonly ConvGeometry g = ref a.G;
        int b = item / g.InChannels, c = item % g.InChannels;
        float* src = a.X + b * g.InputSize + (long)c * g.InH * g.InW;
        float* dst = a.Q + b * a.QImage + c * a.QPlane;
        long phasePlane = (long)a.Hq * a.Wq;
        for (int h = 0; h < a.Hq; h++, dst += a.Wq)
        {
            int ih = h - g.PadTop;
            PadRow(g, a.Wq, (uint)ih < (uint)g.InH ? src + (long)ih * g.InW : null, dst, phasePlane);
        }
    }

    /// <summary>
    /// Fills one padded row in each of the StrideW phases (phase p's at <paramref name="dst"/> + p <paramref name="phaseStride"/>,
    /// <paramref name="wq"/> columns): column t of phase p is line[t sw + p - pl], zero outside the row; all zero for a
    /// null <paramref name="line"/> (a padding row).
    /// </summary>
    internal static void PadRow(in ConvGeometry g, int wq, float* line, float* dst, long phaseStride)
    {
        int sw = g.StrideW;
        if (line == null)
        {
            for (int phase = 0; phase < sw; phase++) new Span<float>(dst + phase * phaseStride, wq).Clear();
            return;
        }
        if (sw == 2 && Avx.IsSupported)
        {
            PadRow2(g, wq, line, dst, dst + phaseStride);
            return;
        }
        for (int phase = 0; phase < sw; phase++, dst += phaseStride)
        {
            // Columns wq whose input column iw = wq sw + phase - pl lies inside x: [lo, hi).
            int first = phase - g.PadLeft;
            int lo = first >= 0 ? 0 : (-first + sw - 1) / sw;
            int hi = Math.Clamp((g.InW - 1 - first) / sw + 1, lo, wq);
            if (g.InW - 1 - first < 0) hi = lo;
            lo = Math.Min(lo, wq);
            float* from = line + first;
            for (int t = 0; t < lo; t++) dst[t] = 0;
            if (sw == 1) new ReadOnlySpan<float>(from + lo, hi - lo).CopyTo(new Span<float>(dst + lo, hi - lo));
            else for (int t = lo; t < hi; t++) dst[t] = from[(long)t * sw];
            for (int t = hi; t < wq; t++) dst[t] = 0;
        }
    }

    /// <summary>
    /// <see cref="PadRow"/> for stride 2 across (AVX): padded columns j .. j + 15 (j even) are 16 consecutive input
    /// values, whose even and odd ones are the two phase rows' next 8 values, so both rows fill from one pass over the input.
    /// </summary>
    internal static void PadRow2(in ConvGeometry g, int wq, float* line, float* d0, float* d1)
    {
        int pl = g.PadLeft, inW = g.InW;
        int t = 0;
        for (; t < wq && 2 * t - pl < 0; t++)
        {
            d0[t] = At(line, 2 * t - pl, inW);
            d1[t] = At(line, 2 * t + 1 - pl, inW);
        }
        for (; t + 8 <= wq && 2 * t - pl + 16 <= inW; t += 8)
        {
            float* s = line + 2 * t - pl;
            var (even, odd) = Deinterleave(Vector256.Load(s), Vector256.Load(s + 8));
            even.Store(d0 + t);
            odd.Store(d1 + t);
        }
        // The row's end (short U-net rows are a third tail): masked loads read only values inside the row and
        // masked stores write only this row's columns, so neither touches a neighbour or leaves the buffers.
        for (; t < wq; t += 8)
        {
            int first = 2 * t - pl, valid = inW - first, outputs = wq - t;
            var (even, odd) = Deinterleave(
                Avx.MaskLoad(line + first, Below(valid)),
                Avx.MaskLoad(line + first + 8, Below(valid - 8)));
            Avx.MaskStore(d0 + t, Below(outputs), even);
            Avx.MaskStore(d1 + t, Below(outputs), odd);
        }

        static Vector256<float> Below(int count) =>
            Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

        static float At(float* line, int iw, int inW) => (uint)iw < (uint)inW ? line[iw] : 0f;
    }

    /// <summary>
    /// Packs col[k0 .. k0+kc, n0 .. n0+nb] into NR-column B panels from the padded copy q of one image: each 16-lane
    /// half of a panel covers at most two output rows when OW >= 16, so it is one load, or two loads and a blend.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackColumnsPadded(in ConvArgs a, float* q, int k0, int kc, int n0, int nb, float* dst)
    {
        ref readonly ConvGeometry g = ref a.G;
        int* shifts = a.Shifts + k0;
        int* lanes = stackalloc int[Gemm.NR];
        for (int p0 = 0; p0 < nb; p0 += Gemm.NR, dst += (long)Gemm.NR * kc)
        {
            int count = Math.Min(Gemm.NR, nb - p0);
            ColumnLanes(a, n0 + p0, count, lanes);
            if (count == Gemm.NR && Vector512.IsHardwareAccelerated && TwoRuns(lanes, out int l0, out int l1, out int split0) && TwoRuns(lanes + 16, out int l2, out int l3, out int split1))
            {
                var mask0 = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(split0)).AsSingle();
                var mask1 = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(split1)).AsSingle();
                float* q0 = q + l0, q1 = q + l1, q2 = q + l2, q3 = q + l3;
                float* o = dst;
                for (int kk = 0; kk < kc; kk++, o += Gemm.NR)
                {
                    int sh = shifts[kk];
                    Vector512.ConditionalSelect(mask0, Vector512.Load(q1 + sh), Vector512.Load(q0 + sh)).Store(o);
                    Vector512.ConditionalSelect(mask1, Vector512.Load(q3 + sh), Vector512.Load(q2 + sh)).Store(o + 16);
                }
            }
            else
            {
                float* o = dst;
                for (int kk = 0; kk < kc; kk++, o += Gemm.NR)
                {
                    float* qs = q + shifts[kk];
                    int j = 0;
                    for (; j < count; j++) o[j] = qs[lanes[j]];
                    for (; j < Gemm.NR; j++) o[j] = 0;
                }
            }
        }
    }

    /// <summary>
    /// lanes[j] = the offset in the padded copy of output column <paramref name="first"/> + j, where column index
    /// b OH OW + oh OW + ow counts across images (so a batch of small outputs can share one GEMM's columns).
    /// </summary>
    internal static void ColumnLanes(in ConvArgs a, int first, int count, int* lanes)
    {
        ref readonly ConvGeometry g = ref a.G;
        long rowStep = (long)g.StrideH * a.Wq;
        int p = g.OutH * g.OutW, b = first / p, pos = first % p, oh = pos / g.OutW, ow = pos % g.OutW;
        // A run of one output row at a time, its lanes counting up by one (a bounds check and a branch per column
        // were 3% of ResNet's stem weight gradient).
        for (int j = 0; j < count;)
        {
            int run = Math.Min(g.OutW - ow, count - j);
            int start = checked((int)(b * a.QImage + oh * rowStep + ow + run - 1)) - (run - 1);
            for (int t = 0; t < run; t++) lanes[j + t] = start + t;
            j += run;
            ow = 0;
            if (++oh == g.OutH) { oh = 0; b++; }
        }
    }

    /// <summary>
    /// Whether 16 lane offsets form at most two runs of consecutive values; if so, lane j reads start0 + j before
    /// <paramref name="split"/> and start1 + j from it on (start1 is the second run's offset less its first lane).
    /// </summary>
    internal static bool TwoRuns(int* lanes, out int start0, out int start1, out int split)
    {
        start0 = lanes[0];
        split = 16;
        for (int j = 1; j < 16; j++)
            if (lanes[j] != start0 + j)
            {
                split = j;
                break;
            }
        start1 = split < 16 ? lanes[split] - split : start0;
        for (int j = split + 1; j < 16; j++)
            if (lanes[j] != start1 + j) return false;
        return true;
    }

    /// <summary>
    /// Packs B[k, j] = col[j, p0 + k] for all <paramref name="crs"/> rows j and k &lt; kc into NR-column panels: for
    /// each output position the 32 taps of a panel are gathered from the padded copy with the shift table as indices.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackRowsPadded(in ConvArgs a, float* q, int crs, int p0, int kc, int* lanes, float* dst)
    {
        ref readonly ConvGeometry g = ref a.G;
        ColumnLanes(a, p0, kc, lanes);
        for (int j0 = 0; j0 < crs; j0 += Gemm.NR, dst += (long)Gemm.NR * kc)
        {
            int* sh = a.Shifts + j0;
            int count = Math.Min(Gemm.NR, crs - j0);
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            {
                // Indices past the last row read q[0], a valid address; those columns are never stored to dW.
                var i0 = Vector256.Load(sh); var i1 = Vector256.Load(sh + 8); var i2 = Vector256.Load(sh + 16); var i3 = Vector256.Load(sh + 24);
                if (count < Gemm.NR)
                {
                    var limit = Vector256.Create(count);
                    var idx = Vector256<int>.Indices;
                    i0 = Vector256.ConditionalSelect(Vector256.LessThan(idx, limit), i0, default);
                    i1 = Vector256.ConditionalSelect(Vector256.LessThan(idx + Vector256.Create(8), limit), i1, default);
                    i2 = Vector256.ConditionalSelect(Vector256.LessThan(idx + Vector256.Create(16), limit), i2, default);
                    i3 = Vector256.ConditionalSelect(Vector256.LessThan(idx + Vector256.Create(24), limit), i3, default);
                }
                float* o = dst;
                for (int k = 0; k < kc; k++, o += Gemm.NR)
                {
                    float* qk = q + lanes[k];
                    System.Runtime.Intrinsics.X86.Avx2.GatherVector256(qk, i0, 4).Store(o);
                    System.Runtime.Intrinsics.X86.Avx2.GatherVector256(qk, i1, 4).Store(o + 8);
                    System.Runtime.Intrinsics.X86.Avx2.GatherVector256(qk, i2, 4).Store(o + 16);
                    System.Runtime.Intrinsics.X86.Avx2.GatherVector256(qk, i3, 4).Store(o + 24);
                }
            }
            else
            {
                float* o = dst;
                for (int k = 0; k < kc; k++, o += Gemm.NR)
                {
                    float* qk = q + lanes[k];
                    int j = 0;
                    for (; j < count; j++) o[j] = qk[sh[j]];
                    for (; j < Gemm.NR; j++) o[j] = 0;
                }
            }
        }
    }
}

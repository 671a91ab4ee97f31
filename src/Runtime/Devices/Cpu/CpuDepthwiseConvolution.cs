using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Depthwise convolution forward (one input channel per group, any channel multiplier, kernel, padding and dilation,
/// stride across up to <see cref="MaxStride"/>). A work item owns one (image, input channel) plane (at a batch smaller
/// than the workers, one band of its rows per worker: <see cref="RowSplit"/>): it copies the plane
/// once into a zero-padded copy whose rows are split by column phase (stride across 2: the even padded columns, then
/// the odd ones), so each tap of 8 neighbouring outputs is one contiguous load and the borders need no tests; then it
/// writes every output plane of that channel row by row, 8 columns at a time, the 3x3 taps' weights in registers.
/// 3x3 undilated rows at stride 1 or 2 with AVX-512 skip the copy and read the plane in place
/// (<see cref="DirectRows3x3"/>).
/// Each output is one fixed sum of its taps, so results do not depend on the thread count or on where a row's vectors
/// fall.
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
    private const int Lanes = 8;

    /// <summary>Output rows per band (even: 3x3 stride-1 rows go in pairs).</summary>
    private const int Band = 8;

    /// <summary>Most stride across the phase-split copy takes (wider strides run the grouped direct kernel).</summary>
    internal const int MaxStride = 4;

    private struct Args
    {
        public ConvGeometry G;
        public float* X, W, Bias, Y;
        /// <summary>The padded copy: rows of <see cref="RowStride"/> floats (Phases segments of PhaseLength each), Rows of them.</summary>
        public int Rows, PhaseLength, RowStride;
        /// <summary>Applied to each output plane right after it is written, while it is in cache.</summary>
        public CpuEpilogue Epilogue;
        /// <summary>Backward data as a forward: the kernel read flipped, the result added to y.</summary>
        public bool Flip;
        public StoreMode Mode;
        /// <summary>The batch, for the weight gradient's items (one output channel over every image).</summary>
        public int Images;
        /// <summary>The flat path's tap masks (9 per vector of 16 positions), its (image, input channel) planes and how many an item runs.</summary>
        public Vector512<float>* Masks;
        /// <summary>The flat path's offsets from an output position to its top and bottom rows' centre taps in its source (the plane, or its phase planes at stride 2).</summary>
        public int Up, Down;
        public int Planes, PlanesPerItem;
        /// <summary>The forward's bands of output rows per plane (0 or 1: whole planes), their height, and the (image, channel) planes of one band (items are band-major).</summary>
        public int RowBands, BandHeight, BandPlanes;
    }

    /// <summary>Whether a batch smaller than the workers runs whole planes per item (as before the row split); settable for the `network-ab ... row-split` A/B.</summary>
    internal static bool RowSplitOff;

    /// <summary>
    /// Bands of output rows per plane for a batch smaller than the workers: one per worker, even heights, so that op after
    /// op each worker reads rows it wrote itself (see <see cref="Forward"/>); 1 (whole planes) otherwise.
    /// </summary>
    private static (int Bands, int Height) RowSplit(int workers, int n, int outH)
    {
        if (RowSplitOff || n >= workers || workers < 2 || outH < 4 * workers) return (1, outH);
        int height = (outH + workers - 1) / workers;
        height += height & 1;
        return ((outH + height - 1) / height, height);
    }

    /// <summary>Whether <see cref="Forward"/> runs <paramref name="g"/> (otherwise <see cref="CpuGroupedConvolution"/> does).</summary>
    internal static bool Applies(in ConvGeometry g) =>
        g.Groups == g.InChannels && g.InPerGroup == 1 && g.StrideW >= 1 && g.StrideW <= MaxStride && g.StrideH >= 1
        && g.DilationH >= 1 && g.DilationW >= 1 && Fma.IsSupported && Avx.IsSupported && CopySize(g) <= int.MaxValue / 2;

    private static (int Rows, int PhaseLength) Layout(in ConvGeometry g)
    {
        // Padded rows and columns the outputs reach (the last vector of a row may read up to 7 lanes past OutW), in whole vectors.
        int rows = (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        int phaseLength = (g.OutW + Lanes - 1) / Lanes * Lanes + (g.KernelW - 1) * g.DilationW / g.StrideW;
        return (rows, (phaseLength + Lanes - 1) / Lanes * Lanes);
    }

    private static long CopySize(in ConvGeometry g)
    {
        var (rows, phaseLength) = Layout(g);
        return (long)rows * phaseLength * g.StrideW;
    }

    /// <summary>y = conv(x, w) + bias, then the epilogue (residual add, activation) on each output plane as its item finishes it.</summary>
    internal static void Forward(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y,
        in ConvEpilogue epilogue = default)
    {
        var (rows, phaseLength) = Layout(g);
        float* py = P(y, n * g.OutputSize, nameof(y));
        var args = new Args
        {
            G = g, X = P(x, n * g.InputSize, nameof(x)), W = P(w, g.WeightSize, nameof(w)),
            Bias = bias is null ? null : P(bias, g.OutChannels, nameof(bias)), Y = py,
            Rows = rows, PhaseLength = phaseLength, RowStride = phaseLength * g.StrideW,
        };
        // Relu and Relu6 alone run in registers at the store; anything else runs on each band after it is written.
        if (epilogue.Residual is null && epilogue.Activation is Activation.Relu) args.Mode = StoreMode.Relu;
        else if (epilogue.Residual is null && epilogue.Activation is Activation.Relu6) args.Mode = StoreMode.Relu6;
        else args.Epilogue = CpuEpilogue.Of(epilogue, py, n * g.OutputSize);
        if (n * g.OutputSize == 0) return;
#if NET9_0_OR_GREATER
        if (FlatApplies(g))
        {
            ForwardFlat(ws, n, &args);
            return;
        }
#endif
        // A batch smaller than the workers splits each plane into bands of rows, band-major: the workers take items from
        // both ends, so each runs the rows the previous op (the stem's, a pointwise conv's runs of positions) had it write.
        // Whole planes per item split by channel and read half of every plane from the other core's cache.
        (args.RowBands, args.BandHeight) = RowSplit(ws.Workers, n, g.OutH);
        args.BandPlanes = n * g.InChannels;
        ws.Run(&args, args.RowBands * n * g.InChannels, &ForwardPlane);
    }

    private static void ForwardPlane(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly Args a = ref *(Args*)args;
        var g = a.G;
        // Band-major items when the planes are split into bands of rows (the forward at a small batch).
        int rowStart = 0, rowEnd = g.OutH;
        if (a.RowBands > 1)
        {
            rowStart = item / a.BandPlanes * a.BandHeight;
            rowEnd = Math.Min(g.OutH, rowStart + a.BandHeight);
            item %= a.BandPlanes;
        }
        int b = item / g.InChannels, ic = item % g.InChannels;
        float* x = a.X + (long)item * g.InH * g.InW;
        // Backward data (Flip) keeps the copy's rows, which read the kernel flipped.
        if (!a.Flip && DirectApplies(g, a.Mode))
        {
            DirectPlane(ws, a, worker, rowStart, rowEnd, b, ic, x);
            return;
        }
        float* copy = Grow(ws.WorkspaceA, worker, (long)a.Rows * a.RowStride + WideSlack);
        bool wide = WideApplies(g, a.Mode);
        // Tap kx of output column ox reads padded column ox sw + kx dw: phase (kx dw) mod sw, index ox + (kx dw) / sw.
        int* offsets = stackalloc int[g.KernelW];
        for (int kx = 0; kx < g.KernelW; kx++) offsets[kx] = kx * g.DilationW % g.StrideW * a.PhaseLength + kx * g.DilationW / g.StrideW;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(g.OutW % Lanes)).AsSingle();
        int multiplier = g.OutPerGroup, taps = g.KernelH * g.KernelW, copied = rowStart * g.StrideH;
        float* flipped = stackalloc float[a.Flip ? taps : 0];
        for (int j = 0; j < multiplier; j++)
        {
            int oc = ic * multiplier + j;
            float* w = a.W + (long)oc * taps;
            if (a.Flip)
            {
                for (int t = 0; t < taps; t++) flipped[t] = w[taps - 1 - t];
                w = flipped;
            }
            float* y = a.Y + ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            float bias = a.Bias == null ? 0f : a.Bias[oc];
            // Bands of output rows, the first output channel copying the padded rows each band needs just before it:
            // the copy's reads of x overlap the previous band's arithmetic, and the band's output is in L1 for the epilogue.
            for (int oy0 = rowStart; oy0 < rowEnd; oy0 += Band)
            {
                int oy1 = Math.Min(rowEnd, oy0 + Band);
                for (int need = Math.Min(a.Rows, (oy1 - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1); copied < need; copied++)
                {
                    int iy = copied - g.PadTop;
                    CopyRow((uint)iy < (uint)g.InH ? x + (long)iy * g.InW : null, copy + (long)copied * a.RowStride, g.StrideW, a.PhaseLength, g.PadLeft, g.InW);
                }
                ChannelRows(g, a.Mode, wide, oy0, oy1, copy, a.RowStride, offsets, tail, w, bias, y);
                if (a.Epilogue.Active) a.Epilogue.Apply(y + (long)oy0 * g.OutW, (long)(oy1 - oy0) * g.OutW);
            }
        }
    }

    /// <summary><see cref="ForwardPlane"/>'s rows [rowStart, rowEnd) of every output plane of input channel <paramref name="ic"/> by <see cref="DirectRows3x3"/>, from the plane in place.</summary>
    private static void DirectPlane(CpuWorkspace ws, in Args a, int worker, int rowStart, int rowEnd, int b, int ic, float* x)
    {
        var g = a.G;
        float* zero = Grow(ws.WorkspaceA, worker, g.InW);
        new Span<float>(zero, g.InW).Clear();
        for (int j = 0; j < g.OutPerGroup; j++)
        {
            int oc = ic * g.OutPerGroup + j;
            float* y = a.Y + ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            float bias = a.Bias == null ? 0f : a.Bias[oc];
            for (int oy0 = rowStart; oy0 < rowEnd; oy0 += DirectBand)
            {
                int oy1 = Math.Min(rowEnd, oy0 + DirectBand);
                DirectRows3x3(g, a.Mode, oy0, oy1, x, zero, a.W + (long)oc * 9, bias, y);
                if (a.Epilogue.Active) a.Epilogue.Apply(y + (long)oy0 * g.OutW, (long)(oy1 - oy0) * g.OutW);
            }
        }
    }

    /// <summary>
    /// One padded row, split into phases of <paramref name="phaseLength"/> (a multiple of 8): dst[p L + i] = padded
    /// column p + stride i, that is src[p + stride i - padLeft], zero outside the row (or everywhere when
    /// <paramref name="src"/> is null). Strides 1 and 2 go 8 indices at a time, masked loads reading only inside the row.
    /// </summary>
    private static void CopyRow(float* src, float* dst, int stride, int phaseLength, int padLeft, int inW)
    {
        if (src == null)
        {
            for (int i = 0; i < stride * phaseLength; i += Lanes) Vector256<float>.Zero.Store(dst + i);
            return;
        }
        if (stride == 1)
        {
            for (int i = 0; i < phaseLength; i += Lanes) Load(src, i - padLeft, inW).Store(dst + i);
            return;
        }
        if (stride == 2)
        {
            int i = 0;
#if NET9_0_OR_GREATER
            if (WideRows) i = CopyRowWide(src, dst, phaseLength, padLeft, inW);
#endif
            for (; i < phaseLength; i += Lanes)
            {
                int q = 2 * i - padLeft;
                var (even, odd) = Deinterleave(Load(src, q, inW), Load(src, q + Lanes, inW));
                even.Store(dst + i);
                odd.Store(dst + phaseLength + i);
            }
            return;
        }
        for (int i = 0; i < phaseLength; i++)
            for (int p = 0; p < stride; p++)
            {
                int ix = p + stride * i - padLeft;
                dst[p * phaseLength + i] = (uint)ix < (uint)inW ? src[ix] : 0f;
            }
    }

    /// <summary>src[start .. start + 8), zero where an index falls outside [0, length): a plain load when all fall inside.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(float* src, int start, int length)
    {
        if (start >= 0 && start + Lanes <= length) return Vector256.Load(src + start);
        var index = Vector256.Create(start) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var inside = Vector256.GreaterThanOrEqual(index, Vector256<int>.Zero) & Vector256.LessThan(index, Vector256.Create(length));
        // Masked lanes are not read (no fault past the row), so the pointer may point outside it.
        return LoadMasked(src + start, inside.AsSingle());
    }

    /// <summary>What a row's vector does at its store.</summary>
    private enum StoreMode
    {
        /// <summary>Overwrites y.</summary>
        Plain,

        /// <summary>Adds to y (backward data into an accumulated dx).</summary>
        Accumulate,

        /// <summary>Relu's vector form, then overwrites (the epilogue in registers: no second pass over the band).</summary>
        Relu,

        /// <summary>Relu6's vector form, then overwrites (MobileNet's depthwise conv -> BatchNorm -> Relu6).</summary>
        Relu6,
    }

    /// <summary>Output rows [sy0, sy1) of one channel from its padded copy (indexed from padded row 0 at <paramref name="origin"/>) by the row kernel that fits (the forward's and the fused expansion pass's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChannelRows(in ConvGeometry d, StoreMode mode, bool wide, int sy0, int sy1, float* origin, int rowStride,
        int* offsets, Vector256<float> tail, float* kernel, float bias, float* yc)
    {
        if (wide)
        {
            if (mode == StoreMode.Relu) Rows3x3Wide<CpuConvolution.ReluClamp>(d, sy0, sy1, origin + offsets[0], rowStride, kernel, bias, yc);
            else if (mode == StoreMode.Relu6) Rows3x3Wide<CpuConvolution.Relu6Clamp>(d, sy0, sy1, origin + offsets[0], rowStride, kernel, bias, yc);
            else Rows3x3Wide<CpuConvolution.NoClamp>(d, sy0, sy1, origin + offsets[0], rowStride, kernel, bias, yc);
            return;
        }
        var vb = Vector256.Create(bias);
        switch (mode)
        {
            case StoreMode.Accumulate: RowsOfBand<AccumulateStore>(d, sy0, sy1, origin, rowStride, offsets, kernel, vb, tail, yc); break;
            case StoreMode.Relu: RowsOfBand<ReluStore>(d, sy0, sy1, origin, rowStride, offsets, kernel, vb, tail, yc); break;
            case StoreMode.Relu6: RowsOfBand<Relu6Store>(d, sy0, sy1, origin, rowStride, offsets, kernel, vb, tail, yc); break;
            default: RowsOfBand<PlainStore>(d, sy0, sy1, origin, rowStride, offsets, kernel, vb, tail, yc); break;
        }
    }

    /// <summary>One band of output rows with the kernel's row loop, each vector stored by <typeparamref name="TStore"/>.</summary>
    private static void RowsOfBand<TStore>(in ConvGeometry g, int oyStart, int oyEnd, float* copy, int rowStride, int* offsets, float* w, Vector256<float> vb, Vector256<float> tail, float* y)
        where TStore : struct, IStore
    {
        if (g.KernelH == 3 && g.KernelW == 3) Rows3x3<TStore>(g, oyStart, oyEnd, copy, rowStride, offsets, w, vb, tail, y);
        else if (g.KernelH == 5 && g.KernelW == 5) Rows5x5<TStore>(g, oyStart, oyEnd, copy, rowStride, offsets, w, vb, tail, y);
        else RowsAny<TStore>(g, oyStart, oyEnd, copy, rowStride, offsets, w, vb, tail, y);
    }

    /// <summary>A row's vector at its store, whole or only its first OutW mod 8 lanes (a struct per <see cref="StoreMode"/>, so each row loop compiles with its own).</summary>
    private interface IStore
    {
        void Put(float* dst, Vector256<float> value, bool full, Vector256<float> tail);
    }

    private readonly struct PlainStore : IStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put(float* dst, Vector256<float> value, bool full, Vector256<float> tail) => Store(dst, value, full, tail);
    }

    private readonly struct AccumulateStore : IStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put(float* dst, Vector256<float> value, bool full, Vector256<float> tail) =>
            Store(dst, value + (full ? Vector256.Load(dst) : LoadMasked(dst, tail)), full, tail);
    }

    private readonly struct ReluStore : IStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put(float* dst, Vector256<float> value, bool full, Vector256<float> tail) => Store(dst, default(Activations.Relu).Forward(value), full, tail);
    }

    private readonly struct Relu6Store : IStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put(float* dst, Vector256<float> value, bool full, Vector256<float> tail) => Store(dst, default(Activations.Relu6).Forward(value), full, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, Vector256<float> value, bool full, Vector256<float> tail)
    {
        if (full) value.Store(dst);
        else StoreMasked(dst, tail, value);
    }

    /// <summary>The lanes <paramref name="mask"/> selects, zero elsewhere (those are not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadMasked(float* src, Vector256<float> mask)
    {
#if NET9_0_OR_GREATER
        if (Avx512F.VL.IsSupported) return Avx512F.VL.MaskLoad(src, mask, Vector256<float>.Zero);
#endif
        return Avx.MaskLoad(src, mask);
    }

    /// <summary>The lanes of <paramref name="value"/> that <paramref name="mask"/> selects, stored (an AVX-512 masked move where there is one, from .NET 9: AVX's vmaskmovps store is microcoded on AMD).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* dst, Vector256<float> mask, Vector256<float> value)
    {
#if NET9_0_OR_GREATER
        if (Avx512F.VL.IsSupported)
        {
            Avx512F.VL.MaskStore(dst, mask, value);
            return;
        }
#endif
        Avx.MaskStore(dst, mask, value);
    }

    /// <summary>
    /// A 3x3 kernel: each output vector is (row 0's taps from the bias + row 1's) + row 2's, three short FMA chains so
    /// their latency overlaps. At stride 1 down (undilated) two output rows share the loads of their two common input rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3x3<TStore>(in ConvGeometry g, int oyStart, int oyEnd, float* copy, int rowStride, int* offsets, float* w, Vector256<float> vb, Vector256<float> tail, float* y)
        where TStore : struct, IStore
    {
        var (w00, w01, w02) = (Vector256.Create(w[0]), Vector256.Create(w[1]), Vector256.Create(w[2]));
        var (w10, w11, w12) = (Vector256.Create(w[3]), Vector256.Create(w[4]), Vector256.Create(w[5]));
        var (w20, w21, w22) = (Vector256.Create(w[6]), Vector256.Create(w[7]), Vector256.Create(w[8]));
        int o1 = offsets[1] - offsets[0], o2 = offsets[2] - offsets[0], outW = g.OutW;
        long down = (long)g.DilationH * rowStride, next = (long)g.StrideH * rowStride;
        int oy = oyStart;
        if (g.StrideH == 1 && g.DilationH == 1)
            for (; oy + 2 <= oyEnd; oy += 2)
            {
                float* r0 = copy + oy * next + offsets[0], r1 = r0 + down, r2 = r1 + down, r3 = r2 + down;
                float* y0 = y + (long)oy * outW, y1 = y0 + outW;
                for (int ox = 0; ox < outW; ox += Lanes)
                {
                    var (a0, b0, c0) = (Vector256.Load(r0 + ox), Vector256.Load(r0 + ox + o1), Vector256.Load(r0 + ox + o2));
                    var (a1, b1, c1) = (Vector256.Load(r1 + ox), Vector256.Load(r1 + ox + o1), Vector256.Load(r1 + ox + o2));
                    var (a2, b2, c2) = (Vector256.Load(r2 + ox), Vector256.Load(r2 + ox + o1), Vector256.Load(r2 + ox + o2));
                    var (a3, b3, c3) = (Vector256.Load(r3 + ox), Vector256.Load(r3 + ox + o1), Vector256.Load(r3 + ox + o2));
                    var top = Row(a0, b0, c0, w00, w01, w02, vb) + Row(a1, b1, c1, w10, w11, w12) + Row(a2, b2, c2, w20, w21, w22);
                    var bottom = Row(a1, b1, c1, w00, w01, w02, vb) + Row(a2, b2, c2, w10, w11, w12) + Row(a3, b3, c3, w20, w21, w22);
                    bool full = ox + Lanes <= outW;
                    default(TStore).Put(y0 + ox, top, full, tail);
                    default(TStore).Put(y1 + ox, bottom, full, tail);
                }
            }
        for (; oy < oyEnd; oy++)
        {
            float* r0 = copy + oy * next + offsets[0], r1 = r0 + down, r2 = r1 + down;
            float* yr = y + (long)oy * outW;
            for (int ox = 0; ox < outW; ox += Lanes)
            {
                var s = Row(Vector256.Load(r0 + ox), Vector256.Load(r0 + ox + o1), Vector256.Load(r0 + ox + o2), w00, w01, w02, vb)
                    + Row(Vector256.Load(r1 + ox), Vector256.Load(r1 + ox + o1), Vector256.Load(r1 + ox + o2), w10, w11, w12)
                    + Row(Vector256.Load(r2 + ox), Vector256.Load(r2 + ox + o1), Vector256.Load(r2 + ox + o2), w20, w21, w22);
                default(TStore).Put(yr + ox, s, ox + Lanes <= outW, tail);
            }
        }
    }

    /// <summary>start + a wa + b wb + c wc, in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(Vector256<float> a, Vector256<float> b, Vector256<float> c,
        Vector256<float> wa, Vector256<float> wb, Vector256<float> wc, Vector256<float> start) =>
        Vector256.FusedMultiplyAdd(c, wc, Vector256.FusedMultiplyAdd(b, wb, Vector256.FusedMultiplyAdd(a, wa, start)));

    /// <summary>a wa + b wb + c wc, in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(Vector256<float> a, Vector256<float> b, Vector256<float> c,
        Vector256<float> wa, Vector256<float> wb, Vector256<float> wc) =>
        Vector256.FusedMultiplyAdd(c, wc, Vector256.FusedMultiplyAdd(b, wb, a * wa));

    /// <summary>A 5x5 kernel (MobileNetV3's, EfficientNet's): the bias plus five row chains, the 25 weights in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows5x5<TStore>(in ConvGeometry g, int oyStart, int oyEnd, float* copy, int rowStride, int* offsets, float* w, Vector256<float> vb, Vector256<float> tail, float* y)
        where TStore : struct, IStore
    {
        var (w00, w01, w02, w03, w04) = (Vector256.Create(w[0]), Vector256.Create(w[1]), Vector256.Create(w[2]), Vector256.Create(w[3]), Vector256.Create(w[4]));
        var (w10, w11, w12, w13, w14) = (Vector256.Create(w[5]), Vector256.Create(w[6]), Vector256.Create(w[7]), Vector256.Create(w[8]), Vector256.Create(w[9]));
        var (w20, w21, w22, w23, w24) = (Vector256.Create(w[10]), Vector256.Create(w[11]), Vector256.Create(w[12]), Vector256.Create(w[13]), Vector256.Create(w[14]));
        var (w30, w31, w32, w33, w34) = (Vector256.Create(w[15]), Vector256.Create(w[16]), Vector256.Create(w[17]), Vector256.Create(w[18]), Vector256.Create(w[19]));
        var (w40, w41, w42, w43, w44) = (Vector256.Create(w[20]), Vector256.Create(w[21]), Vector256.Create(w[22]), Vector256.Create(w[23]), Vector256.Create(w[24]));
        int o1 = offsets[1] - offsets[0], o2 = offsets[2] - offsets[0], o3 = offsets[3] - offsets[0], o4 = offsets[4] - offsets[0], outW = g.OutW;
        long down = (long)g.DilationH * rowStride, next = (long)g.StrideH * rowStride;
        for (int oy = oyStart; oy < oyEnd; oy++)
        {
            float* r0 = copy + oy * next + offsets[0], r1 = r0 + down, r2 = r1 + down, r3 = r2 + down, r4 = r3 + down;
            float* yr = y + (long)oy * outW;
            for (int ox = 0; ox < outW; ox += Lanes)
            {
                var s = vb + Row5(r0 + ox, o1, o2, o3, o4, w00, w01, w02, w03, w04) + Row5(r1 + ox, o1, o2, o3, o4, w10, w11, w12, w13, w14)
                    + Row5(r2 + ox, o1, o2, o3, o4, w20, w21, w22, w23, w24) + Row5(r3 + ox, o1, o2, o3, o4, w30, w31, w32, w33, w34)
                    + Row5(r4 + ox, o1, o2, o3, o4, w40, w41, w42, w43, w44);
                default(TStore).Put(yr + ox, s, ox + Lanes <= outW, tail);
            }
        }
    }

    /// <summary>Five taps of one padded row, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row5(float* r, int o1, int o2, int o3, int o4,
        Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, Vector256<float> w4)
    {
        var chain = Vector256.Load(r) * w0;
        chain = Vector256.FusedMultiplyAdd(Vector256.Load(r + o1), w1, chain);
        chain = Vector256.FusedMultiplyAdd(Vector256.Load(r + o2), w2, chain);
        chain = Vector256.FusedMultiplyAdd(Vector256.Load(r + o3), w3, chain);
        return Vector256.FusedMultiplyAdd(Vector256.Load(r + o4), w4, chain);
    }

    /// <summary>
    /// Any other kernel: each output vector is the bias plus one FMA chain per kernel row (summed in row order), so the
    /// rows' chains overlap; the weights are broadcast once per output plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsAny<TStore>(in ConvGeometry g, int oyStart, int oyEnd, float* copy, int rowStride, int* offsets, float* w, Vector256<float> vb, Vector256<float> tail, float* y)
        where TStore : struct, IStore
    {
        int kh = g.KernelH, kw = g.KernelW, outW = g.OutW;
        var weights = stackalloc Vector256<float>[kh * kw];
        for (int t = 0; t < kh * kw; t++) weights[t] = Vector256.Create(w[t]);
        long down = (long)g.DilationH * rowStride;
        for (int oy = oyStart; oy < oyEnd; oy++)
        {
            float* row = copy + (long)oy * g.StrideH * rowStride;
            float* yr = y + (long)oy * outW;
            for (int ox = 0; ox < outW; ox += Lanes)
            {
                var s = vb;
                for (int ky = 0; ky < kh; ky++)
                {
                    float* r = row + ky * down + ox;
                    Vector256<float>* wr = weights + ky * kw;
                    var chain = Vector256.Load(r + offsets[0]) * wr[0];
                    for (int kx = 1; kx < kw; kx++) chain = Vector256.FusedMultiplyAdd(Vector256.Load(r + offsets[kx]), wr[kx], chain);
                    s += chain;
                }
                default(TStore).Put(yr + ox, s, ox + Lanes <= outW, tail);
            }
        }
    }
}

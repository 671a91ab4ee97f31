using System;
using Strider.Shapes;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Strided backward data (a transposed conv's forward) as stride-phase sub-convolutions. The dx values whose
/// coordinates have residues (rh, rw) modulo the stride are reached only by the taps r with (r - rh - pt) % sh == 0
/// (likewise s), and for those taps dx[c, rh + sh i, rw + sw j] is a plain stride-1 correlation of dY with the
/// flipped sub-kernel. Each phase is run by the forward pass (channel tiles or a gather into a GEMM, K x taps deep,
/// not K), and the phases are interleaved into dx once, so every dx value is written exactly once. Where every phase runs
/// on the channel tiles, the tiles store into dx themselves (CpuConvolution.InterleavedPhaseTiles.cs); the sub-kernels
/// and panels are kept per write of the weights (<see cref="PhaseSplitWeights"/>).
/// </summary>
internal static unsafe partial class CpuConvolution
{
    internal struct PhaseArgs
    {
        public ConvGeometry G;
        public int N;
        public float* Dx, Out;
        public bool Accumulate;
        /// <summary>Start of each residue pair's [n, C, nh, nw] result in Out, rh-major.</summary>
        public long* Offsets;
        /// <summary>The conv's weights, and the kept phase weights built from them (<see cref="PhaseSplitWeights"/>; PhaseWinograd: its window's kernel).</summary>
        public float* W, Subs;
        public long* SubOffsets;
        /// <summary>Each phase's channel panels in Subs' array (rh-major; -1 where the tiles do not apply).</summary>
        public long* PanelOffsets;
        /// <summary>The phase split's sub-kernels for im2col + GEMM (each at SubOffsets), when some phase runs by it.</summary>
        public float* SubKernels;
        /// <summary>Per dx channel, added to each dx value as it is interleaved (null: none); then the epilogue on each finished row.</summary>
        public float* Bias;
        public CpuEpilogue Epilogue;
        /// <summary>
        /// Nonzero when every phase's result is a channel block of one [n, phases x C, RowsPerPlane, RowLength] tensor
        /// (<see cref="ConvKernel.PhaseWinograd"/>): Offsets then give each phase's block in an image, ImageStride an image.
        /// </summary>
        public int RowsPerPlane, RowLength;
        public long ImageStride;
    }

    /// <summary>
    /// Runs every stride phase's sub-conv by im2col + GEMM even where the channel tiles apply (settable, for A/B runs
    /// and for tests of both paths).
    /// </summary>
    internal static bool PhaseTilesOff;

    /// <summary>Largest stride per axis the phase split takes (a bound on the offset table).</summary>
    internal const int MaxPhaseStride = ConvolutionAlgorithm.MaxPhaseStride;

    /// <summary>Phase (residue r of the dx coordinate) layout along one axis: taps, first tap, outputs, sub-conv padding.</summary>
    internal static (int Taps, int First, int Count, int Pad) PhaseAxis(int residue, int stride, int kernel, int pad, int inSize) =>
        ConvolutionAlgorithm.PhaseAxis(residue, stride, kernel, pad, inSize);

    /// <summary>Whether the phase split applies (<see cref="ConvolutionAlgorithm.PhaseSplitApplies"/>, shared with the generator).</summary>
    internal static bool PhaseSplitApplies(in ConvGeometry g) => ConvolutionAlgorithm.PhaseSplitApplies(g.InChannels, g.InH, g.InW,
        g.OutChannels, g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW);

    /// <summary>
    /// A transposed conv's fused inference forward: dx = f(conv-transpose(dy, w) + bias + residual), the bias and the
    /// epilogue applied per row by the stride-phase kernels as they interleave, else in one pass after the conv.
    /// </summary>
    internal static void TransposedConvForward(CpuWorkspace ws, in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx,
        bool accumulate, DeviceBuffer<float>? bias, in ConvEpilogue epilogue)
    {
        if (accumulate)
            throw new ArgumentException("ConvBackwardData: a bias or an epilogue needs accumulate false (they apply to dx's whole value).", nameof(accumulate));
        float* pb = bias is null ? null : P(bias, g.InChannels, nameof(bias));
        float* pdx = P(dx, n * g.InputSize, nameof(dx));
        var e = CpuEpilogue.Of(epilogue, pdx, n * g.InputSize);
        if (TryBackwardDataByPhases(ws, g, n, P(dy, n * g.OutputSize, nameof(dy)), w, PackedConvWeights.ReadOnly(w, g.WeightSize, nameof(w)), pdx, false, pb, e))
            return;
        ConvBackwardData(ws, g, n, dy, w, dx, false);
        CpuEpilogue.ApplyWithBias(ws, n, g.InChannels, g.InH * g.InW, pdx, pb, e);
    }

    /// <summary>
    /// dx (+)= backward data by stride phases when <see cref="PhaseSplitApplies"/>; false (nothing done) otherwise. Not
    /// accumulating, <paramref name="bias"/> (per dx channel) and then <paramref name="epilogue"/> apply to each dx row as
    /// it is interleaved.
    /// </summary>
    internal static bool TryBackwardDataByPhases(CpuWorkspace ws, in ConvGeometry g, int n, float* dy, DeviceBuffer<float> weights, float* w, float* dx,
        bool accumulate, float* bias = null, in CpuEpilogue epilogue = default)
    {
        if (n == 0 || !PhaseSplitApplies(g)) return false;
        if (TryBackwardDataWinograd(ws, g, n, dy, weights, w, dx, accumulate, bias, epilogue))
        {
            LastKernel = ConvKernel.PhaseWinograd;
            return true;
        }
        LastKernel = ConvKernel.PhaseSplit;
        long total = n * g.InputSize;
        if (total + Slack > int.MaxValue) return false;
        var args = new PhaseArgs { G = g, N = n, Dx = dx, Accumulate = accumulate, Offsets = ws.PhaseOffsets, Bias = bias, Epilogue = epilogue, W = w };
        int C = g.InChannels, K = g.OutChannels, R = g.KernelH, S = g.KernelW;
        // One padded copy of dY serves every phase: padded by the largest phase padding and tall and wide enough for
        // every phase's reads, each phase reading it from an offset (Pmax - its padding) rows and columns on. Wide enough
        // for every column phase over the widest one's columns: the interleaved tiles compute them all on one grid.
        int padH = 0, padW = 0, hq = 0, wq = 0, widest = PhaseAxis(0, g.StrideW, S, g.PadLeft, g.InW).Count;
        for (int rh = 0; rh < g.StrideH; rh++) padH = Math.Max(padH, PhaseAxis(rh, g.StrideH, R, g.PadTop, g.InH).Pad);
        for (int rw = 0; rw < g.StrideW; rw++) padW = Math.Max(padW, PhaseAxis(rw, g.StrideW, S, g.PadLeft, g.InW).Pad);
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var h = PhaseAxis(rh, g.StrideH, R, g.PadTop, g.InH);
            if (h.Count > 0) hq = Math.Max(hq, padH - h.Pad + h.Count + h.Taps - 1);
        }
        for (int rw = 0; rw < g.StrideW; rw++)
        {
            var w0 = PhaseAxis(rw, g.StrideW, S, g.PadLeft, g.InW);
            if (w0.Count > 0) wq = Math.Max(wq, padW - w0.Pad + widest + w0.Taps - 1);
        }
        // A 1x1 stride-1 conv whose output is the padded extent has exactly that padded-copy layout.
        if (n * (long)K * hq * wq + 2 * Slack > int.MaxValue) return false;
        var shared = new ConvArgs { G = new ConvGeometry(K, g.OutH, g.OutW, 1, hq, wq, 1, 1, 1, 1, padH, padW, 1, 1), N = n, X = dy };
        PreparePadded(ws, ref shared);
        FillPadded(ws, &shared);
        float* q0 = shared.Q;
        // Every phase's sub-kernel and channel panels, kept per write of the weights.
        float* kept = PhaseSplitWeights.Get(ws, weights, g, &args, out var keep);
        if (InterleavedTilesApply(g))
        {
            InterleavedPhaseTiles(ws, &args, shared, padH, padW);
            GC.KeepAlive(keep);
            return true;
        }
        // The GEMM phases' sub-kernels: kept, unless every phase was to run on the tiles (then built for this call).
        if (PhaseTilesOff && !PhaseSplitWeights.AnyGemmPhase(g, args.PanelOffsets))
        {
            args.SubKernels = ws.PhaseWeights(PhaseSplitWeights.SubKernelsSize(g));
            ws.Run(&args, C, &BuildSubKernels);
        }
        float* outBase = ws.PhaseOut(total);
        args.Out = outBase;
        // Each phase's [n, C, nh, nw] result in the output (Offsets).
        long offset = 0;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = PhaseAxis(rh, g.StrideH, R, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = PhaseAxis(rw, g.StrideW, S, g.PadLeft, g.InW);
                args.Offsets[rh * g.StrideW + rw] = offset;
                if (ph.Count == 0 || pw.Count == 0) continue;
                offset += (long)n * C * ph.Count * pw.Count;
            }
        }
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = PhaseAxis(rh, g.StrideH, R, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = PhaseAxis(rw, g.StrideW, S, g.PadLeft, g.InW);
                if (ph.Count == 0 || pw.Count == 0) continue;
                int phase = rh * g.StrideW + rw;
                var sg = PhaseGeometry(g, rh, rw);
                shared.Q = q0 + (long)(padH - ph.Pad) * wq + (padW - pw.Pad);
                float* phaseOut = outBase + args.Offsets[phase];
                if (!PhaseTilesOff && args.PanelOffsets[phase] >= 0) ForwardChannelTiles(ws, sg, n, dy, kept + args.PanelOffsets[phase], null, phaseOut, shared: &shared, tapRowMajor: true);
                else ConvForwardCore(ws, sg, n, dy, args.SubKernels + args.SubOffsets[phase], null, phaseOut, &shared);
            }
        }
        ws.Run(&args, n * C, &InterleavePlane);
        GC.KeepAlive(keep);
        return true;
    }

    /// <summary>Phase (rh, rw)'s sub-conv: dY's K channels to dx's C by the flipped sub-kernel, stride 1, onto the phase's nh x nw plane.</summary>
    internal static ConvGeometry PhaseGeometry(in ConvGeometry g, int rh, int rw)
    {
        var ph = PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH);
        var pw = PhaseAxis(rw, g.StrideW, g.KernelW, g.PadLeft, g.InW);
        return new ConvGeometry(g.OutChannels, g.OutH, g.OutW, g.InChannels, ph.Count, pw.Count, ph.Taps, pw.Taps, 1, 1, ph.Pad, pw.Pad, 1, 1);
    }

    /// <summary>
    /// Dx channel c's rows of every phase's sub-kernel [C, K, th, tw] (at SubKernels):
    /// w'[c, k, i, j] = w[k, c, first + sh (th - 1 - i), first + sw (tw - 1 - j)].
    /// </summary>
    internal static void BuildSubKernels(object state, void* args, int c, int worker)
    {
        ref readonly PhaseArgs a = ref *(PhaseArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int C = g.InChannels, K = g.OutChannels, R = g.KernelH, S = g.KernelW;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = PhaseAxis(rh, g.StrideH, R, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = PhaseAxis(rw, g.StrideW, S, g.PadLeft, g.InW);
                if (ph.Count == 0 || pw.Count == 0) continue;
                int taps = ph.Taps * pw.Taps;
                float* sub = a.SubKernels + a.SubOffsets[rh * g.StrideW + rw];
                for (int k = 0; k < K; k++)
                {
                    float* src = a.W + ((long)k * C + c) * R * S;
                    float* dst = sub + ((long)c * K + k) * taps;
                    for (int i = 0; i < ph.Taps; i++)
                    {
                        float* srcRow = src + (ph.First + g.StrideH * (ph.Taps - 1 - i)) * S + pw.First + g.StrideW * (pw.Taps - 1);
                        for (int j = 0; j < pw.Taps; j++) dst[i * pw.Taps + j] = srcRow[-g.StrideW * j];
                    }
                }
            }
        }
    }

    /// <summary>
    /// dx[b, c] (+)= the plane's stride phases interleaved: dx[ih, iw] = phase(ih % sh, iw % sw)[ih / sh, iw / sw]; then
    /// + bias[c] and the epilogue on each row while it is in L1 (the same adds and activation as the separate ops).
    /// </summary>
    internal static void InterleavePlane(object state, void* args, int item, int worker)
    {
        ref readonly PhaseArgs a = ref *(PhaseArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        float* dx = a.Dx + (long)item * g.InH * g.InW;
        float bias = a.Bias == null ? 0 : a.Bias[item % g.InChannels];
        for (int ih = 0; ih < g.InH; ih++)
        {
            float* row = dx + (long)ih * g.InW;
            InterleaveRow(a, item, ih, row, a.Accumulate);
            if (a.Bias != null) AddScalar(row, row, g.InW, bias);
            if (a.Epilogue.Active) a.Epilogue.ApplyRows(row, 1, g.InW, g.InW);
        }
    }

    /// <summary>Row <paramref name="ih"/> of dx plane <paramref name="item"/> (at <paramref name="line"/>) (+)= its stride phases interleaved.</summary>
    private static void InterleaveRow(in PhaseArgs a, int item, int ih, float* line, bool acc)
    {
        ref readonly ConvGeometry g = ref a.G;
        int sh = g.StrideH, sw = g.StrideW;
        int rh = ih % sh, i = ih / sh, nh = (g.InH - rh + sh - 1) / sh;
        if (sw == 2 && Avx.IsSupported)
        {
            int n0 = (g.InW + 1) / 2, n1 = g.InW / 2;
            float* s0 = PhaseRow(a, rh * 2, item, i, nh, n0);
            float* s1 = PhaseRow(a, rh * 2 + 1, item, i, nh, n1);
            int j = 0;
            for (; 2 * j + 16 <= g.InW; j += 8)
            {
                var e = Vector256.Load(s0 + j);
                var o = Vector256.Load(s1 + j);
                var lo = Avx.UnpackLow(e, o);
                var hi = Avx.UnpackHigh(e, o);
                var v0 = Avx.Permute2x128(lo, hi, 0x20);
                var v1 = Avx.Permute2x128(lo, hi, 0x31);
                float* dst = line + 2 * j;
                if (acc)
                {
                    v0 += Vector256.Load(dst);
                    v1 += Vector256.Load(dst + 8);
                }
                v0.Store(dst);
                v1.Store(dst + 8);
            }
            for (int iw = 2 * j; iw < g.InW; iw++)
            {
                float v = (iw & 1) == 0 ? s0[iw / 2] : s1[iw / 2];
                line[iw] = acc ? line[iw] + v : v;
            }
            return;
        }
        for (int rw = 0; rw < sw; rw++)
        {
            int nw = (g.InW - rw + sw - 1) / sw;
            float* src = PhaseRow(a, rh * sw + rw, item, i, nh, nw);
            if (acc) for (int j = 0, iw = rw; j < nw; j++, iw += sw) line[iw] += src[j];
            else for (int j = 0, iw = rw; j < nw; j++, iw += sw) line[iw] = src[j];
        }
    }

    /// <summary>Row <paramref name="i"/> of phase <paramref name="phase"/>'s result for dx plane <paramref name="item"/> (its own nh x nw planes, or the shared tensor's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* PhaseRow(in PhaseArgs a, int phase, int item, int i, int nh, int nw)
    {
        if (a.RowLength == 0) return a.Out + a.Offsets[phase] + ((long)item * nh + i) * nw;
        int c = item % a.G.InChannels;
        return a.Out + item / a.G.InChannels * a.ImageStride + a.Offsets[phase] + ((long)c * a.RowsPerPlane + i) * a.RowLength;
    }

    /// <summary>
    /// Backward data as <see cref="ConvKernel.PhaseWinograd"/> when it applies and the machine has AVX-512 (Winograd's
    /// fused pass); false (nothing done) otherwise. The conv of dY to stride^2 x C channels writes each phase's [C, nh,
    /// nw] block (rows past a phase's own count computed and not read), interleaved into dx as the phase split does.
    /// </summary>
    internal static bool TryBackwardDataWinograd(CpuWorkspace ws, in ConvGeometry g, int n, float* dy, DeviceBuffer<float> weights, float* w, float* dx,
        bool accumulate, float* bias, in CpuEpilogue epilogue)
    {
        if (!ChannelTiles512 || !ConvolutionAlgorithm.PhaseWinogradApplies(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
                g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW))
            return false;
        var wh = ConvolutionAlgorithm.PhaseWindow(g.StrideH, g.KernelH, g.PadTop, g.InH);
        var ww = ConvolutionAlgorithm.PhaseWindow(g.StrideW, g.KernelW, g.PadLeft, g.InW);
        int phases = g.StrideH * g.StrideW, C = g.InChannels, K = g.OutChannels;
        var window = new ConvGeometry(K, g.OutH, g.OutW, phases * C, wh.Count, ww.Count, 3, 3, 1, 1, wh.Pad, ww.Pad, 1, 1);
        if (!WinogradFits(window, n)) return false;
        var args = new PhaseArgs
        {
            G = g, N = n, Dx = dx, Accumulate = accumulate, Offsets = ws.PhaseOffsets, Bias = bias, Epilogue = epilogue, W = w,
            RowsPerPlane = wh.Count, RowLength = ww.Count, ImageStride = window.OutputSize,
        };
        long block = (long)C * wh.Count * ww.Count;
        for (int p = 0; p < phases; p++) args.Offsets[p] = p * block;
        // The window's kernel [phases x C, K, 3, 3] (each phase's flipped taps, zeros elsewhere) and its Winograd
        // transform, once per write of the weights.
        args.Subs = ws.PhaseWeights(window.WeightSize);
        float* u = RegroupedConvWeights.Get(ws, weights, g, RegroupedConvWeights.Use.PhaseBackwardData, window, args.Subs, &args, phases * C,
            &BuildWindowKernel, out var keep);
        args.Out = ws.PhaseOut(n * window.OutputSize + Slack);
        WinogradForward(ws, window, n, dy, u, null, args.Out);
        GC.KeepAlive(keep);
        ws.Run(&args, n * C, &InterleavePlane);
        return true;
    }

    /// <summary>
    /// Output channel <paramref name="item"/> (phase p, dx channel c) of the window's kernel: w'[p C + c, k, u, v] =
    /// w[k, c, first + sh (taps - 1 - t), ...] for the phase's tap t = u - window padding + phase padding (likewise v),
    /// zero where t falls outside the phase's taps.
    /// </summary>
    internal static void BuildWindowKernel(object state, void* args, int item, int worker)
    {
        ref readonly PhaseArgs a = ref *(PhaseArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int C = g.InChannels, K = g.OutChannels, R = g.KernelH, S = g.KernelW, p = item / C, c = item % C;
        var ph = PhaseAxis(p / g.StrideW, g.StrideH, R, g.PadTop, g.InH);
        var pw = PhaseAxis(p % g.StrideW, g.StrideW, S, g.PadLeft, g.InW);
        int padH = ConvolutionAlgorithm.PhaseWindow(g.StrideH, R, g.PadTop, g.InH).Pad, padW = ConvolutionAlgorithm.PhaseWindow(g.StrideW, S, g.PadLeft, g.InW).Pad;
        float* dst = a.Subs + (long)item * K * 9;
        for (int k = 0; k < K; k++, dst += 9)
        {
            float* src = a.W + ((long)k * C + c) * R * S;
            for (int u = 0; u < 3; u++)
            {
                int th = u - padH + ph.Pad;
                for (int v = 0; v < 3; v++)
                {
                    int tw = v - padW + pw.Pad;
                    dst[u * 3 + v] = (uint)th < (uint)ph.Taps && (uint)tw < (uint)pw.Taps
                        ? src[(ph.First + g.StrideH * (ph.Taps - 1 - th)) * S + pw.First + g.StrideW * (pw.Taps - 1 - tw)]
                        : 0f;
                }
            }
        }
    }
}

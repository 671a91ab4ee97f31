using System;
using System.Runtime.CompilerServices;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

/// <summary>
/// The phase split's (<see cref="ConvKernel.PhaseSplit"/>) weights: every stride phase's flipped sub-kernel [C, K th tw]
/// (the im2col GEMM's operand) and, for each phase whose sub-conv the channel tiles can run, its channel panels, kept
/// per weight buffer and built again only when the buffer's <see cref="DeviceBuffer{T}.Version"/> moved or the geometry
/// differs: a training step's backward data built and packed them on every call. A slot of its own, so the forward's
/// packing (<see cref="PackedConvWeights"/>) of the same weights is not evicted by it.
/// </summary>
internal sealed unsafe class PhaseSplitWeights
{
    private static readonly ConditionalWeakTable<DeviceBuffer<float>, PhaseSplitWeights> s_cache = new();

    private readonly KeptPacking<ConvGeometry> _kept = new();

    /// <summary>Times these weights were split into phases and packed (for tests: once per write).</summary>
    internal int Packs => _kept.Packs;

    /// <summary>The phase weights kept for <paramref name="weights"/>, if any (for tests).</summary>
    internal static PhaseSplitWeights? Find(DeviceBuffer<float> weights) => s_cache.TryGetValue(weights, out var p) ? p : null;

    /// <summary>Whether some phase's sub-conv runs by im2col + GEMM (its sub-kernel is kept then; with every phase on the tiles it is not).</summary>
    internal static bool AnyGemmPhase(in ConvGeometry g, long* panelOffsets)
    {
        for (int rh = 0; rh < g.StrideH; rh++)
            for (int rw = 0; rw < g.StrideW; rw++)
                if (panelOffsets[rh * g.StrideW + rw] < 0
                    && CpuConvolution.PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH).Count > 0
                    && CpuConvolution.PhaseAxis(rw, g.StrideW, g.KernelW, g.PadLeft, g.InW).Count > 0)
                    return true;
        return false;
    }

    /// <summary>
    /// Channel panel <paramref name="item"/> / K, dY channel k = item % K, of every phase on the tiles: the panel rows
    /// (i K + k) tw + j, w'[c, i, k, j] = w[k, c, first + sh (th - 1 - i), first + sw (tw - 1 - j)] for the panel's
    /// channels c (lanes past C zero). Each row is 32 contiguous floats, read from w[k, c0 .. c0 + 31] (3.2 KB for a 5x5,
    /// in L1): a dx channel per item wrote a float per 128-byte row, 0.65 ms a call for the U-net's 64 x 64 5x5.
    /// </summary>
    internal static void BuildPanelsItem(object state, void* args, int item, int worker)
    {
        ref readonly CpuConvolution.PhaseArgs a = ref *(CpuConvolution.PhaseArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int C = g.InChannels, K = g.OutChannels, R = g.KernelH, S = g.KernelW, panel = item / K, k = item % K;
        int c0 = panel * CpuConvolution.TileChannels, width = CpuConvolution.PanelWidth(C, panel), lanes = Math.Min(width, C - c0);
        float* src0 = a.W + ((long)k * C + c0) * R * S;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = CpuConvolution.PhaseAxis(rh, g.StrideH, R, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                long offset = a.PanelOffsets[rh * g.StrideW + rw];
                if (offset < 0) continue;
                var pw = CpuConvolution.PhaseAxis(rw, g.StrideW, S, g.PadLeft, g.InW);
                float* panelBase = a.Subs + offset + (long)c0 * K * ph.Taps * pw.Taps;
                for (int i = 0; i < ph.Taps; i++)
                    for (int j = 0; j < pw.Taps; j++)
                    {
                        float* dst = panelBase + ((long)(i * K + k) * pw.Taps + j) * width;
                        float* src = src0 + (ph.First + g.StrideH * (ph.Taps - 1 - i)) * S + pw.First + g.StrideW * (pw.Taps - 1 - j);
                        for (int v = 0; v < lanes; v++) dst[v] = src[(long)v * R * S];
                        for (int v = lanes; v < width; v++) dst[v] = 0;
                    }
            }
        }
    }

    /// <summary>
    /// Each phase's place in the kept array for <paramref name="g"/>: its channel panels at <paramref name="panelOffsets"/>
    /// (rh-major; -1 where the tiles do not apply), then, when some phase runs by the GEMM, the sub-kernels from
    /// <paramref name="subKernels"/> on, each at <paramref name="subOffsets"/> from there; returns the floats in all.
    /// </summary>
    internal static long Layout(in ConvGeometry g, long* subOffsets, long* panelOffsets, out long subKernels)
    {
        int C = g.InChannels, K = g.OutChannels;
        long total = 0;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = CpuConvolution.PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = CpuConvolution.PhaseAxis(rw, g.StrideW, g.KernelW, g.PadLeft, g.InW);
                int depth = K * ph.Taps * pw.Taps;
                bool tiles = ph.Count > 0 && pw.Count > 0 && ConvolutionAlgorithm.ChannelTilesApply(depth, C);
                panelOffsets[rh * g.StrideW + rw] = tiles ? total : -1;
                if (tiles) total += CpuConvolution.ChannelPanelsSize(C, depth);
            }
        }
        subKernels = total;
        long subs = SubKernelsSize(g, subOffsets);
        return AnyGemmPhase(g, panelOffsets) ? total + subs : total;
    }

    /// <summary>Floats of every phase's sub-kernel [C, K th tw], each at <paramref name="subOffsets"/> (rh-major; null: not written).</summary>
    internal static long SubKernelsSize(in ConvGeometry g, long* subOffsets = null)
    {
        long total = 0;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = CpuConvolution.PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = CpuConvolution.PhaseAxis(rw, g.StrideW, g.KernelW, g.PadLeft, g.InW);
                if (subOffsets != null) subOffsets[rh * g.StrideW + rw] = total;
                if (ph.Count > 0 && pw.Count > 0) total += (long)g.InChannels * g.OutChannels * ph.Taps * pw.Taps;
            }
        }
        return total;
    }

    /// <summary>
    /// The kept array for <paramref name="weights"/> (at args' W) in <see cref="Layout"/>'s order, built over the workers
    /// when they were written since (or the geometry differs); sets args' Subs, SubKernels, SubOffsets and PanelOffsets. The caller
    /// keeps <paramref name="keep"/> alive (GC.KeepAlive) until its op is done.
    /// </summary>
    internal static float* Get(CpuWorkspace ws, DeviceBuffer<float> weights, in ConvGeometry g, CpuConvolution.PhaseArgs* args, out float[] keep)
    {
        if (weights is not HostBuffer<float> host)
            throw new ArgumentException($"ConvBackwardData: weights of device '{weights.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", nameof(weights));
        args->SubOffsets = ws.PhaseKernelOffsets;
        args->PanelOffsets = ws.PhasePanelOffsets;
        long total = Layout(g, args->SubOffsets, args->PanelOffsets, out long subKernels);
        var entry = s_cache.GetValue(weights, _ => new PhaseSplitWeights());
        lock (entry)
        {
            // Read before packing: a write racing the packing moves the version past it, so the next call packs again.
            long version = host.Version;
            bool gemm = AnyGemmPhase(g, args->PanelOffsets);
            if (entry._kept.TryGet(version, g, out float* kept, out keep))
            {
                args->SubKernels = gemm ? kept + subKernels : null;
                return args->Subs = kept;
            }
            args->Subs = entry._kept.Begin(Math.Max(total, 1));
            args->SubKernels = gemm ? args->Subs + subKernels : null;
            // Each phase's channel panels written straight from w (tap row by tap row, so a tile of rows reaching
            // padding runs only its other tap rows), and the sub-kernels the GEMM phases read. Training writes the
            // weights every step, so this runs once per step per layer.
            ws.Run(args, (g.InChannels + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels * g.OutChannels, &BuildPanelsItem);
            if (gemm) ws.Run(args, g.InChannels, &CpuConvolution.BuildSubKernels);
            keep = entry._kept.Done(version, g);
            return args->Subs;
        }
    }
}

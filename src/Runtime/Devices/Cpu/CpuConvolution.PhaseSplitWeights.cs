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

    /// <summary>
    /// Each phase's place in the kept array for <paramref name="g"/>: its sub-kernel at <paramref name="subOffsets"/>
    /// (rh-major), then its channel panels at <paramref name="panelOffsets"/> (-1 where the tiles do not apply); returns the floats in all.
    /// </summary>
    internal static long Layout(in ConvGeometry g, long* subOffsets, long* panelOffsets)
    {
        int C = g.InChannels, K = g.OutChannels;
        long total = 0;
        for (int rh = 0; rh < g.StrideH; rh++)
        {
            var ph = CpuConvolution.PhaseAxis(rh, g.StrideH, g.KernelH, g.PadTop, g.InH);
            for (int rw = 0; rw < g.StrideW; rw++)
            {
                var pw = CpuConvolution.PhaseAxis(rw, g.StrideW, g.KernelW, g.PadLeft, g.InW);
                subOffsets[rh * g.StrideW + rw] = total;
                if (ph.Count > 0 && pw.Count > 0) total += (long)C * K * ph.Taps * pw.Taps;
            }
        }
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
        return total;
    }

    /// <summary>
    /// The kept array for <paramref name="weights"/> (at args' W) in <see cref="Layout"/>'s order, built over the workers
    /// when they were written since (or the geometry differs); sets args' Subs, SubOffsets and PanelOffsets. The caller
    /// keeps <paramref name="keep"/> alive (GC.KeepAlive) until its op is done.
    /// </summary>
    internal static float* Get(CpuWorkspace ws, DeviceBuffer<float> weights, in ConvGeometry g, CpuConvolution.PhaseArgs* args, out float[] keep)
    {
        if (weights is not HostBuffer<float> host)
            throw new ArgumentException($"ConvBackwardData: weights of device '{weights.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", nameof(weights));
        args->SubOffsets = ws.PhaseKernelOffsets;
        args->PanelOffsets = ws.PhasePanelOffsets;
        long total = Layout(g, args->SubOffsets, args->PanelOffsets);
        var entry = s_cache.GetValue(weights, _ => new PhaseSplitWeights());
        lock (entry)
        {
            // Read before packing: a write racing the packing moves the version past it, so the next call packs again.
            long version = host.Version;
            if (entry._kept.TryGet(version, g, out float* kept, out keep)) return args->Subs = kept;
            args->Subs = entry._kept.Begin(Math.Max(total, 1));
            // Every phase's sub-kernel at once, one dx channel per item: together they hold each of w's values once.
            ws.Run(args, g.InChannels, &CpuConvolution.BuildSubKernels);
            for (int rh = 0; rh < g.StrideH; rh++)
                for (int rw = 0; rw < g.StrideW; rw++)
                {
                    int phase = rh * g.StrideW + rw;
                    if (args->PanelOffsets[phase] < 0) continue;
                    // The sub-kernel [C, K, th, tw] is the sub-conv's w[out, depth]: packed into channel panels for the
                    // tiles tap row by tap row, [C, th, K, tw], so a tile of rows reaching padding runs only its other tap rows.
                    var sg = CpuConvolution.PhaseGeometry(g, rh, rw);
                    int K = sg.InChannels, th = sg.KernelH, tw = sg.KernelW;
                    float* sub = args->Subs + args->SubOffsets[phase], rows = ws.PhaseWeights((long)g.InChannels * K * th * tw);
                    for (int c = 0; c < g.InChannels; c++)
                        for (int k = 0; k < K; k++)
                            for (int r = 0; r < th; r++)
                                new ReadOnlySpan<float>(sub + (((long)c * K + k) * th + r) * tw, tw).CopyTo(new Span<float>(rows + (((long)c * th + r) * K + k) * tw, tw));
                    var pack = new CpuConvolution.ConvArgs { G = sg, W = rows, PackedW = args->Subs + args->PanelOffsets[phase] };
                    ws.Run(&pack, (g.InChannels + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.PackChannelPanelItem);
                }
            keep = entry._kept.Done(version, g);
            return args->Subs;
        }
    }
}

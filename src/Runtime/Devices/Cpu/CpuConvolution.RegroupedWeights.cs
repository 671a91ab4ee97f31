using System;
using System.Runtime.CompilerServices;
using Strider.Shapes;

namespace Strider.Devices.Cpu;

/// <summary>
/// The Winograd U of a strided conv's weights regrouped into one 3x3 window conv (<see cref="ConvKernel.StridedWinograd"/>'s
/// forward, <see cref="ConvKernel.PhaseWinograd"/>'s backward data), kept per weight buffer and built again only when
/// the buffer's <see cref="DeviceBuffer{T}.Version"/> moved or the geometry differs: inference regroups each layer's
/// weights once, not on every call. One slot per use, so a training step's forward and backward data on the same
/// weights do not evict each other.
/// </summary>
internal sealed unsafe class RegroupedConvWeights
{
    /// <summary>Which regrouping: the strided forward's (input phases as channels) or the backward data's (output phases as channels).</summary>
    internal enum Use { StridedForward, PhaseBackwardData }

    private static readonly ConditionalWeakTable<DeviceBuffer<float>, RegroupedConvWeights> s_cache = new();

    private readonly KeptPacking<ConvGeometry>[] _slots = [new(), new()];

    /// <summary>Times these weights were regrouped and transformed for <paramref name="use"/> (for tests: once per write).</summary>
    internal int Packs(Use use) => _slots[(int)use].Packs;

    /// <summary>The regroupings kept for <paramref name="weights"/>, if any (for tests).</summary>
    internal static RegroupedConvWeights? Find(DeviceBuffer<float> weights) => s_cache.TryGetValue(weights, out var p) ? p : null;

    /// <summary>
    /// Winograd's U of <paramref name="window"/>'s kernel for <paramref name="g"/>'s <paramref name="weights"/>, built
    /// when they were written since (or the geometry differs): <paramref name="regroup"/> writes the window's kernel
    /// over <paramref name="items"/> items into the scratch its <paramref name="args"/> point at, then the transform
    /// packs it. Returns U; the caller keeps <paramref name="keep"/> alive (GC.KeepAlive) until its op is done.
    /// </summary>
    internal static float* Get(CpuWorkspace ws, DeviceBuffer<float> weights, in ConvGeometry g, Use use, in ConvGeometry window, float* scratch,
        void* args, int items, delegate*<object, void*, int, int, void> regroup, out float[] keep)
    {
        var host = (HostBuffer<float>)weights;
        var entry = s_cache.GetValue(weights, _ => new RegroupedConvWeights());
        var slot = entry._slots[(int)use];
        lock (slot)
        {
            // Read before packing: a write racing the packing moves the version past it, so the next call packs again.
            long version = host.Version;
            if (slot.TryGet(version, g, out float* packed, out keep)) return packed;
            int K = window.OutChannels, C = window.InChannels;
            packed = slot.Begin(16L * Gemm.RoundUp(K, CpuConvolution.TileChannels) * C);
            ws.Run(args, items, regroup);
            var conv = new CpuConvolution.ConvArgs { G = window, W = scratch, PackedW = packed };
            ws.Run(&conv, (K + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.WinogradWeightsItem);
            keep = slot.Done(version, g);
            return packed;
        }
    }
}

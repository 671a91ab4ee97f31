using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    private readonly Slot[] _slots = [new(), new()];

    private sealed class Slot
    {
        public float[]? Packed;
        public float* Pointer;
        public long Version = -1;
        public ConvGeometry Geometry;
        public int Packs;
    }

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
            if (slot.Version == version && slot.Geometry == g && slot.Packed is { } kept)
            {
                keep = kept;
                return slot.Pointer;
            }
            int K = window.OutChannels, C = window.InChannels;
            long size = 16L * Gemm.RoundUp(K, CpuConvolution.TileChannels) * C;
            if (slot.Packed is null || slot.Packed.LongLength < size)
            {
                slot.Packed = GC.AllocateUninitializedArray<float>(checked((int)size), pinned: true);
                slot.Pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slot.Packed));
            }
            slot.Version = -1; // a packing that throws part way leaves nothing trusted
            ws.Run(args, items, regroup);
            var conv = new CpuConvolution.ConvArgs { G = window, W = scratch, PackedW = slot.Pointer };
            ws.Run(&conv, (K + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.WinogradWeightsItem);
            (slot.Version, slot.Geometry) = (version, g);
            slot.Packs++;
            keep = slot.Packed;
            return slot.Pointer;
        }
    }
}

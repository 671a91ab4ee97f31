using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Strider.Devices.Cpu;

/// <summary>
/// A conv's forward weights packed into the GEMM's MR-row A panels (KC-deep blocks one after another), kept per weight
/// buffer and packed again only when the buffer's <see cref="DeviceBuffer{T}.Version"/> moved (an optimizer step, Load,
/// a BatchNorm fold, any upload): inference packs each layer's weights once, not on every call (ResNet-18's 512-channel
/// 3x3 convs packed 9 MB of weights per call for 0.23 GFLOP of work).
/// </summary>
internal sealed unsafe class PackedConvWeights
{
    /// <summary>
    /// How the weights are packed: the im2col GEMM's MR-row panels, the channel tiles' 32-channel panels, Winograd
    /// F(2x2,3x3)'s U, the pointwise tiles' 8-row panels over the whole depth, Winograd F(4x4,3x3)'s U, or
    /// F(2x2,4x4)'s or F(2x2,5x5)'s U, or the shallow direct tiles' 8-channel blocks.
    /// </summary>
    internal enum Layout { GemmPanels, ChannelPanels, Winograd, PointwisePanels, Winograd4x4, LargeWinograd4x4, LargeWinograd5x5, ShallowPanels }

    private static readonly ConditionalWeakTable<DeviceBuffer<float>, PackedConvWeights> s_cache = new();

    private readonly KeptPacking<(int Rows, int Depth, Layout Layout)> _kept = new();

    /// <summary>
    /// A checked pointer to a buffer an op only reads (conv weights), not counted as a write (CpuMath.P is,
    /// for the buffers an op may write), so the weights' packing stays valid across calls.
    /// </summary>
    internal static float* ReadOnly(DeviceBuffer<float> buffer, long needed, string name)
    {
        if (buffer is not HostBuffer<float> host)
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", name);
        if (host.IsDisposed) throw new ObjectDisposedException(name, $"Buffer '{name}' was disposed.");
        if (needed > host.Length) throw new ArgumentException($"Buffer '{name}' holds {host.Length} values; the op needs {needed}.", name);
        return host.ReadPointer;
    }

    /// <summary>Times these weights were packed (for tests: once per write of the weights).</summary>
    internal int Packs => _kept.Packs;

    /// <summary>The packing kept for <paramref name="weights"/>, if any (for tests).</summary>
    internal static PackedConvWeights? Find(DeviceBuffer<float> weights) => s_cache.TryGetValue(weights, out var p) ? p : null;

    /// <summary>
    /// The packed A operand of <paramref name="weights"/> as [rows, depth] (output channels x C R S), packing it over
    /// the workers first when the weights were written since the last packing or the shape differs. Sets conv's W and
    /// PackedW; the caller keeps the returned array alive (GC.KeepAlive) until its op is done, since a later packing
    /// for another shape may replace it.
    /// </summary>
    internal static float[] Get(CpuWorkspace ws, DeviceBuffer<float> weights, int rows, int depth, CpuConvolution.ConvArgs* conv, Layout layout = Layout.GemmPanels)
    {
        // Read without counting a write: the conv only reads its weights, and a counted read would repack every call.
        conv->W = ReadOnly(weights, (long)rows * depth, "w");
        var host = (HostBuffer<float>)weights;
        var entry = s_cache.GetValue(weights, _ => new PackedConvWeights());
        lock (entry)
        {
            // Read before packing: a write racing the packing moves the version past it, so the next call packs again.
            long version = host.Version;
            var key = (rows, depth, layout);
            if (entry._kept.TryGet(version, key, out float* packed, out var kept))
            {
                conv->PackedW = packed;
                return kept;
            }
            // Winograd keeps U = G w G^T (depth = C x 9) as 16 times the channel tiles' panels of [K, C].
            long size = layout switch
            {
                Layout.Winograd => 16L * Gemm.RoundUp(rows, CpuConvolution.TileChannels) * (depth / 9),
                Layout.Winograd4x4 => CpuConvolution.Winograd4WeightsSize(rows, depth / 9),
                Layout.LargeWinograd4x4 => 25L * Gemm.RoundUp(rows, CpuConvolution.TileChannels) * (depth / 16),
                Layout.LargeWinograd5x5 => 36L * Gemm.RoundUp(rows, CpuConvolution.TileChannels) * (depth / 25),
                Layout.ChannelPanels => CpuConvolution.ChannelPanelsSize(rows, depth),
                Layout.ShallowPanels => CpuConvolution.ShallowPanelsSize(rows, depth),
                _ => (long)Gemm.RoundUp(rows, Gemm.MR) * depth,
            };
            conv->PackedW = entry._kept.Begin(size);
            // One KC-deep block per item (serial, this packing was ~2% of a U-net step on the calling thread alone).
            if (layout == Layout.Winograd) ws.Run(conv, (rows + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.WinogradWeightsItem);
            else if (layout == Layout.Winograd4x4) ws.Run(conv, (rows + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.Winograd4WeightsItem);
            else if (layout is Layout.LargeWinograd4x4 or Layout.LargeWinograd5x5)
                ws.Run(conv, (rows + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.LargeWinogradWeightsItem);
            else if (layout == Layout.ChannelPanels) ws.Run(conv, (rows + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels, &CpuConvolution.PackChannelPanelItem);
            else if (layout == Layout.ShallowPanels) ws.Run(conv, (rows + CpuConvolution.ShallowChannels - 1) / CpuConvolution.ShallowChannels, &CpuConvolution.PackShallowPanelItem);
            else if (layout == Layout.PointwisePanels) ws.Run(conv, (rows + Gemm.MR - 1) / Gemm.MR, &CpuConvolution.PackPointwisePanelItem);
            else ws.Run(conv, (depth + Gemm.KC - 1) / Gemm.KC, &CpuConvolution.PackWeightsItem);
            return entry._kept.Done(version, key);
        }
    }
}

/// <summary>
/// One kept packing of a weight buffer: its pinned array, what it was packed from (the buffer's version and a key for
/// the shape and layout) and how many times it was packed. The forward's (<see cref="PackedConvWeights"/>), the flipped
/// (<see cref="FlippedConvWeights"/>) and the regrouped (<see cref="RegroupedConvWeights"/>) packings keep theirs in
/// one each; the caller holds the lock around a TryGet, Begin, pack, Done.
/// </summary>
internal sealed unsafe class KeptPacking<TKey> where TKey : IEquatable<TKey>
{
    /// <summary>Floats of a 64-byte cache line: the packing starts on one, so whole-line streaming stores can fill it.</summary>
    private const int LineFloats = 16;

    private float[]? _packed;
    private float* _pointer;
    private long _version = -1;
    private TKey _key = default!;

    /// <summary>Times it was packed (for tests: once per write of the weights).</summary>
    internal int Packs { get; private set; }

    /// <summary>The packing, when it was made from <paramref name="version"/> for <paramref name="key"/>.</summary>
    internal bool TryGet(long version, TKey key, out float* packed, out float[] keep)
    {
        packed = _pointer;
        keep = _packed!;
        return _version == version && _packed is not null && _key.Equals(key);
    }

    /// <summary>Room for <paramref name="size"/> values to pack into; nothing is trusted until <see cref="Done"/> (a packing that throws part way leaves nothing).</summary>
    internal float* Begin(long size)
    {
        if (_packed is null || _packed.LongLength < size + LineFloats - 1)
        {
            _packed = GC.AllocateUninitializedArray<float>(checked((int)(size + LineFloats - 1)), pinned: true);
            long start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_packed));
            _pointer = (float*)((start + LineFloats * sizeof(float) - 1) & -(LineFloats * sizeof(float)));
        }
        _version = -1;
        return _pointer;
    }

    /// <summary>Records the packing just made from <paramref name="version"/> for <paramref name="key"/>; returns the array for the caller to keep alive.</summary>
    internal float[] Done(long version, TKey key)
    {
        (_version, _key) = (version, key);
        Packs++;
        return _packed!;
    }
}

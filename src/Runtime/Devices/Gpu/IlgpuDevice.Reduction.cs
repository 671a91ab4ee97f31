using System;
using System.Buffers;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// The block reductions' launch sizes, and the reduction whose result the host reads (losses, sums of squares).
public sealed partial class IlgpuDevice
{
    private int _reduceGroup;

    /// <summary>The most groups one array's sum is split into on a GPU (and arrays summed at once: 3), so the host reads a few KB.</summary>
    private const int MostParts = 1024, MostArrays = 3;
    private Action<KernelConfig, ArrayView<float>, int, int, int, ArrayView<float>>? _partials;

    /// <summary>
    /// Threads per group of the block reductions (<see cref="GroupReduce"/>): 256 on a GPU (eight warps of 32, enough
    /// loads in flight per channel); on the simulator two warps, which still runs the cross-warp step the GPU runs
    /// while keeping the simulated threads (managed threads meeting at barriers) few.
    /// </summary>
    internal int ReduceGroupSize
    {
        get
        {
            if (_reduceGroup == 0)
            {
                int warp = Math.Max(1, _accelerator.WarpSize);
                int wanted = _accelerator.AcceleratorType == AcceleratorType.CPU ? 2 * warp : 256;
                int size = Math.Min(wanted, Math.Min(_accelerator.MaxNumThreadsPerGroup, GroupReduce.MaxWarps * warp));
                _reduceGroup = Math.Max(warp, size / warp * warp);
            }
            return _reduceGroup;
        }
    }

    /// <summary>A launch of <paramref name="groups"/> reduction groups.</summary>
    private KernelConfig ReduceLaunch(long groups) => new(Threads(groups, nameof(groups)), ReduceGroupSize);

    /// <summary>How many groups share one array of <paramref name="length"/> values in <see cref="LossKernels.Partials"/>: enough to fill a GPU, few on the simulator.</summary>
    private int PartsFor(long length)
    {
        int most = _accelerator.AcceleratorType == AcceleratorType.CPU ? 4 : MostParts;
        return (int)Math.Clamp((length + ReduceGroupSize - 1) / ReduceGroupSize, 1, most);
    }

    /// <summary>Partial-sum slots <see cref="SumsOnHost"/> needs for <paramref name="arrays"/> arrays of <paramref name="length"/> values.</summary>
    private long PartialSlots(int arrays, long length) => (long)arrays * PartsFor(length);

    /// <summary>
    /// Sums each of <paramref name="arrays"/> consecutive arrays of <paramref name="length"/> values in
    /// <paramref name="values"/> (or their squares): block reductions write a fixed set of partial sums, and the host
    /// reads them in one copy (the op's one wait for the device) and adds them in order, in double.
    /// </summary>
    private void SumsOnHost(ArrayView<float> values, int arrays, long length, bool square, ArrayView<float> partials, Span<double> sums)
    {
        if (arrays > MostArrays) throw new ArgumentOutOfRangeException(nameof(arrays), arrays, $"At most {MostArrays} arrays are summed at once.");
        int parts = LaunchPartials(values, arrays, length, square, partials);
        int slots = arrays * parts;
        // At most 3 arrays of 1024 parts: 12 KB on the stack (a field would be shared by threads that share the device).
        Span<float> host = stackalloc float[slots];
        partials.SubView(0, slots).CopyToCPU(host);
        for (int a = 0; a < arrays; a++)
        {
            double sum = 0;
            for (int p = 0; p < parts; p++) sum += host[a * parts + p];
            sums[a] = sum;
        }
    }

    /// <summary>Queues the block reductions that write <see cref="PartialSlots"/>(arrays, length) partial sums; returns the parts per array.</summary>
    private int LaunchPartials(ArrayView<float> values, int arrays, long length, bool square, ArrayView<float> partials)
    {
        int parts = PartsFor(length);
        (_partials ??= _accelerator.LoadStreamKernel<ArrayView<float>, int, int, int, ArrayView<float>>(LossKernels.Partials))
            (ReduceLaunch((long)arrays * parts), values, Threads(length, nameof(length)), parts, Flag(square), partials);
        return parts;
    }

    /// <summary>Every buffer's partial sums of squares into one scratch array, read by the host once: one wait for all of them.</summary>
    public override double SumOfSquares(IReadOnlyList<(long Count, DeviceBuffer<float> X)> buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        long slots = 0;
        for (int i = 0; i < buffers.Count; i++)
        {
            var (count, x) = buffers[i];
            V(x, count, nameof(buffers));
            Threads(count, nameof(buffers));
            if (count > 0) slots += PartialSlots(1, count);
        }
        if (slots == 0) return 0;
        var partials = Scratch(slots);
        long offset = 0;
        for (int i = 0; i < buffers.Count; i++)
        {
            var (count, x) = buffers[i];
            if (count > 0) offset += LaunchPartials(V(x, count, nameof(buffers)).SubView(0, count), 1, count, square: true, partials.SubView(offset, slots - offset));
        }
        var host = ArrayPool<float>.Shared.Rent((int)slots);
        try
        {
            partials.SubView(0, slots).CopyToCPU(host.AsSpan(0, (int)slots));
            double sum = 0;
            for (int i = 0; i < slots; i++) sum += host[i];
            return sum;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(host);
        }
    }
}

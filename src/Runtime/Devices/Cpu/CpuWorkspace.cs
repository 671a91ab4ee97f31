using System;
using System.Runtime.CompilerServices;

namespace Strider.Devices.Cpu;

/// <summary>
/// The scratch memory of one op call: per-worker packing panels, the padded input copy, the stride-phase buffers and
/// the partial sums. A <see cref="CpuDevice"/> lends one set to each op for the length of the call, so ops running at
/// once on several threads never share scratch; each set grows on demand and is kept, so steady-state calls allocate
/// nothing. The work items of the op get it as their state object.
/// </summary>
internal sealed unsafe class CpuWorkspace
{
    private readonly WorkerPool _pool;
    private float[] _shared = [], _padded = [], _phaseWeights = [], _phaseOut = [];
    private int[] _shifts = [];
    private double[] _partials = [];
    private readonly long[] _phaseOffsets, _phaseKernelOffsets, _phasePanelOffsets;

    public CpuWorkspace(WorkerPool pool)
    {
        _pool = pool;
        int workers = pool.WorkerCount;
        WorkspaceA = new float[workers][];
        WorkspaceB = new float[workers][];
        WorkspaceC = new float[workers][];
        WorkspaceD = new float[workers][];
        for (int i = 0; i < workers; i++) WorkspaceA[i] = WorkspaceB[i] = WorkspaceC[i] = WorkspaceD[i] = [];
        _phaseOffsets = GC.AllocateArray<long>(CpuConvolution.MaxPhaseStride * CpuConvolution.MaxPhaseStride, pinned: true);
        _phaseKernelOffsets = GC.AllocateArray<long>(CpuConvolution.MaxPhaseStride * CpuConvolution.MaxPhaseStride, pinned: true);
        _phasePanelOffsets = GC.AllocateArray<long>(CpuConvolution.MaxPhaseStride * CpuConvolution.MaxPhaseStride, pinned: true);
    }

    /// <summary>Workers the op's items may run on (the caller included); ops size their items by it.</summary>
    public int Workers => _pool.WorkerCount;

    /// <summary>Four per-worker panels (indexed by the worker number a work item gets), grown with <see cref="CpuMath.Grow"/>.</summary>
    public float[][] WorkspaceA { get; }

    public float[][] WorkspaceB { get; }

    public float[][] WorkspaceC { get; }

    public float[][] WorkspaceD { get; }

    /// <summary>Runs work(this, args, item, worker) for every item: args points at the caller's argument struct.</summary>
    public void Run(void* args, int items, delegate*<object, void*, int, int, void> work) => _pool.Run(this, args, items, work);

    /// <summary>At least <paramref name="size"/> floats the whole op shares (packed weights, partial gradients, an overlap copy).</summary>
    public float* Shared(long size) => Pinned(ref _shared, size);

    /// <summary>The padded input copy (see CpuConvolution.Padded.cs), grown by doubling up to the array limit.</summary>
    public float* Padded(long size)
    {
        if (_padded.Length < size || _padded.Length == 0) _padded = GC.AllocateArray<float>((int)Math.Max(Math.Max(size, 1), Math.Min(int.MaxValue - 64, _padded.Length * 2L)), pinned: true);
        return (float*)Unsafe.AsPointer(ref _padded[0]);
    }

    /// <summary>The tap shift table of the padded copy, at least <paramref name="count"/> entries.</summary>
    public int* Shifts(int count)
    {
        if (_shifts.Length < count || _shifts.Length == 0) _shifts = GC.AllocateArray<int>(Math.Max(Math.Max(count, 1), _shifts.Length * 2), pinned: true);
        return (int*)Unsafe.AsPointer(ref _shifts[0]);
    }

    /// <summary>Every stride phase's result of a phase-split backward data, grown by doubling up to the array limit.</summary>
    public float* PhaseOut(long size)
    {
        if (_phaseOut.Length < size || _phaseOut.Length == 0) _phaseOut = GC.AllocateArray<float>((int)Math.Max(Math.Max(size, 1), Math.Min(int.MaxValue - 64, _phaseOut.Length * 2L)), pinned: true);
        return (float*)Unsafe.AsPointer(ref _phaseOut[0]);
    }

    /// <summary>Every stride phase's flipped sub-kernel.</summary>
    public float* PhaseWeights(long size) => Pinned(ref _phaseWeights, size);

    /// <summary>The start of each phase's result (rh-major), <see cref="CpuConvolution.MaxPhaseStride"/> squared entries.</summary>
    public long* PhaseOffsets => (long*)Unsafe.AsPointer(ref _phaseOffsets[0]);

    /// <summary>The start of each phase's sub-kernel (rh-major).</summary>
    public long* PhaseKernelOffsets => (long*)Unsafe.AsPointer(ref _phaseKernelOffsets[0]);

    /// <summary>The start of each phase's channel panels (rh-major; -1 where its sub-conv runs by im2col + GEMM).</summary>
    public long* PhasePanelOffsets => (long*)Unsafe.AsPointer(ref _phasePanelOffsets[0]);

    /// <summary>One partial sum per range of a reduction.</summary>
    public double* PartialSums(long count)
    {
        if (_partials.Length < count || _partials.Length == 0) _partials = GC.AllocateArray<double>((int)Math.Max(Math.Max(count, 1), _partials.Length * 2L), pinned: true);
        return (double*)Unsafe.AsPointer(ref _partials[0]);
    }

    private static float* Pinned(ref float[] array, long size)
    {
        if (array.Length < size || array.Length == 0) array = GC.AllocateArray<float>((int)Math.Max(Math.Max(size, 1), array.Length * 2L), pinned: true);
        return (float*)Unsafe.AsPointer(ref array[0]);
    }
}

using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

// The tiled GEMM launcher every convolution and dense op shares (GemmKernels.cs), and its per-device tiling.
public sealed partial class IlgpuDevice
{
    private GemmTiling? _tiling;

    /// <summary>
    /// How the tiled GEMM kernels (convolutions, dense) launch on this device: <see cref="GemmTiling.Gpu"/> on a GPU,
    /// <see cref="GemmTiling.Simulator"/> on ILGPU's CPU accelerator. Set it to tune; results do not depend on it
    /// beyond float rounding. Throws when a group would exceed the accelerator's threads or shared memory per group.
    /// </summary>
    public GemmTiling Tiling
    {
        get => _tiling ??= _accelerator.AcceleratorType == AcceleratorType.CPU ? GemmTiling.Simulator : GemmTiling.Gpu;
        set
        {
            ThrowIfDisposed();
            long sharedBytes = value.SharedFloats * sizeof(float);
            if (value.GroupX < 1 || value.GroupY < 1 || value.Depth < 1 || value.SplitKGroups < 0 || (long)value.GroupX * value.GroupY > _accelerator.MaxNumThreadsPerGroup
                || sharedBytes > _accelerator.MaxSharedMemoryPerGroup)
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    $"A GEMM group of {value.GroupX} x {value.GroupY} threads with {value.Depth}-deep steps ({sharedBytes} bytes of shared memory) does not fit "
                    + $"'{Name}': at most {_accelerator.MaxNumThreadsPerGroup} threads and {_accelerator.MaxSharedMemoryPerGroup} bytes per group, all sizes at least 1 (SplitKGroups at least 0).");
            _tiling = value;
        }
    }

    /// <summary>Runs <paramref name="problems"/> GEMMs of M x N results over K products, loading the kernel for these operands on first use.</summary>
    private void Gemm<TOperands>(ref Action<KernelConfig, GemmShape, TOperands>? kernel, int m, int n, int k, int problems, TOperands operands)
        where TOperands : struct, IGemmOperands
    {
        var tiling = Tiling;
        // CUDA grids allow 65535 groups along y (row blocks) and z (convolution groups).
        long rowBlocks = ((long)m + tiling.RowsPerGroup - 1) / tiling.RowsPerGroup;
        if (rowBlocks > ushort.MaxValue || problems > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(m), m,
                $"A GEMM of {m} rows in {problems} groups needs {rowBlocks} x {problems} row blocks; '{Name}' launches at most {ushort.MaxValue} of each. Use fewer channels per group or fewer groups.");
        kernel ??= _accelerator.LoadStreamKernel<GemmShape, TOperands>(GemmKernels.Tiled);
        kernel(tiling.Launch(m, n, problems), new GemmShape(m, n, k, tiling.Depth), operands);
    }
}

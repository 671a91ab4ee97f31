using System;
using System.Linq;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Strider.Devices.Gpu;

/// <summary>
/// The op set as ILGPU kernels on one accelerator: CUDA or OpenCL for real work, or ILGPU's CPU accelerator, a GPU
/// simulator for tests. Kernels are compiled on first use and cached for the device's lifetime. Ops queue on the
/// accelerator's default stream; host reads (buffer downloads, loss values) wait for them.
/// </summary>
public sealed partial class IlgpuDevice : Device
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _unused;
    private MemoryBuffer1D<float, Stride1D.Dense>? _scratch;

    private IlgpuDevice(Context context, Accelerator accelerator, string name)
    {
        _context = context;
        _accelerator = accelerator;
        // GPU names say which GEMM runs the dense and 1x1 convolution ops (the simulator always runs the tiled kernels).
        _blas = TryLoadBlas(accelerator);
        Name = accelerator.AcceleratorType == AcceleratorType.CPU ? name : $"{name} ({GemmPath})";
        // Kernels take a view for an optional argument (bias) even when it is absent; this one is never read.
        _unused = accelerator.Allocate1D<float>(1);
    }

    public override string Name { get; }

    /// <summary>The ILGPU accelerator the kernels run on.</summary>
    public Accelerator Accelerator => _accelerator;

    /// <summary>
    /// ILGPU's CPU accelerator: it simulates a GPU (warps, groups) in managed threads, about a thousand times slower
    /// than the machine's real speed. Use it for tests of the kernels, never for training; the fast CPU device is "cpu".
    /// </summary>
    public static IlgpuDevice CreateCpuSimulator()
    {
        var context = Context.Create(b => b.CPU(CPUDeviceKind.Default).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            return new IlgpuDevice(context, context.CreateCPUAccelerator(0), InstanceName("ilgpu-cpu"));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>The CUDA GPU number <paramref name="index"/>; throws <see cref="InvalidOperationException"/> naming the available accelerators when there is none.</summary>
    public static IlgpuDevice CreateCuda(int index = 0) => CreateGpu(AcceleratorType.Cuda, "CUDA", "ilgpu-cuda", index);

    /// <summary>The OpenCL device number <paramref name="index"/>; throws <see cref="InvalidOperationException"/> naming the available accelerators when there is none.</summary>
    public static IlgpuDevice CreateOpenCL(int index = 0) => CreateGpu(AcceleratorType.OpenCL, "OpenCL", "ilgpu-opencl", index);

    /// <summary>True when ILGPU finds a CUDA device on this machine.</summary>
    public static bool IsCudaAvailable()
    {
        using var context = Context.Create(b => b.Cuda());
        return context.GetCudaDevices().Count > 0;
    }

    private static IlgpuDevice CreateGpu(AcceleratorType type, string label, string name, int index)
    {
        var context = Context.Create(b => b.Cuda().OpenCL().EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            var matching = context.Devices.Where(d => d.AcceleratorType == type).ToArray();
            if (matching.Length == 0)
            {
                string available = context.Devices.Length == 0
                    ? "none (no CUDA driver or OpenCL runtime was found)"
                    : string.Join(", ", context.Devices.Select(d => $"{d.AcceleratorType} '{d.Name}'"));
                throw new InvalidOperationException(
                    $"No {label} device found; available: {available}. Use \"cpu\" for the fast CPU device, or \"ilgpu-cpu\" for ILGPU's (slow) simulator.");
            }
            if (index < 0 || index >= matching.Length)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {matching.Length} {label} device(s); index must be in [0, {matching.Length}).");
            var device = matching[index];
            return new IlgpuDevice(context, device.CreateAccelerator(context), InstanceName($"{name}:{device.Name}"));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    public override DeviceBuffer<T> Allocate<T>(long length)
    {
        ThrowIfDisposed();
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer's length cannot be negative.");
        var memory = _accelerator.Allocate1D<T>(length);
        memory.MemSetToZero();
        return new IlgpuBuffer<T>(this, memory);
    }

    /// <summary>The accelerator's memory (ILGPU reports no free amount): the most a batch can ever take; host memory for the simulator.</summary>
    public override long AvailableMemoryBytes => _accelerator.AcceleratorType == AcceleratorType.CPU ? base.AvailableMemoryBytes : _accelerator.MemorySize;

    public override void Synchronize()
    {
        ThrowIfDisposed();
        _accelerator.Synchronize();
    }

    public override void Dispose()
    {
        if (IsDisposed) return;
        // Set first: the accelerator frees every buffer's memory, and buffers check this before each copy.
        IsDisposed = true;
        _scratch?.Dispose();
        _blas?.Dispose();
        _unused.Dispose();
        _unusedSwitches?.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }

    private void ThrowIfDisposed()
    {
        if (IsDisposed) throw new ObjectDisposedException(Name, $"The ILGPU device '{Name}' was disposed; create the device, network and tensors again.");
    }

    /// <summary>The buffer's whole view, after checking it is this device's and holds at least <paramref name="needed"/> elements.</summary>
    private ArrayView<T> V<T>(DeviceBuffer<T> buffer, long needed, string name) where T : unmanaged
    {
        ThrowIfDisposed();
        if (buffer is not IlgpuBuffer<T> own || !ReferenceEquals(own.Device, this))
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Name}', not to this device '{Name}'.", name);
        if (buffer.Length < needed)
            throw new ArgumentException($"Buffer '{name}' has {buffer.Length} elements; this op needs at least {needed}.", name);
        return own.View;
    }

    private ArrayView<float> Optional(DeviceBuffer<float>? buffer, long needed, string name) =>
        buffer is null ? _unused.View : V(buffer, needed, name);

    /// <summary>A kernel launch size; ILGPU's 1-D index is 32-bit.</summary>
    private static int Flag(bool value) => value ? 1 : 0;

    private static int Threads(long count, string what)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(what, count, "Counts cannot be negative.");
        if (count > int.MaxValue) throw new ArgumentOutOfRangeException(what, count, $"The ILGPU device launches at most {int.MaxValue} threads per op; this op needs {count}.");
        return (int)count;
    }

    /// <summary>Device scratch memory of at least <paramref name="length"/> floats, reused across ops (they run in order on one stream).</summary>
    private ArrayView<float> Scratch(long length)
    {
        if (_scratch is null || _scratch.Length < length)
        {
            // Kernels queued earlier may still read the old scratch.
            _accelerator.Synchronize();
            _scratch?.Dispose();
            _scratch = _accelerator.Allocate1D<float>(Math.Max(length, 1024));
        }
        return _scratch.View;
    }
}

using System;
using ILGPU;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

/// <summary>A device buffer in an ILGPU accelerator's memory (GPU memory for CUDA/OpenCL, host memory for the CPU simulator).</summary>
public sealed class IlgpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    private readonly MemoryBuffer1D<T, Stride1D.Dense> _memory;

    internal IlgpuBuffer(IlgpuDevice device, MemoryBuffer1D<T, Stride1D.Dense> memory)
        : base(device, memory.Length)
    {
        _memory = memory;
    }

    /// <summary>The whole buffer as a kernel argument; each get counts as a write (<see cref="DeviceBuffer{T}.Version"/>), since a kernel may write it.</summary>
    public ArrayView<T> View
    {
        get
        {
            ThrowIfDisposed();
            MarkWritten();
            return _memory.View;
        }
    }

    public override void Upload(ReadOnlySpan<T> source, long offset = 0)
    {
        CheckRange(offset, source.Length);
        if (source.Length == 0) return;
        MarkWritten();
        ArrayView<T> view = _memory.View;
        view.SubView(offset, source.Length).CopyFromCPU(source);
    }

    public override void Download(Span<T> destination, long offset = 0)
    {
        CheckRange(offset, destination.Length);
        if (destination.Length == 0) return;
        // Copies on the accelerator's default stream, after every kernel queued before it.
        ArrayView<T> view = _memory.View;
        view.SubView(offset, destination.Length).CopyToCPU(destination);
    }

    protected override void Release() => _memory.Dispose();
}

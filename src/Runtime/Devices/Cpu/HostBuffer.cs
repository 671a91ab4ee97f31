using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Strider.Devices.Cpu;

/// <summary>
/// A buffer in host memory: a pinned managed array, so kernels can take its address without pinning per call.
/// Used by <see cref="CpuDevice"/> and by reference devices in tests.
/// </summary>
public sealed unsafe class HostBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    private readonly T[] _array;

    public HostBuffer(Device device, long length) : base(device, length)
    {
        if (length > System.Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A host buffer holds at most {System.Array.MaxLength} elements.");
        // Pinned (on the pinned object heap) so Pointer stays valid for the buffer's lifetime.
        _array = GC.AllocateArray<T>((int)length, pinned: true);
        _pointer = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
    }

    private readonly T* _pointer;

    /// <summary>
    /// The values; valid until the buffer is disposed. Each get counts as a write (<see cref="DeviceBuffer{T}.Version"/>):
    /// get it again for each change rather than keeping it, so that values derived from this buffer are refreshed.
    /// </summary>
    public T[] Array
    {
        get
        {
            ThrowIfDisposed();
            MarkWritten();
            return _array;
        }
    }

    /// <summary>The address of the first value (the array is pinned); each get counts as a write, as <see cref="Array"/>.</summary>
    internal T* Pointer
    {
        get
        {
            MarkWritten();
            return _pointer;
        }
    }

    /// <summary>
    /// The address of the first value for an op that only reads it (a conv's weights): not counted as a write, so what
    /// is derived from the values (the conv's packed weights) stays valid until a real write.
    /// </summary>
    internal T* ReadPointer
    {
        get
        {
            ThrowIfDisposed();
            return _pointer;
        }
    }

    public Span<T> Span => Array.AsSpan();

    public override void Upload(ReadOnlySpan<T> source, long offset = 0)
    {
        CheckRange(offset, source.Length);
        MarkWritten();
        source.CopyTo(_array.AsSpan((int)offset));
    }

    public override void Download(Span<T> destination, long offset = 0)
    {
        CheckRange(offset, destination.Length);
        _array.AsSpan((int)offset, destination.Length).CopyTo(destination);
    }

    protected override void Release() { }
}

using System;
using System.Threading;

namespace Strider.Devices;

/// <summary>A device-resident array. Owned by one <see cref="Device"/>; copies to and from the host are explicit.</summary>
/// <remarks>
/// A buffer is unusable once it or its device is disposed (a device frees all its memory): every copy and op then
/// throws <see cref="ObjectDisposedException"/>, never touches freed memory.
/// <para>
/// A buffer counts its writes (<see cref="Version"/>): a subclass calls <see cref="MarkWritten"/> in every path that
/// writes its memory or hands out a handle to it (an upload, a host array, a pointer, a kernel view), so whatever is
/// derived from its values (BatchNorm folded into a conv, <see cref="BatchNormFold"/>) knows when to be computed again.
/// </para>
/// </remarks>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private bool _released;
    private long _version;

    protected DeviceBuffer(Device device, long length)
    {
        if (device is null) throw new ArgumentNullException(nameof(device));
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer's length cannot be negative.");
        if (device.IsDisposed) throw DeviceDisposed(device);
        Device = device;
        Length = length;
    }

    public Device Device { get; }
    public long Length { get; }

    /// <summary>True once this buffer or its device was disposed.</summary>
    public bool IsDisposed => _released || Device.IsDisposed;

    /// <summary>The network whose preplanned buffers this is (set by <see cref="NetworkBuffers"/>), so it can tell its own buffers from a caller's.</summary>
    internal NetworkBuffers? Owner { get; set; }

    /// <summary>
    /// Changes whenever the values may have changed: each upload and each hand-out of the memory to an op (which may
    /// write it) counts one. Equal versions of one buffer mean equal values; a read through <see cref="Download"/> leaves it.
    /// </summary>
    internal long Version => Interlocked.Read(ref _version);

    /// <summary>Counts a write, or a hand-out of the memory that may be used for one (see <see cref="Version"/>).</summary>
    protected void MarkWritten() => Interlocked.Increment(ref _version);

    /// <summary>Copies <paramref name="source"/> into this buffer starting at element <paramref name="offset"/>.</summary>
    public abstract void Upload(ReadOnlySpan<T> source, long offset = 0);

    /// <summary>Copies this buffer, from element <paramref name="offset"/>, into <paramref name="destination"/>.</summary>
    public abstract void Download(Span<T> destination, long offset = 0);

    public T[] ToArray()
    {
        ThrowIfDisposed();
        var result = new T[Length];
        Download(result);
        return result;
    }

    protected void ThrowIfDisposed()
    {
        if (_released) throw new ObjectDisposedException(GetType().Name, "This buffer was disposed; its tensor or network can no longer be used.");
        if (Device.IsDisposed) throw DeviceDisposed(Device);
    }

    private static ObjectDisposedException DeviceDisposed(Device device) =>
        new(device.GetType().Name, $"The device '{device.Name}' was disposed, and its memory with it; create the device, network and tensors again.");

    protected void CheckRange(long offset, long count)
    {
        ThrowIfDisposed();
        // Written so that no sum can overflow: a huge offset must not wrap past the check into a bad view or pointer.
        if (offset < 0 || count < 0 || offset > Length || count > Length - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Range [{offset}, {offset + count}) is outside the buffer of {Length} elements.");
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory; also called after the device was disposed (which may have freed it already).</summary>
    protected abstract void Release();
}

using System;

namespace Strider.Devices;

/// <summary>A device-resident array. Owned by one <see cref="Device"/>; copies to and from the host are explicit.</summary>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    protected DeviceBuffer(Device device, long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer's length cannot be negative.");
        Device = device;
        Length = length;
    }

    public Device Device { get; }
    public long Length { get; }
    public bool IsDisposed { get; private set; }

    /// <summary>The network whose preplanned buffers this is (set by <see cref="NetworkBuffers"/>), so it can tell its own buffers from a caller's.</summary>
    internal NetworkBuffers? Owner { get; set; }

    /// <summary>Copies <paramref name="source"/> into this buffer starting at element <paramref name="offset"/>.</summary>
    public abstract void Upload(ReadOnlySpan<T> source, long offset = 0);

    /// <summary>Copies this buffer, from element <paramref name="offset"/>, into <paramref name="destination"/>.</summary>
    public abstract void Download(Span<T> destination, long offset = 0);

    public T[] ToArray()
    {
        var result = new T[Length];
        Download(result);
        return result;
    }

    protected void ThrowIfDisposed()
    {
        if (IsDisposed) throw new ObjectDisposedException(GetType().Name, "This buffer was disposed; its tensor or network can no longer be used.");
    }

    protected void CheckRange(long offset, long count)
    {
        ThrowIfDisposed();
        if (offset < 0 || count < 0 || offset + count > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Range [{offset}, {offset + count}) is outside the buffer of {Length} elements.");
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}

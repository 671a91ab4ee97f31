namespace Strider.Devices;

/// <summary>Growth of one preplanned buffer (a network's whole set grows through <see cref="NetworkBuffers"/>).</summary>
public static class DeviceBuffers
{
    /// <summary>
    /// Makes <paramref name="buffer"/> hold at least <paramref name="length"/> elements, reallocating only when it is
    /// smaller. The old buffer is freed only after the new one was allocated: on a failure it is left as it was.
    /// </summary>
    public static void Ensure<T>(Device device, ref DeviceBuffer<T>? buffer, long length) where T : unmanaged
    {
        if (buffer is not null && !buffer.IsDisposed && buffer.Length >= length) return;
        var grown = device.Allocate<T>(length);
        buffer?.Dispose();
        buffer = grown;
    }
}

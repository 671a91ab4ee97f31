namespace Strider.Devices;

/// <summary>Growth of preplanned buffers: generated code keeps one per activation and regrows only when the batch grows.</summary>
public static class DeviceBuffers
{
    /// <summary>Makes <paramref name="buffer"/> hold at least <paramref name="length"/> elements, reallocating only when it is smaller.</summary>
    public static void Ensure<T>(Device device, ref DeviceBuffer<T>? buffer, long length) where T : unmanaged
    {
        if (buffer is not null && !buffer.IsDisposed && buffer.Length >= length) return;
        buffer?.Dispose();
        buffer = device.Allocate<T>(length);
    }
}

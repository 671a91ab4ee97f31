using System;

namespace Strider.Devices;

/// <summary>
/// One op set, several devices. Every op reads and writes device buffers laid out NCHW (1-D as H = 1) with the batch
/// <c>n</c> leading. Ops that produce an input gradient take <c>accumulate</c>: false overwrites the destination, true
/// adds to it (a value read by several layers sums their gradients). Parameter gradients always accumulate.
/// Ops are queued in order; <see cref="Synchronize"/> waits for them (host reads synchronize themselves).
/// </summary>
public abstract partial class Device : IDisposable
{
    /// <summary>A short name that tells this device from the others in messages, e.g. "cpu" (the default device), "cpu#2", "ilgpu-cuda".</summary>
    public abstract string Name { get; }

    /// <summary>A zero-filled buffer.</summary>
    public abstract DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged;

    public virtual void Synchronize() { }

    /// <summary>
    /// True once the device was disposed: its buffers then refuse every copy and op with an
    /// <see cref="ObjectDisposedException"/> (their memory may be gone, as on a GPU). Set by <see cref="Dispose"/>.
    /// </summary>
    public bool IsDisposed { get; protected set; }

    /// <summary>
    /// An upper bound of the bytes <see cref="Allocate{T}"/> can still give. A network checks a new batch's buffers
    /// against it before allocating any, so a batch too large fails at once, with the sizes, and changes nothing. The
    /// base answers for host memory: what the GC may use (physical memory or the container's limit) less its heap now.
    /// </summary>
    public virtual long AvailableMemoryBytes
    {
        get
        {
            long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return total <= 0 ? long.MaxValue : Math.Max(0, total - GC.GetTotalMemory(forceFullCollection: false));
        }
    }

    public abstract void Dispose();

    /// <summary>Checks that [offset, offset + count) lies within the buffer, without overflow, before any pointer or view is formed.</summary>
    protected static void CheckSpan<T>(DeviceBuffer<T> buffer, long offset, long count, string name) where T : unmanaged
    {
        if (buffer is null) throw new ArgumentNullException(name);
        if (offset < 0 || count < 0 || offset > buffer.Length || count > buffer.Length - offset)
            throw new ArgumentOutOfRangeException(name, $"Range [{offset}, {offset} + {count}) is outside buffer '{name}' of {buffer.Length} elements.");
    }
}

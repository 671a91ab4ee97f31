using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Strider.Devices;

/// <summary>
/// One network's preplanned activation and gradient buffers, for generated code. It grows them all-or-nothing when the
/// batch changes (a batch too large leaves the network exactly as it was, last Forward's values included), and it
/// knows them from a caller's, so an input that is a view of one (the network's own output fed back) is copied first.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NetworkBuffers : IDisposable
{
    private enum Pass { Measure, Allocate, Commit }

    private readonly string _network;
    private readonly List<object> _fresh = new();
    private readonly List<IDisposable> _retired = new();
    private Device? _device;
    private Pass _pass;
    private long _bytes;
    private int _growing;
    private int _next;
    // Two private copies per slot, used in turn: a copy never overwrites the one the last call kept (Backward reads it).
    private object?[] _copies = new object?[8];
    private long _turns;

    /// <param name="network">The network's class name, for error messages.</param>
    public NetworkBuffers(string network) => _network = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>
    /// Makes every buffer <paramref name="visit"/> names (each through <see cref="Ensure{T}"/>, with its length for the new
    /// batch) hold its length. <paramref name="visit"/> runs three times: to add up the bytes of the buffers that must
    /// grow, which are checked against <see cref="Device.AvailableMemoryBytes"/>; to allocate them all; and to swap
    /// them in and free the old ones. Nothing is swapped until every allocation succeeded: on a failure the new buffers
    /// are freed and the exception, an <see cref="OutOfMemoryException"/> naming the sizes when memory ran out, leaves
    /// the network as it was.
    /// </summary>
    /// <param name="device">The device the buffers live on.</param>
    /// <param name="member">The call that needs the buffers ("Forward"), for the message.</param>
    /// <param name="input">That call's input, for the message.</param>
    /// <param name="batch">That input's batch, for the message.</param>
    /// <param name="visit">Calls <see cref="Ensure{T}"/> once per buffer, in the same order every time.</param>
    public void Grow(Device device, string member, object input, int batch, Action<NetworkBuffers> visit)
    {
        if (device is null) throw new ArgumentNullException(nameof(device));
        if (visit is null) throw new ArgumentNullException(nameof(visit));
        _device = device;
        _fresh.Clear();
        _retired.Clear();
        _bytes = 0;
        _growing = 0;
        _pass = Pass.Measure;
        visit(this);
        if (_growing == 0) return;
        long available = device.AvailableMemoryBytes;
        if (_bytes > available) throw TooLarge(member, input, batch, available, null);
        _pass = Pass.Allocate;
        try
        {
            visit(this);
        }
        catch (Exception e)
        {
            foreach (var fresh in _fresh) ((IDisposable)fresh).Dispose();
            _fresh.Clear();
            if (e is OutOfMemoryException) throw TooLarge(member, input, batch, available, e);
            throw;
        }
        _pass = Pass.Commit;
        _next = 0;
        visit(this);
        // Freed once every field points at its new buffer: a free that throws cannot leave a field on a freed buffer.
        foreach (var old in _retired) old.Dispose();
        _retired.Clear();
        _fresh.Clear();
    }

    /// <summary>One buffer of a <see cref="Grow"/>: kept when it holds <paramref name="length"/> elements, replaced otherwise.</summary>
    public void Ensure<T>(ref DeviceBuffer<T>? buffer, long length) where T : unmanaged
    {
        if (buffer is not null && !buffer.IsDisposed && buffer.Length >= length) return;
        switch (_pass)
        {
            case Pass.Measure:
                _growing++;
                long bytes = length > long.MaxValue / Unsafe.SizeOf<T>() ? long.MaxValue : length * Unsafe.SizeOf<T>();
                _bytes = bytes > long.MaxValue - _bytes ? long.MaxValue : _bytes + bytes;
                break;
            case Pass.Allocate:
                var fresh = _device!.Allocate<T>(length);
                fresh.Owner = this;
                _fresh.Add(fresh);
                break;
            case Pass.Commit:
                if (buffer is not null) _retired.Add(buffer);
                buffer = (DeviceBuffer<T>)_fresh[_next++];
                break;
        }
    }

    /// <summary>Whether <paramref name="buffer"/> is one of this network's buffers.</summary>
    public bool Owns(DeviceBuffer<float> buffer) => ReferenceEquals(buffer.Owner, this);

    /// <summary>
    /// <paramref name="tensor"/> itself, or, when it is a view of one of this network's buffers (say its own output
    /// fed back in), a private copy of it: the call would overwrite the values it reads, and Backward reads the input
    /// again. <paramref name="slot"/> (0 to 63: one per input and per output gradient) keeps the copies of different arguments apart.
    /// </summary>
    public Tensor<TShape> Unaliased<TShape>(Tensor<TShape> tensor, int slot) where TShape : IShape =>
        Owns(tensor.Buffer) ? Copy(tensor, slot) : tensor;

    private Tensor<TShape> Copy<TShape>(Tensor<TShape> tensor, int slot) where TShape : IShape
    {
        if ((uint)slot >= 64) throw new ArgumentOutOfRangeException(nameof(slot), slot, "Slots are 0 to 63.");
        if (2 * slot + 1 >= _copies.Length) Array.Resize(ref _copies, 2 * slot + 2);
        _turns ^= 1L << slot;
        int index = 2 * slot + (int)((_turns >> slot) & 1);
        var copy = _copies[index] as Tensor<TShape>;
        if (copy is null || copy.Buffer.Length < tensor.Length)
        {
            var grown = Tensor<TShape>.Allocate(tensor.Device, tensor.Batch, tensor.Dims);
            copy?.Dispose();
            _copies[index] = copy = grown;
        }
        else copy.Reuse(tensor.Batch, tensor.Dims);
        tensor.Device.Copy(tensor.Buffer, 0, copy.Buffer, 0, tensor.Length, false);
        return copy;
    }

    /// <summary>Frees the private copies (the network frees its buffers itself).</summary>
    public void Dispose()
    {
        for (int i = 0; i < _copies.Length; i++)
        {
            (_copies[i] as IDisposable)?.Dispose();
            _copies[i] = null;
        }
    }

    private OutOfMemoryException TooLarge(string member, object input, int batch, long available, Exception? inner)
    {
        string device = _device!.Name;
        string what = inner is null
            ? $"device '{device}' has about {Bytes(available)} available"
            : $"device '{device}' failed to allocate them ({inner.Message.TrimEnd('.')}; about {Bytes(available)} was reported available)";
        return new OutOfMemoryException(
            $"{_network}.{member} cannot grow its buffers for a batch of {batch} (the input {input}): they need {Bytes(_bytes)} more, and {what}. " +
            $"Nothing was changed: {_network} keeps its buffers and the values of its last Forward, so a Backward for that batch still works. " +
            "Use a smaller batch (split it into several calls) or a smaller input, or a device with more memory.", inner);
    }

    private static string Bytes(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        string exact = bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes";
        return unit == 0 ? exact : $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]} ({exact})";
    }
}

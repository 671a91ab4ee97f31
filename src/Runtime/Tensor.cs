using System;
using System.Collections.Generic;
using Strider.Devices;

namespace Strider;

/// <summary>
/// A compile-time shape: the non-batch dimensions, channels first. The generator emits one per distinct shape in a
/// compilation (e.g. <c>S1x28x28</c>), so a tensor's type says its shape and a mismatch is a compile error.
/// </summary>
public interface IShape
{
    /// <summary>The dimensions without the batch; <see cref="Dim.Any"/> for a free one.</summary>
    static abstract ReadOnlySpan<int> Dims { get; }
}

/// <summary>
/// A batch of values of shape <typeparamref name="TShape"/> on one device, NCHW. The batch is the only run-time
/// dimension, besides any <see cref="Dim.Any"/> dimensions of the shape.
/// </summary>
public sealed class Tensor<TShape> : IDisposable where TShape : IShape
{
    private readonly int[] _dims;
    private DeviceBuffer<float> _buffer;
    private readonly bool _ownsBuffer;

    internal Tensor(Device device, DeviceBuffer<float> buffer, int batch, int[] dims, bool ownsBuffer)
    {
        Device = device;
        _buffer = buffer;
        Batch = batch;
        _dims = dims;
        _ownsBuffer = ownsBuffer;
    }

    public Device Device { get; }

    /// <summary>The number of items in the batch.</summary>
    public int Batch { get; private set; }

    /// <summary>This tensor's non-batch dimensions, with free dimensions resolved.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Values per batch item.</summary>
    public long ItemSize => Product(_dims);

    /// <summary>All values: <see cref="Batch"/> x <see cref="ItemSize"/>.</summary>
    public long Length => Batch * ItemSize;

    /// <summary>The device buffer; its length may exceed <see cref="Length"/> when it is a network's reused activation.</summary>
    public DeviceBuffer<float> Buffer
    {
        get
        {
            if (_buffer.IsDisposed)
                throw new ObjectDisposedException(nameof(Tensor<TShape>), _buffer.Device.IsDisposed
                    ? $"This {ShapeText()} tensor's device '{_buffer.Device.Name}' was disposed, and its memory with it."
                    : $"This {ShapeText()} tensor was disposed.");
            return _buffer;
        }
    }

    /// <summary>Copies host data (NCHW) to the default device; the batch is inferred from the length.</summary>
    public static Tensor<TShape> From(float[] data) => From(Device.Default, data);

    /// <summary>Copies host data (NCHW) to <paramref name="device"/>. Free dimensions of the shape are given in order.</summary>
    public static Tensor<TShape> From(Device device, float[] data, params int[] freeDims)
    {
        if (device is null) throw new ArgumentNullException(nameof(device));
        if (data is null) throw new ArgumentNullException(nameof(data));
        int[] dims = Resolve(freeDims);
        long item = Product(dims);
        if (data.Length == 0 || data.Length % item != 0)
            throw new ArgumentException(
                $"A {Describe(dims)} tensor needs a multiple of {item} values (one batch item each); got {data.Length}." +
                (data.Length == 0 ? " A batch cannot be empty." : ""), nameof(data));
        long batch = data.Length / item;
        var buffer = device.Allocate<float>(data.Length);
        buffer.Upload(data);
        return new Tensor<TShape>(device, buffer, checked((int)batch), dims, ownsBuffer: true);
    }

    /// <summary>Copies host data with free dimensions (e.g. H and W of <c>1 x Any x Any</c>) to the default device.</summary>
    public static Tensor<TShape> From(float[] data, params int[] freeDims) => From(Device.Default, data, freeDims);

    /// <summary>A zero tensor of <paramref name="batch"/> items.</summary>
    public static Tensor<TShape> Zeros(Device device, int batch, params int[] freeDims)
    {
        if (device is null) throw new ArgumentNullException(nameof(device));
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "A batch needs at least one item.");
        int[] dims = Resolve(freeDims);
        var buffer = device.Allocate<float>(batch * Product(dims));
        return new Tensor<TShape>(device, buffer, batch, dims, ownsBuffer: true);
    }

    /// <summary>
    /// Wraps a network-owned buffer without copying (the network reuses it on its next call). <paramref name="dims"/>
    /// are all of the shape's dimensions, free ones resolved: their rank and fixed sizes must match <typeparamref name="TShape"/>.
    /// </summary>
    public static Tensor<TShape> View(DeviceBuffer<float> buffer, int batch, params int[] dims)
    {
        if (buffer is null) throw new ArgumentNullException(nameof(buffer));
        if (dims is null) throw new ArgumentNullException(nameof(dims));
        CheckView(buffer, batch, dims, "View");
        return new Tensor<TShape>(buffer.Device, buffer, batch, (int[])dims.Clone(), ownsBuffer: false);
    }

    /// <summary>
    /// Re-points a view at a (possibly regrown) buffer of its device and a new batch and dimensions, checked as
    /// <see cref="View"/>; used by generated code to avoid allocating per call.
    /// </summary>
    public void Rebind(DeviceBuffer<float> buffer, int batch, ReadOnlySpan<int> dims)
    {
        if (_ownsBuffer) throw new InvalidOperationException($"Only views can be re-bound; this {ShapeName} tensor owns its buffer.");
        if (buffer is null) throw new ArgumentNullException(nameof(buffer));
        if (!ReferenceEquals(buffer.Device, Device))
            throw new ArgumentException($"A {ShapeName} view on device '{Device.Name}' cannot be re-bound to a buffer of device '{buffer.Device.Name}'.", nameof(buffer));
        CheckView(buffer, batch, dims, "Rebind");
        _buffer = buffer;
        Batch = batch;
        dims.CopyTo(_dims);
    }

    /// <summary>Checks a view's batch and dims against <typeparamref name="TShape"/> and its buffer's length (allocates only to throw).</summary>
    private static void CheckView(DeviceBuffer<float> buffer, int batch, ReadOnlySpan<int> dims, string method)
    {
        ReadOnlySpan<int> declared = TShape.Dims;
        if (dims.Length != declared.Length)
            throw new ArgumentException(
                $"{method}: {ShapeName} has rank {declared.Length} ({Describe(declared.ToArray())}, without the batch); {dims.Length} dims were given: {Given(dims)}.", nameof(dims));
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 1)
                throw new ArgumentException($"{method}: dimension {i} of {ShapeName} must be at least 1; dims given: {Given(dims)}.", nameof(dims));
            if (declared[i] != Strider.Dim.Any && dims[i] != declared[i])
                throw new ArgumentException(
                    $"{method}: dimension {i} of {ShapeName} ({Describe(declared.ToArray())}) is {declared[i]}; dims given: {Given(dims)}.", nameof(dims));
        }
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{method}: a {ShapeName} batch needs at least one item.");
        long needed;
        try { needed = checked(batch * SpanProduct(dims)); }
        catch (OverflowException) { throw new ArgumentException($"{method}: {batch} x {Given(dims)} values of {ShapeName} overflow a 64-bit count.", nameof(dims)); }
        if (needed > buffer.Length)
            throw new ArgumentException($"{method}: a {ShapeName} view of {batch} x {Describe(dims.ToArray())} needs {needed} values; the buffer holds {buffer.Length}.", nameof(buffer));

        static string Given(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
    }

    /// <summary>
    /// Uploads <paramref name="batch"/> items from host data (NCHW) into this tensor, reusing its buffer when it is large
    /// enough (an owned buffer grows otherwise), so a training loop uploads every batch without allocating.
    /// </summary>
    public void CopyFrom(ReadOnlySpan<float> data, int batch)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "A batch needs at least one item.");
        long needed = batch * ItemSize;
        if (data.Length != needed)
            throw new ArgumentException($"{batch} items of {ShapeText()} need {needed} values; got {data.Length}.", nameof(data));
        EnsureCapacity(needed);
        _buffer.Upload(data);
        Batch = batch;
    }

    /// <summary>Sets the batch (and free dimensions) for a tensor about to be overwritten, growing an owned buffer if needed.</summary>
    internal void Reuse(int batch, ReadOnlySpan<int> dims)
    {
        if (dims.Length != _dims.Length) throw new ArgumentException($"Rank {dims.Length} given for a rank-{_dims.Length} tensor.", nameof(dims));
        long needed = batch * SpanProduct(dims);
        EnsureCapacity(needed);
        dims.CopyTo(_dims);
        Batch = batch;
    }

    /// <summary>A tensor of <paramref name="batch"/> items with already-resolved dimensions.</summary>
    internal static Tensor<TShape> Allocate(Device device, int batch, ReadOnlySpan<int> dims)
    {
        var resolved = dims.ToArray();
        return new Tensor<TShape>(device, device.Allocate<float>(batch * Product(resolved)), batch, resolved, ownsBuffer: true);
    }

    private void EnsureCapacity(long needed)
    {
        if (Buffer.Length >= needed) return;
        if (!_ownsBuffer)
            throw new InvalidOperationException($"This {ShapeText()} view's buffer holds {_buffer.Length} values; {needed} are needed and a view cannot grow.");
        _buffer.Dispose();
        _buffer = Device.Allocate<float>(needed);
    }

    /// <summary>Copies the values to a new host array (NCHW).</summary>
    public float[] ToArray()
    {
        var result = new float[Length];
        Buffer.Download(result);
        return result;
    }

    /// <summary>The size of non-batch dimension <paramref name="axis"/> (0 is the channels).</summary>
    public int Dim(int axis) => (uint)axis < (uint)_dims.Length
        ? _dims[axis]
        : throw new ArgumentOutOfRangeException(nameof(axis), axis, $"A {ShapeName} tensor has non-batch axes 0 to {_dims.Length - 1} ({Describe(_dims)}).");

    public override string ToString() => $"Tensor<{typeof(TShape).Name}>[{Batch} x {Describe(_dims)}] on {Device.Name}";

    public void Dispose()
    {
        if (_ownsBuffer) _buffer.Dispose();
    }

    private string ShapeText() => Describe(_dims);

    /// <summary>The shape type's name, e.g. S1x28x28, for messages.</summary>
    private static string ShapeName => typeof(TShape).Name;

    private static int[] Resolve(int[]? freeDims)
    {
        ReadOnlySpan<int> declared = TShape.Dims;
        var dims = declared.ToArray();
        int free = 0;
        foreach (int d in dims) if (d == Strider.Dim.Any) free++;
        freeDims ??= Array.Empty<int>();
        if (freeDims.Length != free)
            throw new ArgumentException(
                $"Shape {ShapeName} ({Describe(dims)}) has {free} free dimension(s); {freeDims.Length} size(s) were given: [{string.Join(", ", freeDims)}].", nameof(freeDims));
        for (int i = 0, k = 0; i < dims.Length; i++)
        {
            if (dims[i] != Strider.Dim.Any) continue;
            if (freeDims[k] <= 0)
                throw new ArgumentOutOfRangeException(nameof(freeDims), freeDims[k], $"Free dimension {k} of {ShapeName} ({Describe(dims)}) must be at least 1; sizes given: [{string.Join(", ", freeDims)}].");
            dims[i] = freeDims[k++];
        }
        return dims;
    }

    private static long SpanProduct(ReadOnlySpan<int> dims)
    {
        long p = 1;
        foreach (int d in dims) p = checked(p * d);
        return p;
    }

    private static long Product(IReadOnlyList<int> dims)
    {
        // Indexed, not foreach: enumerating an array through IReadOnlyList allocates, and ItemSize runs per batch.
        long p = 1;
        for (int i = 0; i < dims.Count; i++) p *= dims[i];
        return p;
    }

    private static string Describe(IReadOnlyList<int> dims)
    {
        var parts = new string[dims.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = dims[i] == Strider.Dim.Any ? "Any" : dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join("x", parts);
    }
}

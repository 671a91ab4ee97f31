using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Strider.Devices;
using Strider.IO;

namespace Strider;

/// <summary>
/// What every generated network shares (for generated code): its device, parameter and buffer lists, the one-call-at-a-time
/// guard, training mode, ZeroGrad, Save/Load and the Dispose pattern. The generated class adds the layers, Forward and
/// Backward. Nothing here is virtual on the Forward/Backward path: the generated passes read these fields directly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class NetworkBase : INetwork
{
    /// <summary>The device every parameter and buffer lives on (for generated code).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected readonly Device _device;

    /// <summary>One call at a time (for generated code: <c>using var call = _calls.Enter(...)</c>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected readonly NetworkCallGuard _calls;

    /// <summary>The network's activation buffers' growth and its input copies (for generated code).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected readonly NetworkBuffers _memory;

    private readonly string _name;
    private Parameter[] _parameters = Array.Empty<Parameter>();
    private Parameter[] _buffers = Array.Empty<Parameter>();
    private bool _training = true;
    private bool _disposed;

    /// <param name="device">The device to create the network on.</param>
    /// <param name="name">The network's class name, for error messages.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected NetworkBase(Device device, string name)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _name = name ?? throw new ArgumentNullException(nameof(name));
        _calls = new NetworkCallGuard(name);
        _memory = new NetworkBuffers(name);
    }

    /// <summary>Records the parameters and buffers the generated constructor created, in PyTorch's order (once, from it).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void SetParameters(Parameter[] parameters, Parameter[] buffers)
    {
        _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _buffers = buffers ?? throw new ArgumentNullException(nameof(buffers));
    }

    public Device Device => _device;

    public IReadOnlyList<Parameter> Parameters => _parameters;

    public IReadOnlyList<Parameter> Buffers => _buffers;

    /// <summary>Training mode (the default): BatchNorm uses batch statistics, Dropout drops. Set false for inference.</summary>
    public bool Training { get => _training; set { using var call = _calls.Enter("Training"); _training = value; } }

    public void ZeroGrad()
    {
        using var call = _calls.Enter("ZeroGrad");
        ThrowIfDisposed();
        foreach (var p in _parameters) _device.Fill(p.Gradient, 0, p.Length, 0f);
    }

    /// <summary>Saves parameters and buffers in safetensors format with PyTorch's names and layouts.</summary>
    public void Save(string path)
    {
        using var call = _calls.Enter("Save");
        SafeTensors.Save(this, path);
    }

    /// <summary>Loads a safetensors file; on any mismatch the network is left untouched and the exception lists the differences.</summary>
    public void Load(string path)
    {
        using var call = _calls.Enter("Load");
        SafeTensors.Load(this, path);
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the network once it is disposed (for generated code).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void ThrowIfDisposed()
    {
        if (_disposed) ThrowDisposed(_name);
    }

    // Out of line so ThrowIfDisposed stays a field test the JIT inlines into every Forward and Backward.
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed(string name) => throw new ObjectDisposedException(name);

    /// <summary>Frees the device memory: the generated layers' buffers (<see cref="DisposeBuffers"/>), then parameters and buffers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        using var call = _calls.Enter("Dispose");
        _disposed = true;
        _memory.Dispose();
        foreach (var p in _parameters) p.Dispose();
        foreach (var b in _buffers) b.Dispose();
        DisposeBuffers();
    }

    /// <summary>Frees the generated class's own activation and gradient buffers (once, from <see cref="Dispose"/>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract void DisposeBuffers();
}

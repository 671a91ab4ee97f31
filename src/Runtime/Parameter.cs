using System;
using Strider.Devices;

namespace Strider;

/// <summary>A trainable tensor with its gradient, named and laid out as in PyTorch (<c>conv1.weight</c> is [out, in, kh, kw]).</summary>
public sealed class Parameter : IDisposable
{
    private readonly Device _device;
    private DeviceBuffer<float>? _gradient;
    private bool _disposed;

    public Parameter(Device device, string name, int[] shape)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        Name = name;
        Shape = shape;
        long length = 1;
        foreach (int d in shape) length *= d;
        Length = length;
        Value = device.Allocate<float>(length);
    }

    public string Name { get; }
    public int[] Shape { get; }
    public long Length { get; }
    public DeviceBuffer<float> Value { get; }

    /// <summary>
    /// The gradient, zeroed, allocated on first use (ZeroGrad, Backward, an optimizer): a network that only runs
    /// inference never holds one.
    /// </summary>
    public DeviceBuffer<float> Gradient
    {
        get
        {
            if (_gradient is { } gradient) return gradient;
            ObjectDisposedException.ThrowIf(_disposed, this);
            var fresh = _device.Allocate<float>(Length);
            // Two threads asking at once keep one buffer.
            if (System.Threading.Interlocked.CompareExchange(ref _gradient, fresh, null) is { } other)
            {
                fresh.Dispose();
                return other;
            }
            return fresh;
        }
    }

    /// <summary>Whether <see cref="Gradient"/> was allocated (by a training call), for memory accounting.</summary>
    public bool HasGradient => _gradient is not null;

    public void Dispose()
    {
        _disposed = true;
        Value.Dispose();
        _gradient?.Dispose();
    }
}

/// <summary>What every generated network offers, for optimizers, trainers and weight I/O.</summary>
public interface INetwork : IDisposable
{
    Device Device { get; }

    /// <summary>Parameters in declaration order with PyTorch names.</summary>
    System.Collections.Generic.IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Buffers that are state but not trained (BatchNorm running statistics), with PyTorch names.</summary>
    System.Collections.Generic.IReadOnlyList<Parameter> Buffers { get; }

    /// <summary>Training mode: BatchNorm uses batch statistics and Dropout drops. Inference otherwise.</summary>
    bool Training { get; set; }

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>
    /// The step that numbers the Dropout masks: each training-mode Forward advances it, so a checkpoint saves it and a
    /// diverged batch puts it back. Networks with Dropout implement it; for the others it stays 0.
    /// </summary>
    long DropoutStep { get => 0; set { } }
}

/// <summary>A network with typed input and output: what generated networks implement, for trainers and losses.</summary>
public interface INetwork<TIn, TOut> : INetwork where TIn : IShape where TOut : IShape
{
    /// <summary>Runs the network; returns a view of a network-owned buffer (valid until the next call).</summary>
    Tensor<TOut> Forward(Tensor<TIn> input);

    /// <summary>Returns the input gradient; accumulates parameter gradients.</summary>
    Tensor<TIn> Backward(Tensor<TOut> outputGradient);

    /// <summary>Accumulates parameter gradients only; skips the input gradient.</summary>
    void BackwardParameters(Tensor<TOut> outputGradient);
}

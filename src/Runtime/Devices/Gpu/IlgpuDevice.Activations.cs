using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Strider.Devices.Activations;

namespace Strider.Devices.Gpu;

// Activations: one generic kernel per operation struct (ActivationOps picks it), loaded on first use and cached per device.
public sealed partial class IlgpuDevice
{
    private readonly Dictionary<Type, Action<Index1D, ArrayView<float>, ArrayView<float>, float, float>> _activationForward = new();
    private readonly Dictionary<Type, Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float>> _activationBackward = new();

    public override void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0)
    {
        var launch = new ForwardLaunch { Device = this };
        launch.X = V(x, count, nameof(x));
        launch.Y = V(y, count, nameof(y));
        launch.Threads = Threads(count, nameof(count));
        (launch.P0, launch.P1) = (p0, p1);
        // Visited before the empty-launch return, so an activation without a struct throws even for zero values.
        ActivationOps.Accept(f, ref launch);
    }

    public override void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0)
    {
        var launch = new BackwardLaunch { Device = this };
        launch.X = V(x, count, nameof(x));
        launch.Y = V(y, count, nameof(y));
        launch.Dy = V(dy, count, nameof(dy));
        launch.Dx = V(dx, count, nameof(dx));
        launch.Threads = Threads(count, nameof(count));
        (launch.Accumulate, launch.P0, launch.P1) = (Flag(accumulate), p0, p1);
        ActivationOps.Accept(f, ref launch);
    }

    /// <summary>The activation kernels this device has loaded, forward and backward (one each per operation struct used).</summary>
    internal int LoadedActivationKernels => _activationForward.Count + _activationBackward.Count;

    /// <summary>The forward kernel of <typeparamref name="TActivation"/>, compiled once per device.</summary>
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float, float> ActivationForwardKernel<TActivation>() where TActivation : struct, IActivation
    {
        if (!_activationForward.TryGetValue(typeof(TActivation), out var kernel))
            _activationForward.Add(typeof(TActivation), kernel =
                _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, float>(ElementwiseKernels.ActivationForward<TActivation>));
        return kernel;
    }

    /// <summary>The backward kernel of <typeparamref name="TActivation"/>, compiled once per device.</summary>
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float> ActivationBackwardKernel<TActivation>()
        where TActivation : struct, IActivation
    {
        if (!_activationBackward.TryGetValue(typeof(TActivation), out var kernel))
            _activationBackward.Add(typeof(TActivation), kernel =
                _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float>(
                    ElementwiseKernels.ActivationBackward<TActivation>));
        return kernel;
    }

    /// <summary>Launches the forward kernel of the activation visited (the SIMD form is the CPU device's; kernels use the scalar one).</summary>
    private struct ForwardLaunch : IActivationVisitor
    {
        public IlgpuDevice Device;
        public int Threads;
        public ArrayView<float> X, Y;
        public float P0, P1;

        public readonly void Visit<TActivation>() where TActivation : struct, IActivation
        {
            if (Threads > 0) Device.ActivationForwardKernel<TActivation>()(Threads, X, Y, P0, P1);
        }

        public readonly void VisitVector<TActivation>() where TActivation : struct, IVectorActivation => Visit<TActivation>();
    }

    /// <summary>Launches the backward kernel of the activation visited.</summary>
    private struct BackwardLaunch : IActivationVisitor
    {
        public IlgpuDevice Device;
        public int Threads, Accumulate;
        public ArrayView<float> X, Y, Dy, Dx;
        public float P0, P1;

        public readonly void Visit<TActivation>() where TActivation : struct, IActivation
        {
            if (Threads > 0) Device.ActivationBackwardKernel<TActivation>()(Threads, X, Y, Dy, Dx, Accumulate, P0, P1);
        }

        public readonly void VisitVector<TActivation>() where TActivation : struct, IVectorActivation => Visit<TActivation>();
    }
}

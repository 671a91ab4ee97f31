using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Strider.Devices.Activations;

namespace Strider.Devices.Gpu;

// Elementwise ops: add, dropout, multiply, softmax, and the activations: one generic kernel per operation struct
// (ActivationOps picks it), loaded on first use and cached per device.
public sealed partial class IlgpuDevice
{
    // ---- add ----

    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _add;

    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        var va = V(a, count, nameof(a));
        var vb = V(b, count, nameof(b));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_add ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(MemoryKernels.Add))(threads, va, vb, vy);
    }

    // ---- elementwise ----

    private Action<Index1D, float, ulong, ArrayView<float>, ArrayView<float>, ArrayView<float>>? _dropout;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _multiply;

    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        if (!(rate >= 0f && rate <= 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1].");
        var vx = V(x, count, nameof(x));
        var vm = V(mask, count, nameof(mask));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_dropout ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, float, ulong, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Dropout))
            (threads, rate, seed, vx, vm, vy);
    }

    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        var va = V(a, count, nameof(a));
        var vb = V(b, count, nameof(b));
        var vy = V(y, count, nameof(y));
        int threads = Threads(count, nameof(count));
        if (threads == 0) return;
        (_multiply ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Multiply))
            (threads, va, vb, vy, Flag(accumulate));
    }

    // ---- softmax ----

    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>>? _softmaxForward;
    private Action<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _softmaxBackward;
    private Action<KernelConfig, int, int, ArrayView<float>, ArrayView<float>>? _softmaxRowForward;
    private Action<KernelConfig, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _softmaxRowBackward;

    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        long count = (long)n * channels * inner;
        var vx = V(x, count, nameof(x));
        var vy = V(y, count, nameof(y));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || channels == 0) return;
        if (inner == 1)
            (_softmaxRowForward ??= _accelerator.LoadStreamKernel<int, int, ArrayView<float>, ArrayView<float>>(SoftmaxKernels.RowForward))
                (ReduceLaunch(n), Flag(log), channels, vx, vy);
        else
            (_softmaxForward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>>(SoftmaxKernels.Forward))
                (threads, Flag(log), channels, inner, vx, vy);
    }

    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        long count = (long)n * channels * inner;
        var vy = V(y, count, nameof(y));
        var vdy = V(dy, count, nameof(dy));
        var vdx = V(dx, count, nameof(dx));
        int threads = Threads((long)n * inner, nameof(n));
        if (threads == 0 || channels == 0) return;
        if (inner == 1)
            (_softmaxRowBackward ??= _accelerator.LoadStreamKernel<int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.RowBackward))
                (ReduceLaunch(n), Flag(log), channels, vy, vdy, vdx, Flag(accumulate));
        else
            (_softmaxBackward ??= _accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Backward))
                (threads, Flag(log), channels, inner, vy, vdy, vdx, Flag(accumulate));
    }

    // ---- activations ----

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

    private readonly Dictionary<Type, Action<Index1D, ArrayView<float>, ArrayView<float>, float, float>> _residualActivation = new();

    /// <summary>y = f(y + r) over <paramref name="count"/> values in one kernel (the conv epilogue's residual add and activation).</summary>
    private void ResidualActivationForward(Activation f, long count, DeviceBuffer<float> y, DeviceBuffer<float> r, float p0, float p1)
    {
        var launch = new ResidualLaunch { Device = this, Y = V(y, count, nameof(y)), R = V(r, count, "residual"), Threads = Threads(count, nameof(count)), P0 = p0, P1 = p1 };
        ActivationOps.Accept(f, ref launch);
    }

    /// <summary>Launches the residual-activation kernel of the activation visited, compiled once per struct and device.</summary>
    private struct ResidualLaunch : IActivationVisitor
    {
        public IlgpuDevice Device;
        public int Threads;
        public ArrayView<float> Y, R;
        public float P0, P1;

        public readonly void Visit<TActivation>() where TActivation : struct, IActivation
        {
            if (Threads == 0) return;
            if (!Device._residualActivation.TryGetValue(typeof(TActivation), out var kernel))
                Device._residualActivation.Add(typeof(TActivation), kernel =
                    Device._accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, float>(ElementwiseKernels.ResidualActivationForward<TActivation>));
            kernel(Threads, Y, R, P0, P1);
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

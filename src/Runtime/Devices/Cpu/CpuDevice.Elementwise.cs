using System;

namespace Strider.Devices.Cpu;

// Elementwise ops, activations, dropout and softmax, run by CpuElementwise and CpuActivation.
public sealed unsafe partial class CpuDevice
{
    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuElementwise.Add(lease.Workspace, count, a, b, y);
    }

    public override void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0)
    {
        using var lease = Rent();
        CpuActivation.ActivationForward(lease.Workspace, f, count, x, y, p0, p1);
    }

    public override void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0)
    {
        using var lease = Rent();
        CpuActivation.ActivationBackward(lease.Workspace, f, count, x, y, dy, dx, accumulate, p0, p1);
    }

    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuElementwise.SoftmaxForward(lease.Workspace, log, n, channels, inner, x, y);
    }

    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuElementwise.SoftmaxBackward(lease.Workspace, log, n, channels, inner, y, dy, dx, accumulate);
    }

    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuElementwise.DropoutForward(lease.Workspace, count, rate, seed, x, mask, y);
    }

    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        using var lease = Rent();
        CpuElementwise.Multiply(lease.Workspace, count, a, b, y, accumulate);
    }
}

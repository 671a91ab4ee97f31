using System;

namespace Strider.Devices.Cpu;

// Pooling and unpooling, run by CpuPooling.
public sealed unsafe partial class CpuDevice
{
    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches)
    {
        using var lease = Rent();
        CpuPooling.MaxPoolForward(lease.Workspace, g, n, x, y, switches);
    }

    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx,
        bool accumulate)
    {
        using var lease = Rent();
        CpuPooling.MaxPoolBackward(lease.Workspace, g, n, dy, switches, dx, accumulate);
    }

    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuPooling.AvgPoolForward(lease.Workspace, g, n, x, y);
    }

    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuPooling.AvgPoolBackward(lease.Workspace, g, n, dy, dx, accumulate);
    }

    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuPooling.MaxUnpoolForward(lease.Workspace, g, n, x, switches, y);
    }

    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx,
        bool accumulate)
    {
        using var lease = Rent();
        CpuPooling.MaxUnpoolBackward(lease.Workspace, g, n, dy, switches, dx, accumulate);
    }
}

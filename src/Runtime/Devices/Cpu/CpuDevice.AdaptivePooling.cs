namespace Strider.Devices.Cpu;

// Adaptive and global pooling, run by CpuAdaptivePooling.
public sealed partial class CpuDevice
{
    public override void AdaptiveAvgPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuAdaptivePooling.Run(lease.Workspace, g, n, CpuAdaptivePooling.Op.Avg, x, y, null, false);
    }

    public override void AdaptiveAvgPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuAdaptivePooling.Run(lease.Workspace, g, n, CpuAdaptivePooling.Op.AvgBackward, dy, dx, null, accumulate);
    }

    public override void AdaptiveMaxPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int> switches)
    {
        using var lease = Rent();
        CpuAdaptivePooling.Run(lease.Workspace, g, n, CpuAdaptivePooling.Op.Max, x, y, switches, false);
    }

    public override void AdaptiveMaxPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuAdaptivePooling.Run(lease.Workspace, g, n, CpuAdaptivePooling.Op.MaxBackward, dy, dx, switches, accumulate);
    }
}

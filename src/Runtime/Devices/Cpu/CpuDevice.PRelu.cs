namespace Strider.Devices.Cpu;

// PRelu, run by CpuPRelu.
public sealed partial class CpuDevice
{
    public override void PReluForward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuPRelu.Forward(lease.Workspace, n, channels, inner, x, slope, y);
    }

    public override void PReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate)
    {
        using var lease = Rent();
        CpuPRelu.Backward(lease.Workspace, n, channels, inner, x, slope, dy, dx, dslope, accumulate);
    }
}

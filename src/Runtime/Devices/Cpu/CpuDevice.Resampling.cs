namespace Strider.Devices.Cpu;

// Upsampling and pixel shuffle, run by CpuResampling.
public sealed partial class CpuDevice
{
    public override void UpsampleForward(in UpsampleGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuResampling.Upsample(lease.Workspace, g, n, false, x, y, false);
    }

    public override void UpsampleBackward(in UpsampleGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuResampling.Upsample(lease.Workspace, g, n, true, dy, dx, accumulate);
    }

    public override void PixelShuffleForward(int n, int channels, int h, int w, int r, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuResampling.PixelShuffle(lease.Workspace, n, channels, h, w, r, false, x, y, false);
    }

    public override void PixelShuffleBackward(int n, int channels, int h, int w, int r, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        using var lease = Rent();
        CpuResampling.PixelShuffle(lease.Workspace, n, channels, h, w, r, true, dy, dx, accumulate);
    }
}

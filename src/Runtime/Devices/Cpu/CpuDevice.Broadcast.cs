namespace Strider.Devices.Cpu;

// Broadcast add and multiply, run by CpuBroadcast.
public sealed partial class CpuDevice
{
    public override void BroadcastForward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuBroadcast.Forward(lease.Workspace, op, n, channels, inner, full, gate, y);
    }

    public override void BroadcastBackward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy,
        DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate)
    {
        using var lease = Rent();
        CpuBroadcast.Backward(lease.Workspace, op, n, channels, inner, full, gate, dy, dFull, accumulateFull, dGate, accumulateGate);
    }
}

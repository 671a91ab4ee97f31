namespace Strider.Devices.Cpu;

// Group and layer normalisation, run by CpuGroupNorm.
public sealed partial class CpuDevice
{
    public override void GroupNormForward(int n, int channels, int inner, int groups, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        CheckGroupNorm(nameof(GroupNormForward), n, channels, inner, groups, epsilon);
        using var lease = Rent();
        CpuGroupNorm.Forward(lease.Workspace, new NormSets(n, channels, inner, groups, false), epsilon, x, gamma, beta, y, savedMean, savedInvStd);
    }

    public override void GroupNormBackward(int n, int channels, int inner, int groups, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        CheckGroupNorm(nameof(GroupNormBackward), n, channels, inner, groups, 0f);
        using var lease = Rent();
        CpuGroupNorm.Backward(lease.Workspace, new NormSets(n, channels, inner, groups, false), x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    public override void LayerNormForward(int n, int channels, int inner, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        CheckGroupNorm(nameof(LayerNormForward), n, channels, inner, 1, epsilon);
        using var lease = Rent();
        CpuGroupNorm.Forward(lease.Workspace, new NormSets(n, channels, inner, 1, true), epsilon, x, gamma, beta, y, savedMean, savedInvStd);
    }

    public override void LayerNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        CheckGroupNorm(nameof(LayerNormBackward), n, channels, inner, 1, 0f);
        using var lease = Rent();
        CpuGroupNorm.Backward(lease.Workspace, new NormSets(n, channels, inner, 1, true), x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }
}

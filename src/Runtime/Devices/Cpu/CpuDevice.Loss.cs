using System;

namespace Strider.Devices.Cpu;

// The losses, run by CpuLoss (the host ones beyond these come from Device.Loss.cs).
public sealed unsafe partial class CpuDevice
{
    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels,
        DeviceBuffer<float> dlogits) =>
        CpuLoss.SoftmaxCrossEntropy(n, classes, inner, logits, labels, dlogits);

    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities,
        DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities) =>
        CpuLoss.CrossEntropyFromProbabilities(n, classes, inner, probabilities, labels, dprobabilities);

    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        using var lease = Rent();
        return CpuLoss.MeanSquaredError(lease.Workspace, count, prediction, target, dprediction);
    }
}

using System;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

// Batch normalisation (plain, fused with Relu and dropout, folded into a convolution), run by CpuNormalization.
public sealed unsafe partial class CpuDevice
{
    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma,
        DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        using var lease = Rent();
        CpuNormalization.BatchNormForwardTraining(lease.Workspace, n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum,
            epsilon, y, savedMean, savedInvStd);
    }

    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma,
        DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y)
    {
        using var lease = Rent();
        CpuNormalization.BatchNormForwardInference(lease.Workspace, n, channels, inner, x, gamma, beta, runningMean, runningVar, epsilon, y);
    }

    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy,
        DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx,
        DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        using var lease = Rent();
        CpuNormalization.BatchNormBackward(lease.Workspace, n, channels, inner, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    public override void BatchNormReluForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma,
        DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed, DeviceBuffer<float> y, DeviceBuffer<float> savedMean,
        DeviceBuffer<float> savedInvStd)
    {
        using var lease = Rent();
        CpuNormalization.BatchNormReluForwardTraining(lease.Workspace, n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum,
            epsilon, mask, dropoutRate, dropoutSeed, y, savedMean, savedInvStd);
    }

    public override void BatchNormReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y,
        DeviceBuffer<float> dy, DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean,
        DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate,
        DeviceBuffer<float> scratch)
    {
        using var lease = Rent();
        CpuNormalization.BatchNormReluBackward(lease.Workspace, n, channels, inner, x, y, dy, mask, gamma, savedMean, savedInvStd, dx, dgamma,
            dbeta, accumulate, scratch);
    }

    /// <summary>
    /// The base fold on the device's own memory, single-threaded (the work is the size of the weights, not of an
    /// activation); the same arithmetic as the base, so both give identical values.
    /// </summary>
    public override void FoldBatchNorm(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias,
        DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon,
        DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        long size = CheckFold(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, foldedWeights, foldedBias);
        float* w = P(weights, size, nameof(weights)), fw = P(foldedWeights, size, nameof(foldedWeights));
        float* b = bias is null ? null : P(bias, channels, nameof(bias));
        float* g = P(gamma, channels, nameof(gamma)), shift = P(beta, channels, nameof(beta));
        float* mean = P(runningMean, channels, nameof(runningMean)), variance = P(runningVar, channels, nameof(runningVar));
        float* fb = P(foldedBias, channels, nameof(foldedBias));
        for (int c = 0; c < channels; c++)
        {
            float scale = g[c] / MathF.Sqrt(variance[c] + epsilon);
            fb[c] = ((b is null ? 0f : b[c]) - mean[c]) * scale + shift[c];
            for (long o = 0; o < outer; o++)
            {
                long start = (o * channels + c) * inner;
                ScaleRow(w + start, fw + start, inner, scale);
            }
        }
    }

    /// <summary>dst = src * scale over count values.</summary>
    private static void ScaleRow(float* src, float* dst, long count, float scale)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            for (; i + 8 <= count; i += 8) (Vector256.Load(src + i) * s).Store(dst + i);
        }
        for (; i < count; i++) dst[i] = src[i] * scale;
    }
}

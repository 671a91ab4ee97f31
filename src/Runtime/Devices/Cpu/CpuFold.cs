using System;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <summary>
    /// The base fold on the device's own memory, single-threaded (the work is the size of the weights, not of an
    /// activation); the same arithmetic as the base, so both give identical values.
    /// </summary>
    public override void FoldBatchNorm(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias,
        DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon,
        DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        long size = CheckFold(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, foldedWeights, foldedBias);
        using var op = _gate.EnterScope();
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

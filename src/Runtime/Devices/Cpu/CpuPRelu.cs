using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// PRelu on the CPU: one work item per channel (its slope and its slope gradient are the channel's own, so the sum is
/// in a fixed order whatever the thread count), 8 values at a time along each image's row, the scalar rule in the tail.
/// </summary>
internal static unsafe class CpuPRelu
{
    internal static void Forward(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y)
    {
        Device.CheckChannelSizes("PReluForward", n, channels, inner);
        long size = (long)n * channels * inner;
        var elem = new ElementArgs { N = n, Channels = channels, Inner = inner, A = P(x, size, nameof(x)), Gamma = P(slope, channels, nameof(slope)), B = P(y, size, nameof(y)) };
        if (size > 0) RunChannels(ws, ref elem, &ForwardChannel);
    }

    internal static void Backward(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate)
    {
        Device.CheckChannelSizes("PReluBackward", n, channels, inner);
        long size = (long)n * channels * inner;
        var elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, Accumulate = accumulate,
            A = P(x, size, nameof(x)), Gamma = P(slope, channels, nameof(slope)), C = P(dy, size, nameof(dy)), D = P(dx, size, nameof(dx)),
            DGamma = P(dslope, channels, nameof(dslope)),
        };
        if (size > 0) RunChannels(ws, ref elem, &BackwardChannel);
    }

    private static void ForwardChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        float s = e.Gamma[c];
        for (int b = 0; b < e.N; b++)
        {
            float* x = e.A + c * (long)e.Inner + b * stride, y = e.B + c * (long)e.Inner + b * stride;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(s);
                // x > 0 is false at NaN, which then goes through s x: NaN either way.
                for (; i + 8 <= e.Inner; i += 8)
                {
                    var v = Vector256.Load(x + i);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * vs).Store(y + i);
                }
            }
            for (; i < e.Inner; i++) y[i] = x[i] > 0f ? x[i] : s * x[i];
        }
    }

    private static void BackwardChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        float s = e.Gamma[c];
        double sum = 0;
        for (int b = 0; b < e.N; b++)
        {
            float* x = e.A + c * (long)e.Inner + b * stride, dy = e.C + c * (long)e.Inner + b * stride, dx = e.D + c * (long)e.Inner + b * stride;
            int i = 0;
            double row = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(s);
                Vector256<double> s0 = default, s1 = default;
                for (; i + 8 <= e.Inner; i += 8)
                {
                    Vector256<float> v = Vector256.Load(x + i), g = Vector256.Load(dy + i), positive = Vector256.GreaterThan(v, Vector256<float>.Zero);
                    var d = Vector256.ConditionalSelect(positive, g, g * vs);
                    if (e.Accumulate) d += Vector256.Load(dx + i);
                    d.Store(dx + i);
                    var (p0, p1) = Vector256.Widen(Vector256.ConditionalSelect(positive, Vector256<float>.Zero, v * g));
                    s0 += p0;
                    s1 += p1;
                }
                row = Vector256.Sum(s0 + s1);
            }
            for (; i < e.Inner; i++)
            {
                bool positive = x[i] > 0f;
                Put(dx + i, positive ? dy[i] : s * dy[i], e.Accumulate);
                if (!positive) row += (double)(x[i] * dy[i]);
            }
            sum += row;
        }
        e.DGamma[c] += (float)sum;
    }
}

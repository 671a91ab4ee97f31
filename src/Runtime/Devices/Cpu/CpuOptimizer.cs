using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>The optimizer steps, in fixed ranges of <see cref="CpuElementwise.ElementChunk"/> values over the workers.</summary>
internal static unsafe class CpuOptimizer
{
    internal static void SgdStep(CpuWorkspace ws, long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay)
    {
        var elem = new ElementArgs
        {
            A = P(parameter, count, nameof(parameter)), B = P(gradient, count, nameof(gradient)), C = P(velocity, count, nameof(velocity)),
            P0 = learningRate, P1 = momentum, P2 = weightDecay,
        };
        RunRanges(ws, ref elem, count, &SgdRange);
    }

    internal static void SgdRange(in ElementArgs e, long i0, long i1)
    {
        float* p = e.A, g = e.B, v = e.C;
        float learningRate = e.P0, momentum = e.P1, weightDecay = e.P2;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The scalar loop's operations in the same order (no fused multiply-add), so the same bits.
            Vector256<float> lr = Vector256.Create(learningRate), mu = Vector256.Create(momentum), wd = Vector256.Create(weightDecay);
            for (; i + 8 <= i1; i += 8)
            {
                var pi = Vector256.Load(p + i);
                var vi = mu * Vector256.Load(v + i) + (Vector256.Load(g + i) + wd * pi);
                vi.Store(v + i);
                (pi - lr * vi).Store(p + i);
            }
        }
        for (; i < i1; i++)
        {
            float vi = momentum * v[i] + (g[i] + weightDecay * p[i]);
            v[i] = vi;
            p[i] -= learningRate * vi;
        }
    }

    internal static void AdamStep(CpuWorkspace ws, long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        var elem = new ElementArgs
        {
            A = P(parameter, count, nameof(parameter)), B = P(gradient, count, nameof(gradient)), C = P(m, count, nameof(m)), D = P(v, count, nameof(v)),
            P0 = learningRate, P1 = beta1, P2 = beta2, P3 = epsilon, P4 = weightDecay,
            P5 = (float)(1 / (1 - Math.Pow(beta1, step))), P6 = (float)(1 / (1 - Math.Pow(beta2, step))),
        };
        RunRanges(ws, ref elem, count, &AdamRange);
    }

    internal static void AdamRange(in ElementArgs e, long i0, long i1)
    {
        float* p = e.A, g = e.B, pm = e.C, pv = e.D;
        float learningRate = e.P0, beta1 = e.P1, beta2 = e.P2, epsilon = e.P3, weightDecay = e.P4, c1 = e.P5, c2 = e.P6;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The scalar loop's operations in the same order (no fused multiply-add; the square root is exact), so the same bits.
            Vector256<float> lr = Vector256.Create(learningRate), b1 = Vector256.Create(beta1), b2 = Vector256.Create(beta2), eps = Vector256.Create(epsilon);
            Vector256<float> wd = Vector256.Create(weightDecay), vc1 = Vector256.Create(c1), vc2 = Vector256.Create(c2);
            Vector256<float> ob1 = Vector256.Create(1 - beta1), ob2 = Vector256.Create(1 - beta2);
            for (; i + 8 <= i1; i += 8)
            {
                var pi = Vector256.Load(p + i);
                var gi = Vector256.Load(g + i) + wd * pi;
                var mi = b1 * Vector256.Load(pm + i) + ob1 * gi;
                var vi = b2 * Vector256.Load(pv + i) + ob2 * gi * gi;
                mi.Store(pm + i);
                vi.Store(pv + i);
                (pi - lr * (mi * vc1) / (Vector256.Sqrt(vi * vc2) + eps)).Store(p + i);
            }
        }
        for (; i < i1; i++)
        {
            float gi = g[i] + weightDecay * p[i];
            float mi = beta1 * pm[i] + (1 - beta1) * gi;
            float vi = beta2 * pv[i] + (1 - beta2) * gi * gi;
            pm[i] = mi;
            pv[i] = vi;
            p[i] -= learningRate * (mi * c1) / (MathF.Sqrt(vi * c2) + epsilon);
        }
    }
}

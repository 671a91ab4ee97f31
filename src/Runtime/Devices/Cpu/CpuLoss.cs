using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>The losses: one pass each (the squared error in fixed ranges whose partial sums are added in range order).</summary>
internal static unsafe class CpuLoss
{
    internal static int CountLabels(long positions, int classes, int* labels)
    {
        int count = 0;
        for (long i = 0; i < positions; i++)
        {
            int label = labels[i];
            if (label == -1) continue;
            if (label < 0 || label >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label at {i} must be in [0, {classes}) or -1 (ignored).");
            count++;
        }
        return count;
    }

    internal static float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits)
    {
        long size = (long)n * classes * inner;
        float* px = P(logits, size, nameof(logits)), pd = P(dlogits, size, nameof(dlogits));
        int* pl = P(labels, (long)n * inner, nameof(labels));
        int count = CountLabels((long)n * inner, classes, pl);
        double loss = 0;
        float invCount = count == 0 ? 0 : 1f / count;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = pl[(long)b * inner + i];
                float* xs = px + (long)b * classes * inner + i, ds = pd + (long)b * classes * inner + i;
                float max = float.NegativeInfinity;
                for (int c = 0; c < classes; c++) max = MathF.Max(max, xs[(long)c * inner]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += MathF.Exp(xs[(long)c * inner] - max);
                if (label < 0)
                {
                    for (int c = 0; c < classes; c++) ds[(long)c * inner] = 0;
                    continue;
                }
                loss += max + Math.Log(sum) - xs[(long)label * inner];
                float inv = (float)(1 / sum);
                for (int c = 0; c < classes; c++)
                    ds[(long)c * inner] = (MathF.Exp(xs[(long)c * inner] - max) * inv - (c == label ? 1 : 0)) * invCount;
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    internal static float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities)
    {
        long size = (long)n * classes * inner;
        float* pp = P(probabilities, size, nameof(probabilities)), pd = P(dprobabilities, size, nameof(dprobabilities));
        int* pl = P(labels, (long)n * inner, nameof(labels));
        int count = CountLabels((long)n * inner, classes, pl);
        double loss = 0;
        new Span<float>(pd, checked((int)size)).Clear();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = pl[(long)b * inner + i];
                if (label < 0) continue;
                long j = ((long)b * classes + label) * inner + i;
                loss -= Math.Log(pp[j]);
                pd[j] = (float)(-1.0 / (count * (double)pp[j]));
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    internal static float MeanSquaredError(CpuWorkspace ws, long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        float* pp = P(prediction, count, nameof(prediction)), pt = P(target, count, nameof(target)), pd = P(dprediction, count, nameof(dprediction));
        if (count == 0) return 0f;
        // One partial sum per fixed-size range, added in range order: the loss does not depend on the thread count.
        long ranges = (count + ElementChunk - 1) / ElementChunk;
        double* partials = ws.PartialSums(ranges);
        var elem = new ElementArgs { A = pp, B = pt, C = pd, P0 = 2f / count, Partials = partials };
        RunRanges(ws, ref elem, count, &SquaredErrorRange);
        double sum = 0;
        for (long r = 0; r < ranges; r++) sum += partials[r];
        return (float)(sum / count);
    }

    /// <summary>dprediction = 2 (prediction - target) / count over [i0, i1), and that range's sum of squared differences.</summary>
    internal static void SquaredErrorRange(in ElementArgs e, long i0, long i1)
    {
        double sum = 0;
        float scale = e.P0;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> acc0 = default, acc1 = default;
            var vs = Vector256.Create(scale);
            for (; i + 8 <= i1; i += 8)
            {
                var d = Vector256.Load(e.A + i) - Vector256.Load(e.B + i);
                (d * vs).Store(e.C + i);
                var (lo, hi) = Vector256.Widen(d);
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < i1; i++)
        {
            float d = e.A[i] - e.B[i];
            sum += (double)d * d;
            e.C[i] = d * scale;
        }
        e.Partials[i0 / ElementChunk] = sum;
    }
}

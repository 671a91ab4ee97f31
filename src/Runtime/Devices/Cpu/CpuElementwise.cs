using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Elementwise ops (add, dropout, multiply, copy, bias, softmax) spread over the workers in fixed ranges of
/// <see cref="ElementChunk"/> values (or one channel per item), so results do not depend on the thread count; and
/// the argument struct and range runners the other elementwise families (activations, normalisation, optimizers,
/// losses) share.
/// </summary>
internal static unsafe class CpuElementwise
{
    /// <summary>Values per elementwise work item: large enough that the hand-off is a small part of it.</summary>
    internal const int ElementChunk = 16384;

    internal struct ElementArgs
    {
        public long Count, Chunk;
        public float* A, B, C, D, E;
        public float* Gamma, Beta, RunningMean, RunningVar, Mean, InvStd, DGamma, DBeta;
        public float P0, P1, P2, P3, P4, P5, P6;
        public int N, Channels, Inner;
        public ulong Seed;
        /// <summary>One partial sum per range of a reduction (<see cref="ElementChunk"/> values each).</summary>
        public double* Partials;
        public bool Accumulate, Log;
        public delegate*<in ElementArgs, long, long, void> Range;
        public delegate*<in ElementArgs, int, void> Channel;
    }

    /// <summary>
    /// Runs <paramref name="range"/> over [0, count) in chunks of <paramref name="chunk"/> on the workers, with
    /// <paramref name="e"/> (the caller's own struct) as its arguments.
    /// </summary>
    internal static void RunRanges(CpuWorkspace ws, ref ElementArgs e, long count, delegate*<in ElementArgs, long, long, void> range, long chunk = ElementChunk)
    {
        e.Count = count;
        e.Range = range;
        e.Chunk = chunk;
        long items = (count + chunk - 1) / chunk;
        if (items <= 1) range(in e, 0, count);
        else ws.Run(Unsafe.AsPointer(ref e), checked((int)items), &RangeItem);
    }

    private static void RangeItem(object state, void* args, int item, int worker)
    {
        ref readonly ElementArgs a = ref *(ElementArgs*)args;
        long i0 = item * a.Chunk;
        a.Range(in a, i0, Math.Min(a.Count, i0 + a.Chunk));
    }

    /// <summary>Runs <paramref name="channel"/> once per channel of <paramref name="e"/> on the workers.</summary>
    internal static void RunChannels(CpuWorkspace ws, ref ElementArgs e, delegate*<in ElementArgs, int, void> channel)
    {
        e.Channel = channel;
        ws.Run(Unsafe.AsPointer(ref e), e.Channels, &ChannelItem);
    }

    private static void ChannelItem(object state, void* args, int item, int worker)
    {
        ref readonly ElementArgs a = ref *(ElementArgs*)args;
        a.Channel(in a, item);
    }

    internal static void Add(CpuWorkspace ws, long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        var elem = new ElementArgs { A = P(a, count, nameof(a)), B = P(b, count, nameof(b)), C = P(y, count, nameof(y)) };
        RunRanges(ws, ref elem, count, &AddRange);
    }

    internal static void AddRange(in ElementArgs e, long i0, long i1)
    {
        float* pa = e.A, pb = e.B, py = e.C;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= i1; i += 8) (Vector256.Load(pa + i) + Vector256.Load(pb + i)).Store(py + i);
        for (; i < i1; i++) py[i] = pa[i] + pb[i];
    }

    // ---- dropout ----

    internal static void DropoutForward(CpuWorkspace ws, long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        var elem = new ElementArgs { A = P(x, count, nameof(x)), B = P(mask, count, nameof(mask)), C = P(y, count, nameof(y)), P0 = rate, Seed = seed };
        RunRanges(ws, ref elem, count, &DropoutRange);
    }

    internal static void DropoutRange(in ElementArgs e, long i0, long i1)
    {
        float* px = e.A, pm = e.B, py = e.C;
        long i = i0;
        // The same SplitMix64 hash as DropoutMask.Value, 16 or 8 indices at a time (64-bit lanes, top 24 bits as float).
        if (e.P0 < 1f)
        {
            float keep = 1f / (1f - e.P0);
            if (Vector512.IsHardwareAccelerated)
            {
                var rate = Vector512.Create(e.P0);
                var scale = Vector512.Create(keep);
                var seed = Vector512.Create(e.Seed);
                var lanes = Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8);
                for (; i + 16 <= i1; i += 16)
                {
                    var first = Vector512.Create((ulong)i) + lanes;
                    var bits = Vector512.Narrow(DropoutHash512(seed, first), DropoutHash512(seed, first + Vector512.Create(8UL)));
                    var u = Vector512.ConvertToSingle(bits.AsInt32()) * (1f / 16777216f);
                    var k = Vector512.ConditionalSelect(Vector512.LessThan(u, rate), Vector512<float>.Zero, scale);
                    k.Store(pm + i);
                    (Vector512.Load(px + i) * k).Store(py + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var rate = Vector256.Create(e.P0);
                var scale = Vector256.Create(keep);
                var seed = Vector256.Create(e.Seed);
                var lanes = Vector256.Create(1UL, 2, 3, 4);
                for (; i + 8 <= i1; i += 8)
                {
                    var first = Vector256.Create((ulong)i) + lanes;
                    var bits = Vector256.Narrow(DropoutHash256(seed, first), DropoutHash256(seed, first + Vector256.Create(4UL)));
                    var u = Vector256.ConvertToSingle(bits.AsInt32()) * (1f / 16777216f);
                    var k = Vector256.ConditionalSelect(Vector256.LessThan(u, rate), Vector256<float>.Zero, scale);
                    k.Store(pm + i);
                    (Vector256.Load(px + i) * k).Store(py + i);
                }
            }
        }
        for (; i < i1; i++)
        {
            float k = DropoutMask.Value(e.Seed, i, e.P0);
            pm[i] = k;
            py[i] = px[i] * k;
        }
    }

    /// <summary>DropoutMask's hash of (seed, index + 1) per lane, shifted down to its top 24 bits.</summary>
    internal static Vector512<ulong> DropoutHash512(Vector512<ulong> seed, Vector512<ulong> indexPlusOne)
    {
        var z = seed + Vector512.Create(0x9E3779B97F4A7C15UL) * indexPlusOne;
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        z ^= Vector512.ShiftRightLogical(z, 31);
        return Vector512.ShiftRightLogical(z, 40);
    }

    /// <summary><see cref="DropoutHash512"/> on 4 lanes.</summary>
    internal static Vector256<ulong> DropoutHash256(Vector256<ulong> seed, Vector256<ulong> indexPlusOne)
    {
        var z = seed + Vector256.Create(0x9E3779B97F4A7C15UL) * indexPlusOne;
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(0x94D049BB133111EBUL);
        z ^= Vector256.ShiftRightLogical(z, 31);
        return Vector256.ShiftRightLogical(z, 40);
    }

    internal static void Multiply(CpuWorkspace ws, long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        var elem = new ElementArgs { A = P(a, count, nameof(a)), B = P(b, count, nameof(b)), C = P(y, count, nameof(y)), Accumulate = accumulate };
        RunRanges(ws, ref elem, count, &MultiplyRange);
    }

    internal static void MultiplyRange(in ElementArgs e, long i0, long i1)
    {
        float* pa = e.A, pb = e.B, py = e.C;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= i1; i += 8)
            {
                var v = Vector256.Load(pa + i) * Vector256.Load(pb + i);
                if (e.Accumulate) v += Vector256.Load(py + i);
                v.Store(py + i);
            }
        for (; i < i1; i++) Put(py + i, pa[i] * pb[i], e.Accumulate);
    }


    internal static void CopyRange(in ElementArgs e, long i0, long i1) => CopyOrAdd(e.A + i0, e.B + i0, i1 - i0, e.Accumulate);

    // ---- softmax ----

    internal static void SoftmaxForward(CpuWorkspace ws, bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        long size = (long)n * channels * inner;
        var elem = new ElementArgs { A = P(x, size, nameof(x)), B = P(y, size, nameof(y)), Channels = channels, Inner = inner, Log = log };
        // Positions (image, i) in ranges over the workers; each position's softmax is the same arithmetic as serially.
        RunRanges(ws, ref elem, (long)n * inner, &SoftmaxForwardRange, SoftmaxChunk(channels));
    }

    /// <summary>Positions per softmax work item: about an element chunk's values (the sliding LeNet's 4096 positions of 10 are 4 items).</summary>
    internal static long SoftmaxChunk(int channels) => Math.Max(64, ElementChunk / Math.Max(1, channels));

    internal static void SoftmaxForwardRange(in ElementArgs e, long p0, long p1)
    {
        int channels = e.Channels, inner = e.Inner;
        for (long p = p0; p < p1; p++)
        {
            long b = p / inner, i = p % inner;
            float* xs = e.A + b * channels * inner + i, ys = e.B + b * channels * inner + i;
            float max = float.NegativeInfinity;
            for (int c = 0; c < channels; c++) max = MathF.Max(max, xs[(long)c * inner]);
            double sum = 0;
            if (e.Log)
            {
                for (int c = 0; c < channels; c++) sum += MathF.Exp(xs[(long)c * inner] - max);
                float lse = max + (float)Math.Log(sum);
                for (int c = 0; c < channels; c++) ys[(long)c * inner] = xs[(long)c * inner] - lse;
            }
            else
            {
                // Each exponential once: kept in y, then scaled (the same values the two-exp form gave).
                for (int c = 0; c < channels; c++)
                {
                    float v = MathF.Exp(xs[(long)c * inner] - max);
                    ys[(long)c * inner] = v;
                    sum += v;
                }
                float inv = (float)(1 / sum);
                for (int c = 0; c < channels; c++) ys[(long)c * inner] *= inv;
            }
        }
    }

    internal static void SoftmaxBackward(CpuWorkspace ws, bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        long size = (long)n * channels * inner;
        var elem = new ElementArgs
        {
            A = P(y, size, nameof(y)), B = P(dy, size, nameof(dy)), C = P(dx, size, nameof(dx)),
            Channels = channels, Inner = inner, Log = log, Accumulate = accumulate,
        };
        RunRanges(ws, ref elem, (long)n * inner, &SoftmaxBackwardRange, SoftmaxChunk(channels));
    }

    internal static void SoftmaxBackwardRange(in ElementArgs e, long p0, long p1)
    {
        int channels = e.Channels, inner = e.Inner;
        float* py = e.A, pdy = e.B, pdx = e.C;
        bool log = e.Log;
        for (long p = p0; p < p1; p++)
        {
            long o = p / inner * channels * inner + p % inner;
            double dot = 0;
            for (int c = 0; c < channels; c++) dot += log ? pdy[o + (long)c * inner] : (double)pdy[o + (long)c * inner] * py[o + (long)c * inner];
            float s = (float)dot;
            for (int c = 0; c < channels; c++)
            {
                long j = o + (long)c * inner;
                Put(pdx + j, log ? pdy[j] - MathF.Exp(py[j]) * s : py[j] * (pdy[j] - s), e.Accumulate);
            }
        }
    }

    // ---- bias ----

    internal static void AddBias(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y)
    {
        long count = (long)n * channels * inner;
        var elem = new ElementArgs { A = P(bias, channels, nameof(bias)), B = P(y, count, nameof(y)), Channels = channels, Inner = inner };
        if (count > 0) RunRanges(ws, ref elem, count, &AddBiasRange);
    }

    /// <summary>y[i] += bias[channel of i] over [i0, i1) of the flattened [n, channels, inner] tensor.</summary>
    internal static void AddBiasRange(in ElementArgs e, long i0, long i1)
    {
        float* py = e.B;
        for (long i = i0; i < i1;)
        {
            long row = i / e.Inner, end = Math.Min(i1, (row + 1) * e.Inner);
            AddScalar(py + i, py + i, (int)(end - i), e.A[row % e.Channels]);
            i = end;
        }
    }

    internal static void BiasBackward(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias)
    {
        var elem = new ElementArgs
        {
            A = P(dy, (long)n * channels * inner, nameof(dy)), B = P(dbias, channels, nameof(dbias)), N = n, Channels = channels, Inner = inner,
        };
        if (channels > 0) RunChannels(ws, ref elem, &BiasBackwardChannel);
    }

    /// <summary>dbias[c] += the sum of channel c over the batch: each image's row in float vectors, the rows added in double.</summary>
    internal static void BiasBackwardChannel(in ElementArgs e, int c)
    {
        double sum = 0;
        for (int b = 0; b < e.N; b++)
        {
            float* row = e.A + ((long)b * e.Channels + c) * e.Inner;
            float part = 0;
            int i = 0;
            if (Vector256.IsHardwareAccelerated && e.Inner >= 16)
            {
                Vector256<float> acc0 = default, acc1 = default;
                for (; i + 16 <= e.Inner; i += 16)
                {
                    acc0 += Vector256.Load(row + i);
                    acc1 += Vector256.Load(row + i + 8);
                }
                part = Vector256.Sum(acc0 + acc1);
            }
            for (; i < e.Inner; i++) part += row[i];
            sum += part;
        }
        e.B[c] += (float)sum;
    }
}

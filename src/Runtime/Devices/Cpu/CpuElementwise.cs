using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>
/// Elementwise ops, dropout, batch normalisation and the optimizer steps, spread over the workers: elementwise ops in
/// fixed ranges of <see cref="ElementChunk"/> values, batch normalisation one channel per item (each channel's sums
/// in a fixed order, so results do not depend on the thread count).
/// </summary>
public sealed unsafe partial class CpuDevice
{
    /// <summary>Values per elementwise work item: large enough that the hand-off is a small part of it.</summary>
    private const int ElementChunk = 16384;

    private struct ElementArgs
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

    private ElementArgs _elem;

    /// <summary>Runs <c>_elem.Range</c> over [0, count) in chunks of <paramref name="chunk"/> on the workers.</summary>
    private void RunRanges(long count, delegate*<in ElementArgs, long, long, void> range, long chunk = ElementChunk)
    {
        _elem.Count = count;
        _elem.Range = range;
        _elem.Chunk = chunk;
        long items = (count + chunk - 1) / chunk;
        if (items <= 1) range(in _elem, 0, count);
        else _pool.Run(this, checked((int)items), &RangeItem);
    }

    private static void RangeItem(object state, int item, int worker)
    {
        ref readonly ElementArgs a = ref Unsafe.As<CpuDevice>(state)._elem;
        long i0 = item * a.Chunk;
        a.Range(in a, i0, Math.Min(a.Count, i0 + a.Chunk));
    }

    /// <summary>Runs <c>_elem.Channel</c> once per channel on the workers.</summary>
    private void RunChannels(delegate*<in ElementArgs, int, void> channel)
    {
        _elem.Channel = channel;
        _pool.Run(this, _elem.Channels, &ChannelItem);
    }

    private static void ChannelItem(object state, int item, int worker)
    {
        ref readonly ElementArgs a = ref Unsafe.As<CpuDevice>(state)._elem;
        a.Channel(in a, item);
    }

    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        using var op = _gate.EnterScope();
        _elem = new ElementArgs { A = P(a, count, nameof(a)), B = P(b, count, nameof(b)), C = P(y, count, nameof(y)) };
        RunRanges(count, &AddRange);
    }

    private static void AddRange(in ElementArgs e, long i0, long i1)
    {
        float* pa = e.A, pb = e.B, py = e.C;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= i1; i += 8) (Vector256.Load(pa + i) + Vector256.Load(pb + i)).Store(py + i);
        for (; i < i1; i++) py[i] = pa[i] + pb[i];
    }

    // ---- dropout ----

    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        using var op = _gate.EnterScope();
        _elem = new ElementArgs { A = P(x, count, nameof(x)), B = P(mask, count, nameof(mask)), C = P(y, count, nameof(y)), P0 = rate, Seed = seed };
        RunRanges(count, &DropoutRange);
    }

    private static void DropoutRange(in ElementArgs e, long i0, long i1)
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
    private static Vector512<ulong> DropoutHash512(Vector512<ulong> seed, Vector512<ulong> indexPlusOne)
    {
        var z = seed + Vector512.Create(0x9E3779B97F4A7C15UL) * indexPlusOne;
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        z ^= Vector512.ShiftRightLogical(z, 31);
        return Vector512.ShiftRightLogical(z, 40);
    }

    /// <summary><see cref="DropoutHash512"/> on 4 lanes.</summary>
    private static Vector256<ulong> DropoutHash256(Vector256<ulong> seed, Vector256<ulong> indexPlusOne)
    {
        var z = seed + Vector256.Create(0x9E3779B97F4A7C15UL) * indexPlusOne;
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(0x94D049BB133111EBUL);
        z ^= Vector256.ShiftRightLogical(z, 31);
        return Vector256.ShiftRightLogical(z, 40);
    }

    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        using var op = _gate.EnterScope();
        _elem = new ElementArgs { A = P(a, count, nameof(a)), B = P(b, count, nameof(b)), C = P(y, count, nameof(y)), Accumulate = accumulate };
        RunRanges(count, &MultiplyRange);
    }

    private static void MultiplyRange(in ElementArgs e, long i0, long i1)
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

    // ---- batch normalisation ----

    /// <summary>Sum of row[0 .. count), in double (float vectors widened to double lanes).</summary>
    private static double SumRow(float* row, int count)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> acc0 = default, acc1 = default;
            for (; i + 8 <= count; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(row + i));
                acc0 += lo;
                acc1 += hi;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < count; i++) sum += row[i];
        return sum;
    }

    /// <summary>Sum of (row[i] - mean)^2 in double.</summary>
    private static double SumSquaredDeviations(float* row, int count, double mean)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> acc0 = default, acc1 = default, m = Vector256.Create(mean);
            for (; i + 8 <= count; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(row + i));
                lo -= m;
                hi -= m;
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < count; i++) { double d = row[i] - mean; sum += d * d; }
        return sum;
    }

    /// <summary>y = x scale + shift over one row.</summary>
    private static void AffineRow(float* x, float* y, int count, float scale, float shift)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(scale), t = Vector256.Create(shift);
            for (; i + 8 <= count; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), s, t).Store(y + i);
        }
        for (; i < count; i++) y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
    }

    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, P0 = momentum, P1 = epsilon,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)),
            Gamma = P(gamma, channels, nameof(gamma)), Beta = P(beta, channels, nameof(beta)),
            RunningMean = P(runningMean, channels, nameof(runningMean)), RunningVar = P(runningVar, channels, nameof(runningVar)),
            Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
        };
        RunChannels(&BatchNormTrainingChannel);
    }

    private static void BatchNormTrainingChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        float* x = e.A + (long)c * e.Inner, y = e.B + (long)c * e.Inner;
        var (scale, shift) = BatchNormStatistics(in e, c);
        for (int b = 0; b < e.N; b++) AffineRow(x + b * stride, y + b * stride, e.Inner, scale, shift);
    }

    /// <summary>
    /// Channel <paramref name="c"/>'s batch mean and variance (two passes over x = e.A, in double): saves mean and invStd,
    /// updates the running statistics (momentum e.P0, epsilon e.P1); returns the affine map y = x scale + shift.
    /// </summary>
    private static (float Scale, float Shift) BatchNormStatistics(in ElementArgs e, int c)
    {
        long m = (long)e.N * e.Inner, stride = (long)e.Channels * e.Inner;
        float* x = e.A + (long)c * e.Inner;
        double sum = 0;
        for (int b = 0; b < e.N; b++) sum += SumRow(x + b * stride, e.Inner);
        double mean = sum / m, sq = 0;
        for (int b = 0; b < e.N; b++) sq += SumSquaredDeviations(x + b * stride, e.Inner, mean);
        double variance = sq / m;
        float invStd = (float)(1 / Math.Sqrt(variance + e.P1));
        float scale = e.Gamma[c] * invStd, shift = e.Beta[c] - (float)mean * scale;
        e.Mean[c] = (float)mean;
        e.InvStd[c] = invStd;
        double unbiased = m > 1 ? sq / (m - 1) : variance;
        float momentum = e.P0;
        e.RunningMean[c] = (float)((1 - momentum) * e.RunningMean[c] + momentum * mean);
        e.RunningVar[c] = (float)((1 - momentum) * e.RunningVar[c] + momentum * unbiased);
        return (scale, shift);
    }

    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, P1 = epsilon,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)),
            Gamma = P(gamma, channels, nameof(gamma)), Beta = P(beta, channels, nameof(beta)),
            RunningMean = P(runningMean, channels, nameof(runningMean)), RunningVar = P(runningVar, channels, nameof(runningVar)),
        };
        RunChannels(&BatchNormInferenceChannel);
    }

    private static void BatchNormInferenceChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        float scale = e.Gamma[c] / MathF.Sqrt(e.RunningVar[c] + e.P1), shift = e.Beta[c] - e.RunningMean[c] * scale;
        float* x = e.A + (long)c * e.Inner, y = e.B + (long)c * e.Inner;
        for (int b = 0; b < e.N; b++) AffineRow(x + b * stride, y + b * stride, e.Inner, scale, shift);
    }

    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, Accumulate = accumulate,
            A = P(x, size, nameof(x)), C = P(dy, size, nameof(dy)), D = P(dx, size, nameof(dx)),
            Gamma = P(gamma, channels, nameof(gamma)), Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
            DGamma = P(dgamma, channels, nameof(dgamma)), DBeta = P(dbeta, channels, nameof(dbeta)),
        };
        RunChannels(&BatchNormBackwardChannel);
    }

    /// <summary>
    /// One channel's BatchNorm backward. The norm's output gradient is dy, or, for the fused BatchNorm -> Relu
    /// [-> Dropout] (B = the chain's output y, E = the dropout mask or null), 0 where y &lt;= 0 and dy [* mask]
    /// elsewhere, formed on the fly so it is never written.
    /// </summary>
    private static void BatchNormBackwardChannel(in ElementArgs e, int c)
    {
        long m = (long)e.N * e.Inner, stride = (long)e.Channels * e.Inner, offset = (long)c * e.Inner;
        float* y = e.B == null ? null : e.B + offset, mask = e.E == null ? null : e.E + offset;
        float mean = e.Mean[c], invStd = e.InvStd[c];
        double sumDy = 0, sumDyCentered = 0;
        for (int b = 0; b < e.N; b++)
        {
            float* xr = e.A + offset + b * stride, dyr = e.C + offset + b * stride;
            float* yr = y == null ? null : y + b * stride, mr = mask == null ? null : mask + b * stride;
            // Per row, a vector sum of the gradient and of gradient (x - mean), both in double, then the tail.
            int i = 0;
            double rowSum = 0, rowCentered = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<double> s0 = default, s1 = default, p0 = default, p1 = default, vm = Vector256.Create((double)mean);
                for (; i + 8 <= e.Inner; i += 8)
                {
                    var (g0, g1) = Vector256.Widen(NormGradient(yr, dyr, mr, i));
                    var (x0, x1) = Vector256.Widen(Vector256.Load(xr + i));
                    s0 += g0;
                    s1 += g1;
                    p0 += g0 * (x0 - vm);
                    p1 += g1 * (x1 - vm);
                }
                rowSum = Vector256.Sum(s0 + s1);
                rowCentered = Vector256.Sum(p0 + p1);
            }
            for (int j = i; j < e.Inner; j++) rowSum += NormGradientAt(yr, dyr, mr, j);
            for (; i < e.Inner; i++) rowCentered += NormGradientAt(yr, dyr, mr, i) * (xr[i] - (double)mean);
            sumDy += rowSum;
            sumDyCentered += rowCentered;
        }
        double sumDyXhat = sumDyCentered * invStd;
        float k = e.Gamma[c] * invStd, meanDy = (float)(sumDy / m), meanDyXhat = (float)(sumDyXhat / m);
        // dx = k (dy - meanDy - (x - mean) invStd meanDyXhat) = k dy + (x a + b0) with a = -k invStd meanDyXhat.
        float a = -k * invStd * meanDyXhat, b0 = -k * meanDy - a * mean;
        for (int b = 0; b < e.N; b++)
        {
            float* xr = e.A + offset + b * stride, dyr = e.C + offset + b * stride, dxr = e.D + offset + b * stride;
            float* yr = y == null ? null : y + b * stride, mr = mask == null ? null : mask + b * stride;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vk = Vector256.Create(k), va = Vector256.Create(a), vb = Vector256.Create(b0);
                for (; i + 8 <= e.Inner; i += 8)
                {
                    var v = Vector256.FusedMultiplyAdd(NormGradient(yr, dyr, mr, i), vk, Vector256.FusedMultiplyAdd(Vector256.Load(xr + i), va, vb));
                    if (e.Accumulate) v += Vector256.Load(dxr + i);
                    v.Store(dxr + i);
                }
            }
            for (; i < e.Inner; i++) Put(dxr + i, NormGradientAt(yr, dyr, mr, i) * k + (xr[i] * a + b0), e.Accumulate);
        }
        e.DGamma[c] += (float)sumDyXhat;
        e.DBeta[c] += (float)sumDy;
    }

    /// <summary>The norm's output gradient at 8 values: dy, or with a fused Relu (y non-null) 0 where y &lt;= 0, else dy [* mask] (a NaN y passes it, as Relu's own backward).</summary>
    private static Vector256<float> NormGradient(float* y, float* dy, float* mask, int i)
    {
        var g = Vector256.Load(dy + i);
        if (y == null) return g;
        if (mask != null) g *= Vector256.Load(mask + i);
        return ReluGradient(Vector256.Load(y + i), g);
    }

    private static float NormGradientAt(float* y, float* dy, float* mask, long i)
    {
        if (y == null) return dy[i];
        float g = mask == null ? dy[i] : dy[i] * mask[i];
        return ReluGradient(y[i], g);
    }

    // ---- optimizers ----

    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay)
    {
        using var op = _gate.EnterScope();
        _elem = new ElementArgs
        {
            A = P(parameter, count, nameof(parameter)), B = P(gradient, count, nameof(gradient)), C = P(velocity, count, nameof(velocity)),
            P0 = learningRate, P1 = momentum, P2 = weightDecay,
        };
        RunRanges(count, &SgdRange);
    }

    private static void SgdRange(in ElementArgs e, long i0, long i1)
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

    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        using var op = _gate.EnterScope();
        _elem = new ElementArgs
        {
            A = P(parameter, count, nameof(parameter)), B = P(gradient, count, nameof(gradient)), C = P(m, count, nameof(m)), D = P(v, count, nameof(v)),
            P0 = learningRate, P1 = beta1, P2 = beta2, P3 = epsilon, P4 = weightDecay,
            P5 = (float)(1 / (1 - Math.Pow(beta1, step))), P6 = (float)(1 / (1 - Math.Pow(beta2, step))),
        };
        RunRanges(count, &AdamRange);
    }

    private static void AdamRange(in ElementArgs e, long i0, long i1)
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

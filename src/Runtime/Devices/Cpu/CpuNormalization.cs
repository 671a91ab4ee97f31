using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Batch normalisation, one channel per work item (each channel's sums in a fixed order, so results do not depend on the
/// thread count), and the fused training-mode BatchNorm -> Relu [-> Dropout]: forward computes the statistics as
/// the plain forward does, then writes only the chain's output (and the mask); backward is BatchNormBackward's own
/// channel pass, which forms the norm's output gradient on the fly from y and the mask. The fused values equal the
/// unfused ops' (the same float operations per element, the same double sums), up to the sign of a zero gradient.
/// </summary>
internal static unsafe class CpuNormalization
{
    /// <summary>
    /// Floats a vector lane's partial sums take before they are widened into the double total (four lanes' chains of
    /// <see cref="SumBlock"/> / 32 values each, so a partial holds at most 16 values, its rounding that of 16 float adds).
    /// </summary>
    private const int SumBlock = 128;

    /// <summary>The double sum of a float vector's lanes, pairwise (lo + hi widened), added to <paramref name="total"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> AddWidened(Vector256<double> total, Vector256<float> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        return total + (lo + hi);
    }

    /// <summary>
    /// Sum of row[0 .. count): float partials in four independent chains of 8 lanes over blocks of <see cref="SumBlock"/>
    /// values, each block's partials widened into a double total (widening every value cost five times the adds:
    /// `bn-ab`, forward 0.57-0.90x), then the tail in double.
    /// </summary>
    internal static double SumRow(float* row, int count)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> total = default;
            while (i + 8 <= count)
            {
                int end = Math.Min(count, i + SumBlock);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 32 <= end; i += 32)
                {
                    a0 += Vector256.Load(row + i);
                    a1 += Vector256.Load(row + i + 8);
                    a2 += Vector256.Load(row + i + 16);
                    a3 += Vector256.Load(row + i + 24);
                }
                for (; i + 8 <= end; i += 8) a0 += Vector256.Load(row + i);
                total = AddWidened(total, (a0 + a1) + (a2 + a3));
            }
            sum = Vector256.Sum(total);
        }
        for (; i < count; i++) sum += row[i];
        return sum;
    }

    /// <summary>Sum of (row[i] - mean)^2, the differences and their squares in float, in <see cref="SumRow"/>'s blocks.</summary>
    internal static double SumSquaredDeviations(float* row, int count, double mean)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> total = default;
            var m = Vector256.Create((float)mean);
            while (i + 8 <= count)
            {
                int end = Math.Min(count, i + SumBlock);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 32 <= end; i += 32)
                {
                    var d0 = Vector256.Load(row + i) - m;
                    var d1 = Vector256.Load(row + i + 8) - m;
                    var d2 = Vector256.Load(row + i + 16) - m;
                    var d3 = Vector256.Load(row + i + 24) - m;
                    a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
                    a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
                    a2 = Vector256.FusedMultiplyAdd(d2, d2, a2);
                    a3 = Vector256.FusedMultiplyAdd(d3, d3, a3);
                }
                for (; i + 8 <= end; i += 8)
                {
                    var d0 = Vector256.Load(row + i) - m;
                    a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
                }
                total = AddWidened(total, (a0 + a1) + (a2 + a3));
            }
            sum = Vector256.Sum(total);
        }
        for (; i < count; i++) { double d = row[i] - mean; sum += d * d; }
        return sum;
    }

    /// <summary>
    /// y = (x - center) scale + shift over one row: centred first, so a channel far from zero against its spread keeps
    /// its precision (x scale and a shift of -center scale cancelled in float: 0.3% off at an offset of 1000 and a spread of 0.05).
    /// </summary>
    internal static void AffineRow(float* x, float* y, int count, float center, float scale, float shift)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> m = Vector256.Create(center), s = Vector256.Create(scale), t = Vector256.Create(shift);
            for (; i + 8 <= count; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i) - m, s, t).Store(y + i);
        }
        for (; i < count; i++) y[i] = MathF.FusedMultiplyAdd(x[i] - center, scale, shift);
    }

    internal static void BatchNormForwardTraining(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        long size = (long)n * channels * inner;
        var elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, P0 = momentum, P1 = epsilon,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)),
            Gamma = P(gamma, channels, nameof(gamma)), Beta = P(beta, channels, nameof(beta)),
            RunningMean = P(runningMean, channels, nameof(runningMean)), RunningVar = P(runningVar, channels, nameof(runningVar)),
            Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
        };
        RunChannels(ws, ref elem, &BatchNormTrainingChannel);
    }

    internal static void BatchNormTrainingChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        float* x = e.A + (long)c * e.Inner, y = e.B + (long)c * e.Inner;
        var (center, scale, shift) = BatchNormStatistics(in e, c);
        for (int b = 0; b < e.N; b++) AffineRow(x + b * stride, y + b * stride, e.Inner, center, scale, shift);
    }

    /// <summary>
    /// Channel <paramref name="c"/>'s batch mean and variance (two passes over x = e.A, summed into double): saves mean and invStd,
    /// updates the running statistics (momentum e.P0, epsilon e.P1); returns the affine map y = x scale + shift.
    /// </summary>
    internal static (float Center, float Scale, float Shift) BatchNormStatistics(in ElementArgs e, int c)
    {
        long m = (long)e.N * e.Inner, stride = (long)e.Channels * e.Inner;
        float* x = e.A + (long)c * e.Inner;
        double sum = 0;
        for (int b = 0; b < e.N; b++) sum += SumRow(x + b * stride, e.Inner);
        double mean = sum / m, sq = 0;
        for (int b = 0; b < e.N; b++) sq += SumSquaredDeviations(x + b * stride, e.Inner, mean);
        double variance = sq / m;
        float invStd = (float)(1 / Math.Sqrt(variance + e.P1));
        float scale = e.Gamma[c] * invStd;
        e.Mean[c] = (float)mean;
        e.InvStd[c] = invStd;
        double unbiased = m > 1 ? sq / (m - 1) : variance;
        float momentum = e.P0;
        e.RunningMean[c] = (float)((1 - momentum) * e.RunningMean[c] + momentum * mean);
        e.RunningVar[c] = (float)((1 - momentum) * e.RunningVar[c] + momentum * unbiased);
        return ((float)mean, scale, e.Beta[c]);
    }

    internal static void BatchNormForwardInference(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y)
    {
        long size = (long)n * channels * inner;
        var elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, P1 = epsilon,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)),
            Gamma = P(gamma, channels, nameof(gamma)), Beta = P(beta, channels, nameof(beta)),
            RunningMean = P(runningMean, channels, nameof(runningMean)), RunningVar = P(runningVar, channels, nameof(runningVar)),
        };
        RunChannels(ws, ref elem, &BatchNormInferenceChannel);
    }

    internal static void BatchNormInferenceChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        float scale = e.Gamma[c] / MathF.Sqrt(e.RunningVar[c] + e.P1);
        float* x = e.A + (long)c * e.Inner, y = e.B + (long)c * e.Inner;
        for (int b = 0; b < e.N; b++) AffineRow(x + b * stride, y + b * stride, e.Inner, e.RunningMean[c], scale, e.Beta[c]);
    }

    internal static void BatchNormBackward(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        long size = (long)n * channels * inner;
        var elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, Accumulate = accumulate,
            A = P(x, size, nameof(x)), C = P(dy, size, nameof(dy)), D = P(dx, size, nameof(dx)),
            Gamma = P(gamma, channels, nameof(gamma)), Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
            DGamma = P(dgamma, channels, nameof(dgamma)), DBeta = P(dbeta, channels, nameof(dbeta)),
        };
        RunChannels(ws, ref elem, &BatchNormBackwardChannel);
    }

    /// <summary>
    /// One channel's BatchNorm backward. The norm's output gradient is dy, or, for the fused BatchNorm -> Relu
    /// [-> Dropout] (B = the chain's output y, E = the dropout mask or null), 0 where y &lt;= 0 and dy [* mask]
    /// elsewhere, formed on the fly so it is never written.
    /// </summary>
    internal static void BatchNormBackwardChannel(in ElementArgs e, int c)
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
                // Float partials in blocks widened into double totals, as SumRow.
                Vector256<double> sumTotal = default, centeredTotal = default;
                var vm = Vector256.Create(mean);
                while (i + 8 <= e.Inner)
                {
                    int end = Math.Min(e.Inner, i + SumBlock);
                    Vector256<float> s0 = default, s1 = default, p0 = default, p1 = default;
                    for (; i + 16 <= end; i += 16)
                    {
                        var g0 = NormGradient(yr, dyr, mr, i);
                        var g1 = NormGradient(yr, dyr, mr, i + 8);
                        s0 += g0;
                        s1 += g1;
                        p0 = Vector256.FusedMultiplyAdd(g0, Vector256.Load(xr + i) - vm, p0);
                        p1 = Vector256.FusedMultiplyAdd(g1, Vector256.Load(xr + i + 8) - vm, p1);
                    }
                    for (; i + 8 <= end; i += 8)
                    {
                        var g0 = NormGradient(yr, dyr, mr, i);
                        s0 += g0;
                        p0 = Vector256.FusedMultiplyAdd(g0, Vector256.Load(xr + i) - vm, p0);
                    }
                    sumTotal = AddWidened(sumTotal, s0 + s1);
                    centeredTotal = AddWidened(centeredTotal, p0 + p1);
                }
                rowSum = Vector256.Sum(sumTotal);
                rowCentered = Vector256.Sum(centeredTotal);
            }
            for (int j = i; j < e.Inner; j++) rowSum += NormGradientAt(yr, dyr, mr, j);
            for (; i < e.Inner; i++) rowCentered += NormGradientAt(yr, dyr, mr, i) * (xr[i] - (double)mean);
            sumDy += rowSum;
            sumDyCentered += rowCentered;
        }
        double sumDyXhat = sumDyCentered * invStd;
        float k = e.Gamma[c] * invStd, meanDy = (float)(sumDy / m), meanDyXhat = (float)(sumDyXhat / m);
        // dx = k (dy - meanDy - (x - mean) invStd meanDyXhat) = k dy + ((x - mean) a + b0) with a = -k invStd meanDyXhat
        // and b0 = -k meanDy (centred first, as the forward's AffineRow).
        float a = -k * invStd * meanDyXhat, b0 = -k * meanDy;
        for (int b = 0; b < e.N; b++)
        {
            float* xr = e.A + offset + b * stride, dyr = e.C + offset + b * stride, dxr = e.D + offset + b * stride;
            float* yr = y == null ? null : y + b * stride, mr = mask == null ? null : mask + b * stride;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vk = Vector256.Create(k), va = Vector256.Create(a), vb = Vector256.Create(b0), vm = Vector256.Create(mean);
                for (; i + 8 <= e.Inner; i += 8)
                {
                    var v = Vector256.FusedMultiplyAdd(NormGradient(yr, dyr, mr, i), vk, Vector256.FusedMultiplyAdd(Vector256.Load(xr + i) - vm, va, vb));
                    if (e.Accumulate) v += Vector256.Load(dxr + i);
                    v.Store(dxr + i);
                }
            }
            for (; i < e.Inner; i++) Put(dxr + i, NormGradientAt(yr, dyr, mr, i) * k + ((xr[i] - mean) * a + b0), e.Accumulate);
        }
        e.DGamma[c] += (float)sumDyXhat;
        e.DBeta[c] += (float)sumDy;
    }

    /// <summary>The norm's output gradient at 8 values: dy, or with a fused Relu (y non-null) 0 where y &lt;= 0, else dy [* mask] (a NaN y passes it, as Relu's own backward).</summary>
    internal static Vector256<float> NormGradient(float* y, float* dy, float* mask, int i)
    {
        var g = Vector256.Load(dy + i);
        if (y == null) return g;
        if (mask != null) g *= Vector256.Load(mask + i);
        return ReluGradient(Vector256.Load(y + i), g);
    }

    internal static float NormGradientAt(float* y, float* dy, float* mask, long i)
    {
        if (y == null) return dy[i];
        float g = mask == null ? dy[i] : dy[i] * mask[i];
        return ReluGradient(y[i], g);
    }


    // ---- fused BatchNorm -> Relu [-> Dropout] ----
    internal static void BatchNormReluForwardTraining(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        long size = (long)n * channels * inner;
        var elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, P0 = momentum, P1 = epsilon, P2 = dropoutRate, Seed = dropoutSeed,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)), C = mask is null ? null : P(mask, size, nameof(mask)),
            Gamma = P(gamma, channels, nameof(gamma)), Beta = P(beta, channels, nameof(beta)),
            RunningMean = P(runningMean, channels, nameof(runningMean)), RunningVar = P(runningVar, channels, nameof(runningVar)),
            Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
        };
        RunChannels(ws, ref elem, &BatchNormReluTrainingChannel);
    }

    internal static void BatchNormReluTrainingChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        var (center, scale, shift) = BatchNormStatistics(in e, c);
        for (int b = 0; b < e.N; b++)
        {
            long start = b * stride + (long)c * e.Inner;
            if (e.C == null) AffineReluRow(e.A + start, e.B + start, e.Inner, center, scale, shift);
            else AffineReluDropoutRow(e.A + start, e.B + start, e.C + start, e.Inner, start, center, scale, shift, e.P2, e.Seed);
        }
    }

    /// <summary>y = max((x - center) scale + shift, 0) over one row, NaN kept (the affine step as AffineRow's).</summary>
    internal static void AffineReluRow(float* x, float* y, int count, float center, float scale, float shift)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> m = Vector256.Create(center), s = Vector256.Create(scale), t = Vector256.Create(shift);
            for (; i + 8 <= count; i += 8) Relu(Vector256.FusedMultiplyAdd(Vector256.Load(x + i) - m, s, t)).Store(y + i);
        }
        for (; i < count; i++)
        {
            y[i] = Relu(MathF.FusedMultiplyAdd(x[i] - center, scale, shift));
        }
    }

    /// <summary>
    /// mask = DropoutMask.Value(seed, index0 + i, rate) and y = max((x - center) scale + shift, 0) mask over one row: the hash
    /// 16 or 8 indices at a time as DropoutRange.
    /// </summary>
    internal static void AffineReluDropoutRow(float* x, float* y, float* mask, int count, long index0, float center, float scale, float shift, float rate, ulong seed)
    {
        int i = 0;
        if (rate < 1f)
        {
            float keep = 1f / (1f - rate);
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> m = Vector512.Create(center), s = Vector512.Create(scale), t = Vector512.Create(shift), r = Vector512.Create(rate), k1 = Vector512.Create(keep);
                var vseed = Vector512.Create(seed);
                var lanes = Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8);
                for (; i + 16 <= count; i += 16)
                {
                    var first = Vector512.Create((ulong)(index0 + i)) + lanes;
                    var bits = Vector512.Narrow(DropoutHash512(vseed, first), DropoutHash512(vseed, first + Vector512.Create(8UL)));
                    var u = Vector512.ConvertToSingle(bits.AsInt32()) * (1f / 16777216f);
                    var k = Vector512.ConditionalSelect(Vector512.LessThan(u, r), Vector512<float>.Zero, k1);
                    k.Store(mask + i);
                    var v = Relu(Vector512.FusedMultiplyAdd(Vector512.Load(x + i) - m, s, t));
                    (v * k).Store(y + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> m = Vector256.Create(center), s = Vector256.Create(scale), t = Vector256.Create(shift), r = Vector256.Create(rate), k1 = Vector256.Create(keep);
                var vseed = Vector256.Create(seed);
                var lanes = Vector256.Create(1UL, 2, 3, 4);
                for (; i + 8 <= count; i += 8)
                {
                    var first = Vector256.Create((ulong)(index0 + i)) + lanes;
                    var bits = Vector256.Narrow(DropoutHash256(vseed, first), DropoutHash256(vseed, first + Vector256.Create(4UL)));
                    var u = Vector256.ConvertToSingle(bits.AsInt32()) * (1f / 16777216f);
                    var k = Vector256.ConditionalSelect(Vector256.LessThan(u, r), Vector256<float>.Zero, k1);
                    k.Store(mask + i);
                    var v = Relu(Vector256.FusedMultiplyAdd(Vector256.Load(x + i) - m, s, t));
                    (v * k).Store(y + i);
                }
            }
        }
        for (; i < count; i++)
        {
            float v = MathF.FusedMultiplyAdd(x[i] - center, scale, shift);
            float k = DropoutMask.Value(seed, index0 + i, rate);
            mask[i] = k;
            y[i] = Relu(v) * k;
        }
    }

    internal static void BatchNormReluBackward(CpuWorkspace ws, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy,
        DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd,
        DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate, DeviceBuffer<float> scratch)
    {
        long size = (long)n * channels * inner;
        _ = P(scratch, size, nameof(scratch)); // checked like the base's use of it, though this override never touches it
        var elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, Accumulate = accumulate,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)), C = P(dy, size, nameof(dy)), D = P(dx, size, nameof(dx)),
            E = mask is null ? null : P(mask, size, nameof(mask)),
            Gamma = P(gamma, channels, nameof(gamma)), Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
            DGamma = P(dgamma, channels, nameof(dgamma)), DBeta = P(dbeta, channels, nameof(dbeta)),
        };
        RunChannels(ws, ref elem, &BatchNormBackwardChannel);
    }
}

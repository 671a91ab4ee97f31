using System;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Cpu;

/// <summary>
/// Training-mode BatchNorm -> Relu [-> Dropout] in one op each way, one channel per work item: forward computes the
/// statistics as <see cref="BatchNormForwardTraining"/> does, then writes only the chain's output (and the mask);
/// backward is BatchNormBackward's own channel pass, which forms the norm's output gradient on the fly from y and the
/// mask. The values equal the unfused ops' (the same float operations per element, the same double sums), up to the
/// sign of a zero gradient.
/// </summary>
public sealed unsafe partial class CpuDevice
{
    public override void BatchNormReluForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, P0 = momentum, P1 = epsilon, P2 = dropoutRate, Seed = dropoutSeed,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)), C = mask is null ? null : P(mask, size, nameof(mask)),
            Gamma = P(gamma, channels, nameof(gamma)), Beta = P(beta, channels, nameof(beta)),
            RunningMean = P(runningMean, channels, nameof(runningMean)), RunningVar = P(runningVar, channels, nameof(runningVar)),
            Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
        };
        RunChannels(&BatchNormReluTrainingChannel);
    }

    private static void BatchNormReluTrainingChannel(in ElementArgs e, int c)
    {
        long stride = (long)e.Channels * e.Inner;
        var (scale, shift) = BatchNormStatistics(in e, c);
        for (int b = 0; b < e.N; b++)
        {
            long start = b * stride + (long)c * e.Inner;
            if (e.C == null) AffineReluRow(e.A + start, e.B + start, e.Inner, scale, shift);
            else AffineReluDropoutRow(e.A + start, e.B + start, e.C + start, e.Inner, start, scale, shift, e.P2, e.Seed);
        }
    }

    /// <summary>y = max(x scale + shift, 0) over one row, NaN kept (the affine step fused-multiply-added, as AffineRow).</summary>
    private static void AffineReluRow(float* x, float* y, int count, float scale, float shift)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(scale), t = Vector256.Create(shift);
            for (; i + 8 <= count; i += 8) Relu(Vector256.FusedMultiplyAdd(Vector256.Load(x + i), s, t)).Store(y + i);
        }
        for (; i < count; i++)
        {
            y[i] = Relu(MathF.FusedMultiplyAdd(x[i], scale, shift));
        }
    }

    /// <summary>
    /// mask = DropoutMask.Value(seed, index0 + i, rate) and y = max(x scale + shift, 0) mask over one row: the hash
    /// 16 or 8 indices at a time as DropoutRange.
    /// </summary>
    private static void AffineReluDropoutRow(float* x, float* y, float* mask, int count, long index0, float scale, float shift, float rate, ulong seed)
    {
        int i = 0;
        if (rate < 1f)
        {
            float keep = 1f / (1f - rate);
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> s = Vector512.Create(scale), t = Vector512.Create(shift), r = Vector512.Create(rate), k1 = Vector512.Create(keep);
                var vseed = Vector512.Create(seed);
                var lanes = Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8);
                for (; i + 16 <= count; i += 16)
                {
                    var first = Vector512.Create((ulong)(index0 + i)) + lanes;
                    var bits = Vector512.Narrow(DropoutHash512(vseed, first), DropoutHash512(vseed, first + Vector512.Create(8UL)));
                    var u = Vector512.ConvertToSingle(bits.AsInt32()) * (1f / 16777216f);
                    var k = Vector512.ConditionalSelect(Vector512.LessThan(u, r), Vector512<float>.Zero, k1);
                    k.Store(mask + i);
                    var v = Relu(Vector512.FusedMultiplyAdd(Vector512.Load(x + i), s, t));
                    (v * k).Store(y + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> s = Vector256.Create(scale), t = Vector256.Create(shift), r = Vector256.Create(rate), k1 = Vector256.Create(keep);
                var vseed = Vector256.Create(seed);
                var lanes = Vector256.Create(1UL, 2, 3, 4);
                for (; i + 8 <= count; i += 8)
                {
                    var first = Vector256.Create((ulong)(index0 + i)) + lanes;
                    var bits = Vector256.Narrow(DropoutHash256(vseed, first), DropoutHash256(vseed, first + Vector256.Create(4UL)));
                    var u = Vector256.ConvertToSingle(bits.AsInt32()) * (1f / 16777216f);
                    var k = Vector256.ConditionalSelect(Vector256.LessThan(u, r), Vector256<float>.Zero, k1);
                    k.Store(mask + i);
                    var v = Relu(Vector256.FusedMultiplyAdd(Vector256.Load(x + i), s, t));
                    (v * k).Store(y + i);
                }
            }
        }
        for (; i < count; i++)
        {
            float v = MathF.FusedMultiplyAdd(x[i], scale, shift);
            float k = DropoutMask.Value(seed, index0 + i, rate);
            mask[i] = k;
            y[i] = Relu(v) * k;
        }
    }

    public override void BatchNormReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy,
        DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd,
        DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate, DeviceBuffer<float> scratch)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _ = P(scratch, size, nameof(scratch)); // checked like the base's use of it, though this override never touches it
        _elem = new ElementArgs
        {
            N = n, Channels = channels, Inner = inner, Accumulate = accumulate,
            A = P(x, size, nameof(x)), B = P(y, size, nameof(y)), C = P(dy, size, nameof(dy)), D = P(dx, size, nameof(dx)),
            E = mask is null ? null : P(mask, size, nameof(mask)),
            Gamma = P(gamma, channels, nameof(gamma)), Mean = P(savedMean, channels, nameof(savedMean)), InvStd = P(savedInvStd, channels, nameof(savedInvStd)),
            DGamma = P(dgamma, channels, nameof(dgamma)), DBeta = P(dbeta, channels, nameof(dbeta)),
        };
        RunChannels(&BatchNormBackwardChannel);
    }
}

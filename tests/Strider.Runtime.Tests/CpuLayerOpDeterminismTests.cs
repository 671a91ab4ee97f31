using Strider.Devices;
using Strider.Devices.Cpu;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>The CPU device's newer layer ops give the same bits on one worker as on all of them, call after call.</summary>
public sealed class CpuLayerOpDeterminismTests
{
    /// <summary>Runs <paramref name="op"/> on a fresh device of <paramref name="threads"/> workers (null: the default) and returns what it wrote.</summary>
    private static float[][] Run(int? threads, Func<Device, DeviceBuffer<float>[]> op)
    {
        using var device = threads is int t ? new CpuDevice(t) : new CpuDevice();
        return op(device).Select(b => b.ToArray()).ToArray();
    }

    private static DeviceBuffer<float> Upload(Device d, float[] data)
    {
        var b = d.Allocate<float>(data.Length);
        b.Upload(data);
        return b;
    }

    private static void Check(string what, Func<Device, DeviceBuffer<float>[]> op)
    {
        float[][] many = Run(null, op), again = Run(null, op), one = Run(1, op);
        for (int i = 0; i < many.Length; i++)
        {
            Assert.True(many[i].AsSpan().SequenceEqual(again[i]), $"{what}: output {i} differs between two calls.");
            Assert.True(many[i].AsSpan().SequenceEqual(one[i]), $"{what}: output {i} differs between one worker and all of them.");
        }
    }

    [Fact]
    public void Layer_ops_are_deterministic_across_thread_counts()
    {
        var rng = new Random(25);
        const int n = 4, channels = 24, inner = 400;
        float[] x = Uniform(rng, n * channels * inner), dy = Uniform(rng, n * channels * inner), perChannel = Uniform(rng, channels, 0.5f, 1.5f);
        float[] gate = Uniform(rng, n * channels);
        Check("prelu", d =>
        {
            var (bx, s, y, g, dx, ds) = (Upload(d, x), Upload(d, perChannel), d.Allocate<float>(x.Length), Upload(d, dy), d.Allocate<float>(x.Length), d.Allocate<float>(channels));
            d.PReluForward(n, channels, inner, bx, s, y);
            d.PReluBackward(n, channels, inner, bx, s, g, dx, ds, false);
            return [y, dx, ds];
        });
        Check("group norm", d =>
        {
            var (bx, gm, bt, y, m, v) = (Upload(d, x), Upload(d, perChannel), Upload(d, perChannel), d.Allocate<float>(x.Length), d.Allocate<float>(n * 6), d.Allocate<float>(n * 6));
            d.GroupNormForward(n, channels, inner, 6, 1e-5f, bx, gm, bt, y, m, v);
            var (dx, dg, db) = (d.Allocate<float>(x.Length), d.Allocate<float>(channels), d.Allocate<float>(channels));
            d.GroupNormBackward(n, channels, inner, 6, bx, Upload(d, dy), gm, m, v, dx, dg, db, false);
            return [y, dx, dg, db];
        });
        Check("layer norm", d =>
        {
            var (bx, gm, y, m, v) = (Upload(d, x), Upload(d, perChannel), d.Allocate<float>(x.Length), d.Allocate<float>(n * inner), d.Allocate<float>(n * inner));
            d.LayerNormForward(n, channels, inner, 1e-6f, bx, gm, null, y, m, v);
            var (dx, dg) = (d.Allocate<float>(x.Length), d.Allocate<float>(channels));
            d.LayerNormBackward(n, channels, inner, bx, Upload(d, dy), gm, m, v, dx, dg, null, false);
            return [y, dx, dg];
        });
        Check("broadcast multiply", d =>
        {
            var (bx, bg, y, df, dg) = (Upload(d, x), Upload(d, gate), d.Allocate<float>(x.Length), d.Allocate<float>(x.Length), d.Allocate<float>(gate.Length));
            d.BroadcastForward(BroadcastOp.Multiply, n, channels, inner, bx, bg, y);
            d.BroadcastBackward(BroadcastOp.Multiply, n, channels, inner, bx, bg, Upload(d, dy), df, false, dg, false);
            return [y, df, dg];
        });
        var pool = new AdaptivePoolGeometry(channels, 20, 20, 3, 3);
        Check("adaptive pooling", d =>
        {
            var (bx, y, dx) = (Upload(d, x), d.Allocate<float>(n * pool.OutputSize), d.Allocate<float>(x.Length));
            d.AdaptiveAvgPoolForward(pool, n, bx, y);
            d.AdaptiveAvgPoolBackward(pool, n, Upload(d, dy), dx, false);
            return [y, dx];
        });
        var up = new UpsampleGeometry(channels, 20, 20, 40, 40, UpsampleMode.Bilinear);
        Check("bilinear upsample", d =>
        {
            var (bx, y, dx) = (Upload(d, x), d.Allocate<float>(n * up.OutputSize), d.Allocate<float>(x.Length));
            d.UpsampleForward(up, n, bx, y);
            d.UpsampleBackward(up, n, y, dx, false);
            return [y, dx];
        });
        var conv = Conv(channels, 20, 20, channels, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = channels };
        Check("depthwise convolution", d =>
        {
            var (bx, w, y, dx, dw) = (Upload(d, x), Upload(d, Uniform(new Random(26), conv.WeightSize)), d.Allocate<float>(x.Length), d.Allocate<float>(x.Length), d.Allocate<float>(conv.WeightSize));
            d.ConvForward(conv, n, bx, w, null, y);
            d.ConvBackwardData(conv, n, Upload(d, dy), w, dx, false);
            d.ConvBackwardWeights(conv, n, bx, Upload(d, dy), dw, null);
            return [y, dx, dw];
        });
    }

    /// <summary>
    /// Layer norm runs 8 positions per vector and leftover positions one at a time: position 8 of a 9-position tensor
    /// (a leftover) gets the same bits, forward and backward, as the same values at position 8 of a 16-position one (a lane).
    /// </summary>
    [Fact]
    public void LayerNorm_vector_lanes_give_the_bits_of_the_scalar_rule()
    {
        const int channels = 11;
        var rng = new Random(27);
        float[] wide = Uniform(rng, channels * 16, -2, 3), wideDy = Uniform(rng, channels * 16), gamma = Uniform(rng, channels, 0.5f, 1.5f), beta = Uniform(rng, channels);
        float[] Narrow(float[] v) => Enumerable.Range(0, channels).SelectMany(c => v.Skip(c * 16).Take(9)).ToArray();
        float[][] Run(int inner, float[] x, float[] dy)
        {
            using var d = new CpuDevice();
            var (bx, g, b, y, m, v, dx, dg, db) = (Upload(d, x), Upload(d, gamma), Upload(d, beta), d.Allocate<float>(x.Length), d.Allocate<float>(inner), d.Allocate<float>(inner),
                d.Allocate<float>(x.Length), d.Allocate<float>(channels), d.Allocate<float>(channels));
            d.LayerNormForward(1, channels, inner, 1e-6f, bx, g, b, y, m, v);
            d.LayerNormBackward(1, channels, inner, bx, Upload(d, dy), g, m, v, dx, dg, db, false);
            return [y.ToArray(), dx.ToArray(), m.ToArray(), v.ToArray()];
        }
        float[][] lanes = Run(16, wide, wideDy), scalar = Run(9, Narrow(wide), Narrow(wideDy));
        for (int c = 0; c < channels; c++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(lanes[0][c * 16 + 8]), BitConverter.SingleToInt32Bits(scalar[0][c * 9 + 8]));
            Assert.Equal(BitConverter.SingleToInt32Bits(lanes[1][c * 16 + 8]), BitConverter.SingleToInt32Bits(scalar[1][c * 9 + 8]));
        }
        Assert.Equal(lanes[2][8], scalar[2][8]);
        Assert.Equal(lanes[3][8], scalar[3][8]);
    }
}

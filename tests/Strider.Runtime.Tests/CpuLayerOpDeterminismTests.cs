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
}

using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The CPU device's vector group norm (each set's channel runs in 8-lane steps, sums in double lanes) and the vector
/// dgamma/dbeta rows of group and layer norm against the reference device: runs of exactly one vector, of vectors and
/// a tail, of a tail only, batch 1 and 3, with and without gamma and beta.
/// </summary>
public sealed class CpuGroupNormVectorTests : IDisposable
{
    private readonly CpuDevice _device = new(2);
    private readonly ReferenceDevice _reference = new();

    public void Dispose() => _device.Dispose();

    private (DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) Pair(float[] data)
    {
        var d = _device.Allocate<float>(data.Length);
        var r = _reference.Allocate<float>(data.Length);
        d.Upload(data);
        r.Upload(data);
        return (d, r);
    }

    [Theory]
    [InlineData(false, 1, 64, 49, 32, true)] // MobileNet-sized 7x7 runs: 6 vectors and a tail
    [InlineData(false, 3, 32, 8, 8, true)] // exactly one vector per channel run
    [InlineData(false, 1, 16, 196, 4, false)]
    [InlineData(false, 3, 12, 5, 3, true)] // tails only
    [InlineData(true, 3, 10, 9, 1, true)] // layer norm: per-position rows of a vector and a tail
    [InlineData(true, 1, 7, 40, 1, true)]
    public void Norm_matches_reference(bool layer, int n, int channels, int inner, int groups, bool affine)
    {
        var rng = new Random(channels * 7 + inner);
        int size = n * channels * inner, sets = layer ? n * inner : n * groups;
        var x = Pair(Uniform(rng, size, -2, 3));
        var gamma = Pair(Uniform(rng, channels, 0.5f, 1.5f));
        var beta = Pair(Uniform(rng, channels));
        var y = Pair(new float[size]);
        var mean = Pair(new float[sets]);
        var invStd = Pair(new float[sets]);
        DeviceBuffer<float>? G(DeviceBuffer<float> b) => affine ? b : null;
        foreach (var (d, xb, g, b, yb, m, s) in new[] { (_device as Device, x.Dut, gamma.Dut, beta.Dut, y.Dut, mean.Dut, invStd.Dut), (_reference, x.Ref, gamma.Ref, beta.Ref, y.Ref, mean.Ref, invStd.Ref) })
        {
            if (layer) d.LayerNormForward(n, channels, inner, 1e-5f, xb, G(g), G(b), yb, m, s);
            else d.GroupNormForward(n, channels, inner, groups, 1e-5f, xb, G(g), G(b), yb, m, s);
        }
        AssertClose(y.Ref.ToArray(), y.Dut.ToArray(), "norm forward");
        AssertClose(mean.Ref.ToArray(), mean.Dut.ToArray(), "saved mean");
        AssertClose(invStd.Ref.ToArray(), invStd.Dut.ToArray(), "saved 1/std");
        var dy = Pair(Uniform(rng, size));
        var dx = Pair(Uniform(rng, size));
        var dgamma = Pair(Uniform(rng, channels));
        var dbeta = Pair(Uniform(rng, channels));
        foreach (bool accumulate in new[] { true, false })
        {
            foreach (var (d, xb, dyb, g, m, s, dxb, dg, db) in new[]
            {
                (_device as Device, x.Dut, dy.Dut, gamma.Dut, mean.Dut, invStd.Dut, dx.Dut, dgamma.Dut, dbeta.Dut),
                (_reference, x.Ref, dy.Ref, gamma.Ref, mean.Ref, invStd.Ref, dx.Ref, dgamma.Ref, dbeta.Ref),
            })
            {
                if (layer) d.LayerNormBackward(n, channels, inner, xb, dyb, G(g), m, s, dxb, G(dg), G(db), accumulate);
                else d.GroupNormBackward(n, channels, inner, groups, xb, dyb, G(g), m, s, dxb, G(dg), G(db), accumulate);
            }
            AssertClose(dx.Ref.ToArray(), dx.Dut.ToArray(), $"norm backward (accumulate {accumulate})");
            AssertClose(dgamma.Ref.ToArray(), dgamma.Dut.ToArray(), "norm weight gradient (accumulated)");
            AssertClose(dbeta.Ref.ToArray(), dbeta.Dut.ToArray(), "norm bias gradient (accumulated)");
        }
    }
}

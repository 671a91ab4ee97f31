using Strider.Devices;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.Ilgpu.DeviceTestExtensions;

namespace Strider.Runtime.Tests.Ilgpu;

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuConvolutionTests(IlgpuFixture fixture)
{
    private readonly Device _d = fixture.Device;

    public static TheoryData<ConvGeometry> Geometries => new()
    {
        // 3x3, stride 1, same padding.
        new ConvGeometry(2, 5, 6, 3, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1),
        // Stride 2, asymmetric padding (top/left 1, bottom/right implied 0), non-square kernel.
        new ConvGeometry(3, 7, 6, 2, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1),
        // Dilation 2 with padding 2; 1-D style rows of H = 1.
        new ConvGeometry(2, 6, 7, 2, 6, 7, 3, 3, 1, 1, 2, 2, 2, 2),
        new ConvGeometry(2, 1, 9, 3, 1, 4, 1, 3, 1, 2, 0, 0, 1, 1),
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Convolution_forward_and_both_backward_passes_match_plain_loops(ConvGeometry g)
    {
        const int n = 2;
        float[] x = Random(n * (int)g.InputSize, 1), w = Random((int)g.WeightSize, 2), bias = Random(g.OutChannels, 3), dy = Random(n * (int)g.OutputSize, 4);
        using var bx = _d.Upload(x);
        using var bw = _d.Upload(w);
        using var bb = _d.Upload(bias);
        using var by = _d.Allocate<float>(dy.Length);
        _d.ConvForward(g, n, bx, bw, bb, by);
        AssertClose(ReferenceOps.ConvForward(g, n, x, w, bias), by.ToArray());
        _d.ConvForward(g, n, bx, bw, null, by);
        AssertClose(ReferenceOps.ConvForward(g, n, x, w, null), by.ToArray());

        using var bdy = _d.Upload(dy);
        float[] previous = Random(x.Length, 5);
        using var bdx = _d.Upload(previous);
        _d.ConvBackwardData(g, n, bdy, bw, bdx, accumulate: true);
        float[] expectedDx = ReferenceOps.ToSingle(ReferenceOps.ConvBackwardData(g, n, dy, w));
        AssertClose(expectedDx.Select((v, i) => v + previous[i]).ToArray(), bdx.ToArray());
        _d.ConvBackwardData(g, n, bdy, bw, bdx, accumulate: false);
        AssertClose(expectedDx, bdx.ToArray());

        // Parameter gradients accumulate: two calls give twice the gradient.
        using var bdw = _d.Allocate<float>(w.Length);
        using var bdb = _d.Allocate<float>(bias.Length);
        _d.ConvBackwardWeights(g, n, bx, bdy, bdw, bdb);
        _d.ConvBackwardWeights(g, n, bx, bdy, bdw, bdb);
        float[] dw = ReferenceOps.ToSingle(ReferenceOps.ConvBackwardWeights(g, n, x, dy));
        float[] db = ReferenceOps.ToSingle(ReferenceOps.BiasBackward(n, g.OutChannels, g.OutH * g.OutW, dy));
        AssertClose(dw.Select(v => 2 * v).ToArray(), bdw.ToArray());
        AssertClose(db.Select(v => 2 * v).ToArray(), bdb.ToArray());
    }

    [Fact]
    public void Convolution_weight_gradient_is_bitwise_deterministic()
    {
        var g = new ConvGeometry(3, 6, 6, 4, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1);
        using var bx = _d.Upload(Random(2 * (int)g.InputSize, 7));
        using var bdy = _d.Upload(Random(2 * (int)g.OutputSize, 8));
        float[] Run()
        {
            using var bdw = _d.Allocate<float>(g.WeightSize);
            _d.ConvBackwardWeights(g, 2, bx, bdy, bdw, null);
            return bdw.ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Bias_ops_add_per_channel_and_sum_per_channel()
    {
        const int n = 2, c = 3, inner = 5;
        float[] y = Random(n * c * inner, 9), bias = Random(c, 10);
        using var by = _d.Upload(y);
        using var bb = _d.Upload(bias);
        _d.AddBias(n, c, inner, bb, by);
        AssertClose(y.Select((v, i) => v + bias[i / inner % c]).ToArray(), by.ToArray());

        using var db = _d.Upload(new float[] { 1, 2, 3 });
        _d.BiasBackward(n, c, inner, by, db);
        float[] result = by.ToArray();
        var expected = new float[] { 1, 2, 3 };
        for (int i = 0; i < result.Length; i++) expected[i / inner % c] += result[i];
        AssertClose(expected, db.ToArray());
    }

    public static TheoryData<PoolGeometry> Pools => new()
    {
        // 2x2 stride 2.
        new PoolGeometry(2, 4, 6, 2, 3, 2, 2, 2, 2, 0, 0, 1, 1),
        // Overlapping 3x3 stride 2 with padding 1 and a ceil-mode last window that hangs off the edge.
        new PoolGeometry(2, 5, 5, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1),
        // Dilated 2x2, stride 1 (the dense "a trous" form of a pool).
        new PoolGeometry(1, 5, 6, 3, 4, 2, 2, 1, 1, 0, 0, 2, 2),
    };

    [Theory]
    [MemberData(nameof(Pools))]
    public void Max_pool_switches_route_backward_and_unpool(PoolGeometry g)
    {
        const int n = 2;
        float[] x = Random(n * (int)g.InputSize, 11), dy = Random(n * (int)g.OutputSize, 12);
        using var bx = _d.Upload(x);
        using var by = _d.Allocate<float>(dy.Length);
        using var bs = _d.Allocate<int>(dy.Length);
        _d.MaxPoolForward(g, n, bx, by, bs);
        var (y, switches) = ReferenceOps.MaxPool(g, n, x);
        AssertClose(y, by.ToArray());
        Assert.Equal(switches, bs.ToArray());

        using var by2 = _d.Allocate<float>(dy.Length);
        _d.MaxPoolForward(g, n, bx, by2, null);
        AssertClose(y, by2.ToArray());

        using var bdy = _d.Upload(dy);
        using var bdx = _d.Allocate<float>(x.Length);
        _d.MaxPoolBackward(g, n, bdy, bs, bdx, accumulate: false);
        float[] scattered = ReferenceOps.ToSingle(ReferenceOps.Scatter(g, n, dy, switches));
        AssertClose(scattered, bdx.ToArray());

        using var bu = _d.Upload(Random(x.Length, 13));
        _d.MaxUnpoolForward(g, n, bdy, bs, bu);
        AssertClose(scattered, bu.ToArray());

        // Unpool backward gathers at the switches; accumulating adds to what is there.
        float[] up = Random(x.Length, 14);
        using var bup = _d.Upload(up);
        using var bg = _d.Upload(dy);
        _d.MaxUnpoolBackward(g, n, bup, bs, bg, accumulate: true);
        int outPlane = g.OutH * g.OutW, inPlane = g.InH * g.InW;
        AssertClose(dy.Select((v, o) => v + up[o / outPlane * inPlane + switches[o]]).ToArray(), bg.ToArray());
    }

    [Theory]
    [MemberData(nameof(Pools))]
    public void Average_pool_divides_by_in_bounds_taps(PoolGeometry g)
    {
        const int n = 2;
        float[] x = Random(n * (int)g.InputSize, 15), dy = Random(n * (int)g.OutputSize, 16);
        float[] y = ReferenceOps.AvgPool(g, n, x), dx = ReferenceOps.ToSingle(ReferenceOps.AvgPoolBackward(g, n, dy));
        using var bx = _d.Upload(x);
        using var by = _d.Allocate<float>(y.Length);
        _d.AvgPoolForward(g, n, bx, by);
        AssertClose(y, by.ToArray());
        using var bdy = _d.Upload(dy);
        using var bdx = _d.Upload(new float[dx.Length]);
        _d.AvgPoolBackward(g, n, bdy, bdx, accumulate: false);
        AssertClose(dx, bdx.ToArray());
    }

    [Fact]
    public void Dense_forward_and_backward_match_plain_loops()
    {
        const int rows = 3, inF = 5, outF = 4;
        float[] x = Random(rows * inF, 17), w = Random(outF * inF, 18), bias = Random(outF, 19), dy = Random(rows * outF, 20);
        float[] y = ReferenceOps.DenseForward(rows, inF, outF, x, w, bias);
        float[] dx = ReferenceOps.ToSingle(ReferenceOps.DenseBackwardData(rows, inF, outF, dy, w));
        float[] dw = ReferenceOps.ToSingle(ReferenceOps.DenseBackwardWeights(rows, inF, outF, x, dy));
        float[] db = ReferenceOps.ToSingle(ReferenceOps.BiasBackward(rows, outF, 1, dy));
        using var bx = _d.Upload(x);
        using var bw = _d.Upload(w);
        using var bb = _d.Upload(bias);
        using var by = _d.Allocate<float>(y.Length);
        _d.DenseForward(rows, inF, outF, bx, bw, bb, by);
        AssertClose(y, by.ToArray());
        using var bdy = _d.Upload(dy);
        using var bdx = _d.Allocate<float>(dx.Length);
        _d.DenseBackwardData(rows, inF, outF, bdy, bw, bdx, accumulate: false);
        AssertClose(dx, bdx.ToArray());
        using var bdw = _d.Allocate<float>(dw.Length);
        using var bdb = _d.Allocate<float>(db.Length);
        _d.DenseBackwardWeights(rows, inF, outF, bx, bdy, bdw, bdb);
        AssertClose(dw, bdw.ToArray());
        AssertClose(db, bdb.ToArray());
    }
}

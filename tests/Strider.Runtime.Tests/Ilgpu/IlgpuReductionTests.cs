using System.Reflection;
using Strider.Devices;
using Strider.Devices.Gpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.Ilgpu.DeviceTestExtensions;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>
/// The ILGPU device's block reductions (one group per channel, set, row or plane; threads striding over the values) at
/// the sizes where a reduction goes wrong: a channel of one value, sizes that are not a multiple of the group size
/// (eight threads, two warps, on the simulator), inner sizes far larger than a group, batch 1. Against the reference
/// device within 1e-4, as the shared suite.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuReductionTests(IlgpuFixture fixture) : IDisposable
{
    private readonly IlgpuDevice _d = fixture.Device;
    private readonly ReferenceDevice _ref = new();
    private readonly List<IDisposable> _buffers = [];

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
    }

    private (DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) Pair(float[] data)
    {
        var d = _d.Upload(data);
        var r = _ref.Allocate<float>(data.Length);
        r.Upload(data);
        _buffers.Add(d);
        return (d, r);
    }

    private (DeviceBuffer<int> Dut, DeviceBuffer<int> Ref) Pair(int[] data)
    {
        var d = _d.Upload(data);
        var r = _ref.Allocate<int>(data.Length);
        r.Upload(data);
        _buffers.Add(d);
        return (d, r);
    }

    private static void Same((DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) pair, string what, float tolerance = 1e-4f)
    {
        try { AssertClose(pair.Ref.ToArray(), pair.Dut.ToArray(), tolerance); }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{what}: {e.Message}"); }
    }

    private static void Close(float expected, float actual, string what)
    {
        float scale = Math.Max(Math.Max(Math.Abs(expected), Math.Abs(actual)), 1e-2f);
        Assert.True(Math.Abs(expected - actual) <= 1e-4f * scale, $"{what}: expected {expected:G9}, got {actual:G9}.");
    }

    [Fact]
    public void Simulator_groups_span_two_warps()
    {
        // Two warps, so the tests run the cross-warp step a GPU runs (a one-warp group would skip it).
        Assert.Equal(2 * _d.Accelerator.WarpSize, _d.ReduceGroupSize);
    }

    [Fact]
    public void A_transposed_conv_with_bias_residual_and_activation_matches_the_reference()
    {
        // 5x5 stride 2, 6x6 -> 15x15, 4 -> 3 channels, batch 2: the U-net's deconv with its folded bias, a skip and Relu.
        var g = new ConvGeometry(3, 15, 15, 4, 6, 6, 5, 5, 2, 2, 0, 0, 1, 1, 1);
        var rng = new Random(26);
        float[] U(long count) => Enumerable.Range(0, (int)count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var (dy, w, bias, residual) = (Pair(U(2 * g.OutputSize)), Pair(U(g.WeightSize)), Pair(U(g.InChannels)), Pair(U(2 * g.InputSize)));
        foreach (var (r, f, what) in new (bool, Activation?, string)[] { (true, Activation.Relu, "residual + Relu"), (false, Activation.Tanh, "Tanh"), (true, null, "residual") })
        {
            var dx = Pair(U(2 * g.InputSize));
            _d.ConvBackwardData(g, 2, dy.Dut, w.Dut, bias.Dut, dx.Dut, new ConvEpilogue(r ? residual.Dut : null, f));
            _ref.ConvBackwardData(g, 2, dy.Ref, w.Ref, bias.Ref, dx.Ref, new ConvEpilogue(r ? residual.Ref : null, f));
            Same(dx, $"ConvBackwardData with bias and {what}");
        }
    }

    [Fact]
    public void An_expansion_and_its_depthwise_conv_in_one_call_match_the_reference()
    {
        // 3 -> 8 channels at 9x11, then a 3x3 stride-2 pad-1 depthwise conv, each with its bias and Relu6, batch 2.
        var e = new ConvGeometry(3, 9, 11, 8, 9, 11, 1, 1, 1, 1, 0, 0, 1, 1, 1);
        var d = new ConvGeometry(8, 9, 11, 8, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 8);
        var rng = new Random(27);
        float[] U(long count) => Enumerable.Range(0, (int)count).Select(_ => (float)(rng.NextDouble() * 6 - 2)).ToArray();
        var (x, ew, eb, dw, db) = (Pair(U(2 * e.InputSize)), Pair(U(e.WeightSize)), Pair(U(8)), Pair(U(d.WeightSize)), Pair(U(8)));
        var (expanded, y) = (Pair(new float[2 * e.OutputSize]), Pair(new float[2 * d.OutputSize]));
        var relu6 = new ConvEpilogue(null, Activation.Relu6);
        _d.ConvForwardExpandDepthwise(e, d, 2, x.Dut, ew.Dut, eb.Dut, relu6, dw.Dut, db.Dut, expanded.Dut, y.Dut, relu6);
        _ref.ConvForwardExpandDepthwise(e, d, 2, x.Ref, ew.Ref, eb.Ref, relu6, dw.Ref, db.Ref, expanded.Ref, y.Ref, relu6);
        Same(y, "ConvForwardExpandDepthwise");
    }

    [Fact]
    public void Every_host_round_trip_default_is_overridden()
    {
        // The base's virtual defaults run on the host through Download/Upload; on the device each needs a kernel. Defaults
        // that only compose the device's own ops ([ComposesDeviceOps]) run on the device as they stand.
        var defaults = typeof(Device).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.DeclaringType == typeof(Device) && m.IsVirtual && !m.IsAbstract && !m.IsSpecialName
                && m.GetCustomAttribute<ComposesDeviceOpsAttribute>() is null).ToArray();
        Assert.DoesNotContain(defaults, m => m.Name == nameof(Device.ConvForwardExpandDepthwise));
        Assert.Contains(defaults, m => m.Name == nameof(Device.FoldBatchNorm));
        var missing = defaults.Where(m => typeof(IlgpuDevice).GetMethod(m.Name, m.GetParameters().Select(p => p.ParameterType).ToArray())!.DeclaringType != typeof(IlgpuDevice))
            .Select(m => m.Name).ToArray();
        Assert.True(missing.Length == 0, $"IlgpuDevice inherits the host implementation of: {string.Join(", ", missing)}.");
    }

    [Theory]
    [InlineData(1, 3, 1, 0.3f)]     // batch 1, one value per channel
    [InlineData(3, 2, 5, -1f)]      // 15 values a channel: not a multiple of the group
    [InlineData(1, 2, 4099, 0.2f)]  // batch 1, inner far larger than a group
    [InlineData(7, 1, 3, -1f)]      // one channel, the batch split across threads
    [InlineData(2, 5, 8, 0.5f)]     // exactly two groups' worth
    public void BatchNorm_and_its_fused_form_at_edge_sizes(int n, int channels, int inner, float rate)
    {
        bool dropout = rate >= 0;
        var rng = new Random(n * 1000 + channels * 10 + inner);
        int size = n * channels * inner;
        var x = Pair(TestData.Uniform(rng, size, -2, 3));
        var gamma = Pair(TestData.Uniform(rng, channels, 0.5f, 1.5f));
        var beta = Pair(TestData.Uniform(rng, channels));
        var runningMean = Pair(TestData.Uniform(rng, channels));
        var runningVar = Pair(TestData.Uniform(rng, channels, 0.5f, 2f));
        var y = Pair(new float[size]);
        var mask = Pair(new float[size]);
        var mean = Pair(new float[channels]);
        var invStd = Pair(new float[channels]);
        _d.BatchNormReluForwardTraining(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, runningMean.Dut, runningVar.Dut, 0.1f, 1e-5f,
            dropout ? mask.Dut : null, rate, 77UL, y.Dut, mean.Dut, invStd.Dut);
        _ref.BatchNormReluForwardTraining(n, channels, inner, x.Ref, gamma.Ref, beta.Ref, runningMean.Ref, runningVar.Ref, 0.1f, 1e-5f,
            dropout ? mask.Ref : null, rate, 77UL, y.Ref, mean.Ref, invStd.Ref);
        Same(y, "fused forward");
        Same(mean, "saved mean");
        Same(invStd, "saved inverse std");
        Same(runningMean, "running mean");
        Same(runningVar, "running variance");
        if (dropout) Same(mask, "mask");

        var dy = Pair(TestData.Uniform(rng, size));
        var dx = Pair(TestData.Uniform(rng, size));
        var dgamma = Pair(TestData.Uniform(rng, channels));
        var dbeta = Pair(TestData.Uniform(rng, channels));
        float[] sentinel = Enumerable.Repeat(42f, size).ToArray();
        var scratch = Pair(sentinel);
        _d.BatchNormReluBackward(n, channels, inner, x.Dut, y.Dut, dy.Dut, dropout ? mask.Dut : null, gamma.Dut, mean.Dut, invStd.Dut,
            dx.Dut, dgamma.Dut, dbeta.Dut, accumulate: true, scratch.Dut);
        _ref.BatchNormReluBackward(n, channels, inner, x.Ref, y.Ref, dy.Ref, dropout ? mask.Ref : null, gamma.Ref, mean.Ref, invStd.Ref,
            dx.Ref, dgamma.Ref, dbeta.Ref, accumulate: true, scratch.Ref);
        Same(dx, "fused dx", 1e-3f);
        Same(dgamma, "fused dgamma");
        Same(dbeta, "fused dbeta");
        // The device folds Relu and the mask into the norm's passes: no gradient round trip through scratch.
        Assert.Equal(sentinel, scratch.Dut.ToArray());

        _d.BatchNormForwardTraining(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, runningMean.Dut, runningVar.Dut, 0.1f, 1e-5f, y.Dut, mean.Dut, invStd.Dut);
        _ref.BatchNormForwardTraining(n, channels, inner, x.Ref, gamma.Ref, beta.Ref, runningMean.Ref, runningVar.Ref, 0.1f, 1e-5f, y.Ref, mean.Ref, invStd.Ref);
        Same(y, "forward");
        Same(runningVar, "running variance after a second step");
        _d.BatchNormBackward(n, channels, inner, x.Dut, dy.Dut, gamma.Dut, mean.Dut, invStd.Dut, dx.Dut, dgamma.Dut, dbeta.Dut, accumulate: false);
        _ref.BatchNormBackward(n, channels, inner, x.Ref, dy.Ref, gamma.Ref, mean.Ref, invStd.Ref, dx.Ref, dgamma.Ref, dbeta.Ref, accumulate: false);
        Same(dx, "dx", 1e-3f);
        Same(dgamma, "dgamma");
        Same(dbeta, "dbeta");
    }

    [Fact]
    public void Batch_norm_statistics_are_the_same_run_after_run()
    {
        // A fixed reduction order (no atomics): bit-identical results each time.
        const int n = 3, channels = 2, inner = 1001;
        var x = _d.Upload(DeviceTestExtensions.Random(n * channels * inner, 5, 3f));
        _buffers.Add(x);
        float[] Run()
        {
            using var gamma = _d.Upload(new[] { 1f, 1f });
            using var beta = _d.Upload(new[] { 0f, 0f });
            using var rm = _d.Allocate<float>(channels);
            using var rv = _d.Allocate<float>(channels);
            using var y = _d.Allocate<float>(n * channels * inner);
            using var mean = _d.Allocate<float>(channels);
            using var invStd = _d.Allocate<float>(channels);
            _d.BatchNormForwardTraining(n, channels, inner, x, gamma, beta, rm, rv, 0.1f, 1e-5f, y, mean, invStd);
            return [.. mean.ToArray(), .. invStd.ToArray(), .. rv.ToArray()];
        }
        Assert.Equal(Run(), Run());
    }

    [Theory]
    [InlineData(1, 4, 1, 4, false)]     // group norm sets of one value, batch 1
    [InlineData(2, 6, 7, 3, false)]     // sets of 14 values
    [InlineData(1, 2, 3001, 1, false)]  // one set far larger than a group
    [InlineData(1, 3, 1, 1, true)]      // layer norm at one position
    [InlineData(2, 5, 9, 1, true)]
    public void Group_and_layer_norm_at_edge_sizes(int n, int channels, int inner, int groups, bool layer)
    {
        var rng = new Random(channels * 100 + inner);
        int size = n * channels * inner, sets = layer ? n * inner : n * groups;
        var x = Pair(TestData.Uniform(rng, size, -2, 2));
        var gamma = Pair(TestData.Uniform(rng, channels, 0.5f, 1.5f));
        var beta = Pair(TestData.Uniform(rng, channels));
        var y = Pair(new float[size]);
        var mean = Pair(new float[sets]);
        var invStd = Pair(new float[sets]);
        var dy = Pair(TestData.Uniform(rng, size));
        var dx = Pair(TestData.Uniform(rng, size));
        var dgamma = Pair(TestData.Uniform(rng, channels));
        var dbeta = Pair(TestData.Uniform(rng, channels));
        foreach (var (d, b) in new[] { ((Device)_d, 0), (_ref, 1) })
        {
            DeviceBuffer<float> P((DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) p) => b == 0 ? p.Dut : p.Ref;
            if (layer)
            {
                d.LayerNormForward(n, channels, inner, 1e-5f, P(x), P(gamma), P(beta), P(y), P(mean), P(invStd));
                d.LayerNormBackward(n, channels, inner, P(x), P(dy), P(gamma), P(mean), P(invStd), P(dx), P(dgamma), P(dbeta), accumulate: true);
            }
            else
            {
                d.GroupNormForward(n, channels, inner, groups, 1e-5f, P(x), P(gamma), P(beta), P(y), P(mean), P(invStd));
                d.GroupNormBackward(n, channels, inner, groups, P(x), P(dy), P(gamma), P(mean), P(invStd), P(dx), P(dgamma), P(dbeta), accumulate: true);
            }
        }
        Same(y, "y");
        Same(mean, "mean");
        Same(invStd, "inverse std");
        Same(dx, "dx", 1e-3f);
        Same(dgamma, "dgamma");
        Same(dbeta, "dbeta");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 13)]
    [InlineData(2, 1000)]
    public void Softmax_rows_at_edge_sizes(int n, int channels)
    {
        var rng = new Random(channels);
        foreach (bool log in new[] { false, true })
        {
            var x = Pair(TestData.Uniform(rng, n * channels, -4, 4));
            var y = Pair(new float[n * channels]);
            _d.SoftmaxForward(log, n, channels, 1, x.Dut, y.Dut);
            _ref.SoftmaxForward(log, n, channels, 1, x.Ref, y.Ref);
            Same(y, $"softmax (log {log})");
            var dy = Pair(TestData.Uniform(rng, n * channels));
            var dx = Pair(TestData.Uniform(rng, n * channels));
            _d.SoftmaxBackward(log, n, channels, 1, y.Dut, dy.Dut, dx.Dut, accumulate: true);
            _ref.SoftmaxBackward(log, n, channels, 1, y.Ref, dy.Ref, dx.Ref, accumulate: true);
            Same(dx, $"softmax backward (log {log})", 1e-3f);
        }
    }

    [Theory]
    [InlineData(1, 1000, 1, 0.1f)]  // one row of many classes
    [InlineData(3, 5, 7, 0f)]
    [InlineData(1, 1, 1, 0.2f)]
    public void Softmax_cross_entropy_at_edge_sizes(int n, int classes, int inner, float smoothing)
    {
        var rng = new Random(classes + inner);
        var logits = Pair(TestData.Uniform(rng, n * classes * inner, -3, 3));
        var labels = Pair(Enumerable.Range(0, n * inner).Select(i => i % 4 == 3 ? -1 : rng.Next(classes)).ToArray());
        var d = Pair(new float[n * classes * inner]);
        Close(_ref.SoftmaxCrossEntropy(n, classes, inner, logits.Ref, labels.Ref, smoothing, d.Ref),
            _d.SoftmaxCrossEntropy(n, classes, inner, logits.Dut, labels.Dut, smoothing, d.Dut), "loss");
        Same(d, "dlogits");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(9999)]
    public void Elementwise_losses_at_edge_sizes(int count)
    {
        var rng = new Random(count);
        var p = Pair(TestData.Uniform(rng, count, -3, 3));
        var t = Pair(TestData.Uniform(rng, count, 0, 1));
        var d = Pair(new float[count]);
        Close(_ref.MeanSquaredError(count, p.Ref, t.Ref, d.Ref), _d.MeanSquaredError(count, p.Dut, t.Dut, d.Dut), "MSE");
        Same(d, "MSE gradient");
        Close(_ref.BinaryCrossEntropyWithLogits(count, p.Ref, t.Ref, d.Ref), _d.BinaryCrossEntropyWithLogits(count, p.Dut, t.Dut, d.Dut), "BCE");
        Same(d, "BCE gradient");
        foreach (float beta in new[] { 0f, 0.5f })
        {
            Close(_ref.SmoothL1Loss(count, beta, p.Ref, t.Ref, d.Ref), _d.SmoothL1Loss(count, beta, p.Dut, t.Dut, d.Dut), $"smooth L1 (beta {beta})");
            Same(d, $"smooth L1 gradient (beta {beta})");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 777)]
    [InlineData(1, 5000)]
    public void Dice_at_edge_sizes(int n, int itemSize)
    {
        var rng = new Random(itemSize);
        var p = Pair(TestData.Uniform(rng, n * itemSize, 0, 1));
        var t = Pair(TestData.Uniform(rng, n * itemSize, 0, 1).Select(v => v > 0.5f ? 1f : 0f).ToArray());
        var d = Pair(new float[n * itemSize]);
        Close(_ref.DiceLoss(n, itemSize, 1f, p.Ref, t.Ref, d.Ref), _d.DiceLoss(n, itemSize, 1f, p.Dut, t.Dut, d.Dut), "Dice");
        Same(d, "Dice gradient");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(33)]
    [InlineData(100_003)]
    public void Sum_of_squares_over_one_or_many_groups(int count)
    {
        float[] x = DeviceTestExtensions.Random(count, count, 2f);
        var buffer = _d.Upload(x);
        _buffers.Add(buffer);
        double expected = x.Sum(v => (double)v * v);
        double actual = _d.SumOfSquares(count, buffer);
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * expected, $"{count} values: expected {expected}, got {actual}.");
        Assert.Equal(actual, _d.SumOfSquares(count, buffer));
        var withNaN = _d.Upload(x.Select((v, i) => i == count / 2 ? float.NaN : v).ToArray());
        _buffers.Add(withNaN);
        Assert.True(double.IsNaN(_d.SumOfSquares(count, withNaN)), "NaN must propagate.");
    }

    [Fact]
    public void Sum_of_squares_of_several_buffers_is_the_sum_of_each()
    {
        // One read for all (a gradient norm per step); an empty entry and a count short of the buffer's length included.
        int[] lengths = [1, 0, 9, 40_000, 33];
        var buffers = lengths.Select((n, i) => _d.Upload(DeviceTestExtensions.Random(n + 3, 100 + i, 1.5f))).ToArray();
        _buffers.AddRange(buffers);
        var entries = lengths.Select((n, i) => ((long)n, buffers[i])).ToArray();
        double expected = entries.Sum(e => e.Item2.ToArray().Take((int)e.Item1).Sum(v => (double)v * v));
        double each = entries.Sum(e => _d.SumOfSquares(e.Item1, e.Item2));
        double all = _d.SumOfSquares(entries);
        Assert.True(Math.Abs(expected - all) <= 1e-5 * expected, $"expected {expected}, got {all}.");
        Assert.True(Math.Abs(each - all) <= 1e-6 * expected, $"each {each}, all {all}.");
        Assert.Equal(0, _d.SumOfSquares(Array.Empty<(long, DeviceBuffer<float>)>()));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 41)]
    public void Global_max_pool_keeps_the_first_maximum_and_the_last_NaN(int h, int w)
    {
        // Planes: random; all equal (the first wins); NaNs at three places (the last wins); all -infinity (the first).
        int size = h * w;
        var rng = new Random(size);
        float[] x =
        [
            .. TestData.Uniform(rng, size, -2, 2),
            .. Enumerable.Repeat(0.5f, size),
            .. TestData.Uniform(rng, size).Select((v, k) => k == 0 || k == size / 2 || k == size - 1 ? float.NaN : v),
            .. Enumerable.Repeat(float.NegativeInfinity, size),
        ];
        const int planes = 4;
        var px = Pair(x);
        var y = Pair(new float[planes]);
        var g = new AdaptivePoolGeometry(planes, h, w, 1, 1);
        var switches = _d.Allocate<int>(planes);
        var refSwitches = _ref.Allocate<int>(planes);
        _buffers.Add(switches);
        _d.AdaptiveMaxPoolForward(g, 1, px.Dut, y.Dut, switches);
        _ref.AdaptiveMaxPoolForward(g, 1, px.Ref, y.Ref, refSwitches);
        Assert.Equal(refSwitches.ToArray(), switches.ToArray());
        Assert.Equal(y.Ref.ToArray(), y.Dut.ToArray());
        var dy = Pair(TestData.Uniform(rng, planes));
        var dx = Pair(new float[x.Length]);
        _d.AdaptiveMaxPoolBackward(g, 1, dy.Dut, switches, dx.Dut, accumulate: false);
        _ref.AdaptiveMaxPoolBackward(g, 1, dy.Ref, refSwitches, dx.Ref, accumulate: false);
        Same(dx, "global max pool backward");
    }

    [Theory]
    [InlineData(1, 3, 1, 1)]
    [InlineData(2, 2, 37, 41)]
    public void Global_average_pool_PRelu_slope_and_gate_sums_at_edge_sizes(int n, int channels, int h, int w)
    {
        var rng = new Random(h * w);
        int inner = h * w, size = n * channels * inner;
        var x = Pair(TestData.Uniform(rng, size, -2, 2));
        var pooled = Pair(new float[n * channels]);
        var g = new AdaptivePoolGeometry(channels, h, w, 1, 1);
        _d.AdaptiveAvgPoolForward(g, n, x.Dut, pooled.Dut);
        _ref.AdaptiveAvgPoolForward(g, n, x.Ref, pooled.Ref);
        Same(pooled, "global average pool");

        var slope = Pair(TestData.Uniform(rng, channels, 0, 0.5f));
        var dy = Pair(TestData.Uniform(rng, size));
        var dx = Pair(new float[size]);
        var dslope = Pair(TestData.Uniform(rng, channels));
        _d.PReluBackward(n, channels, inner, x.Dut, slope.Dut, dy.Dut, dx.Dut, dslope.Dut, accumulate: false);
        _ref.PReluBackward(n, channels, inner, x.Ref, slope.Ref, dy.Ref, dx.Ref, dslope.Ref, accumulate: false);
        Same(dslope, "PRelu slope gradient");

        var gate = Pair(TestData.Uniform(rng, n * channels));
        var dGate = Pair(TestData.Uniform(rng, n * channels));
        _d.BroadcastBackward(BroadcastOp.Multiply, n, channels, inner, x.Dut, gate.Dut, dy.Dut, null, false, dGate.Dut, accumulateGate: true);
        _ref.BroadcastBackward(BroadcastOp.Multiply, n, channels, inner, x.Ref, gate.Ref, dy.Ref, null, false, dGate.Ref, accumulateGate: true);
        Same(dGate, "broadcast gate gradient");
    }
}

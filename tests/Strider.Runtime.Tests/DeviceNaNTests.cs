using Strider.Devices;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// NaN propagates as in PyTorch on every device: every activation of a NaN is NaN (relu(NaN) = NaN), the fused
/// BatchNorm -> Relu [-> Dropout] likewise, and a max pool window with a NaN anywhere outputs NaN with its switch on
/// the NaN (the last one in the window), so the gradient goes there. The NaNs sit at every lane of the vector bodies,
/// in the scalar tails and at every position of every pool window.
/// </summary>
public abstract partial class DeviceOpTests
{
    /// <summary>NaN and infinities exactly where <paramref name="expected"/> has them; the other values within <paramref name="tolerance"/>.</summary>
    protected static void SameWithNaN(float[] expected, float[] actual, string what, double tolerance = 1e-4)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
            if (!float.IsFinite(expected[i]) || !float.IsFinite(actual[i]))
                Assert.True(float.IsNaN(expected[i]) ? float.IsNaN(actual[i]) : expected[i] == actual[i], $"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9}.");
        AssertClose(expected.Select(v => float.IsFinite(v) ? v : 0f).ToArray(), actual.Select(v => float.IsFinite(v) ? v : 0f).ToArray(), what, tolerance);
    }

    [Theory]
    [MemberData(nameof(AllActivations), MemberType = typeof(TestData))]
    public void Activation_of_NaN_is_NaN_at_every_lane_and_in_the_tail(Activation f)
    {
        // 16 vectors of 8 and a 7-value tail; a NaN every third value, in three phases, so every lane and tail slot holds one.
        const int count = 16 * 8 + 7;
        float p0 = f == Activation.Clip ? -0.5f : 0.7f, p1 = 0.8f;
        var rng = new Random(31);
        for (int phase = 0; phase < 3; phase++)
        {
            float[] xs = f == Activation.Log ? Uniform(rng, count, 0.1f, 3f) : Uniform(rng, count, -3f, 3f);
            for (int i = phase; i < count; i += 3) xs[i] = float.NaN;
            var x = Pair(xs);
            var y = Pair(new float[count]);
            Device.ActivationForward(f, count, x.Dut, y.Dut, p0, p1);
            Reference.ActivationForward(f, count, x.Ref, y.Ref, p0, p1);
            float[] got = y.Dut.ToArray();
            for (int i = phase; i < count; i += 3)
                Assert.True(float.IsNaN(got[i]), $"{f}(NaN) at {i} of {count} gave {got[i]:G9}; PyTorch gives NaN.");
            SameWithNaN(y.Ref.ToArray(), got, $"{f} forward, NaN phase {phase}");

            // Relu's and Elu's gradients pass at NaN (PyTorch's threshold and elu backward), Clip's is 0 (clamp's); the rest are NaN.
            var dy = Pair(Uniform(rng, count));
            var dx = Pair(new float[count]);
            Device.ActivationBackward(f, count, x.Dut, y.Dut, dy.Dut, dx.Dut, false, p0, p1);
            Reference.ActivationBackward(f, count, x.Ref, y.Ref, dy.Ref, dx.Ref, false, p0, p1);
            SameWithNaN(dx.Ref.ToArray(), dx.Dut.ToArray(), $"{f} backward, NaN phase {phase}");
        }
    }

    /// <summary>
    /// A NaN gamma makes channel 1's normalised values NaN: the fused Relu keeps them, and so does the dropout (NaN * 0 is
    /// NaN, as PyTorch's x * mask). Backward, Relu passes the gradient at those NaNs into the channel's dbeta and dgamma.
    /// Inner sizes leave 8- and 16-lane tails.
    /// </summary>
    [Theory]
    [InlineData(2, 3, 37, -1f)]
    [InlineData(2, 3, 37, 0.5f)]
    [InlineData(3, 3, 16 * 3 + 13, 0.3f)]
    public void BatchNormRelu_fused_keeps_NaN(int n, int channels, int inner, float rate)
    {
        bool dropout = rate >= 0;
        const ulong seed = 0xFEED_5EEDUL;
        var rng = new Random(33);
        int size = n * channels * inner;
        float[] gammas = Uniform(rng, channels, 0.5f, 1.5f);
        gammas[1] = float.NaN;
        var x = Pair(Uniform(rng, size, -2, 3));
        var gamma = Pair(gammas);
        var beta = Pair(Uniform(rng, channels));
        var runningMean = Pair(Uniform(rng, channels));
        var runningVar = Pair(Uniform(rng, channels, 0.5f, 2f));
        var y = Pair(new float[size]);
        var mask = Pair(new float[size]);
        var savedMean = Pair(new float[channels]);
        var savedInvStd = Pair(new float[channels]);
        Device.BatchNormReluForwardTraining(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, runningMean.Dut, runningVar.Dut, 0.1f, 1e-5f,
            dropout ? mask.Dut : null, rate, seed, y.Dut, savedMean.Dut, savedInvStd.Dut);
        Reference.BatchNormReluForwardTraining(n, channels, inner, x.Ref, gamma.Ref, beta.Ref, runningMean.Ref, runningVar.Ref, 0.1f, 1e-5f,
            dropout ? mask.Ref : null, rate, seed, y.Ref, savedMean.Ref, savedInvStd.Ref);
        float[] got = y.Dut.ToArray();
        for (int i = 0; i < size; i++)
            Assert.True(float.IsNaN(got[i]) == (i / inner % channels == 1), $"fused output [{i / inner / channels}, {i / inner % channels}, {i % inner}] is {got[i]:G9}; only channel 1 (NaN gamma) is NaN.");
        SameWithNaN(y.Ref.ToArray(), got, "fused forward");

        var dy = Pair(Uniform(rng, size));
        var dx = Pair(new float[size]);
        var dgamma = Pair(new float[channels]);
        var dbeta = Pair(new float[channels]);
        var scratch = Pair(new float[size]);
        Device.BatchNormReluBackward(n, channels, inner, x.Dut, y.Dut, dy.Dut, dropout ? mask.Dut : null, gamma.Dut, savedMean.Dut, savedInvStd.Dut,
            dx.Dut, dgamma.Dut, dbeta.Dut, false, scratch.Dut);
        Reference.BatchNormReluBackward(n, channels, inner, x.Ref, y.Ref, dy.Ref, dropout ? mask.Ref : null, gamma.Ref, savedMean.Ref, savedInvStd.Ref,
            dx.Ref, dgamma.Ref, dbeta.Ref, false, scratch.Ref);
        SameWithNaN(dx.Ref.ToArray(), dx.Dut.ToArray(), "fused dx", 1e-3);
        SameWithNaN(dgamma.Ref.ToArray(), dgamma.Dut.ToArray(), "fused dgamma");
        SameWithNaN(dbeta.Ref.ToArray(), dbeta.Dut.ToArray(), "fused dbeta");
        Assert.False(float.IsNaN(dbeta.Dut.ToArray()[1]), "dbeta of the NaN channel: the gradient passes Relu's NaNs as a finite sum.");
    }

    /// <summary>
    /// Batch item b holds a single NaN at position b of each of its planes, so every position of every window of every
    /// pool case (the 2x2 vector steps, their overlapping last step, the scalar tails and the general loop) holds a NaN
    /// once. The NaN must beat finite values and +inf alike; its windows output NaN with the switch on it.
    /// </summary>
    [Theory]
    [MemberData(nameof(PoolCaseNames))]
    public void MaxPool_window_with_a_NaN_anywhere_is_NaN_and_routes_the_gradient_to_it(string name)
    {
        var (g, _) = PoolCases[name];
        int plane = g.InH * g.InW, n = plane;
        foreach (bool infinite in new[] { false, true })
        {
            var rng = new Random(34);
            float[] xs = infinite ? Enumerable.Repeat(float.PositiveInfinity, (int)(n * g.InputSize)).ToArray() : Uniform(rng, n * g.InputSize);
            for (int b = 0; b < n; b++)
                for (int c = 0; c < g.Channels; c++) xs[((long)b * g.Channels + c) * plane + b] = float.NaN;
            var x = Pair(xs);
            var y = Pair(new float[n * g.OutputSize]);
            var sw = Pair(new int[n * g.OutputSize]);
            Device.MaxPoolForward(g, n, x.Dut, y.Dut, sw.Dut);
            Reference.MaxPoolForward(g, n, x.Ref, y.Ref, sw.Ref);
            float[] got = y.Dut.ToArray();
            int[] switches = sw.Dut.ToArray();
            string against = infinite ? "+inf" : "finite values";
            for (int b = 0; b < n; b++)
                for (int c = 0; c < g.Channels; c++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            long o = (((long)b * g.Channels + c) * g.OutH + oh) * g.OutW + ow;
                            if (ReferenceOps.Window(g, oh, ow).Contains(b))
                            {
                                Assert.True(float.IsNaN(got[o]), $"{name}: window ({oh}, {ow}) holds a NaN at ({b / g.InW}, {b % g.InW}) among {against} but pooled to {got[o]:G9}.");
                                Assert.True(switches[o] == b, $"{name}: window ({oh}, {ow})'s switch is {switches[o]}, not the NaN at {b}.");
                            }
                            else Assert.False(float.IsNaN(got[o]), $"{name}: window ({oh}, {ow}) holds no NaN but pooled to NaN.");
                        }
            Assert.Equal(sw.Ref.ToArray(), switches);
            SameWithNaN(y.Ref.ToArray(), got, $"{name}: max pool with a NaN among {against}");

            // The NaN's position collects the gradient of every window that holds it.
            var dy = Pair(Uniform(rng, n * g.OutputSize));
            var dx = Pair(new float[n * g.InputSize]);
            Device.MaxPoolBackward(g, n, dy.Dut, sw.Dut, dx.Dut, false);
            Reference.MaxPoolBackward(g, n, dy.Ref, sw.Ref, dx.Ref, false);
            Same(dx, $"{name}: max pool backward with a NaN among {against}");

            // An average pool sums its window: NaN exactly where the max pool has it.
            var mean = Pair(new float[n * g.OutputSize]);
            Device.AvgPoolForward(g, n, x.Dut, mean.Dut);
            Reference.AvgPoolForward(g, n, x.Ref, mean.Ref);
            SameWithNaN(mean.Ref.ToArray(), mean.Dut.ToArray(), $"{name}: average pool with a NaN among {against}");
        }
    }

    /// <summary>A NaN logit makes its position's whole softmax NaN (PyTorch's), and no other position's.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax_of_a_position_with_a_NaN_is_NaN_there_only(bool log)
    {
        const int n = 2, channels = 7, inner = 13;
        var rng = new Random(37);
        float[] xs = Uniform(rng, n * channels * inner, -3, 3);
        for (int b = 0; b < n; b++)
            for (int i = b; i < inner; i += 4) xs[(b * channels + (i % channels)) * inner + i] = float.NaN;
        var x = Pair(xs);
        var y = Pair(new float[xs.Length]);
        Device.SoftmaxForward(log, n, channels, inner, x.Dut, y.Dut);
        Reference.SoftmaxForward(log, n, channels, inner, x.Ref, y.Ref);
        float[] got = y.Dut.ToArray();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
                for (int c = 0; c < channels; c++)
                    Assert.True(float.IsNaN(got[(b * channels + c) * inner + i]) == (i >= b && (i - b) % 4 == 0),
                        $"softmax (log {log}) [{b}, {c}, {i}] is {got[(b * channels + c) * inner + i]:G9}; NaN only where the position holds a NaN logit.");
        SameWithNaN(y.Ref.ToArray(), got, $"softmax (log {log}) with NaN logits");
    }

    /// <summary>
    /// A NaN input reaches exactly the outputs whose window holds it (forward), and a NaN output gradient exactly the
    /// inputs its window reads (backward data), as PyTorch's im2col convolutions: the padded copies, shifted panels,
    /// batched columns and phase-split deconvolutions neither lose a NaN nor spread it into a neighbour.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConvCaseNames))]
    public void Conv_NaN_reaches_exactly_the_outputs_of_its_windows(string name)
    {
        var (g, n) = ConvCases[name];
        var rng = new Random(35);
        float[] xs = Uniform(rng, n * g.InputSize), dys = Uniform(rng, n * g.OutputSize);
        long inPlane = (long)g.InH * g.InW, outPlane = (long)g.OutH * g.OutW;
        for (int b = 0; b < n; b++)
        {
            // Per image a corner, the opposite corner and an inner point, in one channel.
            long x0 = ((long)b * g.InChannels + b % g.InChannels) * inPlane, y0 = ((long)b * g.OutChannels + b % g.OutChannels) * outPlane;
            foreach (long p in new[] { 0, inPlane - 1, inPlane / 2 + g.InW / 3 }) xs[x0 + p] = float.NaN;
            foreach (long p in new[] { 0, outPlane - 1, outPlane / 2 + g.OutW / 3 }) dys[y0 + p] = float.NaN;
        }
        var x = Pair(xs);
        var w = Pair(Uniform(rng, g.WeightSize));
        var y = Pair(new float[n * g.OutputSize]);
        Device.ConvForward(g, n, x.Dut, w.Dut, null, y.Dut);
        Reference.ConvForward(g, n, x.Ref, w.Ref, null, y.Ref);
        SameWithNaN(y.Ref.ToArray(), y.Dut.ToArray(), $"{name}: forward with NaN inputs");
        var dy = Pair(dys);
        var dx = Pair(new float[n * g.InputSize]);
        Device.ConvBackwardData(g, n, dy.Dut, w.Dut, dx.Dut, accumulate: false);
        Reference.ConvBackwardData(g, n, dy.Ref, w.Ref, dx.Ref, accumulate: false);
        SameWithNaN(dx.Ref.ToArray(), dx.Dut.ToArray(), $"{name}: backward data with NaN output gradients");
    }

    /// <summary>A NaN feature makes its own row's outputs NaN and no other row's, through the GEMM's packed panels and tails.</summary>
    [Theory]
    [InlineData(7, 13, 5)]
    [InlineData(33, 300, 70)]
    [InlineData(130, 20, 260)]
    public void Dense_NaN_stays_in_its_row(int rows, int inFeatures, int outFeatures)
    {
        var rng = new Random(36);
        float[] xs = Uniform(rng, rows * inFeatures), dys = Uniform(rng, rows * outFeatures);
        for (int r = 0; r < rows; r += 3)
        {
            xs[r * inFeatures + r % inFeatures] = float.NaN;
            dys[r * outFeatures + r % outFeatures] = float.NaN;
        }
        var x = Pair(xs);
        var w = Pair(Uniform(rng, outFeatures * inFeatures));
        var bias = Pair(Uniform(rng, outFeatures));
        var y = Pair(new float[rows * outFeatures]);
        Device.DenseForward(rows, inFeatures, outFeatures, x.Dut, w.Dut, bias.Dut, y.Dut);
        Reference.DenseForward(rows, inFeatures, outFeatures, x.Ref, w.Ref, bias.Ref, y.Ref);
        SameWithNaN(y.Ref.ToArray(), y.Dut.ToArray(), "dense forward with NaN features");
        var dy = Pair(dys);
        var dx = Pair(new float[rows * inFeatures]);
        Device.DenseBackwardData(rows, inFeatures, outFeatures, dy.Dut, w.Dut, dx.Dut, false);
        Reference.DenseBackwardData(rows, inFeatures, outFeatures, dy.Ref, w.Ref, dx.Ref, false);
        SameWithNaN(dx.Ref.ToArray(), dx.Dut.ToArray(), "dense backward data with NaN output gradients");
    }
}

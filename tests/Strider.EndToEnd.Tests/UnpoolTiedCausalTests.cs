using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>Unpooling with switches, tied weights, causal dilated 1-D stacks and Permute, on generated networks.</summary>
public class UnpoolTiedCausalTests
{
    private static float[] Random(int count, int seed)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>0.05 x a random permutation of 0..count-1, centred: distinct values at least 0.05 apart.</summary>
    private static float[] Distinct(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new System.Random(seed).Shuffle(order);
        return order.Select(k => 0.05f * (k - count / 2)).ToArray();
    }

    private static double Dot(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    private static void Set(INetwork net, string name, float[] values) => net.Parameters.Single(p => p.Name == name).Value.Upload(values);

    private static float[] Get(INetwork net, string name) => net.Parameters.Single(p => p.Name == name).Value.ToArray();

    private static float[] Grad(INetwork net, string name) => net.Parameters.Single(p => p.Name == name).Gradient.ToArray();

    private static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(System.Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + System.Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]:G6}, got {actual[i]:G6}");
    }

    [Fact]
    public void Unpool_puts_each_maximum_back_where_it_was_and_zeros_elsewhere()
    {
        using var net = new PoolUnpool(Device.Default, 1);
        const int batch = 2, channels = 2, h = 6, w = 8;
        var x = Distinct(batch * channels * h * w, 3);
        using var input = Tensor<S2x6x8>.From(Device.Default, x);
        var y = net.Forward(input).ToArray();
        Assert.Equal(x.Length, y.Length);
        int maxima = 0;
        for (int plane = 0; plane < batch * channels; plane++)
        for (int wy = 0; wy < h; wy += 2)
        for (int wx = 0; wx < w; wx += 2)
        {
            int best = -1;
            for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
            {
                int i = plane * h * w + (wy + dy) * w + wx + dx;
                if (best < 0 || x[i] > x[best]) best = i;
            }
            for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
            {
                int i = plane * h * w + (wy + dy) * w + wx + dx;
                Assert.Equal(i == best ? x[i] : 0f, y[i]);
            }
            maxima++;
        }
        Assert.Equal(batch * channels * (h / 2) * (w / 2), maxima);
        Assert.Equal(maxima, y.Count(v => v != 0));
    }

    [Fact]
    public void Unpool_gradient_passes_finite_differences()
    {
        using var net = new PoolUnpool(Device.Default, 1);
        // Values 0.05 apart: the finite-difference step (0.01) never changes which value is the maximum.
        GradientTests.Check(net, 2, 40, Distinct(2 * 2 * 6 * 8, 41));
    }

    [Fact]
    public void Tied_deconv_computes_what_an_untied_one_does_with_the_conv_weights_and_sums_both_gradients()
    {
        using var tied = new TiedPair(Device.Default, 1);
        using var untied = new UntiedPair(Device.Default, 2);
        var weight = Get(tied, "enc.weight");
        var decBias = Random(2, 5);
        Set(tied, "dec.bias", decBias);
        Set(untied, "enc.weight", weight);
        Set(untied, "enc.bias", Get(tied, "enc.bias"));
        // The conv's [out 3, in 2, 3, 3] read as the deconv's [in 3, out 2, 3, 3]: the same numbers in the same order.
        Set(untied, "dec.weight", weight);
        Set(untied, "dec.bias", decBias);

        using var x = Tensor<S2x6x6>.From(Device.Default, Random(2 * 2 * 6 * 6, 6));
        AssertClose(untied.Forward(x).ToArray(), tied.Forward(x).ToArray(), 1e-5f, "output");

        using var dy = Tensor<S2x6x6>.From(Device.Default, Random(2 * 2 * 6 * 6, 7));
        tied.ZeroGrad();
        untied.ZeroGrad();
        tied.Forward(x);
        untied.Forward(x);
        AssertClose(untied.Backward(dy).ToArray(), tied.Backward(dy).ToArray(), 1e-5f, "input gradient");
        var both = Grad(untied, "enc.weight").Zip(Grad(untied, "dec.weight"), (a, b) => a + b).ToArray();
        AssertClose(both, Grad(tied, "enc.weight"), 1e-4f, "tied weight gradient (conv use + deconv use)");
        Assert.DoesNotContain(tied.Parameters, p => p.Name == "dec.weight");
    }

    [Fact]
    public void A_deconv_given_a_convs_weights_is_its_transpose()
    {
        // <conv(x), y> = <x, deconv(y)> for every x and y when deconv reads conv's [out, in, k, k] as [in, out, k, k].
        using var conv = new ConvOnly(Device.Default, 1);
        using var deconv = new DeconvOnly(Device.Default, 2);
        Set(deconv, "dec.weight", Get(conv, "enc.weight"));
        var xData = Random(2 * 6 * 6, 8);
        var yData = Random(3 * 4 * 4, 9);
        using var x = Tensor<S2x6x6>.From(Device.Default, xData);
        using var y = Tensor<S3x4x4>.From(Device.Default, yData);
        double left = Dot(conv.Forward(x).ToArray(), yData);
        double right = Dot(xData, deconv.Forward(y).ToArray());
        Assert.True(System.Math.Abs(left - right) <= 1e-4 * (1 + System.Math.Abs(left)), $"<conv(x), y> = {left:G7} but <x, deconv(y)> = {right:G7}");
    }

    [Fact]
    public void Tied_weights_gradient_passes_finite_differences()
    {
        using var net = new TiedPair(Device.Default, 3);
        Set(net, "dec.bias", Random(2, 11));
        GradientTests.Check(net, 2, 50);
    }

    [Fact]
    public void WaveNet_stack_states_its_receptive_field_of_32_steps()
    {
        var last = WaveNetStack.Summary.Split('\n').Single(l => l.StartsWith("conv6", System.StringComparison.Ordinal));
        Assert.Matches(@"\s3x48\s.*\s32\s+1\s*$", last);
    }

    [Fact]
    public void WaveNet_stack_output_at_step_s_reads_exactly_steps_s_minus_31_to_s()
    {
        using var net = new WaveNetStack(Device.Default, 1);
        const int length = 48, t = 10;
        var data = Random(2 * length, 12);
        using var x = Tensor<S2x48>.From(Device.Default, data);
        var before = net.Forward(x).ToArray();
        data[t] += 0.5f;            // channel 0, step t
        data[length + t] -= 0.5f;   // channel 1, step t
        x.Buffer.Upload(data);
        var after = net.Forward(x).ToArray();
        Assert.Equal(3 * length, after.Length);
        for (int c = 0; c < 3; c++)
        for (int s = 0; s < length; s++)
        {
            int i = c * length + s;
            if (s < t || s > t + 31) Assert.True(before[i] == after[i], $"output channel {c} step {s} changed when only step {t} did");
        }
        // The field reaches both ends: the step itself and 31 steps later both feel the change.
        Assert.True(Enumerable.Range(0, 3).Any(c => before[c * length + t] != after[c * length + t]), $"step {t} did not change its own output");
        Assert.True(Enumerable.Range(0, 3).Any(c => before[c * length + t + 31] != after[c * length + t + 31]), $"step {t + 31} did not see step {t}");
    }

    [Fact]
    public void WaveNet_stack_gradient_passes_finite_differences() { using var net = new WaveNetStack(Device.Default, 2); GradientTests.Check(net, 2, 60); }

    [Fact]
    public void Permute_swaps_time_and_features_forward_and_back()
    {
        using var net = new TimeMajor(Device.Default, 1);
        var x = Random(2 * 3 * 5, 13);
        using var input = Tensor<S3x5>.From(Device.Default, x);
        var output = net.Forward(input);
        Assert.Equal(new[] { 5, 3 }, output.Dims.ToArray());
        var y = output.ToArray();
        var dyData = Random(2 * 5 * 3, 14);
        using var dy = Tensor<S5x3>.From(Device.Default, dyData);
        var dx = net.Backward(dy).ToArray();
        for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
        for (int l = 0; l < 5; l++)
        {
            Assert.Equal(x[n * 15 + c * 5 + l], y[n * 15 + l * 3 + c]);
            Assert.Equal(dyData[n * 15 + l * 3 + c], dx[n * 15 + c * 5 + l]);
        }
    }
}

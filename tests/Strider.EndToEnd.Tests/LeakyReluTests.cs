using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>LeakyRelu with PyTorch's default slope (0.01), then with an explicit one.</summary>
[Network, Input(2, 3, 3)]
[LeakyRelu, LeakyRelu(0.5f, Name = "half")]
public partial class LeakyPair;

/// <summary>LeakyRelu between convolutions (no BatchNorm: its batch coupling would put kinks within every finite difference's step).</summary>
[Network, Input(2, 8, 8)]
[Conv(3, 3, Name = "c1"), LeakyRelu(0.2f), Conv(2, 3), LeakyRelu]
public partial class LeakyConvs;

/// <summary>The LeakyRelu layer through the generator: default and explicit slopes, names, gradients.</summary>
public class LeakyReluTests
{
    private static float[] Values(int count, int seed)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    [Fact]
    public void Forward_and_backward_scale_negatives_by_each_slope()
    {
        using var net = new LeakyPair(Device.Default, 1);
        var xs = Values(3 * 18, 5);
        xs[0] = float.NaN;
        using var x = Tensor<S2x3x3>.From(net.Device, xs);
        float[] y = net.Forward(x).ToArray();
        for (int i = 1; i < xs.Length; i++)
            Assert.Equal(xs[i] > 0 ? xs[i] : xs[i] * 0.01f * 0.5f, y[i], 1e-6f);
        Assert.True(float.IsNaN(y[0]), $"LeakyRelu(NaN) gave {y[0]}; PyTorch gives NaN.");

        var dys = Values(xs.Length, 6);
        using var dy = Tensor<S2x3x3>.From(net.Device, dys);
        float[] dx = net.Backward(dy).ToArray();
        for (int i = 1; i < xs.Length; i++)
            Assert.Equal(xs[i] > 0 ? dys[i] : dys[i] * 0.5f * 0.01f, dx[i], 1e-6f);
        // At NaN both slopes scale the gradient, as PyTorch's leaky_relu_backward (NaN > 0 is false).
        Assert.Equal(dys[0] * 0.5f * 0.01f, dx[0], 1e-6f);
    }

    [Fact]
    public void Layers_are_named_leakyrelu_n_or_as_given_and_listed_in_the_summary()
    {
        Assert.Contains("leakyrelu1", LeakyPair.Summary);
        Assert.Contains("half", LeakyPair.Summary);
        Assert.Contains("LeakyRelu", LeakyPair.Summary);
        Assert.Equal(0, LeakyPair.ParameterCount);
    }

    [Fact]
    public void Backward_matches_finite_differences_between_convolutions() =>
        GradientTests.Check(new LeakyConvs(Device.Default, 3), 2, 40);
}

using Strider.Devices;
using Strider.IO;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// Whole networks against PyTorch (tools/reference/group_nets.py): each parameter and buffer loaded by its PyTorch name
/// and shape, then the eval-mode output, the training-mode output, input gradient and parameter gradients compared.
/// </summary>
public class GroupedConvTests
{
    private static readonly SafeTensorsFile s_reference =
        SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", "reference", "group_nets.safetensors"));

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f * Math.Max(1f, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: PyTorch {expected[i]}, Strider {actual[i]}");
        }
    }

    /// <summary>Uploads every parameter and buffer from the fixture, asserting PyTorch's name and layout for each.</summary>
    private static void LoadFromPyTorch(INetwork net, string fixture)
    {
        foreach (var p in net.Parameters.Concat(net.Buffers))
        {
            string key = fixture + "/" + p.Name;
            Assert.True(s_reference.Entries.ContainsKey(key), $"PyTorch has no '{p.Name}' in '{fixture}'.");
            Assert.Equal(s_reference.Entries[key].Shape, p.Shape);
            p.Value.Upload(s_reference.GetFloats(key));
        }
    }

    /// <summary>Eval-mode output, then training-mode output, input gradient and every parameter's gradient.</summary>
    internal static void CompareWithPyTorch<TIn, TOut>(INetwork<TIn, TOut> net, string fixture) where TIn : IShape where TOut : IShape
    {
        LoadFromPyTorch(net, fixture);
        using var x = Tensor<TIn>.From(net.Device, s_reference.GetFloats(fixture + "/x"));
        net.Training = false;
        AssertClose(s_reference.GetFloats(fixture + "/y_eval"), net.Forward(x).ToArray(), fixture + " eval output");
        net.Training = true;
        net.ZeroGrad();
        AssertClose(s_reference.GetFloats(fixture + "/y"), net.Forward(x).ToArray(), fixture + " training output");
        using var dy = Tensor<TOut>.From(net.Device, s_reference.GetFloats(fixture + "/dy"));
        AssertClose(s_reference.GetFloats(fixture + "/dx"), net.Backward(dy).ToArray(), fixture + " input gradient");
        foreach (var p in net.Parameters)
            AssertClose(s_reference.GetFloats(fixture + "/grad/" + p.Name), p.Gradient.ToArray(), fixture + " " + p.Name + " gradient");
    }

    [Fact]
    public void Depthwise_separable_block_matches_pytorch() => CompareWithPyTorch(new DepthwiseSeparable(Device.Default, 1), "depthwise");

    [Fact]
    public void Two_group_convolutions_match_pytorch() => CompareWithPyTorch(new GroupedConvs(Device.Default, 1), "grouped");

    [Fact]
    public void Grouped_deconv_with_batchnorm_matches_pytorch() => CompareWithPyTorch(new GroupedDeconv(Device.Default, 1), "grouped_deconv");

    [Fact]
    public void Tied_grouped_deconv_matches_pytorch() => CompareWithPyTorch(new TiedGroupedConvs(Device.Default, 1), "tied_grouped");

    [Fact]
    public void Weights_have_pytorch_grouped_layouts_and_counts()
    {
        using var dw = new DepthwiseSeparable(Device.Default, 1);
        Assert.Equal(new[] { 4, 1, 3, 3 }, dw.Parameters.Single(p => p.Name == "dw.weight").Shape);
        using var deconv = new GroupedDeconv(Device.Default, 1);
        Assert.Equal(new[] { 4, 3, 3, 3 }, deconv.Parameters.Single(p => p.Name == "up.weight").Shape);
        // 6·2·3·3 + 6 and 4·3·1·1 + 4, as PyTorch's sum(p.numel()).
        Assert.Equal(6 * 2 * 9 + 6 + 4 * 3 + 4, GroupedConvs.ParameterCount);
        Assert.Contains("groups 2", GroupedConvs.Summary);
    }

    [Fact]
    public void He_initialisation_uses_the_fan_in_of_one_group()
    {
        // Depthwise 3x3: fan-in 1·9, so the He standard deviation is sqrt(2/9) ≈ 0.47 (sqrt(2/36) ≈ 0.24 without groups).
        using var net = new DepthwiseSeparable(Device.Default, 7);
        var w = net.Parameters.Single(p => p.Name == "dw.weight").Value.ToArray();
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.3, 0.7);
    }

    [Fact]
    public void Folded_grouped_conv_inference_matches_the_unfolded_norm()
    {
        // Inference folds bn into c's grouped weights; computed here by hand: conv (training-free), then the norm's affine map.
        using var net = new GroupedConvNorm(Device.Default, 3);
        var random = new Random(5);
        foreach (var p in net.Buffers.Concat(net.Parameters.Where(p => p.Name.StartsWith("bn", StringComparison.Ordinal))))
            p.Value.Upload(Enumerable.Range(0, (int)p.Length).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray());
        var xs = Enumerable.Range(0, 2 * 4 * 36).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var x = Tensor<S4x6x6>.From(net.Device, xs);
        net.Training = false;
        float[] y = net.Forward(x).ToArray();

        float[] Get(string name) => net.Parameters.Concat(net.Buffers).Single(p => p.Name == name).Value.ToArray();
        float[] w = Get("c.weight"), b = Get("c.bias"), gamma = Get("bn.weight"), beta = Get("bn.bias"), mean = Get("bn.running_mean"), variance = Get("bn.running_var");
        for (int item = 0; item < 2; item++)
            for (int o = 0; o < 6; o++)
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                    {
                        double sum = b[o];
                        int group = o / 3;
                        for (int c = 0; c < 2; c++)
                            for (int ki = 0; ki < 3; ki++)
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int si = i + ki - 1, sj = j + kj - 1;
                                    if (si < 0 || sj < 0 || si >= 6 || sj >= 6) continue;
                                    sum += w[((o * 2 + c) * 3 + ki) * 3 + kj] * xs[((item * 4 + group * 2 + c) * 6 + si) * 6 + sj];
                                }
                        double expected = (sum - mean[o]) / Math.Sqrt(variance[o] + 1e-5) * gamma[o] + beta[o];
                        float actual = y[((item * 6 + o) * 6 + i) * 6 + j];
                        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"y[{item}, {o}, {i}, {j}]: {expected} by hand, {actual} folded");
                    }
    }

    [Fact]
    public void Backward_matches_finite_differences_through_groups()
    {
        GradientTests.Check(new GroupedConvs(Device.Default, 3), 2, 41);
        GradientTests.Check(new TiedGroupedConvs(Device.Default, 3), 2, 42);
    }
}

/// <summary>Multiply and the broadcast of a C x 1 x 1 operand by Add and Multiply, against PyTorch and finite differences.</summary>
public class MultiplyBroadcastTests
{
    [Fact]
    public void Squeeze_and_excitation_block_matches_pytorch() => GroupedConvTests.CompareWithPyTorch(new SqueezeExcite(Device.Default, 1), "squeeze_excite");

    [Fact]
    public void Broadcast_add_then_multiply_matches_pytorch() => GroupedConvTests.CompareWithPyTorch(new BroadcastAdd(Device.Default, 1), "broadcast_add");

    [Fact]
    public void Input_times_itself_has_twice_the_product_gradient()
    {
        using var net = new Square(Device.Default, 1);
        var xs = Enumerable.Range(0, 18).Select(i => i * 0.25f - 2f).ToArray();
        using var x = Tensor<S2x3x3>.From(net.Device, xs);
        Assert.Equal(xs.Select(v => v * v).ToArray(), net.Forward(x).ToArray());
        var dys = Enumerable.Range(0, 18).Select(i => 1f + i * 0.1f).ToArray();
        using var dy = Tensor<S2x3x3>.From(net.Device, dys);
        var dx = net.Backward(dy).ToArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal(2 * xs[i] * dys[i], dx[i], 1e-5f);
    }

    [Fact]
    public void Backward_matches_finite_differences_through_the_gate()
    {
        GradientTests.Check(new SqueezeExcite(Device.Default, 3), 2, 43);
        GradientTests.Check(new BroadcastAdd(Device.Default, 3), 2, 44);
    }

    [Fact]
    public void Summary_names_the_broadcast_operand()
    {
        Assert.Contains("Multiply act, gate (broadcast gate)", SqueezeExcite.Summary);
        Assert.Contains("Add p, c (broadcast p)", BroadcastAdd.Summary);
    }
}

using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>GroupNorm and LayerNorm (channel axis): PyTorch's results, no running statistics, gradients.</summary>
public class ChannelNormTests
{
    [Fact]
    public void Forward_and_every_gradient_match_PyTorch()
    {
        using var net = new NormNet(Device.Default, 1);
        PyTorchNetworks.AssertMatches(net, "norms");
    }

    [Fact]
    public void Inference_normalises_with_the_items_own_statistics_as_training_does()
    {
        using var net = new NormNet(Device.Default, 1);
        var file = PyTorchNetworks.Fixture("norms");
        foreach (var parameter in net.Parameters) parameter.Value.Upload(file.GetFloats(parameter.Name));
        using var x = Tensor<S4x5x5>.From(net.Device, file.GetFloats("input"));
        net.Training = false;
        float[] inference = net.Forward(x).ToArray();
        float[] expected = file.GetFloats("output");
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], inference[i], 1e-4f * System.Math.Max(1f, System.Math.Abs(expected[i])));
        Assert.Empty(net.Buffers);
    }

    [Fact]
    public void Parameters_are_PyTorchs_weight_and_bias_starting_at_one_and_zero()
    {
        using var net = new NormNet(Device.Default, 1);
        var g = net.Parameters.Where(p => p.Name.StartsWith("g1.", StringComparison.Ordinal) || p.Name.StartsWith("ln1.", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "g1.weight", "g1.bias", "ln1.weight", "ln1.bias" }, g.Select(p => p.Name));
        Assert.All(g, p => Assert.Equal(p.Name.StartsWith("g1", StringComparison.Ordinal) ? 6 : 4, p.Shape.Single()));
        Assert.All(g[0].Value.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(g[1].Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains("GroupNorm 3", NormNet.Summary);
    }

    [Fact]
    public void Backward_matches_finite_differences_on_1d_data_and_features()
    {
        using var net = new NormShapes(Device.Default, 5);
        GradientTests.Check(net, 3, 70);
    }

    [Fact]
    public void BackwardParameters_gives_the_gradients_Backward_gives()
    {
        using var net = new NormNet(Device.Default, 2);
        var file = PyTorchNetworks.Fixture("norms");
        using var x = Tensor<S4x5x5>.From(net.Device, file.GetFloats("input"));
        using var dy = Tensor<S2x5x5>.From(net.Device, file.GetFloats("output_grad"));
        net.ZeroGrad();
        net.Forward(x);
        net.Backward(dy);
        var full = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();
        net.ZeroGrad();
        net.Forward(x);
        net.BackwardParameters(dy);
        for (int p = 0; p < full.Count; p++) Assert.Equal(full[p], net.Parameters[p].Gradient.ToArray());
    }
}

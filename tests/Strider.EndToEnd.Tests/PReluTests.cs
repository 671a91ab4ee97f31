using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>PRelu: PyTorch's weight per channel (or shared), its gradient in Backward and BackwardParameters.</summary>
public class PReluTests
{
    [Fact]
    public void Forward_and_every_gradient_match_PyTorch()
    {
        using var net = new PReluNet(Device.Default, 1);
        PyTorchNetworks.AssertMatches(net, "prelu");
    }

    [Fact]
    public void Slopes_start_at_PyTorchs_quarter_with_its_names_and_shapes()
    {
        using var net = new PReluNet(Device.Default, 1);
        var slopes = net.Parameters.Where(p => p.Name.StartsWith('p')).ToList();
        Assert.Equal(new[] { "p0.weight", "p1.weight", "p2.weight" }, slopes.Select(p => p.Name));
        Assert.Equal(new[] { 3, 4, 1 }, slopes.Select(p => p.Shape.Single()));
        Assert.All(slopes, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(0.25f, v)));
        Assert.Equal(3 + 4 * 27 + 4 + 4 + 2 * 4 + 2 + 1, PReluNet.ParameterCount);
        Assert.Contains("PRelu (shared)", PReluNet.Summary);
    }

    /// <summary>p0 reads the network's input, whose gradient only Backward needs: its slope's gradient must not be skipped.</summary>
    [Fact]
    public void BackwardParameters_gives_the_slope_gradients_Backward_gives()
    {
        using var net = new PReluNet(Device.Default, 1);
        var file = PyTorchNetworks.Fixture("prelu");
        foreach (var parameter in net.Parameters) parameter.Value.Upload(file.GetFloats(parameter.Name));
        using var x = Tensor<S3x6x6>.From(net.Device, file.GetFloats("input"));
        using var dy = Tensor<S2x6x6>.From(net.Device, file.GetFloats("output_grad"));
        net.ZeroGrad();
        net.Forward(x);
        net.Backward(dy);
        var full = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();
        net.ZeroGrad();
        net.Forward(x);
        net.BackwardParameters(dy);
        for (int p = 0; p < full.Count; p++) Assert.Equal(full[p], net.Parameters[p].Gradient.ToArray());
        Assert.NotEqual(0f, net.Parameters[0].Gradient.ToArray()[0]);
    }

    [Fact]
    public void Backward_matches_finite_differences_on_1d_data_and_features()
    {
        using var net = new PReluShapes(Device.Default, 4);
        // Slopes off 0.25 and apart, so a wrong channel's slope shows.
        foreach (var p in net.Parameters.Where(p => p.Name.StartsWith("prelu", StringComparison.Ordinal)))
            p.Value.Upload(Enumerable.Range(0, (int)p.Length).Select(i => 0.1f + 0.2f * i).ToArray());
        GradientTests.Check(net, 3, 60);
    }
}

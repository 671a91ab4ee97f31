using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>Relu6, HardTanh, Silu, Gelu (erf and tanh), HardSwish, HardSigmoid and Softplus through the generator.</summary>
public class PointwiseActivationTests
{
    [Fact]
    public void Forward_and_every_gradient_match_PyTorch()
    {
        using var net = new PointwiseActivations(Device.Default, 1);
        PyTorchNetworks.AssertMatches(net, "activations");
    }

    [Fact]
    public void Inference_gives_the_training_output()
    {
        using var net = new PointwiseActivations(Device.Default, 1);
        var file = PyTorchNetworks.Fixture("activations");
        foreach (var parameter in net.Parameters) parameter.Value.Upload(file.GetFloats(parameter.Name));
        using var x = Tensor<S3x6x6>.From(net.Device, file.GetFloats("input"));
        float[] training = net.Forward(x).ToArray();
        net.Training = false;
        Assert.Equal(training, net.Forward(x).ToArray());
    }

    [Fact]
    public void Summary_names_the_bounds_and_the_gelu_variant_and_counts_no_parameters_for_them()
    {
        Assert.Contains("HardTanh [-0.5, 0.75]", PointwiseActivations.Summary);
        Assert.Contains("HardTanh [-1, 1]", PointwiseDefaults.Summary);
        Assert.Contains("GeluTanh", PointwiseActivations.Summary);
        foreach (string name in new[] { "relu61", "hardtanh1", "silu1", "gelu1", "gelu2", "hardswish1", "hardsigmoid1", "softplus1" })
            Assert.Contains(name, PointwiseActivations.Summary);
        // Six convolutions' weights and biases only.
        Assert.Equal(3 * 4 * 9 + 4 + 4 * 4 * 9 + 4 + 3 * (4 * 4 + 4) + 4 * 2 + 2, PointwiseActivations.ParameterCount);
    }

    [Fact]
    public void Backward_matches_finite_differences() =>
        GradientTests.Check(new PointwiseDefaults(Device.Default, 3), 2, 50);
}

using Strider.Devices;
using Strider.IO;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// A generated network against a whole-network PyTorch fixture (tools/reference/pointwise_nets.py): its parameters
/// loaded by their state_dict names, then output, input gradient and every parameter gradient compared within 1e-4 of
/// max(1, |PyTorch's value|).
/// </summary>
internal static class PyTorchNetworks
{
    public static SafeTensorsFile Fixture(string name) =>
        SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", "pointwise", name + ".safetensors"));

    public static void AssertMatches<TIn, TOut>(INetwork<TIn, TOut> net, string fixture) where TIn : IShape where TOut : IShape
    {
        var file = Fixture(fixture);
        foreach (var parameter in net.Parameters)
        {
            Assert.True(file.Entries.ContainsKey(parameter.Name), $"{fixture}: PyTorch has no parameter named '{parameter.Name}' (it has {string.Join(", ", file.Entries.Keys)}).");
            Assert.Equal(file.Entries[parameter.Name].Shape, parameter.Shape);
            parameter.Value.Upload(file.GetFloats(parameter.Name));
        }
        using var x = Tensor<TIn>.From(net.Device, file.GetFloats("input"));
        net.Training = true;
        net.ZeroGrad();
        AssertClose(fixture + " output", file.GetFloats("output"), net.Forward(x).ToArray());
        using var dy = Tensor<TOut>.From(net.Device, file.GetFloats("output_grad"));
        AssertClose(fixture + " input gradient", file.GetFloats("input_grad"), net.Backward(dy).ToArray());
        foreach (var parameter in net.Parameters)
            AssertClose($"{fixture} {parameter.Name} gradient", file.GetFloats(parameter.Name + ".grad"), parameter.Gradient.ToArray());
    }

    private static void AssertClose(string what, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(System.Math.Abs(actual[i] - expected[i]) <= 1e-4 * System.Math.Max(1.0, System.Math.Abs(expected[i]))))
                Assert.Fail($"{what} [{i} of {expected.Length}]: PyTorch {expected[i]:R}, Strider {actual[i]:R}.");
    }
}

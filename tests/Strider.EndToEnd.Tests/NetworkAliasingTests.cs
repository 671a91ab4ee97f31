using Strider.Devices;
using static Strider.EndToEnd.Tests.NetworkThreadingTests;

namespace Strider.EndToEnd.Tests;

/// <summary>A network fed a view of its own buffers (its output, its input gradient) computes what it computes for a copy.</summary>
public class NetworkAliasingTests
{
    private static void AssertSameGradients(INetwork expected, INetwork actual)
    {
        for (int i = 0; i < expected.Parameters.Count; i++)
            Assert.Equal(expected.Parameters[i].Gradient.ToArray(), actual.Parameters[i].Gradient.ToArray());
    }

    [Fact]
    public void Forward_of_its_own_output_and_the_backward_after_it_match_a_fresh_copy()
    {
        var device = Device.Default;
        using var net = new SameShape(device, 5);
        using var twin = new SameShape(device, 5);
        using var x = Tensor<S2x5x5>.From(device, Values(100, 1));
        using var dy = Tensor<S2x5x5>.From(device, Values(100, 2));

        var first = net.Forward(x);
        using var copy = Tensor<S2x5x5>.From(device, first.ToArray());
        var second = net.Forward(first).ToArray();
        net.ZeroGrad();
        var dx = net.Backward(dy).ToArray();

        twin.Forward(x);
        var expected = twin.Forward(copy).ToArray();
        twin.ZeroGrad();
        var expectedDx = twin.Backward(dy).ToArray();

        Assert.Equal(expected, second);
        Assert.Equal(expectedDx, dx);
        AssertSameGradients(twin, net);
    }

    [Fact]
    public void Backward_of_its_own_input_gradient_and_forward_of_it_match_a_fresh_copy()
    {
        var device = Device.Default;
        using var net = new SameShape(device, 6);
        using var twin = new SameShape(device, 6);
        using var x = Tensor<S2x5x5>.From(device, Values(100, 3));
        using var dy = Tensor<S2x5x5>.From(device, Values(100, 4));

        net.Forward(x);
        net.ZeroGrad();
        var dx = net.Backward(dy);
        using var copy = Tensor<S2x5x5>.From(device, dx.ToArray());
        var dx2 = net.Backward(dx).ToArray();
        var y = net.Forward(net.Backward(dy)).ToArray();

        twin.Forward(x);
        twin.ZeroGrad();
        twin.Backward(dy);
        var expectedDx2 = twin.Backward(copy).ToArray();
        twin.Backward(dy);
        var expectedY = twin.Forward(copy).ToArray();

        Assert.Equal(expectedDx2, dx2);
        Assert.Equal(expectedY, y);
        AssertSameGradients(twin, net);
    }
}

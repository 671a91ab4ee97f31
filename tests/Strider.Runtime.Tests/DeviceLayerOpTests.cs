using Strider.Devices;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The newer layer ops (PRelu, global and adaptive pooling, ...) against the reference on random inputs larger than the
/// PyTorch fixtures: many channels (the CPU device's work items on several workers), vector bodies and tails, both
/// accumulate modes, and argument checks that name the sizes.
/// </summary>
public abstract partial class DeviceOpTests
{
    [Theory]
    [InlineData(3, 17, 45)]
    [InlineData(1, 2, 1)]
    public void PRelu_matches_reference(int n, int channels, int inner)
    {
        var rng = new Random(15);
        int size = n * channels * inner;
        var x = Pair(Uniform(rng, size, -2, 2));
        var slope = Pair(Uniform(rng, channels));
        var y = Pair(new float[size]);
        Device.PReluForward(n, channels, inner, x.Dut, slope.Dut, y.Dut);
        Reference.PReluForward(n, channels, inner, x.Ref, slope.Ref, y.Ref);
        Same(y, "prelu forward");
        var dy = Pair(Uniform(rng, size));
        var dx = Pair(Uniform(rng, size));
        var dslope = Pair(Uniform(rng, channels));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.PReluBackward(n, channels, inner, x.Dut, slope.Dut, dy.Dut, dx.Dut, dslope.Dut, accumulate);
            Reference.PReluBackward(n, channels, inner, x.Ref, slope.Ref, dy.Ref, dx.Ref, dslope.Ref, accumulate);
            Same(dx, $"prelu backward data (accumulate {accumulate})");
            Same(dslope, "prelu slope gradient (accumulated)");
        }
    }

    [Fact]
    public void PRelu_refuses_a_short_slope_naming_it()
    {
        var x = Pair(new float[12]);
        var slope = Pair(new float[2]);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Device.PReluForward(2, 3, 2, x.Dut, slope.Dut, x.Dut));
        Assert.Contains("slope", ex.Message);
    }
}

using Strider.Devices;

namespace Strider.Runtime.Tests;

/// <summary>LeakyRelu on every device against PyTorch's values written out (not through the reference device).</summary>
public abstract partial class DeviceOpTests
{
    [Fact]
    public void LeakyRelu_scales_negatives_by_the_slope_keeps_positives_and_propagates_NaN()
    {
        const float slope = 0.2f;
        float[] xs = { -3f, -0.5f, 0f, 0.25f, 2f, float.NaN, float.NegativeInfinity, float.PositiveInfinity };
        float[] ys = { -0.6f, -0.1f, 0f, 0.25f, 2f, float.NaN, float.NegativeInfinity, float.PositiveInfinity };
        float[] dys = { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f };
        // leaky_relu_backward: dy where x > 0, slope · dy elsewhere (at 0 and at NaN too).
        float[] dxs = { 0.2f, 0.4f, 0.6f, 4f, 5f, 1.2f, 1.4f, 8f };
        // Repeated so the values sit in a work item's body and its tail alike.
        float[] Repeat(float[] v) => Enumerable.Range(0, 5 * v.Length).Select(i => v[i % v.Length]).ToArray();
        var x = Pair(Repeat(xs));
        var y = Pair(new float[5 * xs.Length]);
        Device.ActivationForward(Activation.LeakyRelu, 5 * xs.Length, x.Dut, y.Dut, slope);
        SameWithNaN(Repeat(ys), y.Dut.ToArray(), "LeakyRelu(0.2) forward", 1e-6);

        var dy = Pair(Repeat(dys));
        var dx = Pair(Enumerable.Repeat(1f, 5 * xs.Length).ToArray());
        Device.ActivationBackward(Activation.LeakyRelu, 5 * xs.Length, x.Dut, y.Dut, dy.Dut, dx.Dut, accumulate: true, slope);
        SameWithNaN(Repeat(dxs).Select(v => v + 1f).ToArray(), dx.Dut.ToArray(), "LeakyRelu(0.2) backward, accumulated onto 1", 1e-6);
    }
}
